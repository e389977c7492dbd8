/**
 * The sizes of `grsd bench` (full) and `grsd bench --quick`.
 * @module
 */
import type { BenchScale } from './types.ts';

const MiB = 2 ** 20;

/**
 * The full suite: the sizes of issues 3 and 8 (n ∈ {1024, 2048, 4096}, batch ∈ {1, 8, 32},
 * 50 Lanczos steps, 16 SLQ probes × 40 steps). Cases predicted to take over 20 s per run on the
 * device at hand are skipped with a note (on a software adapter that removes the largest ones).
 */
export const FULL_SCALE: BenchScale = {
  name: 'full',
  copyBytes: 256 * MiB,
  gemmSizes: [1024, 2048, 4096],
  apply: { n: [1024, 2048, 4096], batch: [1, 8, 32] },
  lanczos: { n: [1024, 2048, 4096], batch: [1, 8, 32], steps: 50 },
  eigsh: { n: [1024, 2048, 4096], k: 10, tolerance: 1e-4 },
  eigshWork: { size: 'bench', tolerance: 1e-4 },
  slq: { n: [1024, 2048, 4096], probes: 16, steps: 40 },
  transport: { r: [256, 1024], n: [2048, 8192], shells: [24, 48] },
  binning: { batch: [1, 64], len: [1024, 65536], shellsPerDecade: 8 },
  pipeline: { n: [1024, 2048], checkpoints: 6, rank: 128, f64MaxN: 512 },
  warmup: 1,
  repeats: 5,
  maxSeconds: 15,
  caseBudgetSeconds: 20,
  mlMatrixMaxN: 1024,
  f64MaxN: 2048,
};

/** `--quick`: tiny sizes, about a minute on a software adapter. */
export const QUICK_SCALE: BenchScale = {
  name: 'quick',
  copyBytes: 32 * MiB,
  gemmSizes: [128, 256],
  apply: { n: [256, 512], batch: [1, 4] },
  lanczos: { n: [256, 512], batch: [1, 4], steps: 20 },
  eigsh: { n: [256, 512], k: 10, tolerance: 1e-4 },
  eigshWork: { size: 'test', tolerance: 1e-4 },
  slq: { n: [256, 512], probes: 4, steps: 20 },
  transport: { r: [64, 128], n: [256, 512], shells: [24] },
  binning: { batch: [1, 16], len: [256, 4096], shellsPerDecade: 8 },
  pipeline: { n: [256], checkpoints: 4, rank: 32, f64MaxN: 256 },
  warmup: 1,
  repeats: 3,
  maxSeconds: 2,
  caseBudgetSeconds: 5,
  mlMatrixMaxN: 512,
  f64MaxN: 512,
};
