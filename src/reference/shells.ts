/**
 * Float64 twins of the shell kernels (shaders/shells/shellAssign.wgsl, shellReduce.wgsl) and the
 * layout conventions every shell quantity follows.
 *
 * Shells: α(λ) = ⌊(ln λ − ln λ_ref)/h⌋ clamped to the window [alphaMin, alphaMin + count − 1],
 * boundaries b_α = λ_ref·e^{αh}, shells half-open [b_α, b_{α+1}) (spec §1.3). λ < floor goes to the
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

/** Index of ∅ in shell arrays. */
export const floorShell = (count: number): number => count;
/** Index of ⊥ in shell arrays. */
export const complementShell = (count: number): number => count + 1;

/** Shell index (0 … count−1, or count for ∅) and boundary flag of λ. NaN/negative λ → ∅ (λ < floor). */
export function assignShell(lambda: number, g: ShellBinning): { index: number; boundary: boolean } {
  if (!(lambda >= g.floor) || !(lambda > 0)) return { index: g.count, boundary: false };
  const x = (Math.log(lambda) - Math.log(g.lambdaRef)) / g.width;
  const alpha = Math.floor(x);
  const index = Math.min(g.count - 1, Math.max(0, alpha - g.alphaMin));
  const frac = x - alpha;
  const boundary = Math.min(frac, 1 - frac) * g.width < g.boundaryTolerance;
  return { index, boundary };
}

/** Per-shell sums of one batch item: Σw, Σλw and counts, in float64 (length count + 1: window + ∅). */
export interface ShellSums {
  readonly weight: Float64Array;
  readonly lambdaWeight: Float64Array;
  readonly counts: Float64Array;
  readonly index: Int32Array;
  readonly boundary: Uint8Array;
}

/**
 * Bins (λ_k, w_k) into shells: Σ_{k∈α} w_k, Σ_{k∈α} λ_k w_k and counts per shell (window + ∅),
 * summed in index order — the twin of shellAssign + shellReduce.
 */
export function binShells(lambda: ArrayLike<number>, weight: ArrayLike<number>, g: ShellBinning): ShellSums {
  if (lambda.length !== weight.length)
    throw new InvalidArgumentError('weight', `length ${weight.length} differs from the ${lambda.length} eigenvalues`);
  const s = g.count + 1;
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
