/**
 * Model configurations of the training lab and their parametrizations.
 *
 * A {@link ModelConfig} names an architecture, sizes, an activation and a parametrization;
 * {@link resolveModel} turns it into a {@link ResolvedModel}: the list of parameter tensors with,
 * for each, a forward multiplier m (the layer computes m·z Wᵀ), an initial variance σ² (entries
 * of W drawn from N(0, σ²)) and a learning-rate multiplier c (SGD updates W ← W − η·c·∂L/∂W).
 *
 * Architectures (φ the activation, L the depth, w the width, d the input dimension, C the outputs):
 * - `residual` (one-layer blocks): h⁰ = W_in x, h^ℓ = h^{ℓ−1} + β·W_ℓ φ(h^{ℓ−1}), f = W_out φ(h^L);
 * - `residual2` (two-layer blocks): h^ℓ = h^{ℓ−1} + β·W_{ℓ,2} φ(W_{ℓ,1} φ(h^{ℓ−1}));
 * - `plain`: h^ℓ = W_ℓ φ(h^{ℓ−1}) (no skip, no β);
 * - `linear`: f = θᵀx with the task's inputs as fixed features (kernel regression; θ starts at 0
 *   and is the only trained tensor; depth, width, activation and parametrization are ignored).
 *
 * The branch multiplier is β = a/√L under `depthMuP` and β = a otherwise (a = `branchScale`,
 * default 1); it is the forward multiplier of the last tensor of each residual block. No biases.
 *
 * The parametrization table (SGD; abc-parametrization of Tensor Programs V, Table 3, without
 * input/output multipliers, and of depth-μP, Tensor Programs VI), for m / σ² / c:
 *
 * | tensor | `standard` | `muP` | `depthMuP` |
 * |---|---|---|---|
 * | W_in (w × d) | 1 / 1/d / 1 | 1 / 1/d / w | 1 / 1/d / w |
 * | hidden W_ℓ, W_{ℓ,1} (w × w) | 1 / 1/w / 1 | 1 / 1/w / 1 | 1 / 1/w / 1 |
 * | last of a residual block W_ℓ, W_{ℓ,2} | a / 1/w / 1 | a / 1/w / 1 | a/√L / 1/w / 1 |
 * | W_out (C × w) | 1 / 1/w / 1 | 1 / 1/w² / 1/w | 1 / 1/w² / 1/w |
 * | θ (`linear`, C × d) | 1 / 0 / 1 | 1 / 0 / 1 | 1 / 0 / 1 |
 *
 * `standard` is N(0, 1/fan_in) everywhere with one learning rate. `muP` is μP for SGD: input
 * weights learn at c = fan_out = w, output weights start at variance 1/w² and learn at c = 1/w,
 * so that feature updates are Θ(1) in width. `depthMuP` adds the 1/√L branch multiplier and keeps
 * the hidden learning rate depth-independent (SGD). For `plain` networks every block tensor is a
 * "hidden" tensor (m = 1).
 *
 * Per-tensor learning-rate overrides and the NFD v1 depth correction (docs/lab.md, "NFD / depth-μP") are applied by
 * {@link learningRateMultipliers}: η_l/η = c_l · override_l · (L/L₀)^γ, the last factor on the
 * first internal layer W_{ℓ,1} of every two-layer block only.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { mlpRoles, type MlpSpec, type MlpTensor, type MlpTensorRole } from '../reference/mlp.ts';
import { Random } from '../util/random.ts';

/** Network family; see the module documentation. */
export type Architecture = 'residual' | 'residual2' | 'plain' | 'linear';
/** Activation φ (`gelu`: the tanh approximation). */
export type Activation = 'relu' | 'tanh' | 'gelu';
/** Parametrization; see the table in the module documentation. */
export type Parametrization = 'standard' | 'muP' | 'depthMuP';

/** A model of the training lab. */
export interface ModelConfig {
  readonly architecture: Architecture;
  /** Number of hidden blocks L ≥ 1 (ignored for `linear`). */
  readonly depth: number;
  /** Hidden width w ≥ 1 (ignored for `linear`). */
  readonly width: number;
  /** Input dimension d (for `linear`: the number of features). */
  readonly inputDim: number;
  /** Outputs per sample C. Default 1. */
  readonly outputs?: number;
  readonly activation: Activation;
  readonly parametrization: Parametrization;
  /** Residual branch scale a > 0. Default 1. */
  readonly branchScale?: number;
  /** Seed of the initial parameters. */
  readonly seed: number;
}

/** One parameter tensor of a {@link ResolvedModel}. */
export interface TensorParametrization extends MlpTensor {
  /** Variance σ² of the initial entries (0: the tensor starts at zero). */
  readonly initVariance: number;
  /** Learning-rate multiplier c of the parametrization (η_l = η·c before overrides). */
  readonly learningRate: number;
  readonly role: MlpTensorRole;
}

/** A validated model: the config with defaults filled in, and its tensors. */
export interface ResolvedModel extends MlpSpec {
  readonly config: Readonly<Required<ModelConfig>>;
  readonly parametrization: Parametrization;
  /** β: a/√L under depthMuP, a otherwise (1 for `plain` and `linear`). */
  readonly branchMultiplier: number;
  readonly tensors: readonly TensorParametrization[];
}

/** The depth-aware learning-rate correction of NFD v1 (docs/lab.md, "NFD / depth-μP"): η^{(1)} = η·(L/L₀)^γ. */
export interface DepthCorrection {
  readonly gamma: number;
  /** L₀ > 0. */
  readonly referenceDepth: number;
}

/** Learning-rate options shared by `lab.train` and {@link learningRateMultipliers}. */
export interface LearningRateOptions {
  /** Extra multipliers by tensor name (e.g. `{ W_out: 0.5 }`); finite and ≥ 0. */
  readonly layerLearningRates?: Readonly<Record<string, number>>;
  /** NFD correction on the first internal layer of every two-layer block (`residual2` only). */
  readonly depthCorrection?: DepthCorrection;
}

const ARCHITECTURES: readonly Architecture[] = ['residual', 'residual2', 'plain', 'linear'];
const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'gelu'];
const PARAMETRIZATIONS: readonly Parametrization[] = ['standard', 'muP', 'depthMuP'];

function positiveInt(argument: string, value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(argument, `must be a positive integer (${what}), got ${String(value)}: set ${argument} ≥ 1`);
  }
  return value;
}

function oneOf<T extends string>(argument: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidArgumentError(
      argument,
      `unknown value ${JSON.stringify(value)}: use one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
    );
  }
  return value as T;
}

/** Validates `config` and builds its tensors with the parametrization table. */
export function resolveModel(config: ModelConfig): ResolvedModel {
  if (typeof config !== 'object' || config === null) throw new InvalidArgumentError('model', 'must be a ModelConfig object');
  const architecture = oneOf('model.architecture', config.architecture, ARCHITECTURES);
  const activation = oneOf('model.activation', config.activation, ACTIVATIONS);
  const parametrization = oneOf('model.parametrization', config.parametrization, PARAMETRIZATIONS);
  const linear = architecture === 'linear';
  const depth = linear ? 0 : positiveInt('model.depth', config.depth, 'the number of hidden blocks');
  const width = linear ? 0 : positiveInt('model.width', config.width, 'the number of hidden units');
  const inputDim = positiveInt('model.inputDim', config.inputDim, 'the input dimension');
  const outputs = positiveInt('model.outputs', config.outputs ?? 1, 'the outputs per sample');
  const branchScale = config.branchScale ?? 1;
  if (typeof branchScale !== 'number' || !Number.isFinite(branchScale) || branchScale <= 0) {
    throw new InvalidArgumentError('model.branchScale', `must be a finite number > 0, got ${String(branchScale)}: use e.g. 1`);
  }
  if (typeof config.seed !== 'number' || !Number.isInteger(config.seed)) {
    throw new InvalidArgumentError('model.seed', `must be an integer, got ${String(config.seed)}`);
  }
  const resolvedConfig: Required<ModelConfig> = {
    architecture,
    depth: linear ? (config.depth ?? 0) : depth,
    width: linear ? (config.width ?? 0) : width,
    inputDim,
    outputs,
    activation,
    parametrization,
    branchScale,
    seed: config.seed,
  };
  const mu = parametrization !== 'standard';
  const branchMultiplier =
    architecture === 'residual' || architecture === 'residual2'
      ? parametrization === 'depthMuP'
        ? branchScale / Math.sqrt(depth)
        : branchScale
      : 1;

  const raw: Omit<TensorParametrization, 'role'>[] = [];
  if (linear) {
    raw.push({ name: 'theta', rows: outputs, cols: inputDim, multiplier: 1, initVariance: 0, learningRate: 1 });
  } else {
    raw.push({ name: 'W_in', rows: width, cols: inputDim, multiplier: 1, initVariance: 1 / inputDim, learningRate: mu ? width : 1 });
    for (let l = 1; l <= depth; l++) {
      if (architecture === 'residual2') {
        raw.push({ name: `W_${l}.1`, rows: width, cols: width, multiplier: 1, initVariance: 1 / width, learningRate: 1 });
        raw.push({ name: `W_${l}.2`, rows: width, cols: width, multiplier: branchMultiplier, initVariance: 1 / width, learningRate: 1 });
      } else {
        raw.push({ name: `W_${l}`, rows: width, cols: width, multiplier: branchMultiplier, initVariance: 1 / width, learningRate: 1 });
      }
    }
    raw.push({
      name: 'W_out',
      rows: outputs,
      cols: width,
      multiplier: 1,
      initVariance: mu ? 1 / (width * width) : 1 / width,
      learningRate: mu ? 1 / width : 1,
    });
  }
  const spec: MlpSpec = { architecture, depth, width, inputDim, outputs, activation, tensors: raw };
  const roles = mlpRoles(spec);
  const tensors = raw.map((t, i) => ({ ...t, role: roles[i]! }));
  return { ...spec, tensors, config: resolvedConfig, parametrization, branchMultiplier };
}

/**
 * Initial parameters: every tensor's entries drawn from N(0, σ²) in tensor order, row-major, from
 * one seeded stream (`seed`, default the model's), rounded to f32; θ of `linear` is zero.
 */
export function initParameters(model: ResolvedModel, seed: number = model.config.seed): Record<string, Float32Array> {
  const rng = new Random(seed);
  const out: Record<string, Float32Array> = {};
  for (const t of model.tensors) {
    const a = new Float32Array(t.rows * t.cols);
    const sd = Math.sqrt(t.initVariance);
    if (sd > 0) for (let i = 0; i < a.length; i++) a[i] = sd * rng.normal();
    out[t.name] = a;
  }
  return out;
}

/**
 * The learning-rate ratios η_l/η by tensor name: the parametrization's c_l, times the override
 * in `layerLearningRates`, times (L/L₀)^γ on W_{ℓ,1} of every block when `depthCorrection` is
 * given (`residual2` only). Throws {@link InvalidArgumentError} for unknown tensor names,
 * negative or non-finite multipliers, and a depth correction on other architectures.
 */
export function learningRateMultipliers(model: ResolvedModel, options: LearningRateOptions = {}): Record<string, number> {
  const names = model.tensors.map((t) => t.name);
  const overrides = options.layerLearningRates ?? {};
  for (const [name, value] of Object.entries(overrides)) {
    if (!names.includes(name)) {
      throw new InvalidArgumentError('layerLearningRates', `unknown tensor "${name}": this model's tensors are ${names.join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`layerLearningRates.${name}`, `must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  let correction = 1;
  const dc = options.depthCorrection;
  if (dc !== undefined) {
    if (model.architecture !== 'residual2') {
      throw new InvalidArgumentError(
        'depthCorrection',
        `applies to the first internal layer of two-layer blocks: use architecture 'residual2' or remove depthCorrection (got '${model.architecture}')`,
      );
    }
    if (typeof dc.gamma !== 'number' || !Number.isFinite(dc.gamma)) {
      throw new InvalidArgumentError('depthCorrection.gamma', `must be a finite number (e.g. 0.5), got ${String(dc.gamma)}`);
    }
    if (typeof dc.referenceDepth !== 'number' || !Number.isFinite(dc.referenceDepth) || dc.referenceDepth <= 0) {
      throw new InvalidArgumentError(
        'depthCorrection.referenceDepth',
        `must be a finite number > 0 (the depth L₀ where the correction is 1), got ${String(dc.referenceDepth)}`,
      );
    }
    correction = (model.depth / dc.referenceDepth) ** dc.gamma;
  }
  const out: Record<string, number> = {};
  for (const t of model.tensors) {
    const first = t.role.kind === 'block' && t.role.internal === 1 && model.architecture === 'residual2';
    out[t.name] = t.learningRate * (overrides[t.name] ?? 1) * (first ? correction : 1);
  }
  return out;
}
