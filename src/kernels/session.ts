/**
 * onnxruntime sessions for the workbench's compute graphs: created once per graph and reused.
 * Threads: `WORKBENCH_THREADS` or all cores (set 1 inside worker threads that run in parallel).
 */
import ort from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import { encodeModel, type GraphSpec } from './onnx-proto.js';

export type Tensor = ort.Tensor;
export const OrtTensor = ort.Tensor;

let threads = Number(process.env.WORKBENCH_THREADS) || availableParallelism();

/** Sets the intra-op thread count for sessions created from now on. */
export function setKernelThreads(n: number): void {
  threads = Math.max(1, Math.floor(n));
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/**
 * Sessions cached at most (least recently used dropped first): graphs sized by a problem (e.g. a
 * registration's vertex count) would otherwise pile up over a long batch.
 */
export const MAX_SESSIONS = 48;

/** The session for a graph, created on first use. `key` names the graph (it must determine it). */
export function graphSession(key: string, build: () => GraphSpec): Promise<ort.InferenceSession> {
  const k = `${key}#${threads}`;
  let s = sessions.get(k);
  if (s) {
    // most recently used last
    sessions.delete(k);
    sessions.set(k, s);
  } else {
    while (sessions.size >= MAX_SESSIONS) {
      // dropped from the cache, not released: a holder may still run it; the native session goes
      // with its last reference
      sessions.delete(sessions.keys().next().value as string);
    }
    s = ort.InferenceSession.create(encodeModel(build()), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      // no arena: large intermediate tensors are returned after each run instead of being kept
      enableCpuMemArena: false,
      enableMemPattern: false,
    });
    sessions.set(k, s);
  }
  return s;
}

/** Releases every cached session (e.g. before a worker exits). */
export async function releaseSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const s of all) await (await s).release();
}
