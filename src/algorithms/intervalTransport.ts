/**
 * One interval of the GRSD series on the GPU (docs/math.md, "Transport between checkpoints"), for
 * a checkpoint pair (i, i+1) whose eigenvectors are resident ({@link spectralCheckpoint}):
 *
 * - the flow matrix F ((shells+1)², ⊥ last) of the discrete transport estimator
 *   ({@link createFlowEstimator}: α = U a, O = U Vᵀ, g = Oᵀα and the segmented shell reduction,
 *   the complement ⊥ completed in float64 on the host);
 * - the overlap O = U Vᵀ read back, for the projector change per shell;
 * - the Kato projections G = U (K_new − K_old) Uᵀ of each operator pair (the kernel and each
 *   layer), un-scaled: K U by the operators' own apply, then two GEMMs U (K U)ᵀ accumulated with
 *   signs + and −. The caller divides by Δt.
 *
 * All in one submission. Float64 twin: `intervalTransportF64` in src/reference/intervalTransport.ts.
 * Accuracy (tested in test/gpu/intervalTransport.gpu.test.ts): F within √n·2⁻²⁴·‖a‖² per entry on
 * orthonormal bases; O_jk within γ_{n+2} Σ_i |u_ji v_ki|; G_kj within
 * 2γ_{n+2}·|u_k|ᵀ(|K_new| + |K_old|)|u_j| (the apply and the GEMM, each a length-n f32 sum) — the
 * Kato projection differences two f32 products, so it resolves ΔK only down to ≈ γ_n‖K‖.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { BufferGroup } from '../gpu/bufferGroup.ts';
import type { GpuContext } from '../gpu/context.ts';
import { readStaging, record } from '../gpu/recorder.ts';
import { createGemm } from '../kernels/gemm.ts';
import { checkFinite } from '../reference/linalg.ts';
import type { IntervalTransport } from '../reference/intervalTransport.ts';
import { completeFlow } from '../reference/transport.ts';
import { createFlowEstimator } from './flowEstimator.ts';
import type { SymmetricOperator } from './operators.ts';

export type { IntervalTransport };

/** One side of the interval: a resident eigenbasis and the host shell index of each vector. */
export interface TransportBasis {
  /** Eigenvectors, [index.length][n] f32 row-major (borrowed). */
  readonly vectors: GPUBuffer;
  /** Shell index of each eigenvector, in [0, shells). */
  readonly index: ArrayLike<number>;
}

/** Inputs of {@link intervalTransport}. */
export interface IntervalTransportInput {
  /** Dimension n of the eigenvectors and the residual. */
  readonly n: number;
  /** Computed shells: the window and ∅ (`ShellGrid.computedCount`). */
  readonly shells: number;
  /** The eigenbasis U at checkpoint i. */
  readonly old: TransportBasis;
  /** The eigenbasis V at checkpoint i+1 with the residual a = e_{i+1} on the GPU and on the host side β = V a and ‖a‖². */
  readonly new: TransportBasis & {
    /** The residual a = e_{i+1}, n f32 values (borrowed). */
    readonly residual: GPUBuffer;
    /** β = V a, one amplitude per new eigenvector (host, float64). */
    readonly amplitudes: ArrayLike<number>;
    /** ‖a‖². */
    readonly norm2: number;
  };
  /** Operator pairs [K_new, K_old] (batch 1, dimension n; borrowed) whose Kato projections are wanted. */
  readonly kato?: readonly (readonly [SymmetricOperator, SymmetricOperator])[];
}

function checkIndex(name: string, index: ArrayLike<number>, shells: number): void {
  for (let i = 0; i < index.length; i++) {
    const s = index[i]!;
    if (!(Number.isInteger(s) && s >= 0 && s < shells))
      throw new InvalidArgumentError(name, `entry ${i} is ${s}; shell indices must be integers in [0, ${shells})`);
  }
}

/** The flow matrix, overlap and Kato projections of one interval on the GPU (see the module documentation). */
export async function intervalTransport(ctx: GpuContext, input: IntervalTransportInput): Promise<IntervalTransport> {
  const { n, shells } = input;
  const rOld = input.old.index.length;
  const rNew = input.new.index.length;
  if (!(Number.isInteger(shells) && shells >= 1)) throw new InvalidArgumentError('shells', `must be a positive integer, got ${shells}`);
  checkIndex('old.index', input.old.index, shells);
  checkIndex('new.index', input.new.index, shells);
  if (input.new.amplitudes.length !== rNew)
    throw new InvalidArgumentError('new.amplitudes', `has ${input.new.amplitudes.length} values for ${rNew} eigenvectors`);
  checkFinite('new.amplitudes', input.new.amplitudes);
  const pairs = rOld > 0 ? (input.kato ?? []) : [];
  pairs.forEach(([a, b], i) => {
    for (const op of [a, b])
      if (op.n !== n || op.batch !== 1)
        throw new InvalidArgumentError(`kato[${i}]`, `operators must have n = ${n} and batch 1, got n = ${op.n}, batch ${op.batch}`);
  });
  const [estimator, gemm] = await Promise.all([createFlowEstimator(ctx), createGemm(ctx)]);
  using scratch = new BufferGroup(ctx);
  const make = (elements: number, what: string): Promise<GPUBuffer> => scratch.storage(elements, what);
  const upload = async (data: Float32Array | Uint32Array, what: string): Promise<GPUBuffer> => {
    const buffer = await make(data.length, what);
    if (data.length > 0) ctx.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  };
  const oldIndex = await upload(Uint32Array.from(input.old.index), 'old shell index');
  const newIndex = await upload(Uint32Array.from(input.new.index), 'new shell index');
  const beta = await upload(Float32Array.from(input.new.amplitudes), 'β = V a');
  const alpha = await make(rOld, 'α = U a');
  const overlap = await make(rOld * rNew, 'O = U Vᵀ');
  const g = await make(rNew, 'g = Oᵀα');
  const core = await make(shells * shells, 'flow core');
  const projections = await Promise.all(pairs.map(() => make(rOld * rOld, 'U ΔK Uᵀ')));
  const applied = pairs.length > 0 ? await make(2 * rOld * n, 'K U') : null;
  const staged = await record(ctx, 'interval transport', (rec) => {
    estimator.encode(
      rec,
      {
        oldVectors: input.old.vectors,
        newVectors: input.new.vectors,
        residual: input.new.residual,
        oldIndex,
        newIndex,
        alpha,
        beta,
        overlap,
        g,
        core,
      },
      { rOld, rNew, n, shells, computeBeta: false },
    );
    pairs.forEach(([kNew, kOld], i) => {
      const u = { buffer: input.old.vectors, batchStride: rOld * n, vectorStride: n };
      kNew.encodeApply(rec, u, { buffer: applied!, batchStride: rOld * n, vectorStride: n }, rOld);
      kOld.encodeApply(rec, u, { buffer: applied!, offset: rOld * n, batchStride: rOld * n, vectorStride: n }, rOld);
      const common = { a: { buffer: input.old.vectors }, c: { buffer: projections[i]! }, m: rOld, n: rOld, k: n, transB: true };
      gemm.encode(rec, { ...common, b: { buffer: applied! } });
      gemm.encode(rec, { ...common, b: { buffer: applied!, offset: rOld * n }, alpha: -1, beta: 1 });
    });
    const bytes = (elements: number) => Math.max(elements, 1) * 4;
    return [
      rec.stage(alpha, 0, bytes(rOld)),
      rec.stage(g, 0, bytes(rNew)),
      rec.stage(core, 0, bytes(shells * shells)),
      rec.stage(overlap, 0, bytes(rOld * rNew)),
      ...projections.map((b) => rec.stage(b, 0, bytes(rOld * rOld))),
    ];
  });
  const raw = (await Promise.all(staged.map((s) => readStaging(ctx, s)))).map((b) => new Float32Array(b));
  const flow = completeFlow({
    core: raw[2]!.subarray(0, shells * shells),
    shells,
    alpha: raw[0]!.subarray(0, rOld),
    beta: input.new.amplitudes,
    g: raw[1]!.subarray(0, rNew),
    oldIndex: input.old.index,
    newIndex: input.new.index,
    norm2: input.new.norm2,
  });
  return {
    flow,
    overlap: Float64Array.from(raw[3]!.subarray(0, rOld * rNew)),
    projections: raw.slice(4).map((p) => Float64Array.from(p.subarray(0, rOld * rOld))),
  };
}
