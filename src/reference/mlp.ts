/**
 * Float64 twin of the training lab (src/lab/): forward pass, backward pass (parameter gradients),
 * per-layer empirical NTK through explicit Jacobians, one gradient-descent step, the lab's
 * diagnostics, and the elementwise kernel family (shaders/lab/elementwise.wgsl). It is the oracle
 * of the lab's GPU tests.
 *
 * The network is described by a resolved {@link MlpSpec}: architecture, sizes, activation and one
 * forward multiplier per parameter tensor (src/lab/models.ts builds it from a `ModelConfig` and
 * the parametrization table; the residual branch multiplier is folded into the multiplier of the
 * last tensor of each block). Every dense layer computes `out = m · z Wᵀ` for per-sample rows z,
 * with W stored row-major as fan_out × fan_in. No biases.
 *
 * - `linear`: f = m · x θᵀ (θ: C × d; the inputs are the fixed features).
 * - otherwise h⁰ = m_in · x W_inᵀ; per block ℓ = 1…L, with a = φ(h^{ℓ−1}):
 *   `residual` h^ℓ = h^{ℓ−1} + m_ℓ · a W_ℓᵀ; `residual2` h^ℓ = h^{ℓ−1} + m_{ℓ,2} · φ(m_{ℓ,1} · a W_{ℓ,1}ᵀ) W_{ℓ,2}ᵀ;
 *   `plain` h^ℓ = m_ℓ · a W_ℓᵀ; output f = m_out · φ(h^L) W_outᵀ.
 *
 * Loss: L = ‖f − y‖²/(2·rows). Outputs and residuals are rows × C row-major, so the NTK index of
 * (sample i, output c) is i·C + c.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/** Network family (see the module documentation). */
export type MlpArchitecture = 'residual' | 'residual2' | 'plain' | 'linear';

/** Activation φ. `gelu` is the tanh approximation 0.5·v·(1 + tanh(√(2/π)(v + 0.044715·v³))). */
export type MlpActivation = 'relu' | 'tanh' | 'gelu' | 'identity';

/** One parameter tensor: a fan_out × fan_in matrix (row-major) with its forward multiplier. */
export interface MlpTensor {
  /** Tensor name, unique in the network (the lab uses `W_in`, `W_1` or `W_1.1`, …, `W_out`, and `theta` for `linear`). */
  readonly name: string;
  /** fan_out. */
  readonly rows: number;
  /** fan_in. */
  readonly cols: number;
  /** Forward multiplier m: the layer computes m · z Wᵀ. */
  readonly multiplier: number;
}

/**
 * A resolved network. `tensors` are in canonical order: `linear` → [θ]; `residual`/`plain` →
 * [W_in, W_1 … W_L, W_out]; `residual2` → [W_in, W_{1,1}, W_{1,2}, …, W_{L,1}, W_{L,2}, W_out].
 */
export interface MlpSpec {
  /** Network family. */
  readonly architecture: MlpArchitecture;
  /** Number of hidden blocks L (0 for `linear`). */
  readonly depth: number;
  /** Hidden width w. */
  readonly width: number;
  /** Input dimension d. */
  readonly inputDim: number;
  /** Outputs per sample, C. */
  readonly outputs: number;
  /** Activation φ. */
  readonly activation: MlpActivation;
  /** Parameter tensors, in forward order (see above). */
  readonly tensors: readonly MlpTensor[];
}

/** What a tensor is in the network. */
export interface MlpTensorRole {
  /** Where the tensor sits: the input layer, a block, the output layer, or the single tensor of `linear`. */
  readonly kind: 'input' | 'block' | 'output' | 'linear';
  /** Block ℓ (1…L) for block tensors, 0 otherwise. */
  readonly block: number;
  /** Internal layer of the block (1 or 2) for block tensors, 0 otherwise. */
  readonly internal: 0 | 1 | 2;
}

/** Parameter values by tensor name (row-major fan_out × fan_in). */
export type MlpParameters = Readonly<Record<string, ArrayLike<number>>>;

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** φ(v) in float64 (the twin of the kernel's activations). */
export function activation(name: MlpActivation, v: number): number {
  switch (name) {
    case 'relu':
      return v > 0 ? v : 0;
    case 'tanh':
      return Math.tanh(v);
    case 'gelu':
      return 0.5 * v * (1 + Math.tanh(GELU_K * (v + GELU_C * v * v * v)));
    case 'identity':
      return v;
  }
}

/** φ′(v) in float64 (relu′(0) = 0). */
export function activationDerivative(name: MlpActivation, v: number): number {
  switch (name) {
    case 'relu':
      return v > 0 ? 1 : 0;
    case 'tanh': {
      const t = Math.tanh(v);
      return 1 - t * t;
    }
    case 'gelu': {
      const t = Math.tanh(GELU_K * (v + GELU_C * v * v * v));
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * v * v);
    }
    case 'identity':
      return 1;
  }
}

/** Operations of the elementwise kernel family (shaders/lab/elementwise.wgsl), by name. */
export type ElementwiseOpName = 'act' | 'actGradMul' | 'actGradFma' | 'axpby' | 'scale' | 'axpy' | 'hadamard' | 'residual';

/** Arguments of the float64 {@link elementwise} twin. */
export interface ElementwiseReferenceArgs {
  /** The operation (see {@link elementwise}). */
  readonly op: ElementwiseOpName;
  /** Number of outputs computed (i < len). */
  readonly len: number;
  /** First operand (missing entries read as 0). */
  readonly x?: ArrayLike<number>;
  /** Second operand (read by actGradFma, axpby, hadamard and residual). */
  readonly y?: ArrayLike<number>;
  /** Current contents of out (read by actGradMul, actGradFma and axpy). */
  readonly out?: ArrayLike<number>;
  /** Activation of `act`, `actGradMul` and `actGradFma`. Default `identity`. */
  readonly activation?: MlpActivation;
  /** α. Default 1. */
  readonly alpha?: number;
  /** β of `axpby`. Default 0. */
  readonly beta?: number;
  /** Index group of `residual` (x is read at i·group + i mod group). Default 1. */
  readonly group?: number;
}

/**
 * Float64 twin of the elementwise kernel family, for i < len:
 * `act` out = φ(x); `actGradMul` out = φ′(x)·out; `actGradFma` out = φ′(x)·out + y;
 * `axpby` out = α·x + β·y; `scale` out = α·x; `axpy` out = out + α·x; `hadamard` out = α·x·y;
 * `residual` out = α·(x[i·g + i mod g] − y[i]).
 */
export function elementwise(args: ElementwiseReferenceArgs): Float64Array {
  const { op, len } = args;
  const act = args.activation ?? 'identity';
  const alpha = args.alpha ?? 1;
  const beta = args.beta ?? 0;
  const g = args.group ?? 1;
  const x = args.x ?? [];
  const y = args.y ?? [];
  const cur = args.out ?? [];
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    const xi = x[i] ?? 0;
    switch (op) {
      case 'act':
        out[i] = activation(act, xi);
        break;
      case 'actGradMul':
        out[i] = activationDerivative(act, xi) * cur[i]!;
        break;
      case 'actGradFma':
        out[i] = activationDerivative(act, xi) * cur[i]! + y[i]!;
        break;
      case 'axpby':
        out[i] = alpha * xi + beta * y[i]!;
        break;
      case 'scale':
        out[i] = alpha * xi;
        break;
      case 'axpy':
        out[i] = cur[i]! + alpha * xi;
        break;
      case 'hadamard':
        out[i] = alpha * xi * y[i]!;
        break;
      case 'residual':
        out[i] = alpha * (x[i * g + (i % g)]! - y[i]!);
        break;
    }
  }
  return out;
}

/** The role of every tensor of `spec`, in tensor order. */
export function mlpRoles(spec: MlpSpec): MlpTensorRole[] {
  const { architecture: arch, depth: L, tensors } = spec;
  const expected = arch === 'linear' ? 1 : arch === 'residual2' ? 2 * L + 2 : L + 2;
  if (tensors.length !== expected) {
    throw new InvalidArgumentError('spec.tensors', `a ${arch} network of depth ${L} has ${expected} tensors, got ${tensors.length}`);
  }
  if (arch === 'linear') return [{ kind: 'linear', block: 0, internal: 0 }];
  const roles: MlpTensorRole[] = [{ kind: 'input', block: 0, internal: 0 }];
  for (let l = 1; l <= L; l++) {
    if (arch === 'residual2') roles.push({ kind: 'block', block: l, internal: 1 }, { kind: 'block', block: l, internal: 2 });
    else roles.push({ kind: 'block', block: l, internal: 1 });
  }
  roles.push({ kind: 'output', block: 0, internal: 0 });
  return roles;
}

function param(params: MlpParameters, t: MlpTensor): ArrayLike<number> {
  const p = params[t.name];
  if (!p) throw new InvalidArgumentError(`params.${t.name}`, 'is missing: pass every tensor of the spec');
  if (p.length !== t.rows * t.cols) {
    throw new InvalidArgumentError(`params.${t.name}`, `expected ${t.rows * t.cols} elements (${t.rows} × ${t.cols}), got ${p.length}`);
  }
  return p;
}

/** out[r, o] = m Σ_q z[r, q] W[o, q]. */
function dense(z: ArrayLike<number>, rows: number, w: ArrayLike<number>, t: MlpTensor): Float64Array {
  const { rows: fo, cols: fi, multiplier: m } = t;
  const out = new Float64Array(rows * fo);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < fo; o++) {
      let s = 0;
      for (let q = 0; q < fi; q++) s += z[r * fi + q]! * w[o * fi + q]!;
      out[r * fo + o] = m * s;
    }
  }
  return out;
}

/** dZ[r, q] = scale · m Σ_o dOut[r, o] W[o, q]. */
function denseBack(dOut: ArrayLike<number>, rows: number, w: ArrayLike<number>, t: MlpTensor): Float64Array {
  const { rows: fo, cols: fi, multiplier: m } = t;
  const out = new Float64Array(rows * fi);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < fo; o++) {
      const d = m * dOut[r * fo + o]!;
      if (d === 0) continue;
      for (let q = 0; q < fi; q++) out[r * fi + q]! += d * w[o * fi + q]!;
    }
  }
  return out;
}

function mapAct(a: MlpActivation, v: Float64Array): Float64Array {
  return v.map((x) => activation(a, x));
}

/** The result of {@link mlpForward}: outputs plus everything the backward pass needs. */
export interface MlpForward {
  /** Samples (rows of x). */
  readonly rows: number;
  /** f, rows × C. */
  readonly outputs: Float64Array;
  /** Residual stream h^ℓ (pre-activations for `plain`), ℓ = 0…L, each rows × width (empty for `linear`). */
  readonly streams: readonly Float64Array[];
  /** Per tensor: its per-sample input z (rows × fan_in). */
  readonly inputs: readonly Float64Array[];
  /** Per tensor: its output before any activation or skip (rows × fan_out). */
  readonly preActivations: readonly Float64Array[];
}

/** Forward pass of `rows` samples `x` (rows × inputDim). */
export function mlpForward(spec: MlpSpec, params: MlpParameters, x: ArrayLike<number>, rows: number): MlpForward {
  const { tensors, activation: act, architecture: arch, depth: L, inputDim } = spec;
  if (!Number.isInteger(rows) || rows < 1) throw new InvalidArgumentError('rows', `must be a positive integer, got ${rows}`);
  if (x.length !== rows * inputDim)
    throw new InvalidArgumentError('x', `expected ${rows * inputDim} elements (rows × inputDim), got ${x.length}`);
  mlpRoles(spec);
  const w = tensors.map((t) => param(params, t));
  const inputs: Float64Array[] = [];
  const pre: Float64Array[] = [];
  const apply = (i: number, z: Float64Array): Float64Array => {
    inputs[i] = z;
    const out = dense(z, rows, w[i]!, tensors[i]!);
    pre[i] = out;
    return out;
  };
  const x64 = Float64Array.from(x);
  if (arch === 'linear') {
    const outputs = apply(0, x64);
    return { rows, outputs, streams: [], inputs, preActivations: pre };
  }
  const streams: Float64Array[] = [apply(0, x64)];
  let t = 1;
  for (let l = 1; l <= L; l++) {
    const prev = streams[l - 1]!;
    const a = mapAct(act, prev);
    if (arch === 'plain') {
      streams.push(apply(t++, a));
    } else if (arch === 'residual') {
      const u = apply(t++, a);
      streams.push(prev.map((v, i) => v + u[i]!));
    } else {
      const u1 = apply(t++, a);
      const u2 = apply(t++, mapAct(act, u1));
      streams.push(prev.map((v, i) => v + u2[i]!));
    }
  }
  const outputs = apply(t, mapAct(act, streams[L]!));
  return { rows, outputs, streams, inputs, preActivations: pre };
}

/** The result of {@link mlpBackward}. */
export interface MlpBackward {
  /** Per tensor: ∂(seed·f)/∂(tensor output), rows × fan_out (the per-sample backward signals g_i). */
  readonly outputSignals: readonly Float64Array[];
  /** ∂(seed·f)/∂h^ℓ, ℓ = 0…L, rows × width (empty for `linear`). */
  readonly streamGradients: readonly Float64Array[];
}

/**
 * Backward pass from `seed` = ∂S/∂f (rows × C): the signals of S = Σ seed ∘ f at every tensor
 * output and at every h^ℓ. Samples are independent, so a one-hot seed in column c gives every
 * sample's ∂f_c/∂(·) at once.
 */
export function mlpBackward(spec: MlpSpec, params: MlpParameters, fwd: MlpForward, seed: ArrayLike<number>): MlpBackward {
  const { tensors, activation: act, architecture: arch, depth: L, outputs: C } = spec;
  const { rows } = fwd;
  if (seed.length !== rows * C) throw new InvalidArgumentError('seed', `expected ${rows * C} elements (rows × C), got ${seed.length}`);
  const w = tensors.map((t) => param(params, t));
  const sig: Float64Array[] = new Array<Float64Array>(tensors.length);
  const last = tensors.length - 1;
  sig[last] = Float64Array.from(seed);
  if (arch === 'linear') return { outputSignals: sig, streamGradients: [] };
  const dH: Float64Array[] = new Array<Float64Array>(L + 1);
  const dA = denseBack(sig[last]!, rows, w[last]!, tensors[last]!);
  const hL = fwd.streams[L]!;
  dH[L] = dA.map((v, i) => activationDerivative(act, hL[i]!) * v);
  let t = last - 1;
  for (let l = L; l >= 1; l--) {
    const g = dH[l]!;
    const hPrev = fwd.streams[l - 1]!;
    let da: Float64Array;
    if (arch === 'residual2') {
      sig[t] = g;
      const dB = denseBack(g, rows, w[t]!, tensors[t]!);
      t--;
      const u1 = fwd.preActivations[t]!;
      const dU = dB.map((v, i) => activationDerivative(act, u1[i]!) * v);
      sig[t] = dU;
      da = denseBack(dU, rows, w[t]!, tensors[t]!);
      t--;
    } else {
      sig[t] = g;
      da = denseBack(g, rows, w[t]!, tensors[t]!);
      t--;
    }
    const skip = arch !== 'plain';
    dH[l - 1] = da.map((v, i) => activationDerivative(act, hPrev[i]!) * v + (skip ? g[i]! : 0));
  }
  sig[0] = dH[0]!;
  return { outputSignals: sig, streamGradients: dH };
}

/** Loss, outputs and parameter gradients of L = ‖f − y‖²/(2·rows). */
export interface MlpGradients {
  /** L = ‖f − y‖²/(2·rows). */
  readonly loss: number;
  /** f, rows × C. */
  readonly outputs: Float64Array;
  /** ∂L/∂W per tensor name (fan_out × fan_in, row-major). */
  readonly gradients: Record<string, Float64Array>;
}

/**
 * Loss and gradients ∂L/∂W of L = ‖f − y‖²/(2·rows) for every tensor: ∂L/∂W = m · Σ_r g_r z_rᵀ,
 * with g_r the backward signal at the tensor's output for the seed (f − y)/rows.
 */
export function mlpGradients(spec: MlpSpec, params: MlpParameters, x: ArrayLike<number>, y: ArrayLike<number>, rows: number): MlpGradients {
  const C = spec.outputs;
  if (y.length !== rows * C) throw new InvalidArgumentError('y', `expected ${rows * C} elements (rows × C), got ${y.length}`);
  const fwd = mlpForward(spec, params, x, rows);
  const e = fwd.outputs.map((f, i) => f - y[i]!);
  let sq = 0;
  for (const v of e) sq += v * v;
  const seed = e.map((v) => v / rows);
  const back = mlpBackward(spec, params, fwd, seed);
  const gradients: Record<string, Float64Array> = {};
  spec.tensors.forEach((t, i) => {
    const g = back.outputSignals[i]!;
    const z = fwd.inputs[i]!;
    const out = new Float64Array(t.rows * t.cols);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < t.rows; o++) {
        const d = t.multiplier * g[r * t.rows + o]!;
        if (d === 0) continue;
        for (let q = 0; q < t.cols; q++) out[o * t.cols + q]! += d * z[r * t.cols + q]!;
      }
    }
    gradients[t.name] = out;
  });
  return { loss: sq / (2 * rows), outputs: fwd.outputs, gradients };
}

/** The loss L = ‖f − y‖²/(2·rows). */
export function mlpLoss(spec: MlpSpec, params: MlpParameters, x: ArrayLike<number>, y: ArrayLike<number>, rows: number): number {
  const f = mlpForward(spec, params, x, rows).outputs;
  if (y.length !== f.length) throw new InvalidArgumentError('y', `expected ${f.length} elements (rows × C), got ${y.length}`);
  let sq = 0;
  for (let i = 0; i < f.length; i++) sq += (f[i]! - y[i]!) ** 2;
  return sq / (2 * rows);
}

/**
 * Explicit per-tensor Jacobians J_l = ∂f/∂W_l: for each tensor an n × (fan_out·fan_in) matrix
 * (n = rows·C, row i·C + c), built from one backward pass per output with a one-hot seed.
 */
export function mlpJacobians(spec: MlpSpec, params: MlpParameters, x: ArrayLike<number>, rows: number): Float64Array[] {
  const C = spec.outputs;
  const n = rows * C;
  const fwd = mlpForward(spec, params, x, rows);
  const jac = spec.tensors.map((t) => new Float64Array(n * t.rows * t.cols));
  for (let c = 0; c < C; c++) {
    const seed = new Float64Array(rows * C);
    for (let r = 0; r < rows; r++) seed[r * C + c] = 1;
    const back = mlpBackward(spec, params, fwd, seed);
    spec.tensors.forEach((t, l) => {
      const g = back.outputSignals[l]!;
      const z = fwd.inputs[l]!;
      const size = t.rows * t.cols;
      const J = jac[l]!;
      for (let r = 0; r < rows; r++) {
        const row = (r * C + c) * size;
        for (let o = 0; o < t.rows; o++) {
          const d = t.multiplier * g[r * t.rows + o]!;
          for (let q = 0; q < t.cols; q++) J[row + o * t.cols + q] = d * z[r * t.cols + q]!;
        }
      }
    });
  }
  return jac;
}

/** Per-layer and total empirical NTK of {@link mlpNtk}. */
export interface MlpNtk {
  /** Tensor names, in the order of `layers`. */
  readonly names: string[];
  /** Per tensor: ratio_l · J_l J_lᵀ (n × n). */
  readonly layers: Float64Array[];
  /** Σ_l layers[l]. */
  readonly kernel: Float64Array;
  /** Kernel size n = rows·C. */
  readonly n: number;
}

/**
 * The empirical NTK on `rows` samples through explicit Jacobians: K_l = J_l J_lᵀ, scaled by
 * `ratios[name]` (the learning-rate ratios η_l/η; default 1), and K = Σ_l ratio_l K_l.
 */
export function mlpNtk(
  spec: MlpSpec,
  params: MlpParameters,
  x: ArrayLike<number>,
  rows: number,
  ratios: Readonly<Record<string, number>> = {},
): MlpNtk {
  const n = rows * spec.outputs;
  const jac = mlpJacobians(spec, params, x, rows);
  const kernel = new Float64Array(n * n);
  const layers = spec.tensors.map((t, l) => {
    const r = ratios[t.name] ?? 1;
    const J = jac[l]!;
    const size = t.rows * t.cols;
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let p = 0; p < size; p++) s += J[i * size + p]! * J[j * size + p]!;
        K[i * n + j] = K[j * n + i] = r * s;
      }
    }
    for (let i = 0; i < n * n; i++) kernel[i]! += K[i]!;
    return K;
  });
  return { names: spec.tensors.map((t) => t.name), layers, kernel, n };
}

/**
 * One full-batch gradient-descent step W_l ← W_l − η·ratio_l·∂L/∂W_l (`ratios` by tensor name,
 * default 1). Returns the new parameters.
 */
export function mlpGdStep(
  spec: MlpSpec,
  params: MlpParameters,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  rows: number,
  learningRate: number,
  ratios: Readonly<Record<string, number>> = {},
): Record<string, Float64Array> {
  const { gradients } = mlpGradients(spec, params, x, y, rows);
  const out: Record<string, Float64Array> = {};
  for (const t of spec.tensors) {
    const w = param(params, t);
    const g = gradients[t.name]!;
    const step = learningRate * (ratios[t.name] ?? 1);
    out[t.name] = Float64Array.from(w, (v, i) => v - step * g[i]!);
  }
  return out;
}

/** Backward gains and own-weight feature updates (docs/lab.md, Diagnostics). */
export interface MlpDiagnostics {
  /** G_ℓ = mean over samples of ‖∂f(x)/∂h^ℓ‖_F (Frobenius over the C outputs), ℓ = 0…L. */
  readonly layerGains: number[];
  /** r = ‖ΔW z‖_F / ‖W(0) z‖_F over the samples, per block and internal layer. */
  readonly featureUpdates: {
    /** Block ℓ (1…L). */
    block: number;
    /** Internal layer of the block. */
    internal: 1 | 2;
    /** r (dimensionless). */
    ratio: number;
  }[];
}

/** {@link MlpDiagnostics} on `rows` samples, with `initial` the parameters W(0). */
export function mlpDiagnostics(
  spec: MlpSpec,
  params: MlpParameters,
  initial: MlpParameters,
  x: ArrayLike<number>,
  rows: number,
): MlpDiagnostics {
  const C = spec.outputs;
  const fwd = mlpForward(spec, params, x, rows);
  const roles = mlpRoles(spec);
  const layerGains: number[] = [];
  if (spec.architecture !== 'linear') {
    const sq = Array.from({ length: spec.depth + 1 }, () => new Float64Array(rows));
    for (let c = 0; c < C; c++) {
      const seed = new Float64Array(rows * C);
      for (let r = 0; r < rows; r++) seed[r * C + c] = 1;
      const back = mlpBackward(spec, params, fwd, seed);
      back.streamGradients.forEach((g, l) => {
        for (let r = 0; r < rows; r++) {
          let s = 0;
          for (let k = 0; k < spec.width; k++) s += g[r * spec.width + k]! ** 2;
          sq[l]![r]! += s;
        }
      });
    }
    for (const s of sq) layerGains.push(s.reduce((a, v) => a + Math.sqrt(v), 0) / rows);
  }
  const featureUpdates: { block: number; internal: 1 | 2; ratio: number }[] = [];
  spec.tensors.forEach((t, l) => {
    const role = roles[l]!;
    if (role.kind !== 'block') return;
    const w = param(params, t);
    const w0 = param(initial, t);
    const delta = Float64Array.from(w, (v, i) => v - w0[i]!);
    const z = fwd.inputs[l]!;
    const unit = { ...t, multiplier: 1 };
    const num = dense(z, rows, delta, unit).reduce((a, v) => a + v * v, 0);
    const den = dense(z, rows, w0, unit).reduce((a, v) => a + v * v, 0);
    featureUpdates.push({ block: role.block, internal: role.internal as 1 | 2, ratio: Math.sqrt(num / den) });
  });
  return { layerGains, featureUpdates };
}
