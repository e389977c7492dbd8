/**
 * Every GPU buffer of a training lab in one documented record ({@link LabBuffers}), allocated once
 * at creation for the largest pass (max(N, P·C) rows) and freed together.
 *
 * Notation: N training samples, P probe points, C outputs, n = P·C probe rows (every probe point
 * once per output), R = max(N, n) rows of the activation buffers, w the width, L the depth.
 * Matrices are row-major f32.
 * @module
 */
import type { GpuContext } from '../gpu/context.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import type { ResolvedModel } from './models.ts';
import type { Task } from './tasks.ts';

/** The sizes every buffer and pass of a lab is derived from. */
export interface LabSizes {
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

/** The {@link LabSizes} of `model` on `task`. */
export function labSizes(model: ResolvedModel, task: Task): LabSizes {
  const n = task.probeSize * task.outputs;
  return { N: task.trainSize, C: task.outputs, d: task.inputDim, n, R: Math.max(task.trainSize, n), w: model.width, L: model.depth };
}

/**
 * The lab's buffers. Per-tensor arrays follow `model.tensors`; per-layer arrays are indexed by
 * ℓ = 0…L (`H`, `A`, `dH`) or by block ℓ − 1 = 0…L − 1 (`U`, `B`, `dU`). The activation arrays
 * are empty for the `linear` architecture, and `U`, `B`, `dU` exist only for `residual2`.
 */
export interface LabBuffers {
  // ---- data (uploaded once)
  /** Training inputs, N × d. */
  readonly trainX: GPUBuffer;
  /** Training targets, N × C. */
  readonly trainY: GPUBuffer;
  /** Probe inputs with every point replicated C times (row i·C + c), n × d. */
  readonly probeX: GPUBuffer;
  /** Probe targets, P × C (read by the `residual` op with group C). */
  readonly probeY: GPUBuffer;
  /** One-hot backward seeds for the NTK: row i·C + c is e_c, n × C. */
  readonly seeds: GPUBuffer;

  // ---- parameters, one per tensor
  /** Current parameters W (fan_out × fan_in). */
  readonly W: readonly GPUBuffer[];
  /** Initial parameters W(0), for the feature-update ratios. */
  readonly W0: readonly GPUBuffer[];
  /** Gradients ∂L/∂W of the last gradient pass. */
  readonly G: readonly GPUBuffer[];

  // ---- activations and backward signals, R × w each
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
  /** Network outputs f of the last forward pass, R × C. */
  readonly F: GPUBuffer;
  /** Training residual f − y of the last loss pass, R × C (the backward seed of a gradient pass). */
  readonly E: GPUBuffer;
  /** Probe residual e = f(X_P) − Y_P, n. */
  readonly probeE: GPUBuffer;

  // ---- NTK, n × n each
  /** Scratch G Gᵀ of one tensor's backward signals. */
  readonly Sg: GPUBuffer;
  /** Scratch Z Zᵀ of one tensor's inputs. */
  readonly Sz: GPUBuffer;
  /** K_eff = Σ_l (η_l/η)·K_l. */
  readonly K: GPUBuffer;
  /** (η_l/η)·K_l, one per tensor. */
  readonly layerK: readonly GPUBuffer[];

  // ---- diagnostics and scratch
  /** ‖∂f_c/∂h^ℓ‖² per probe row, (L + 1) × n. */
  readonly gains: GPUBuffer;
  /** ‖ΔW z‖² and ‖W(0) z‖² per block tensor (interleaved). */
  readonly featureUpdates: GPUBuffer;
  /** ‖f − y‖² of a loss pass (one float). */
  readonly loss: GPUBuffer;
  /** Scratch ΔW = W − W(0), the largest tensor. */
  readonly deltaW: GPUBuffer;
  /** Scratch W z on the probe rows, R × (largest fan-out). */
  readonly product: GPUBuffer;
}

/** {@link LabBuffers} with ownership: `dispose` frees them all. */
export interface OwnedLabBuffers extends LabBuffers {
  dispose(): void;
}

/**
 * Allocates and uploads every buffer of a lab for `model` on `task`, with W = W(0) = `initial`.
 * If an allocation fails, what was allocated is freed before the error propagates.
 */
export async function allocateLabBuffers(
  ctx: GpuContext,
  model: ResolvedModel,
  task: Task,
  initial: Readonly<Record<string, Float32Array>>,
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
    const { C, d, n, R, w, L } = labSizes(model, task);
    const tensors = model.tensors;
    const probeRep = new Float32Array(n * d);
    const seedRows = new Float32Array(n * C);
    for (let i = 0; i < task.probeSize; i++) {
      for (let c = 0; c < C; c++) {
        probeRep.set(task.probeX.subarray(i * d, (i + 1) * d), (i * C + c) * d);
        seedRows[(i * C + c) * C + c] = 1;
      }
    }
    const trainX = await alloc('trainX', 0, task.trainX);
    const trainY = await alloc('trainY', 0, task.trainY);
    const probeX = await alloc('probeX', 0, probeRep);
    const probeY = await alloc('probeY', 0, task.probeY);
    const seeds = await alloc('seeds', 0, seedRows);
    const W: GPUBuffer[] = [];
    const W0: GPUBuffer[] = [];
    const G: GPUBuffer[] = [];
    for (const t of tensors) {
      W.push(await alloc(`${t.name}`, 0, initial[t.name]!));
      W0.push(await alloc(`${t.name}(0)`, 0, initial[t.name]!));
      G.push(await alloc(`∂L/∂${t.name}`, t.rows * t.cols));
    }
    const H: GPUBuffer[] = [];
    const A: GPUBuffer[] = [];
    const U: GPUBuffer[] = [];
    const B: GPUBuffer[] = [];
    const dH: GPUBuffer[] = [];
    const dU: GPUBuffer[] = [];
    if (model.architecture !== 'linear') {
      for (let l = 0; l <= L; l++) {
        H.push(await alloc(`h${l}`, R * w));
        A.push(await alloc(`φ(h${l})`, R * w));
        dH.push(await alloc(`∂h${l}`, R * w));
        if (model.architecture === 'residual2' && l >= 1) {
          U.push(await alloc(`u${l}`, R * w));
          B.push(await alloc(`φ(u${l})`, R * w));
          dU.push(await alloc(`∂u${l}`, R * w));
        }
      }
    }
    const F = await alloc('f', R * C);
    const E = await alloc('e', R * C);
    const probeE = await alloc('probe e', n);
    const Sg = await alloc('GGᵀ', n * n);
    const Sz = await alloc('ZZᵀ', n * n);
    const K = await alloc('K', n * n);
    const layerK: GPUBuffer[] = [];
    for (const t of tensors) layerK.push(await alloc(`K ${t.name}`, n * n));
    const gains = await alloc('gains', (L + 1) * n);
    const featureUpdates = await alloc('feature updates', 2 * tensors.length);
    const loss = await alloc('loss', 4);
    const deltaW = await alloc('ΔW', Math.max(...tensors.map((t) => t.rows * t.cols)));
    const product = await alloc('Wz', R * Math.max(...tensors.map((t) => t.rows)));
    return {
      trainX,
      trainY,
      probeX,
      probeY,
      seeds,
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
