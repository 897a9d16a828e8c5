/** Shared pieces of the numpy round-trip tests (npy, npz, pickle). */

/** Calls f and returns what it throws; fails when nothing is thrown. */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}

/** Python: imports and desc(a) → {descr, shape, hex} of the array's little-endian C-order bytes. */
export const PY_DESC = `
import sys, json, pickle, struct, os
import numpy as np
def desc(a):
    a = np.asarray(a)
    le = np.ascontiguousarray(a.astype(a.dtype.newbyteorder('<')))
    return {'descr': le.dtype.str, 'shape': list(a.shape), 'hex': le.tobytes().hex()}
`;

/** Python: \`arrays\`, a dict of test arrays: every dtype in both byte orders; C, Fortran, 0-d, empty and 1-d. */
export const PY_TEST_ARRAYS = `
def values(dt, n):
    dt = np.dtype(dt)
    if dt.kind == 'b':
        cand = [True, False, False]
    elif dt.kind in 'iu':
        info = np.iinfo(dt)
        cand = [info.min, info.max, 0, 1, 2, 100, info.max // 3] + ([-1, -100] if dt.kind == 'i' else [])
    elif dt.kind == 'f':
        info = np.finfo(dt)
        cand = [0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 1e-3, 3.14159, info.max, info.tiny, info.smallest_subnormal]
    elif dt.kind == 'c':
        cand = [1 + 2j, -0.5j, complex(np.inf, -1), 3.25, complex(1e-30, 1e30)]
    elif dt.kind == 'U':
        cand = ['', 'a', 'h\\u00e9llo', '\\u65e5\\u672c', '\\U0001F600x']
    else:
        cand = [b'', b'ab', b'\\xff\\x00z']
    return np.resize(np.array(cand, dtype=dt), n)
DTYPES = ['|b1', '|i1', '|u1', '<i2', '>i2', '<u2', '>u2', '<i4', '>i4', '<u4', '>u4', '<i8', '>i8', '<u8', '>u8',
          '<f2', '>f2', '<f4', '>f4', '<f8', '>f8', '<c8', '>c8', '<c16', '>c16', '<U5', '>U5', '|S3']
arrays = {}
for dt in DTYPES:
    arrays[dt + ' C'] = values(dt, 6).reshape(2, 3)
    arrays[dt + ' F'] = np.asfortranarray(values(dt, 24).reshape(2, 3, 4))
    arrays[dt + ' 0d'] = values(dt, 1).reshape(())
    arrays[dt + ' empty'] = values(dt, 0).reshape(0, 3)
    arrays[dt + ' 1d'] = values(dt, 7)
`;
