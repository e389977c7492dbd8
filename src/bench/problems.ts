/**
 * The benchmark problems: dense symmetric matrices with a known power-law spectrum
 * λ_i = 1/(i+1) (the shape of an empirical NTK spectrum), built in O(n²) as A = Q·diag(λ)·Qᵀ with
 * Q a product of a few random Householder reflectors, so that n = 4096 takes well under a second.
 * Eigenvalue solvers see a dense matrix with a known, NTK-like spectrum; LAPACK's values-only
 * path does the same O(n³) work on it as on any dense matrix.
 *
 * Batches on the GPU are written member by member (member b is A + b·δ·I: distinct data, the same
 * eigenvectors), so an n = 4096 × 32 batch needs no 2 GiB host array.
 * @module
 */
import { DeviceLimitError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import { Random } from '../util/random.ts';

/** Reflectors in Q (each costs O(n²)). */
const REFLECTORS = 4;

/** Diagonal shift between consecutive batch members of {@link uploadBatch}. */
export const BATCH_SHIFT = 1e-3;

/** The spectrum of {@link benchMatrix}: λ_i = 1/(i+1), i = 0…n−1 (descending). */
export function benchSpectrum(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 1 / (i + 1));
}

/**
 * A dense symmetric n×n matrix (row-major f32, exactly symmetric) with eigenvalues
 * {@link benchSpectrum} up to f32 rounding, A = Q·diag(λ)·Qᵀ with Q = H_1⋯H_r (Householder).
 */
export function benchMatrix(n: number, seed = 1): Float32Array {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('n', `must be a positive integer, got ${n}`);
  const rng = new Random(seed);
  const lambda = benchSpectrum(n);
  // A random permutation of the diagonal keeps the large eigenvalues away from the first rows.
  rng.shuffle(lambda);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = lambda[i]!;
  const w = new Float64Array(n);
  for (let r = 0; r < REFLECTORS; r++) {
    // H = I − 2vvᵀ (‖v‖ = 1): HAH = A − 2(v wᵀ + w vᵀ) + 4(vᵀw) v vᵀ with w = A v.
    const v = rng.normals(n);
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) v[i]! /= norm;
    let c = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) s += a[row + j]! * v[j]!;
      w[i] = s;
      c += v[i]! * s;
    }
    for (let i = 0; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      const wi = w[i]!;
      // Symmetric in (i, j) term by term, so A stays exactly symmetric.
      for (let j = 0; j < n; j++) a[row + j] = a[row + j]! - 2 * (vi * w[j]! + wi * v[j]!) + 4 * c * (vi * v[j]!);
    }
  }
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const x = a[i * n + j]!;
      out[i * n + j] = x;
      out[j * n + i] = x;
    }
  }
  return out;
}

/** Bytes of a [batch][n][n] f32 batch. */
export function batchBytes(n: number, batch: number): number {
  return batch * n * n * 4;
}

/**
 * Uploads `batch` members A + b·{@link BATCH_SHIFT}·I (b = 0…batch−1) of the n×n matrix `a` into a
 * new tracked storage buffer ([batch][n][n] f32), one member at a time. The caller destroys it.
 */
export async function uploadBatch(ctx: GpuContext, a: Float32Array, n: number, batch: number): Promise<GPUBuffer> {
  const bytes = batchBytes(n, batch);
  if (bytes > ctx.limits.maxBufferSize) throw new DeviceLimitError('maxBufferSize', bytes, ctx.limits.maxBufferSize, 'a benchmark batch');
  const buffer = await ctx.createBuffer({
    label: `bench batch ${batch}×${n}×${n}`,
    size: Math.max(16, bytes),
    usage: STORAGE_USAGE,
  });
  const member = batch > 1 ? new Float32Array(a) : a;
  for (let b = 0; b < batch; b++) {
    if (b > 0) for (let i = 0; i < n; i++) member[i * n + i] = a[i * n + i]! + b * BATCH_SHIFT;
    ctx.device.queue.writeBuffer(buffer, b * n * n * 4, member.buffer, member.byteOffset, member.byteLength);
    // writeBuffer copies into staging memory at once: wait per member so only one is staged at a time.
    if (batch > 1) await ctx.done();
  }
  return buffer;
}
