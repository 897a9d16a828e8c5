/**
 * Facial features of the built-in head, as displacements of the base surface along its normal,
 * written as smooth bumps in a frontal chart (X, Y of the base point; metres) and, for the ears, a
 * side chart (Z, Y). Every feature is a named, documented bump so that shape and expression
 * components can scale or move them.
 */

/** Anatomical anchor points of the mean head in the frontal chart (X, Y), metres. */
export const ANCHORS = {
  eyeCenter: [0.032, 0.0295] as const, // ±X
  eyeHalfWidth: 0.0135,
  eyeHalfHeight: 0.0056,
  browY: 0.046,
  noseRootY: 0.030,
  noseTipY: -0.009,
  noseBaseY: -0.024,
  alaX: 0.0135,
  mouthY: -0.046,
  mouthHalfWidth: 0.025,
  upperLipY: -0.0395,
  lowerLipY: -0.0535,
  chinY: -0.088,
  earCenterZY: [-0.006, 0.004] as const, // ear centre in the side chart (Z, Y)
  earHalfHeight: 0.031,
  earHalfWidth: 0.017,
} as const;

export interface FeatureScales {
  /** Multipliers of each feature's amplitude (1 = mean head). */
  nose: number; noseWidth: number; alae: number; eyeSocket: number; brow: number; cheek: number;
  upperLip: number; lowerLip: number; chin: number; forehead: number; ear: number;
}
export const MEAN_FEATURES: FeatureScales = {
  nose: 1, noseWidth: 1, alae: 1, eyeSocket: 1, brow: 1, cheek: 1, upperLip: 1, lowerLip: 1, chin: 1, forehead: 1, ear: 1,
};

const gauss = (d: number, s: number): number => Math.exp((-0.5 * d * d) / (s * s));
const smoothstep = (a: number, b: number, x: number): number => {
  const t = Math.min(1, Math.max(0, (x - a) / (b - a)));
  return t * t * (3 - 2 * t);
};
/** exp(−(x/w)^4): a flat-topped window. */
const superGauss = (x: number, w: number): number => Math.exp(-((x / w) ** 4));

/**
 * Normal displacement (metres, outward positive) of the face features at base point (x, y, z).
 * `s` scales the features (shape components use it).
 */
export function faceDisplacement(x: number, y: number, z: number, s: FeatureScales = MEAN_FEATURES): number {
  const front = smoothstep(0.035, 0.075, z); // fades out towards the sides of the head
  if (front === 0) return 0;
  const ax = Math.abs(x);
  const A = ANCHORS;
  let d = 0;
  // Nose: a ridge from the root between the eyes to the tip, then steeply back to the base.
  {
    const yr = A.noseRootY, yt = A.noseTipY, yb = A.noseBaseY;
    let h: number;
    if (y > yr + 0.008) h = 0;
    else if (y > yr) h = 0.003 * (1 - (y - yr) / 0.008);
    else if (y > yt) h = 0.003 + 0.019 * Math.pow((yr - y) / (yr - yt), 1.25);
    else if (y > yb) h = 0.022 * (1 - smoothstep(yt, yb, y)) + 0.004 * smoothstep(yt, yb, y);
    else h = 0.004 * (1 - smoothstep(yb, yb - 0.004, y));
    const width = (0.0042 + 0.0045 * smoothstep(yr, yt + 0.004, y)) * s.noseWidth;
    d += s.nose * h * gauss(x, width);
    // alae (nostril wings)
    d += s.alae * 0.0065 * gauss(ax - A.alaX, 0.0055) * gauss(y - (A.noseBaseY + 0.006), 0.0045);
  }
  // Eye sockets and brow ridge.
  {
    const ex = ax - A.eyeCenter[0], ey = y - A.eyeCenter[1];
    d -= s.eyeSocket * 0.0095 * gauss(ex, 0.0165) * gauss(ey, 0.0105);
    d += s.brow * 0.0045 * superGauss(x, 0.052) * gauss(y - (A.browY - 0.001), 0.0065);
    // the nose bridge between the eyes is not part of the socket
  }
  // Cheekbones.
  d += s.cheek * 0.006 * gauss(ax - 0.05, 0.015) * gauss(y - 0.006, 0.013);
  // Lips, the mouth line, the corners, the groove below the lower lip and the philtrum.
  {
    // upper lip with a cupid's bow (slightly fuller either side of the midline), lower lip fuller
    const bow = 1 + 0.15 * gauss(ax - 0.006, 0.004) - 0.1 * gauss(x, 0.003);
    const upperY = A.upperLipY + 0.0012 * gauss(ax - 0.006, 0.005);
    d += s.upperLip * 0.0055 * bow * gauss(x, 0.015) * gauss(y - upperY, 0.0040);
    d += s.lowerLip * 0.0062 * gauss(x, 0.0135) * gauss(y - A.lowerLipY, 0.0046);
    d -= 0.0010 * superGauss(x, A.mouthHalfWidth) * gauss(y - A.mouthY, 0.0014);
    d -= 0.0030 * gauss(ax - A.mouthHalfWidth, 0.0045) * gauss(y - A.mouthY, 0.0045);
    d -= 0.0028 * superGauss(x, 0.016) * gauss(y - (A.lowerLipY - 0.0125), 0.0045);
    d -= 0.0012 * gauss(x, 0.0035) * gauss(y - (A.noseBaseY - 0.008), 0.004);
  }
  // Chin and forehead.
  d += s.chin * 0.0065 * gauss(x, 0.017) * gauss(y - A.chinY, 0.012);
  d += s.forehead * 0.003 * gauss(x, 0.04) * gauss(y - 0.072, 0.018);
  return front * d;
}

/**
 * Ear displacement (metres, outward along the base normal) at base point (x, y, z): a raised
 * helix rim around a concha bowl, in the side chart (Z, Y) of either side.
 */
export function earDisplacement(x: number, y: number, z: number, s: FeatureScales = MEAN_FEATURES): number {
  const side = smoothstep(0.055, 0.07, Math.abs(x));
  if (side === 0) return 0;
  const A = ANCHORS;
  // ear frame, tilted 12° backwards at the top
  const dz = z - A.earCenterZY[0], dy = y - A.earCenterZY[1];
  const tilt = 0.21;
  const u = (dz * Math.cos(tilt) + dy * Math.sin(tilt)) / A.earHalfWidth;
  const v = (-dz * Math.sin(tilt) + dy * Math.cos(tilt)) / A.earHalfHeight;
  const r = Math.hypot(u, v * (v < 0 ? 1.15 : 1)); // lobe narrower
  if (r > 1.25) return 0;
  const body = 1 - smoothstep(0.6, 1.2, r);
  const rim = 0.010 + 0.007 * r * r;
  const bowl = 0.008 * gauss(Math.hypot(u + 0.25, v + 0.1), 0.36);
  return side * s.ear * body * (rim - bowl);
}
