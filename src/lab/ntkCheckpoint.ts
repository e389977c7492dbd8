/**
 * A lab checkpoint: at the current parameters, the full-batch training loss, the probe residual,
 * the per-layer empirical NTKs and their learning-rate-weighted sum, the backward gains and the
 * feature-update ratios, recorded in one submission and read back.
 *
 * The NTK is never formed through J: for a dense layer out = m·z Wᵀ with per-sample inputs z_i and
 * backward signals g_i = ∂f_i/∂out, J_l J_lᵀ = m²·(G Gᵀ)∘(Z Zᵀ) (docs/lab.md, "The empirical NTK
 * without J"). The probe forward pass runs on every probe point replicated C times (row i·C + c)
 * and the backward pass is seeded with the one-hot rows e_c, so the NTK index of (i, c) is i·C + c.
 * @module
 */
import type { GpuContext } from '../gpu/context.ts';
import { readStaging, record, type Recorder } from '../gpu/recorder.ts';
import type { LabBuffers, LabSizes } from './buffers.ts';
import type { ResolvedModel } from './models.ts';
import type { LabKernels, LabPasses } from './passes.ts';
import { divergence } from './validation.ts';

/** One checkpoint of a training run (see the module documentation). */
export interface LabCheckpoint {
  /** Optimizer steps taken before this checkpoint. */
  readonly step: number;
  /** Full-batch training loss ‖f(X) − Y‖²/(2N). */
  readonly loss: number;
  /** Probe loss ‖e‖²/(2P). */
  readonly probeLoss: number;
  /** Probe residual e = f(X_P) − Y_P, n = P·C entries, index i·C + c. */
  readonly residual: Float32Array;
  /** n × n effective NTK K_eff = Σ_l (η_l/η)·K_l on the probe set (row-major). */
  readonly kernel: Float32Array;
  /**
   * The terms (η_l/η)·K_l, one n × n matrix per parameter tensor; they sum to `kernel`. Empty when
   * the checkpoint was taken with `layerKernels: false`.
   */
  readonly layers: Float32Array[];
  /** Tensor names of the parameter tensors (of `layers`). */
  readonly layerNames: string[];
  /** η/N: M = timeScale·K is the per-step GD operator, with t = step. */
  readonly timeScale: number;
  readonly diagnostics: {
    /** G_ℓ = mean over probe points of ‖∂f/∂h^ℓ‖_F, ℓ = 0…L (h⁰ the embedding; pre-activations for `plain`; empty for `linear`). */
    readonly layerGains: number[];
    /** r = ‖ΔW z‖_F/‖W(0) z‖_F on the probe set per block and internal layer (W(0): the lab's initial parameters). */
    readonly featureUpdates: { block: number; internal: 1 | 2; ratio: number }[];
  };
}

/** Everything a checkpoint reads: the lab's device, kernels, passes, model, sizes and buffers. */
export interface CheckpointSource {
  readonly ctx: GpuContext;
  readonly kernels: LabKernels;
  readonly passes: LabPasses;
  readonly model: ResolvedModel;
  readonly sizes: LabSizes;
  readonly buffers: LabBuffers;
  /** Probe points P. */
  readonly probeSize: number;
  /** How a replica is named in a divergence error ('' for a lone network). */
  readonly replicaName: (replica: number) => string;
}

/**
 * Records and reads one checkpoint of every replica at the current parameters, with
 * `ratios[t]` = η_t/η; the per-layer kernels are read back only with `layerKernels` (they are
 * always computed: K is their sum). Throws the divergence {@link InvalidArgumentError} if a loss or a kernel is
 * not finite.
 */
export async function takeCheckpoints(
  src: CheckpointSource,
  step: number,
  learningRate: number,
  ratios: readonly number[],
  layerKernels = true,
): Promise<LabCheckpoint[]> {
  const { ctx, passes, model, buffers: b } = src;
  const { S, N, n, L } = src.sizes;
  const linear = model.architecture === 'linear';
  const blocks = blockTensors(model);
  const staged = await record(ctx, 'lab checkpoint', (rec) => {
    passes.loss(rec, { buffer: b.trainX }, { buffer: b.trainY }, N, b.loss, 0);
    encodeProbeResidual(src, rec);
    encodeNtk(src, rec, ratios);
    if (!linear) {
      encodeGains(src, rec);
      encodeFeatureUpdates(src, rec, blocks);
    }
    return {
      loss: rec.stage(b.loss, 0, S * 4),
      residual: rec.stage(b.probeE, 0, S * n * 4),
      kernel: rec.stage(b.K, 0, S * n * n * 4),
      layers: layerKernels ? b.layerK.map((k) => rec.stage(k, 0, S * n * n * 4)) : [],
      gains: linear ? null : rec.stage(b.gains, 0, (L + 1) * S * n * 4),
      featureUpdates: blocks.length ? rec.stage(b.featureUpdates, 0, 2 * blocks.length * S * 4) : null,
    };
  });
  const read = async (s: GPUBuffer): Promise<Float32Array> => new Float32Array(await readStaging(ctx, s));
  const lossSq = await read(staged.loss);
  const residuals = await read(staged.residual);
  const kernels = await read(staged.kernel);
  const layers: Float32Array[] = [];
  for (const s of staged.layers) layers.push(await read(s));
  const gainsRaw = staged.gains ? await read(staged.gains) : null;
  const updatesRaw = staged.featureUpdates ? await read(staged.featureUpdates) : null;
  const block = (all: Float32Array, r: number, size: number): Float32Array => all.slice(r * size, (r + 1) * size);
  return Array.from({ length: S }, (_, r): LabCheckpoint => {
    const loss = lossSq[r]! / (2 * N);
    const kernel = block(kernels, r, n * n);
    if (!Number.isFinite(loss) || !kernel.every(Number.isFinite)) {
      throw divergence(step, loss, learningRate, `at this checkpoint${src.replicaName(r)}`);
    }
    const residual = block(residuals, r, n);
    let probeSq = 0;
    for (const v of residual) probeSq += v * v;
    return {
      step,
      loss,
      probeLoss: probeSq / (2 * src.probeSize),
      residual,
      kernel,
      layers: layers.map((l) => block(l, r, n * n)),
      layerNames: model.tensors.map((t) => t.name),
      timeScale: learningRate / N,
      diagnostics: {
        layerGains: gainsRaw ? layerGains(gainsRaw, src.sizes, src.probeSize, r) : [],
        featureUpdates: blocks.map(({ t }, q) => ({
          block: t.role.block,
          internal: t.role.internal as 1 | 2,
          ratio: Math.sqrt(updatesRaw![2 * q * S + r]! / updatesRaw![(2 * q + 1) * S + r]!),
        })),
      },
    };
  });
}

/** The block tensors (internal layers of residual blocks) with their tensor index. */
function blockTensors(model: ResolvedModel) {
  return model.tensors.map((t, i) => ({ t, i })).filter(({ t }) => t.role.kind === 'block');
}

/** Probe forward pass (every point replicated C times) and the residual e = f(X_P) − Y_P. */
function encodeProbeResidual(src: CheckpointSource, rec: Recorder): void {
  const b = src.buffers;
  const { S, n, C } = src.sizes;
  src.passes.forward(rec, { buffer: b.probeX }, n);
  src.kernels.ew.encode(rec, {
    op: 'residual',
    len: S * n,
    group: C,
    x: { buffer: b.F },
    y: { buffer: b.probeY },
    out: { buffer: b.probeE },
    alpha: 1,
  });
}

/**
 * Backward from the one-hot seeds after the probe forward pass: per tensor t,
 * layerK[t] = ratio_t·(m_t·s)²·(G Gᵀ)∘(Z Zᵀ), and K = Σ_t layerK[t].
 */
function encodeNtk(src: CheckpointSource, rec: Recorder, ratios: readonly number[]): void {
  const { passes, buffers: b, kernels } = src;
  const { S, n } = src.sizes;
  const len = S * n * n;
  const tensors = src.model.tensors;
  let first = true;
  passes.backward(rec, { buffer: b.probeX }, b.seeds, 1, n, (r, t, signal, signalScale, input) => {
    const ts = tensors[t]!;
    passes.matmul(r, { buffer: signal }, { buffer: signal }, b.Sg, { m: n, n, k: ts.rows, transB: true });
    passes.matmul(r, input, input, b.Sz, { m: n, n, k: ts.cols, transB: true });
    const alpha = ratios[t]! * (ts.multiplier * signalScale) ** 2;
    kernels.ew.encode(r, { op: 'hadamard', len, x: { buffer: b.Sg }, y: { buffer: b.Sz }, out: { buffer: b.layerK[t]! }, alpha });
    kernels.ew.encode(r, { op: first ? 'scale' : 'axpy', len, x: { buffer: b.layerK[t]! }, out: { buffer: b.K }, alpha: 1 });
    first = false;
  });
}

/** Backward gains: ‖∂f_c/∂h^ℓ‖² per replicated probe row (the backward signals of {@link encodeNtk}). */
function encodeGains(src: CheckpointSource, rec: Recorder): void {
  const { S, n, w, L } = src.sizes;
  const b = src.buffers;
  for (let l = 0; l <= L; l++) src.kernels.dot.encode(rec, b.dH[l]!, b.dH[l]!, b.gains, { n: w, batch: S * n }, l * S * n);
}

/** Own-weight feature updates ‖ΔW z‖² and ‖W(0) z‖² per block tensor (the multiplier cancels in the ratio). */
function encodeFeatureUpdates(src: CheckpointSource, rec: Recorder, blocks: ReturnType<typeof blockTensors>): void {
  const { passes, buffers: b, kernels } = src;
  const { S, n } = src.sizes;
  blocks.forEach(({ t, i }, q) => {
    const l = t.role.block;
    const z = t.role.internal === 2 ? b.B[l - 1]! : b.A[l - 1]!;
    const size = S * t.rows * t.cols;
    const shape = { m: n, n: t.rows, k: t.cols, transB: true };
    kernels.ew.encode(rec, {
      op: 'axpby',
      len: size,
      x: { buffer: b.W[i]! },
      y: { buffer: b.W0[i]! },
      out: { buffer: b.deltaW },
      alpha: 1,
      beta: -1,
    });
    passes.matmul(rec, { buffer: z }, { buffer: b.deltaW }, b.product, shape);
    kernels.dot.encode(rec, b.product, b.product, b.featureUpdates, { n: n * t.rows, batch: S }, 2 * q * S);
    passes.matmul(rec, { buffer: z }, { buffer: b.W0[i]! }, b.product, shape);
    kernels.dot.encode(rec, b.product, b.product, b.featureUpdates, { n: n * t.rows, batch: S }, (2 * q + 1) * S);
  });
}

/** G_ℓ = mean over probe points of √(Σ_c ‖∂f_c/∂h^ℓ‖²), ℓ = 0…L, of replica r from the per-row squares. */
function layerGains(raw: Float32Array, sizes: LabSizes, probeSize: number, r: number): number[] {
  const { S, n, C, L } = sizes;
  const gains: number[] = [];
  for (let l = 0; l <= L; l++) {
    let s = 0;
    for (let i = 0; i < probeSize; i++) {
      let sq = 0;
      for (let c = 0; c < C; c++) sq += raw[(l * S + r) * n + i * C + c]!;
      s += Math.sqrt(sq);
    }
    gains.push(s / probeSize);
  }
  return gains;
}
