/**
 * The discrete transport estimator (docs/math.md, "Transport between checkpoints") on the GPU: from the old eigenvectors U (rOld × n,
 * checkpoint i), the new V (rNew × n, checkpoint i+1), the residual a = e_{i+1} and the shell
 * indices of both eigenbases, the flow matrix F (shells × shells, row σ = new shell, column τ = old
 * shell) with the complement shell ⊥ (columns and the total close in float64, rows to f32
 * precision; docs/accuracy.md).
 *
 * GPU work (one submission): α = U a and β = V a (matVecN), O = U Vᵀ (tiled GEMM, the dominant
 * 2·rOld·rNew·n FLOPs), g = Oᵀα (matVecT), the 2-D segmented reduction to the core flow
 * (shaders/shells/shellFlow.wgsl, shellFlowReduce.wgsl). Host, float64: the ⊥ row and column and
 * ‖a‖² ({@link completeFlow}).
 *
 * Float64 twin: `flowMatrixF64` in src/reference/transport.ts. Accuracy: f32 products with f32
 * accumulation; every entry of F is within √n·2⁻²⁴·‖a‖² of the float64 value on orthonormal
 * bases (tested in test/gpu/flowEstimator.gpu.test.ts; docs/accuracy.md).
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { BufferGroup } from '../gpu/bufferGroup.ts';
import type { GpuContext } from '../gpu/context.ts';
import { readStaging, record, type Recorder } from '../gpu/recorder.ts';
import { createGemm, type Gemm } from '../kernels/gemm.ts';
import { createMatVec, type MatVec } from '../kernels/matVec.ts';
import { createShellFlow, type ShellFlowKernels } from '../kernels/shellFlow.ts';
import { checkCount, checkFinite, checkLength } from '../reference/linalg.ts';
import { completeFlow } from '../reference/transport.ts';

/** GPU buffers of one estimate. Inputs are f32 (indices u32); outputs are written, never read first. */
export interface FlowEstimatorBuffers {
  /** Old eigenvectors, [rOld][n] f32 row-major. */
  readonly oldVectors: GPUBuffer;
  /** New eigenvectors, [rNew][n] f32. */
  readonly newVectors: GPUBuffer;
  /** Residual a = e_{i+1}, [n] f32. */
  readonly residual: GPUBuffer;
  /** Shell index of each old eigenvalue, [rOld] u32 in [0, shells). */
  readonly oldIndex: GPUBuffer;
  /** Shell index of each new eigenvalue, [rNew] u32 in [0, shells). */
  readonly newIndex: GPUBuffer;
  /** Output α = U a, [rOld]. */
  readonly alpha: GPUBuffer;
  /** β = V a, [rNew]: computed when {@link FlowEstimateShape.computeBeta}, otherwise an input. */
  readonly beta: GPUBuffer;
  /** Output O = U Vᵀ, [rOld][rNew]. */
  readonly overlap: GPUBuffer;
  /** Output g = Oᵀα, [rNew]. */
  readonly g: GPUBuffer;
  /** Output core flow, [shells][shells] (window shells and ∅; ⊥ is added on the host). */
  readonly core: GPUBuffer;
}

/** Sizes of one estimate. */
export interface FlowEstimateShape {
  readonly rOld: number;
  readonly rNew: number;
  readonly n: number;
  /** Computed shells: the window plus ∅ (`ShellGrid.computedCount`). */
  readonly shells: number;
  /** Compute β = V a on the GPU (true) or take it from `beta` (the caller has it already). */
  readonly computeBeta: boolean;
}

/** The compiled estimator; {@link encode} records it into a {@link Recorder}. */
export interface FlowEstimator {
  encode(rec: Recorder, buffers: FlowEstimatorBuffers, shape: FlowEstimateShape): void;
}

/** Compiles the estimator's pipelines for `ctx` (cached per device). */
export async function createFlowEstimator(ctx: GpuContext): Promise<FlowEstimator> {
  const [mv, gemm, flow] = await Promise.all([createMatVec(ctx), createGemm(ctx), createShellFlow(ctx)]);
  return { encode: (rec, b, shape) => encodeFlowEstimate(rec, { mv, gemm, flow }, b, shape) };
}

function encodeFlowEstimate(
  rec: Recorder,
  k: { mv: MatVec; gemm: Gemm; flow: ShellFlowKernels },
  b: FlowEstimatorBuffers,
  { rOld, rNew, n, shells, computeBeta }: FlowEstimateShape,
): void {
  const project = (vectors: GPUBuffer, rows: number, out: GPUBuffer): void =>
    k.mv.encodeN(rec, {
      m: { buffer: vectors, rows, cols: n },
      x: { buffer: b.residual, batchStride: n, vectorStride: n },
      y: { buffer: out, batchStride: rows, vectorStride: rows },
      batch: 1,
      vectors: 1,
    });
  if (rOld > 0) project(b.oldVectors, rOld, b.alpha);
  if (computeBeta && rNew > 0) project(b.newVectors, rNew, b.beta);
  if (rOld > 0 && rNew > 0) {
    k.gemm.encode(rec, {
      a: { buffer: b.oldVectors },
      b: { buffer: b.newVectors },
      c: { buffer: b.overlap },
      m: rOld,
      n: rNew,
      k: n,
      transB: true,
    });
    k.mv.encodeT(rec, {
      m: { buffer: b.overlap, rows: rOld, cols: rNew },
      x: { buffer: b.alpha, batchStride: rOld, vectorStride: rOld },
      y: { buffer: b.g, batchStride: rNew, vectorStride: rNew },
      batch: 1,
      vectors: 1,
    });
  }
  rec.clear(b.core);
  if (rOld > 0 && rNew > 0)
    k.flow.encode(
      rec,
      { o: b.overlap, alpha: b.alpha, beta: b.beta, oldIndex: b.oldIndex, newIndex: b.newIndex, f: b.core },
      { rOld, rNew, shells },
    );
}

/** Host inputs of {@link flowMatrixGpu} (the arguments of `flowMatrixF64`). */
export interface FlowMatrixInput {
  /** Old eigenvectors [rOld][n]. */
  readonly u: Float32Array | Float64Array;
  /** New eigenvectors [rNew][n]. */
  readonly v: Float32Array | Float64Array;
  /** Residual a = e_{i+1}, length n. */
  readonly a: Float32Array | Float64Array;
  /** Shell index per old eigenvector, in [0, shells). */
  readonly oldIndex: ArrayLike<number>;
  /** Shell index per new eigenvector, in [0, shells). */
  readonly newIndex: ArrayLike<number>;
  /** Computed shells (window + ∅). */
  readonly shells: number;
}

function validateIndex(name: string, index: ArrayLike<number>, shells: number): void {
  for (let i = 0; i < index.length; i++) {
    const s = index[i]!;
    if (!Number.isInteger(s) || s < 0 || s >= shells)
      throw new InvalidArgumentError(name, `entry ${i} is ${s}; shell indices must be integers in [0, ${shells})`);
  }
}

/** Checks every argument of {@link flowMatrixGpu}; throws InvalidArgumentError naming the first fault. */
export function validateFlowInput(input: FlowMatrixInput): void {
  const { u, v, a, oldIndex, newIndex, shells } = input;
  const n = a.length;
  checkCount('shells', shells, 1);
  checkCount('a.length', n, 1);
  checkLength('u', u, oldIndex.length * n, `oldIndex.length × a.length = ${oldIndex.length}×${n}`);
  checkLength('v', v, newIndex.length * n, `newIndex.length × a.length = ${newIndex.length}×${n}`);
  validateIndex('oldIndex', oldIndex, shells);
  validateIndex('newIndex', newIndex, shells);
  checkFinite('u', u);
  checkFinite('v', v);
  checkFinite('a', a);
}

/**
 * Uploads validated host inputs into new buffers of `group` (which owns them) and allocates the
 * outputs: the buffers {@link FlowEstimator.encode} and {@link estimateFlow} take.
 */
export async function uploadFlowInput(group: BufferGroup, input: FlowMatrixInput): Promise<FlowEstimatorBuffers> {
  const { u, v, a, oldIndex, newIndex, shells } = input;
  const upload = async (data: Float32Array | Uint32Array, label: string): Promise<GPUBuffer> => {
    const buffer = await group.storage(data.length, label);
    if (data.length > 0) group.ctx.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  };
  return {
    oldVectors: await upload(Float32Array.from(u), 'flow U'),
    newVectors: await upload(Float32Array.from(v), 'flow V'),
    residual: await upload(Float32Array.from(a), 'flow a'),
    oldIndex: await upload(Uint32Array.from(oldIndex), 'flow old index'),
    newIndex: await upload(Uint32Array.from(newIndex), 'flow new index'),
    alpha: await group.storage(oldIndex.length, 'flow α'),
    beta: await group.storage(newIndex.length, 'flow β'),
    overlap: await group.storage(oldIndex.length * newIndex.length, 'flow O'),
    g: await group.storage(newIndex.length, 'flow g'),
    core: await group.storage(shells * shells, 'flow core'),
  };
}

/**
 * One estimate on resident buffers: records the kernels (β computed on the GPU), reads α, β, g and
 * the core back and completes ⊥ in float64. `norm2` = ‖a‖²; the indices are the host copies of
 * the buffers'.
 */
export async function estimateFlow(
  ctx: GpuContext,
  estimator: FlowEstimator,
  buffers: FlowEstimatorBuffers,
  host: {
    readonly n: number;
    readonly oldIndex: ArrayLike<number>;
    readonly newIndex: ArrayLike<number>;
    readonly shells: number;
    readonly norm2: number;
  },
): Promise<Float64Array> {
  const { n, oldIndex, newIndex, shells, norm2 } = host;
  const rOld = oldIndex.length;
  const rNew = newIndex.length;
  const staged = await record(ctx, 'flow estimate', (rec) => {
    estimator.encode(rec, buffers, { rOld, rNew, n, shells, computeBeta: true });
    return [
      rec.stage(buffers.alpha, 0, Math.max(rOld, 1) * 4),
      rec.stage(buffers.beta, 0, Math.max(rNew, 1) * 4),
      rec.stage(buffers.g, 0, Math.max(rNew, 1) * 4),
      rec.stage(buffers.core, 0, shells * shells * 4),
    ];
  });
  const [alpha, beta, g, core] = (await Promise.all(staged.map((s) => readStaging(ctx, s)))).map((raw) => new Float32Array(raw));
  return completeFlow({
    core: core!,
    shells,
    alpha: alpha!.subarray(0, rOld),
    beta: beta!.subarray(0, rNew),
    g: g!.subarray(0, rNew),
    oldIndex,
    newIndex,
    norm2,
  });
}

/**
 * The flow matrix F ((shells+1)², ⊥ last) of the transport estimator on the GPU from host arrays:
 * validates, uploads, runs the flow estimator's kernels (`createFlowEstimator`), completes ⊥ in float64. The GPU
 * twin of `flowMatrixF64` (same arguments, same layout).
 */
export async function flowMatrixGpu(ctx: GpuContext, input: FlowMatrixInput): Promise<Float64Array> {
  validateFlowInput(input);
  const estimator = await createFlowEstimator(ctx);
  using group = new BufferGroup(ctx);
  const buffers = await uploadFlowInput(group, input);
  let norm2 = 0;
  for (const x of input.a) norm2 += x * x;
  return estimateFlow(ctx, estimator, buffers, { ...input, n: input.a.length, norm2 });
}
