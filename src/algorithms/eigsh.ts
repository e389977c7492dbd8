/**
 * Eigenpairs of batched symmetric operators by Lanczos on the GPU: top-k, bottom-k or both ends,
 * with error bounds, a converged mask, adaptive step counts, and Ritz vectors on the GPU.
 *
 * Pipeline: {@link createLanczos} (CGS2 Lanczos for all operators at once) → the tridiagonals'
 * eigen-decomposition, batched on the GPU (tridiagonalEigen kernel) or in float64 on the host
 * (small problems or on request) → selection, bounds β_m|s_mi| + rounding floor, convergence →
 * Ritz vectors Y = Sᵀ Q (gatherRows + matVecT) when asked for.
 *
 * The float64 CPU backend with the same options and results is `eigshF64` (src/reference/eigsh.ts).
 * @module
 */
import { DisposedError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { BufferGroup } from '../gpu/bufferGroup.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import { readStaging, record } from '../gpu/recorder.ts';
import { createGatherRows } from '../kernels/gatherRows.ts';
import { createMatVec } from '../kernels/matVec.ts';
import { createTridiagonalEigen } from '../kernels/tridiagonalEigen.ts';
import {
  allDone,
  resolveEigenOptions,
  ritzResult,
  type EigenOptions,
  type EigenResult,
  type ResolvedEigenOptions,
  type Which,
} from '../reference/eigsh.ts';
import { tridiagonalEigen } from '../reference/tridiagonalEigen.ts';
import { createLanczos, type LanczosRun, type LanczosStart, type LanczosTridiagonals } from './lanczos.ts';
import type { SymmetricOperator } from './operators.ts';

export type { EigenOptions, EigenResult, Which };

/** Options of {@link eigsh}: the shared {@link EigenOptions} plus GPU-specific ones. */
export interface GpuEigenOptions extends EigenOptions {
  /** Ritz vectors: none (default), copied to the host, or kept on the GPU ({@link EigenSolution.vectorBuffer}). */
  readonly vectors?: 'none' | 'host' | 'gpu';
  /** Where the tridiagonals are diagonalized: `"auto"` (default: GPU for large batches), `"gpu"` or `"host"` (float64). */
  readonly tridiagonal?: 'auto' | 'gpu' | 'host';
  /** Start vectors (one per operator) instead of the seeded random one, e.g. the residual. */
  readonly start?: Extract<LanczosStart, { kind: 'host' | 'gpu' }>;
}

/** Results of {@link eigsh}; owns the GPU Ritz vectors when `vectors: "gpu"`. */
export interface EigenSolution extends Disposable {
  readonly n: number;
  readonly k: number;
  readonly which: Which;
  /** One result per operator of the batch. */
  readonly results: EigenResult[];
  /**
   * With `vectors: "gpu"`: [batch][k][n] f32 Ritz vectors, row v of operator b at (b·k + v)·n, in
   * the order of `results[b].eigenvalues` (rows past a result's length are zero). Owned by the
   * solution: valid until {@link dispose}.
   */
  readonly vectorBuffer: GPUBuffer | null;
  /** The tridiagonal backend used. */
  readonly tridiagonal: 'gpu' | 'host';
  dispose(): void;
}

/**
 * The f32 rounding floor added to every error bound: (4√n + 2m + 8)·u·‖T‖, u = 2⁻²⁴. It covers the
 * f32 error of the operator apply and of the reorthogonalized recurrence (≈ √n·u‖A‖), and of the
 * tridiagonal solve (≈ 4u‖T‖ for bisection). See docs/accuracy.md for how it was validated.
 */
export function f32BoundFloor(n: number, m: number, scale: number): number {
  return (4 * Math.sqrt(n) + 2 * m + 8) * 2 ** -24 * scale;
}

interface Decomposed {
  values: Float64Array[];
  last: Float64Array[];
  /** Host eigenvectors per lane (host path), [m][m] rows. */
  hostVectors?: Float64Array[];
}

async function decomposeOnGpu(
  run: LanczosRun,
  tri: LanczosTridiagonals,
  scratch: { values: GPUBuffer; vectors: GPUBuffer; first: GPUBuffer; last: GPUBuffer },
): Promise<Decomposed> {
  const { ctx, lanes, maxSteps } = run;
  const kernel = await createTridiagonalEigen(ctx);
  const staged = await record(ctx, 'tridiagonalEigen', (rec) => {
    kernel.encode(rec, { alpha: run.buffers.alpha, beta: run.buffers.beta, state: run.buffers.state, ...scratch }, lanes, maxSteps);
    return [rec.stage(scratch.values, 0, lanes * maxSteps * 4), rec.stage(scratch.last, 0, lanes * maxSteps * 4)];
  });
  const [valuesRaw, lastRaw] = await Promise.all(staged.map((s) => readStaging(ctx, s)));
  const values = new Float32Array(valuesRaw!);
  const last = new Float32Array(lastRaw!);
  const out: Decomposed = { values: [], last: [] };
  for (let l = 0; l < lanes; l++) {
    const m = tri.steps[l]!;
    out.values.push(Float64Array.from(values.subarray(l * maxSteps, l * maxSteps + m)));
    out.last.push(Float64Array.from(last.subarray(l * maxSteps, l * maxSteps + m)));
  }
  return out;
}

function decomposeOnHost(tri: LanczosTridiagonals, wantVectors: boolean): Decomposed {
  const out: Decomposed = { values: [], last: [], ...(wantVectors ? { hostVectors: [] } : {}) };
  tri.alpha.forEach((alpha, l) => {
    if (alpha.length === 0) {
      out.values.push(new Float64Array(0));
      out.last.push(new Float64Array(0));
      out.hostVectors?.push(new Float64Array(0));
      return;
    }
    const eig = tridiagonalEigen(alpha, tri.beta[l]!, { vectors: wantVectors ? 'all' : 'ends' });
    out.values.push(eig.values);
    out.last.push(eig.last!);
    out.hostVectors?.push(eig.vectors!);
  });
  return out;
}

function buildResults(
  tri: LanczosTridiagonals,
  dec: Decomposed,
  o: ResolvedEigenOptions,
  n: number,
): { results: EigenResult[]; indices: number[][] } {
  const results: EigenResult[] = [];
  const indices: number[][] = [];
  tri.steps.forEach((m, l) => {
    const floor = f32BoundFloor(n, m, tri.scale[l]!);
    const r = ritzResult(dec.values[l]!, dec.last[l]!, tri.residualNorm[l]!, floor, o, m, tri.breakdown[l]!);
    results.push(r.result);
    indices.push(r.indices);
  });
  return { results, indices };
}

/**
 * Computes k eigenpairs of every operator of the batch by Lanczos on the GPU.
 *
 * Throws InvalidArgumentError for k > n, steps < k, bad options; DeviceLimitError when the
 * Lanczos basis cannot fit one buffer. Lanes that break down (an invariant subspace) stop cleanly
 * and may return fewer than k values, all within their bounds.
 *
 * @example
 * ```ts
 * using op = await denseOperator(ctx, { n, batch: 8, data });     // [8][n][n]
 * using sol = await eigsh(op, { k: 10, which: 'largest' });
 * sol.results[0].eigenvalues; sol.results[0].errorBounds; sol.results[0].converged;
 * ```
 */
export async function eigsh(operator: SymmetricOperator, options: GpuEigenOptions): Promise<EigenSolution> {
  const ctx: GpuContext = operator.ctx;
  const { n, batch } = operator;
  const o = resolveEigenOptions(options, n);
  const vectorsMode = options.vectors ?? 'none';
  if (!['none', 'host', 'gpu'].includes(vectorsMode))
    throw new InvalidArgumentError('vectors', `must be "none", "host" or "gpu", got "${vectorsMode}"`);
  const tridiagonalMode = options.tridiagonal ?? 'auto';
  if (!['auto', 'gpu', 'host'].includes(tridiagonalMode))
    throw new InvalidArgumentError('tridiagonal', `must be "auto", "gpu" or "host", got "${tridiagonalMode}"`);
  const useGpuTridiagonal = tridiagonalMode === 'gpu' || (tridiagonalMode === 'auto' && batch * o.maxSteps ** 3 > 5e7);

  using run = await createLanczos(operator, {
    maxSteps: o.maxSteps,
    ...(options.breakdownTolerance === undefined ? {} : { breakdownTolerance: options.breakdownTolerance }),
  });
  using scratch = new BufferGroup(ctx);
  const make = (elements: number, label: string): Promise<GPUBuffer> => scratch.storage(elements, label);
  let vectorBuffer: GPUBuffer | null = null;
  try {
    const m2 = run.lanes * o.maxSteps;
    const triScratch = useGpuTridiagonal
      ? {
          values: await make(m2, 'ritz values'),
          vectors: await make(m2 * o.maxSteps, 'ritz S'),
          first: await make(m2, 'ritz first'),
          last: await make(m2, 'ritz last'),
        }
      : null;
    await run.start(options.start ?? { kind: 'random', seed: o.seed });
    let m = o.initialSteps;
    let tri: LanczosTridiagonals;
    let dec: Decomposed;
    let built: ReturnType<typeof buildResults>;
    for (;;) {
      await run.advance(m);
      tri = await run.readTridiagonals();
      dec = triScratch ? await decomposeOnGpu(run, tri, triScratch) : decomposeOnHost(tri, vectorsMode !== 'none');
      built = buildResults(tri, dec, o, n);
      if (o.fixedSteps !== undefined || m >= o.maxSteps || allDone(built.results, o.k)) break;
      m = Math.min(o.maxSteps, Math.ceil(m * 1.5) + 10);
    }
    if (vectorsMode !== 'none') {
      vectorBuffer = await ritzVectors(run, tri, dec, built.indices, o.k, triScratch?.vectors ?? null);
      if (vectorsMode === 'host') {
        const staging = await record(ctx, 'ritz vectors readback', (rec) => rec.stage(vectorBuffer!, 0, batch * o.k * n * 4));
        const all = new Float32Array(await readStaging(ctx, staging));
        built.results.forEach((r, b) => {
          r.vectors = all.slice(b * o.k * n, (b * o.k + r.eigenvalues.length) * n);
        });
        ctx.destroyBuffer(vectorBuffer);
        vectorBuffer = null;
      }
    }
    let disposed = false;
    const owned = vectorBuffer;
    return {
      n,
      k: o.k,
      which: o.which,
      results: built.results,
      tridiagonal: triScratch ? 'gpu' : 'host',
      get vectorBuffer() {
        if (disposed) throw new DisposedError('EigenSolution');
        return owned;
      },
      dispose() {
        disposed = true;
        ctx.destroyBuffer(owned);
      },
      [Symbol.dispose]() {
        disposed = true;
        ctx.destroyBuffer(owned);
      },
    };
  } catch (error) {
    ctx.destroyBuffer(vectorBuffer);
    throw error;
  }
}

/** Y[b][v] = Σ_k S[b][idx_v][k] q_k on the GPU, with S from the GPU kernel or uploaded from the host path. */
async function ritzVectors(
  run: LanczosRun,
  tri: LanczosTridiagonals,
  dec: Decomposed,
  indices: number[][],
  k: number,
  gpuS: GPUBuffer | null,
): Promise<GPUBuffer> {
  const { ctx, lanes, maxSteps, n } = run;
  const usage = STORAGE_USAGE;
  const selected = await ctx.createBuffer({ label: 'ritz selected S', size: Math.max(16, lanes * k * maxSteps * 4), usage });
  const out = await ctx.createBuffer({ label: 'ritz vectors', size: Math.max(16, lanes * k * n * 4), usage });
  const extra: GPUBuffer[] = [selected];
  try {
    if (gpuS) {
      const index = new Uint32Array(lanes * k);
      indices.forEach((idx, l) => idx.forEach((i, v) => (index[l * k + v] = i)));
      const limits = new Uint32Array(lanes);
      // Rows past a lane's selection (fewer than k values) point at row 0 with limit 0: zero rows.
      const counts = indices.map((idx) => idx.length);
      tri.steps.forEach((m, l) => (limits[l] = m));
      const indexBuffer = await ctx.uploadF32(new Float32Array(index.buffer), 'ritz index');
      extra.push(indexBuffer);
      const limitBuffer = await ctx.uploadF32(new Float32Array(limits.buffer), 'ritz limits');
      extra.push(limitBuffer);
      const gather = await createGatherRows(ctx);
      await record(ctx, 'ritz gather', (rec) =>
        gather.encode(rec, {
          src: gpuS,
          index: indexBuffer,
          limit: limitBuffer,
          dst: selected,
          batch: lanes,
          count: k,
          len: maxSteps,
          srcBatchStride: maxSteps * maxSteps,
          srcRowStride: maxSteps,
          limitStride: 1,
          limitOffset: 0,
        }),
      );
      if (counts.some((c) => c < k)) {
        // Zero the rows of missing values (their index 0 would gather a real eigenvector).
        await record(ctx, 'ritz zero missing', (rec) => {
          counts.forEach((c, l) => {
            if (c < k) rec.clear(selected, (l * k + c) * maxSteps * 4, (k - c) * maxSteps * 4);
          });
        });
      }
    } else {
      const host = new Float32Array(lanes * k * maxSteps);
      indices.forEach((idx, l) => {
        const m = tri.steps[l]!;
        const vecs = dec.hostVectors![l]!;
        idx.forEach((i, v) => {
          for (let j = 0; j < m; j++) host[(l * k + v) * maxSteps + j] = vecs[i * m + j]!;
        });
      });
      ctx.device.queue.writeBuffer(selected, 0, host.buffer, host.byteOffset, host.byteLength);
    }
    const mv = await createMatVec(ctx);
    await record(ctx, 'ritz vectors', (rec) =>
      mv.encodeT(rec, {
        m: { buffer: run.basis, rows: maxSteps + 1, cols: n, batchStride: run.laneStride },
        x: { buffer: selected, batchStride: k * maxSteps, vectorStride: maxSteps },
        y: { buffer: out, batchStride: k * n, vectorStride: n },
        batch: lanes,
        vectors: k,
        rowEnd: run.stepsTaken,
      }),
    );
    return out;
  } catch (error) {
    ctx.destroyBuffer(out);
    throw error;
  } finally {
    for (const b of extra) ctx.destroyBuffer(b);
  }
}
