/**
 * Every GPU buffer of a training lab in one documented record ({@link LabBuffers}), allocated once
 * at creation for the largest pass (max(N, P·C) rows) and freed together.
 *
 * Notation: S replicas (independent networks of the same shape trained in lockstep, each on its
 * own task and initialization), N training samples, P probe points, C outputs, n = P·C probe rows
 * (every probe point once per output), R = max(N, n) rows of the activation buffers, w the width,
 * L the depth. Matrices are row-major f32.
 *
 * Replica-major layout: every buffer holds S consecutive blocks, one per replica, each tight (a
 * rows × cols block is rows·cols elements). Activations and signals are laid out for the rows of
 * the current pass (replica r of a pass on `rows` rows starts at r·rows·w), so that elementwise
 * operations run once over all replicas and products are batched gemms with the default strides.
 * @module
 */
import type { GpuContext } from '../gpu/context.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import type { ResolvedModel } from './models.ts';
import type { Task } from './tasks.ts';

/** The sizes every buffer and pass of a lab is derived from. */
export interface LabSizes {
  /** Replicas. */
  readonly S: number;
  /** Training samples. */
  readonly N: number;
  /** Outputs per sample. */
  readonly C: number;
  /** Input dimension. */
  readonly d: number;
  /** Probe rows n = P·C. */
  readonly n: number;
  /** Rows of the activation buffers: max(N, n). */
  readonly R: number;
  /** Width. */
  readonly w: number;
  /** Depth (blocks). */
  readonly L: number;
}

/** The {@link LabSizes} of `replicas` networks shaped like `model` on tasks shaped like `task`. */
export function labSizes(model: ResolvedModel, task: Task, replicas: number): LabSizes {
  const n = task.probeSize * task.outputs;
  return {
    S: replicas,
    N: task.trainSize,
    C: task.outputs,
    d: task.inputDim,
    n,
    R: Math.max(task.trainSize, n),
    w: model.width,
    L: model.depth,
  };
}

/**
 * The lab's buffers. Per-tensor arrays follow `model.tensors`; per-layer arrays are indexed by
 * ℓ = 0…L (`H`, `A`, `dH`) or by block ℓ − 1 = 0…L − 1 (`U`, `B`, `dU`). The activation arrays
 * are empty for the `linear` architecture, and `U`, `B`, `dU` exist only for `residual2`.
 */
export interface LabBuffers {
  // ---- data (uploaded once)
  /** Training inputs, S × N × d. */
  readonly trainX: GPUBuffer;
  /** Training targets, S × N × C. */
  readonly trainY: GPUBuffer;
  /** Probe inputs with every point replicated C times (row i·C + c), S × n × d. */
  readonly probeX: GPUBuffer;
  /** Probe targets, S × P × C (read by the `residual` op with group C). */
  readonly probeY: GPUBuffer;
  /** One-hot backward seeds for the NTK: row i·C + c is e_c, S × n × C. */
  readonly seeds: GPUBuffer;

  // ---- parameters, one per tensor, S × fan_out × fan_in each
  /** Current parameters W (fan_out × fan_in). */
  readonly W: readonly GPUBuffer[];
  /** Initial parameters W(0), for the feature-update ratios. */
  readonly W0: readonly GPUBuffer[];
  /** Gradients ∂L/∂W of the last gradient pass. */
  readonly G: readonly GPUBuffer[];

  // ---- activations and backward signals, S × R × w each
  /** Block outputs h^ℓ (pre-activation of the next layer), ℓ = 0…L. */
  readonly H: readonly GPUBuffer[];
  /** φ(h^ℓ), ℓ = 0…L. */
  readonly A: readonly GPUBuffer[];
  /** Inner pre-activations u^ℓ of two-layer blocks. */
  readonly U: readonly GPUBuffer[];
  /** φ(u^ℓ). */
  readonly B: readonly GPUBuffer[];
  /** ∂(output signal)/∂h^ℓ, ℓ = 0…L. */
  readonly dH: readonly GPUBuffer[];
  /** ∂(output signal)/∂u^ℓ. */
  readonly dU: readonly GPUBuffer[];

  // ---- outputs
  /** Network outputs f of the last forward pass, S × R × C. */
  readonly F: GPUBuffer;
  /** Training residual f − y of the last loss pass, S × R × C (the backward seed of a gradient pass). */
  readonly E: GPUBuffer;
  /** Probe residual e = f(X_P) − Y_P, S × n. */
  readonly probeE: GPUBuffer;

  // ---- NTK, S × n × n each
  /** Scratch G Gᵀ of one tensor's backward signals. */
  readonly Sg: GPUBuffer;
  /** Scratch Z Zᵀ of one tensor's inputs. */
  readonly Sz: GPUBuffer;
  /** K_eff = Σ_l (η_l/η)·K_l. */
  readonly K: GPUBuffer;
  /** (η_l/η)·K_l, one per tensor. */
  readonly layerK: readonly GPUBuffer[];

  // ---- diagnostics and scratch
  /** ‖∂f_c/∂h^ℓ‖² per probe row, (L + 1) × S × n. */
  readonly gains: GPUBuffer;
  /** ‖ΔW z‖² (at 2q·S + r) and ‖W(0) z‖² (at (2q + 1)·S + r) of block tensor q, replica r. */
  readonly featureUpdates: GPUBuffer;
  /** ‖f − y‖² of a loss pass, one per replica. */
  readonly loss: GPUBuffer;
  /** Scratch ΔW = W − W(0), S × the largest tensor. */
  readonly deltaW: GPUBuffer;
  /** Scratch W z on the probe rows, S × R × (largest fan-out). */
  readonly product: GPUBuffer;
}

/** {@link LabBuffers} with ownership: `dispose` frees them all. */
export interface OwnedLabBuffers extends LabBuffers {
  dispose(): void;
}

/**
 * Allocates and uploads every buffer of a lab of `tasks.length` replicas shaped like `model`,
 * replica r on `tasks[r]` with W = W(0) = `initial[r]`. If an allocation fails, what was
 * allocated is freed before the error propagates.
 */
export async function allocateLabBuffers(
  ctx: GpuContext,
  model: ResolvedModel,
  tasks: readonly Task[],
  initial: readonly Readonly<Record<string, Float32Array>>[],
): Promise<OwnedLabBuffers> {
  const owned: GPUBuffer[] = [];
  const dispose = (): void => {
    for (const b of owned) ctx.destroyBuffer(b);
    owned.length = 0;
  };
  const alloc = async (label: string, floats: number, data?: Float32Array): Promise<GPUBuffer> => {
    const buffer = data
      ? await ctx.uploadF32(data, `lab ${label}`)
      : await ctx.createBuffer({ label: `lab ${label}`, size: Math.max(16, Math.ceil(floats / 4) * 16), usage: STORAGE_USAGE });
    owned.push(buffer);
    return buffer;
  };
  try {
    const { S, C, d, n, R, w, L, N } = labSizes(model, tasks[0]!, tasks.length);
    const P = tasks[0]!.probeSize;
    const tensors = model.tensors;
    const trainX = new Float32Array(S * N * d);
    const trainY = new Float32Array(S * N * C);
    const probeX = new Float32Array(S * n * d);
    const probeY = new Float32Array(S * P * C);
    const seedRows = new Float32Array(S * n * C);
    tasks.forEach((task, r) => {
      trainX.set(task.trainX, r * N * d);
      trainY.set(task.trainY, r * N * C);
      probeY.set(task.probeY, r * P * C);
      for (let i = 0; i < P; i++) {
        for (let c = 0; c < C; c++) {
          const row = r * n + i * C + c;
          probeX.set(task.probeX.subarray(i * d, (i + 1) * d), row * d);
          seedRows[row * C + c] = 1;
        }
      }
    });
    const perReplica = (name: string): Float32Array => {
      const size = initial[0]![name]!.length;
      const out = new Float32Array(S * size);
      initial.forEach((p, r) => out.set(p[name]!, r * size));
      return out;
    };
    const buffers = {
      trainX: await alloc('trainX', 0, trainX),
      trainY: await alloc('trainY', 0, trainY),
      probeX: await alloc('probeX', 0, probeX),
      probeY: await alloc('probeY', 0, probeY),
      seeds: await alloc('seeds', 0, seedRows),
    };
    const W: GPUBuffer[] = [];
    const W0: GPUBuffer[] = [];
    const G: GPUBuffer[] = [];
    for (const t of tensors) {
      const values = perReplica(t.name);
      W.push(await alloc(`${t.name}`, 0, values));
      W0.push(await alloc(`${t.name}(0)`, 0, values));
      G.push(await alloc(`∂L/∂${t.name}`, S * t.rows * t.cols));
    }
    const H: GPUBuffer[] = [];
    const A: GPUBuffer[] = [];
    const U: GPUBuffer[] = [];
    const B: GPUBuffer[] = [];
    const dH: GPUBuffer[] = [];
    const dU: GPUBuffer[] = [];
    if (model.architecture !== 'linear') {
      for (let l = 0; l <= L; l++) {
        H.push(await alloc(`h${l}`, S * R * w));
        A.push(await alloc(`φ(h${l})`, S * R * w));
        dH.push(await alloc(`∂h${l}`, S * R * w));
        if (model.architecture === 'residual2' && l >= 1) {
          U.push(await alloc(`u${l}`, S * R * w));
          B.push(await alloc(`φ(u${l})`, S * R * w));
          dU.push(await alloc(`∂u${l}`, S * R * w));
        }
      }
    }
    const F = await alloc('f', S * R * C);
    const E = await alloc('e', S * R * C);
    const probeE = await alloc('probe e', S * n);
    const Sg = await alloc('GGᵀ', S * n * n);
    const Sz = await alloc('ZZᵀ', S * n * n);
    const K = await alloc('K', S * n * n);
    const layerK: GPUBuffer[] = [];
    for (const t of tensors) layerK.push(await alloc(`K ${t.name}`, S * n * n));
    const gains = await alloc('gains', (L + 1) * S * n);
    const featureUpdates = await alloc('feature updates', 2 * tensors.length * S);
    const loss = await alloc('loss', S);
    const deltaW = await alloc('ΔW', S * Math.max(...tensors.map((t) => t.rows * t.cols)));
    const product = await alloc('Wz', S * R * Math.max(...tensors.map((t) => t.rows)));
    return {
      ...buffers,
      W,
      W0,
      G,
      H,
      A,
      U,
      B,
      dH,
      dU,
      F,
      E,
      probeE,
      Sg,
      Sz,
      K,
      layerK,
      gains,
      featureUpdates,
      loss,
      deltaW,
      product,
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}
