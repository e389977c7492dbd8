/**
 * Float64 twins of the shell kernels (shaders/shells/shellAssign.wgsl, shellReduce.wgsl) and the
 * layout conventions every shell quantity follows.
 *
 * Shells: α(λ) = ⌊(ln λ − ln λ_ref)/h⌋ clamped to the window [alphaMin, alphaMin + count − 1],
 * boundaries b_α = λ_ref·e^{αh}, shells half-open [b_α, b_{α+1}) (docs/math.md, "Shells"). λ < floor goes to the
 * null shell ∅. Shell quantities are arrays of length `count + 2`:
 *   index 0 … count−1   the window shells, ascending in λ (index i is α = alphaMin + i),
 *   index count  (∅)    the floor shell: λ < floor (unresolved and null directions),
 *   index count+1 (⊥)   the complement: what the computed eigenvectors do not span.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/** The numbers that define a shell grid (see `ShellGrid` in src/analysis/shellGrid.ts). */
export interface ShellBinning {
  /** λ_ref > 0. */
  readonly lambdaRef: number;
  /** Shell width h > 0 in ln λ. */
  readonly width: number;
  /** First shell index α of the window. */
  readonly alphaMin: number;
  /** Number of window shells. */
  readonly count: number;
  /** λ below this goes to ∅ (must be ≤ b_{alphaMin}). */
  readonly floor: number;
  /** |ln λ − ln b| below this flags λ as boundary-straddling. */
  readonly boundaryTolerance: number;
}

/** Shells that computed eigenpairs fall into: the `count` window shells and ∅. */
export const computedShellCount = (count: number): number => count + 1;
/** Length of shell arrays: the `count` window shells, ∅ and ⊥. */
export const shellArrayLength = (count: number): number => count + 2;
/** Index of ∅ in shell arrays. */
export const floorShell = (count: number): number => count;
/** Index of ⊥ in shell arrays. */
export const complementShell = (count: number): number => count + 1;

/**
 * Shell index (0 … count−1, or count for ∅) and boundary flag of λ. λ below the floor and λ that
 * is not a positive finite number (NaN, ±∞, ≤ 0) → ∅, unflagged. Window shells clamp: λ above the
 * window goes to count − 1, λ between the floor and the window to 0.
 *
 * Float64 twin of shaders/shells/shellAssign.wgsl (one value; the kernel does a batch). The f32
 * kernel's ln λ is accurate to ≈ 1e-6, so λ that close to a boundary may land in either
 * neighbouring shell: they are flagged whenever `boundaryTolerance` ≫ 1e-6.
 */
export function assignShell(
  lambda: number,
  g: ShellBinning,
): {
  /** Shell index: 0…count−1 in the window, count for ∅. */
  index: number;
  /** λ lies within `boundaryTolerance` (in ln λ) of a shell boundary. */
  boundary: boolean;
} {
  if (!(lambda >= g.floor) || !(lambda > 0) || !Number.isFinite(lambda)) return { index: g.count, boundary: false };
  const x = (Math.log(lambda) - Math.log(g.lambdaRef)) / g.width;
  const alpha = Math.floor(x);
  const index = Math.min(g.count - 1, Math.max(0, alpha - g.alphaMin));
  const frac = x - alpha;
  const boundary = Math.min(frac, 1 - frac) * g.width < g.boundaryTolerance;
  return { index, boundary };
}

/** Per-shell sums of one batch item: Σw, Σλw and counts, in float64 (length count + 1: window + ∅). */
export interface ShellSums {
  /** Σ_{k∈α} w_k per shell. */
  readonly weight: Float64Array;
  /** Σ_{k∈α} λ_k w_k per shell. */
  readonly lambdaWeight: Float64Array;
  /** Values per shell. */
  readonly counts: Float64Array;
  /** Shell index of each value (count for ∅). */
  readonly index: Int32Array;
  /** 1 where the value is within the boundary tolerance of a shell boundary. */
  readonly boundary: Uint8Array;
}

/**
 * Bins (λ_k, w_k) into shells: Σ_{k∈α} w_k, Σ_{k∈α} λ_k w_k and counts per shell (window + ∅),
 * summed in index order — the twin of shellAssign + shellReduce.
 *
 * Float64 twin of shaders/shells/shellAssign.wgsl followed by shaders/shells/shellReduce.wgsl
 * (one batch item, w = amplitude² precomputed or a quadrature weight).
 */
export function binShells(lambda: ArrayLike<number>, weight: ArrayLike<number>, g: ShellBinning): ShellSums {
  if (lambda.length !== weight.length)
    throw new InvalidArgumentError('weight', `length ${weight.length} differs from the ${lambda.length} eigenvalues`);
  const s = computedShellCount(g.count);
  const out: ShellSums = {
    weight: new Float64Array(s),
    lambdaWeight: new Float64Array(s),
    counts: new Float64Array(s),
    index: new Int32Array(lambda.length),
    boundary: new Uint8Array(lambda.length),
  };
  for (let k = 0; k < lambda.length; k++) {
    const { index, boundary } = assignShell(lambda[k]!, g);
    out.index[k] = index;
    out.boundary[k] = boundary ? 1 : 0;
    out.weight[index]! += weight[k]!;
    out.lambdaWeight[index]! += lambda[k]! * weight[k]!;
    out.counts[index]! += 1;
  }
  return out;
}

/** Shape of {@link shellReduceF64} (mirrors `struct Params` of shellReduce.wgsl). */
export interface ShellReduceLayout {
  /** Number of batch items. */
  readonly batch: number;
  /** Values per batch item. */
  readonly len: number;
  /** Batch item b's values start at b·stride (stride ≥ len). */
  readonly stride: number;
  /** Number of shells (window + ∅ = count + 1); an index ≥ shells is ignored. */
  readonly shells: number;
}

/**
 * Per-shell segmented sums for given shell indices, batched: for b < batch and s < shells,
 *
 *   weight[b][s] = Σ_{k<len: index[b][k] = s} w_k,  lambdaWeight[b][s] = Σ λ_k w_k,  counts[b][s] = #{k},
 *
 * summed in index order, with w_k = amplitude_k² when `square` (shell energies) or amplitude_k
 * (quadrature weights), and element k of item b at b·stride + k. Outputs are [batch][shells].
 *
 * Float64 twin of shaders/shells/shellReduce.wgsl (the f32 kernel's error is at most γ_{len+1}
 * times the same sums of |w| and |λ w|). Unlike {@link binShells} it takes the indices as given,
 * so it can be fed the GPU's own shellAssign output.
 *
 * @example
 * ```ts
 * shellReduceF64([1, 2, 4], [1, 1, 2], [0, 1, 0], { batch: 1, len: 3, stride: 3, shells: 2 }, true);
 * // weight [5, 1], lambdaWeight [17, 2], counts [2, 1]
 * ```
 */
export function shellReduceF64(
  values: ArrayLike<number>,
  amplitudes: ArrayLike<number>,
  index: ArrayLike<number>,
  l: ShellReduceLayout,
  square: boolean,
): {
  /** Σ w_k per shell, [batch][shells]. */
  weight: Float64Array;
  /** Σ λ_k w_k per shell, [batch][shells]. */
  lambdaWeight: Float64Array;
  /** Values per shell, [batch][shells]. */
  counts: Float64Array;
} {
  if (l.len > l.stride) throw new InvalidArgumentError('len', `cannot exceed stride (${l.stride}), got ${l.len}`);
  const size = l.batch * l.shells;
  const out = { weight: new Float64Array(size), lambdaWeight: new Float64Array(size), counts: new Float64Array(size) };
  for (let b = 0; b < l.batch; b++) {
    for (let k = 0; k < l.len; k++) {
      const e = b * l.stride + k;
      const s = index[e]!;
      if (!(s >= 0 && s < l.shells)) continue;
      const a = amplitudes[e]!;
      const w = square ? a * a : a;
      out.weight[b * l.shells + s]! += w;
      out.lambdaWeight[b * l.shells + s]! += values[e]! * w;
      out.counts[b * l.shells + s]! += 1;
    }
  }
  return out;
}
