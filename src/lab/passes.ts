/**
 * The recorded passes of the training lab: forward, backward (with a visitor called for every
 * tensor), loss, gradients and the SGD update, each over all S replicas at once (products are
 * gemms batched over the replicas, elementwise operations run over the S consecutive blocks;
 * see ./buffers.ts for the layout). Each records into a {@link Recorder}; nothing is submitted
 * here. The float64 twin of every pass is in src/reference/mlp.ts (docs/lab.md).
 * @module
 */
import type { Recorder } from '../gpu/recorder.ts';
import type { BatchedDot } from '../kernels/batchedDot.ts';
import type { Elementwise } from '../kernels/elementwise.ts';
import type { Gemm, GemmShapeArgs } from '../kernels/gemm.ts';
import type { LabBuffers, LabSizes } from './buffers.ts';
import type { ResolvedModel, TensorParametrization } from './models.ts';

/**
 * A per-replica operand: buffer and element offset of replica 0's block; replica r's block follows
 * at r × (its rows × cols) (tight, see ./buffers.ts).
 */
export interface View {
  readonly buffer: GPUBuffer;
  readonly offset?: number;
}

/**
 * Called by the backward pass for every tensor t with its output signal (to be multiplied by
 * `signalScale`) and its input.
 */
export type LayerVisitor = (rec: Recorder, tensor: number, signal: GPUBuffer, signalScale: number, input: View) => void;

/** The compiled kernels the passes record. */
export interface LabKernels {
  readonly gemm: Gemm;
  readonly dot: BatchedDot;
  readonly ew: Elementwise;
}

/** The passes of one lab: its kernels, model, sizes and buffers. */
export class LabPasses {
  readonly #k: LabKernels;
  readonly #model: ResolvedModel;
  readonly #tensors: readonly TensorParametrization[];
  readonly #s: LabSizes;
  readonly #b: LabBuffers;

  constructor(kernels: LabKernels, model: ResolvedModel, sizes: LabSizes, buffers: LabBuffers) {
    this.#k = kernels;
    this.#model = model;
    this.#tensors = model.tensors;
    this.#s = sizes;
    this.#b = buffers;
  }

  /** c = alpha·op(a)·op(b) for every replica (a gemm batched over the S tight replica blocks). */
  matmul(rec: Recorder, a: View, b: View, c: GPUBuffer, shape: Omit<GemmShapeArgs, 'batch'>): void {
    this.#k.gemm.encode(rec, {
      ...shape,
      batch: this.#s.S,
      a: { buffer: a.buffer, offset: a.offset ?? 0 },
      b: { buffer: b.buffer, offset: b.offset ?? 0 },
      c: { buffer: c },
    });
  }

  /** Forward pass of `rows` samples from `x`: fills H, A, U, B and F. */
  forward(rec: Recorder, x: View, rows: number): void {
    const T = this.#tensors;
    const { W, H, A, U, B, F } = this.#b;
    const { w, C, L } = this.#s;
    const { activation: act, architecture: arch } = this.#model;
    const ew = this.#k.ew;
    const len = this.#s.S * rows * w;
    const last = T.length - 1;
    if (arch === 'linear') {
      this.matmul(rec, x, { buffer: W[0]! }, F, { m: rows, n: C, k: T[0]!.cols, transB: true, alpha: T[0]!.multiplier });
      return;
    }
    this.matmul(rec, x, { buffer: W[0]! }, H[0]!, { m: rows, n: w, k: T[0]!.cols, transB: true, alpha: T[0]!.multiplier });
    ew.encode(rec, { op: 'act', activation: act, len, x: { buffer: H[0]! }, out: { buffer: A[0]! } });
    let t = 1;
    for (let l = 1; l <= L; l++) {
      const dense = (input: GPUBuffer, out: GPUBuffer): void =>
        this.matmul(rec, { buffer: input }, { buffer: W[t]! }, out, { m: rows, n: w, k: w, transB: true, alpha: T[t]!.multiplier });
      if (arch === 'residual2') {
        dense(A[l - 1]!, U[l - 1]!);
        ew.encode(rec, { op: 'act', activation: act, len, x: { buffer: U[l - 1]! }, out: { buffer: B[l - 1]! } });
        t += 1;
        dense(B[l - 1]!, H[l]!);
        t += 1;
      } else {
        dense(A[l - 1]!, H[l]!);
        t += 1;
      }
      if (arch !== 'plain') ew.encode(rec, { op: 'axpy', len, x: { buffer: H[l - 1]! }, out: { buffer: H[l]! }, alpha: 1 });
      ew.encode(rec, { op: 'act', activation: act, len, x: { buffer: H[l]! }, out: { buffer: A[l]! } });
    }
    this.matmul(rec, { buffer: A[L]! }, { buffer: W[last]! }, F, { m: rows, n: C, k: w, transB: true, alpha: T[last]!.multiplier });
  }

  /**
   * Backward pass of `rows` samples from the signal `seed`·`scale` at the outputs (rows × C),
   * after {@link forward} on the same rows with input `x`. Calls `visit` for every tensor with
   * its output signal and its input, from the last tensor to the first.
   */
  backward(rec: Recorder, x: View, seed: GPUBuffer, scale: number, rows: number, visit: LayerVisitor): void {
    const T = this.#tensors;
    const { W, H, A, U, B, dH, dU } = this.#b;
    const { w, C, L } = this.#s;
    const { activation: act, architecture: arch } = this.#model;
    const ew = this.#k.ew;
    const len = this.#s.S * rows * w;
    const last = T.length - 1;
    if (arch === 'linear') {
      visit(rec, 0, seed, scale, x);
      return;
    }
    visit(rec, last, seed, scale, { buffer: A[L]! });
    this.matmul(rec, { buffer: seed }, { buffer: W[last]! }, dH[L]!, { m: rows, n: w, k: C, alpha: scale * T[last]!.multiplier });
    ew.encode(rec, { op: 'actGradMul', activation: act, len, x: { buffer: H[L]! }, out: { buffer: dH[L]! } });
    let t = last - 1;
    // The signal into tensor t's input: ∂/∂(input) = signal · W_t (times its multiplier).
    const back = (signal: GPUBuffer, out: GPUBuffer): void =>
      this.matmul(rec, { buffer: signal }, { buffer: W[t]! }, out, { m: rows, n: w, k: w, alpha: T[t]!.multiplier });
    for (let l = L; l >= 1; l--) {
      if (arch === 'residual2') {
        visit(rec, t, dH[l]!, 1, { buffer: B[l - 1]! });
        back(dH[l]!, dU[l - 1]!);
        ew.encode(rec, { op: 'actGradMul', activation: act, len, x: { buffer: U[l - 1]! }, out: { buffer: dU[l - 1]! } });
        t--;
        visit(rec, t, dU[l - 1]!, 1, { buffer: A[l - 1]! });
        back(dU[l - 1]!, dH[l - 1]!);
        t--;
      } else {
        visit(rec, t, dH[l]!, 1, { buffer: A[l - 1]! });
        back(dH[l]!, dH[l - 1]!);
        t--;
      }
      if (arch === 'plain') {
        ew.encode(rec, { op: 'actGradMul', activation: act, len, x: { buffer: H[l - 1]! }, out: { buffer: dH[l - 1]! } });
      } else {
        // Skip connection: ∂h^{ℓ−1} = φ'(h^{ℓ−1})·(branch signal) + ∂h^ℓ.
        ew.encode(rec, {
          op: 'actGradFma',
          activation: act,
          len,
          x: { buffer: H[l - 1]! },
          y: { buffer: dH[l]! },
          out: { buffer: dH[l - 1]! },
        });
      }
    }
    visit(rec, 0, dH[0]!, 1, x);
  }

  /**
   * Forward pass on `rows` samples of x, the residual E = F − y and, for every replica r,
   * ‖E_r‖² into `out[index + r]` (the training loss is ‖E_r‖²/(2·rows)).
   */
  loss(rec: Recorder, x: View, y: View, rows: number, out: GPUBuffer, index: number): void {
    const { F, E } = this.#b;
    const { S, C } = this.#s;
    this.forward(rec, x, rows);
    this.#k.ew.encode(rec, { op: 'axpby', len: S * rows * C, x: { buffer: F }, y, out: { buffer: E }, alpha: 1, beta: -1 });
    this.#k.dot.encode(rec, E, E, out, { n: rows * C, batch: S }, index);
  }

  /** {@link loss} and the gradients ∂L/∂W (L = ‖E‖²/(2·rows)) of every replica into G. */
  gradient(rec: Recorder, x: View, y: View, rows: number, lossOut: GPUBuffer, lossIndex: number): void {
    this.loss(rec, x, y, rows, lossOut, lossIndex);
    this.backward(rec, x, this.#b.E, 1 / rows, rows, (r, t, signal, signalScale, input) => {
      const ts = this.#tensors[t]!;
      this.matmul(r, { buffer: signal }, input, this.#b.G[t]!, {
        m: ts.rows,
        n: ts.cols,
        k: rows,
        transA: true,
        alpha: signalScale * ts.multiplier,
      });
    });
  }

  /** W_t ← W_t − η·ratio_t·G_t for every tensor and replica (tensors with ratio 0 are left alone). */
  update(rec: Recorder, learningRate: number, ratios: readonly number[]): void {
    this.#tensors.forEach((t, i) => {
      const step = learningRate * ratios[i]!;
      if (step === 0) return;
      this.#k.ew.encode(rec, {
        op: 'axpy',
        len: this.#s.S * t.rows * t.cols,
        x: { buffer: this.#b.G[i]! },
        out: { buffer: this.#b.W[i]! },
        alpha: -step,
      });
    });
  }
}
