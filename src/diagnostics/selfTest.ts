/**
 * The self-test `grsd doctor` runs: the batchedDot reduction kernel on the device against the
 * float64 reference, on shapes that cross workgroup and segment boundaries, each compared within
 * its forward-error bound γ_n Σ|x_i y_i|.
 * @module
 */
import type { GpuContext } from '../gpu/context.ts';
import { batchedDotGpu } from '../kernels/batchedDot.ts';
import { batchedDot, batchedDotErrorBound } from '../reference/batchedDot.ts';
import { Random } from '../util/random.ts';

/** One check of the self-test. */
export interface SelfTestCheck {
  /** Kernel tested (e.g. `batchedDot`). */
  readonly kernel: string;
  /** Elements per row. */
  readonly n: number;
  /** Rows. */
  readonly batch: number;
  /** max over rows of |gpu − reference| / bound; the check passes when ≤ 1. */
  readonly errorToBound: number;
  /** errorToBound ≤ 1. */
  readonly passed: boolean;
}

/** Result of {@link runSelfTest}. */
export interface SelfTestResult {
  /** Every check passed. */
  readonly passed: boolean;
  /** One check per shape tested. */
  readonly checks: readonly SelfTestCheck[];
  /** Wall time of the self-test, milliseconds. */
  readonly durationMs: number;
}

const SHAPES: readonly (readonly [number, number])[] = [
  [1, 1],
  [257, 3],
  [5_000, 4],
  [100_003, 1],
];

/** Runs the reduction self-test on `ctx`. Never throws for a wrong result (it is reported); GPU errors do throw. */
export async function runSelfTest(ctx: GpuContext): Promise<SelfTestResult> {
  const start = performance.now();
  const rng = new Random(12345);
  const checks: SelfTestCheck[] = [];
  for (const [n, batch] of SHAPES) {
    const x = Float32Array.from(rng.normals(n * batch));
    const y = Float32Array.from(rng.normals(n * batch));
    const got = await batchedDotGpu(ctx, x, y, { n, batch });
    const ref = batchedDot(x, y, { n, batch });
    const bound = batchedDotErrorBound(x, y, { n, batch });
    let ratio = 0;
    for (let b = 0; b < batch; b++) {
      const r = Math.abs(got[b]! - ref[b]!) / Math.max(bound[b]!, Number.MIN_VALUE);
      ratio = Number.isNaN(r) ? Number.POSITIVE_INFINITY : Math.max(ratio, r);
    }
    checks.push({ kernel: 'batchedDot', n, batch, errorToBound: ratio, passed: ratio <= 1 });
  }
  return { passed: checks.every((c) => c.passed), checks, durationMs: performance.now() - start };
}
