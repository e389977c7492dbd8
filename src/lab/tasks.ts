/**
 * Synthetic tasks of the training lab. No dataset is shipped (none could be downloaded where grsd
 * was built, and none is needed): every task is generated from a seed, so there is no licence to
 * track. Bring your own data by building a {@link Task} object from arrays.
 *
 * - {@link teacherStudent}: inputs uniform on the sphere S^{d−1}, a smooth random-feature target
 *   whose coefficient spectrum decays as k^{−s};
 * - {@link kernelRegression}: the lazy closed form (docs/math.md) for the `linear` architecture:
 *   fixed features Φ with K = ΦΦᵀ of eigenvalues Λk^{−ν} and initial residual energies Ck^{−(1+κ)}.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { randomOrthogonal } from '../reference/linalg.ts';
import { Random } from '../util/random.ts';

/** Training and probe data (row-major, f32). */
export interface Task {
  readonly name: string;
  /** Input dimension d (features for `linear`). */
  readonly inputDim: number;
  /** Outputs per sample C. */
  readonly outputs: number;
  /** N. */
  readonly trainSize: number;
  /** P. */
  readonly probeSize: number;
  /** N × d. */
  readonly trainX: Float32Array;
  /** N × C. */
  readonly trainY: Float32Array;
  /** P × d. */
  readonly probeX: Float32Array;
  /** P × C. */
  readonly probeY: Float32Array;
}

/** Options of {@link teacherStudent}. */
export interface TeacherStudentOptions {
  readonly inputDim: number;
  readonly trainSize: number;
  readonly probeSize: number;
  /** s ≥ 0: the target's coefficients decay as a_k ∝ k^{−s}. */
  readonly spectrumDecay: number;
  readonly seed: number;
  /** Outputs C. Default 1. */
  readonly outputs?: number;
  /** Number of random features K of the teacher. Default 64. */
  readonly features?: number;
  /** Standard deviation of the frequencies ω_k. Default 1. */
  readonly frequencyScale?: number;
  /** Standard deviation of Gaussian noise added to the training labels (not the probe labels). Default 0. */
  readonly noise?: number;
}

function positiveInt(argument: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(argument, `must be a positive integer, got ${value}`);
}

function finite(argument: string, value: number, min: number, strict: boolean): void {
  if (!Number.isFinite(value) || (strict ? value <= min : value < min)) {
    throw new InvalidArgumentError(argument, `must be a finite number ${strict ? '>' : '≥'} ${min}, got ${value}`);
  }
}

/** A point uniform on the unit sphere S^{d−1}. */
function spherePoint(rng: Random, d: number, out: Float64Array): void {
  let s = 0;
  do {
    s = 0;
    for (let i = 0; i < d; i++) {
      out[i] = rng.normal();
      s += out[i]! ** 2;
    }
  } while (s === 0);
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < d; i++) out[i]! *= inv;
}

/**
 * Teacher–student regression: x uniform on S^{d−1}, y_c(x) = Σ_k a_{k,c} ψ_k(x) with
 * ψ_k(x) = √2·cos(ω_k·x + b_k), ω_k ~ N(0, scale²·I) sorted by ‖ω_k‖ (so k orders the features
 * from smooth to rough), b_k ~ U[0, 2π), and a_{k,c} = ±k^{−s} (random signs). Larger s gives a
 * smoother target whose energy sits in the low-frequency features. The probe set is a fresh
 * sample of P points with noiseless labels.
 */
export function teacherStudent(options: TeacherStudentOptions): Task {
  const { inputDim: d, trainSize: N, probeSize: P, spectrumDecay: s, seed } = options;
  const C = options.outputs ?? 1;
  const K = options.features ?? 64;
  const scale = options.frequencyScale ?? 1;
  const noise = options.noise ?? 0;
  positiveInt('inputDim', d);
  positiveInt('trainSize', N);
  positiveInt('probeSize', P);
  positiveInt('outputs', C);
  positiveInt('features', K);
  finite('spectrumDecay', s, 0, false);
  finite('frequencyScale', scale, 0, true);
  finite('noise', noise, 0, false);
  if (!Number.isInteger(seed)) throw new InvalidArgumentError('seed', `must be an integer, got ${seed}`);
  const rng = new Random(seed);
  const omegas: { w: Float64Array; norm: number }[] = [];
  for (let k = 0; k < K; k++) {
    const w = rng.normals(d).map((v) => v * scale);
    omegas.push({ w, norm: Math.hypot(...w) });
  }
  omegas.sort((a, b) => a.norm - b.norm);
  const phases = Float64Array.from({ length: K }, () => 2 * Math.PI * rng.uniform());
  const coef = new Float64Array(K * C);
  for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) coef[k * C + c] = (rng.uniform() < 0.5 ? -1 : 1) * (k + 1) ** -s;
  const sample = (n: number, withNoise: boolean): { x: Float32Array; y: Float32Array } => {
    const x = new Float32Array(n * d);
    const y = new Float32Array(n * C);
    const p = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      spherePoint(rng, d, p);
      for (let j = 0; j < d; j++) x[i * d + j] = p[j]!;
      for (let c = 0; c < C; c++) {
        let v = 0;
        for (let k = 0; k < K; k++) {
          const w = omegas[k]!.w;
          let arg = phases[k]!;
          for (let j = 0; j < d; j++) arg += w[j]! * x[i * d + j]!;
          v += coef[k * C + c]! * Math.SQRT2 * Math.cos(arg);
        }
        y[i * C + c] = v + (withNoise && noise > 0 ? noise * rng.normal() : 0);
      }
    }
    return { x, y };
  };
  const train = sample(N, true);
  const probe = sample(P, false);
  return {
    name: `teacherStudent(d=${d}, s=${s})`,
    inputDim: d,
    outputs: C,
    trainSize: N,
    probeSize: P,
    trainX: train.x,
    trainY: train.y,
    probeX: probe.x,
    probeY: probe.y,
  };
}

/** Options of {@link kernelRegression} (the lazy closed form, docs/math.md). */
export interface KernelRegressionOptions {
  /** Number of samples = number of features = number of modes. */
  readonly n: number;
  /** ν > 0: λ_k = Λ·k^{−ν}. */
  readonly nu: number;
  /** κ: c_k(0)² = C·k^{−(1+κ)}. */
  readonly kappa: number;
  /** Λ > 0. */
  readonly Lambda: number;
  /** C > 0 (the amplitude constant, not the number of outputs). */
  readonly C: number;
  readonly seed: number;
}

/** A {@link Task} with the closed-form spectral data of {@link kernelRegression}. */
export interface KernelRegressionTask extends Task {
  /** λ_k = Λk^{−ν}, k = 1…n (descending): the eigenvalues of K = ΦΦᵀ. */
  readonly eigenvalues: Float64Array;
  /** U, n × n row-major, column k = u_k (U[i·n + k]). */
  readonly modes: Float64Array;
  /** c_k(0) = u_kᵀ e(0) for θ = 0, computed from the f32 labels (|c_k| = √(C k^{−(1+κ)}) up to rounding). */
  readonly initialAmplitudes: Float64Array;
}

/**
 * Kernel regression with a known spectrum (the lazy closed form, docs/math.md), for the `linear` architecture:
 * features Φ = U diag(√λ) (n × n, U Haar-orthogonal) so that K = ΦΦᵀ = U diag(λ) Uᵀ, and labels
 * Y = −U c(0) with c_k(0) = ±√(C k^{−(1+κ)}), so that the residual at θ = 0 is e(0) = U c(0).
 * The probe set is the training set. Under GD with step η on L = ‖e‖²/(2n), each mode evolves as
 * c_k(s) = (1 − ηλ_k/n)^s c_k(0).
 */
export function kernelRegression(options: KernelRegressionOptions): KernelRegressionTask {
  const { n, nu, kappa, Lambda, C, seed } = options;
  positiveInt('n', n);
  finite('nu', nu, 0, true);
  if (!Number.isFinite(kappa)) throw new InvalidArgumentError('kappa', `must be finite, got ${kappa}`);
  finite('Lambda', Lambda, 0, true);
  finite('C', C, 0, true);
  if (!Number.isInteger(seed)) throw new InvalidArgumentError('seed', `must be an integer, got ${seed}`);
  const rng = new Random(seed);
  const q = randomOrthogonal(n, rng); // rows are the modes u_k
  const eigenvalues = Float64Array.from({ length: n }, (_, k) => Lambda * (k + 1) ** -nu);
  const amps = Float64Array.from({ length: n }, (_, k) => (rng.uniform() < 0.5 ? -1 : 1) * Math.sqrt(C * (k + 1) ** -(1 + kappa)));
  const modes = new Float64Array(n * n);
  const phi = new Float32Array(n * n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let yi = 0;
    for (let k = 0; k < n; k++) {
      const u = q[k * n + i]!;
      modes[i * n + k] = u;
      phi[i * n + k] = u * Math.sqrt(eigenvalues[k]!);
      yi -= u * amps[k]!;
    }
    y[i] = yi;
  }
  const initialAmplitudes = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s -= q[k * n + i]! * y[i]!;
    initialAmplitudes[k] = s;
  }
  return {
    name: `kernelRegression(n=${n}, ν=${nu}, κ=${kappa})`,
    inputDim: n,
    outputs: 1,
    trainSize: n,
    probeSize: n,
    trainX: phi,
    trainY: y,
    probeX: phi,
    probeY: y,
    eigenvalues,
    modes,
    initialAmplitudes,
  };
}
