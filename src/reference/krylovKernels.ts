/**
 * Float64 twins of the block Krylov bookkeeping kernels (src/kernels/krylovStep.ts):
 * shaders/lanczos/krylovPrepare.wgsl, krylovNormalize.wgsl and krylovExponent.wgsl. They operate
 * in place on arrays with the kernels' layouts; the float64 eigensolver backend
 * (src/reference/krylovF64.ts) uses the same rules.
 * @module
 */
import { krylovRandom } from './krylov.ts';

/** The "unset" exponent (i32 minimum). */
export const EXPONENT_UNSET = -(2 ** 31);

/** ⌊log₂ m⌋ clamped to [−126, 126] for finite m > 0, else 0 — the krylovExponent rule (exact). */
export function scaleExponent(m: number): number {
  if (!(m > 0) || !Number.isFinite(m)) return 0;
  let e = Math.floor(Math.log2(m));
  if (2 ** e > m) e--;
  else if (2 ** (e + 1) <= m) e++;
  // An f32 subnormal m (below 2⁻¹²⁶) has exponent bits 0: the kernel reads −127, then clamps.
  return Math.min(126, Math.max(-126, e));
}

/** Twin of krylovExponent.wgsl: exponent[b] = scaleExponent(maxAbs[b]) where unset. */
export function krylovExponentF64(maxAbs: ArrayLike<number>, exponent: Int32Array, items: number): Int32Array {
  for (let b = 0; b < items; b++) if (exponent[b] === EXPONENT_UNSET) exponent[b] = scaleExponent(maxAbs[b]!);
  return exponent;
}

/**
 * One-sided Golub–Kahan (J with more columns than rows; docs/accuracy.md, "Golub–Kahan"; Simon and
 * Zha 2000, SIAM J. Sci. Comput. 21): only the short left basis U is reorthogonalized in full. A Jᵀ
 * candidate joining V row `to` is orthogonalized against V rows [start, to) only: the previous block
 * (rows [to − p, to)), and every kept row right after a thick restart that kept `kept` rows (Jᵀ of
 * the frontier has its coupling to them). In exact arithmetic the coefficients on the other rows
 * are zero: Jᵀu_i · v_j = u_i · J v_j, and J v_j lies in the U rows ≤ j + p and the kept rows'
 * frontier, to which u_i is orthogonal. (After a verification restart the frontier that left the
 * basis gives coefficients of the size of the locked pairs' residuals, already a dropped residual.)
 * While a verification round runs (`full`) the window is every row: the lane must measure the
 * operator on the complement of the kept rows, so its V candidates are orthogonalized against all
 * of them (at most 16 vectors per round, O(cols·rows) each).
 */
export function rightWindowStart(to: number, p: number, kept: number, full: boolean): number {
  if (full || to <= kept) return 0;
  return Math.max(0, to - p);
}

/**
 * One-sided Golub–Kahan: the first U row whose coefficient is recorded for a J candidate joining U
 * row `target` (from V row target − p). The candidate is still orthogonalized against every U row,
 * but its coefficients on rows above the source (u_i·J v_j with i < j) are left out of the
 * projected matrix M: they are zero in exact arithmetic (u_i·J v_j = Jᵀu_i · v_j, and Jᵀu_i lies
 * in V rows ≤ i), and in f32 they carry the loss of orthogonality of V (≈ u·κ(J)·‖J‖), which the
 * singular values of M would inherit; without them M is the recurrence's own bidiagonal form, whose
 * singular values are those of a nearby J when U is orthonormal (Barlow 2013, Numer. Math. 124,
 * "Reorthogonalization for the Golub–Kahan–Lanczos bidiagonal reduction").
 */
export function recordedFrom(target: number, p: number): number {
  return target - p;
}

/**
 * One-sided Golub–Kahan: the floor under ‖w₀‖ in the hole test of a Jᵀ candidate (krylovNormalize's
 * minNorm0), for the items [first, first + count) normalized together: max(1, the smallest of their
 * largest Jᵀ candidate norms so far), in the scaled units. Both are ≤ ‖J‖: the first apply's largest
 * entry is ≥ 1 after scaling by 2^−e, and every candidate norm is ≤ ‖J‖. A candidate below
 * tol·floor is at the rounding level of the apply (u in the numerical null space of Jᵀ): without
 * the full reorthogonalization of V it would be rounding noise that overlaps the V rows outside
 * the window, so it is a hole (its norm becomes a dropped residual, counted in the bounds).
 */
export function rightHoleFloor(scale: ArrayLike<number>, first: number, count: number): number {
  let least = Infinity;
  for (let b = first; b < first + count; b++) least = Math.min(least, scale[b]!);
  return Math.max(1, Number.isFinite(least) ? least : 0);
}

/** Contiguous runs [first, first + count) of active items (the GPU backend applies and normalizes them together). */
export function activeRuns(active: Uint8Array): { first: number; count: number }[] {
  const runs: { first: number; count: number }[] = [];
  for (let b = 0; b < active.length; b++) {
    if (!active[b]) continue;
    const last = runs[runs.length - 1];
    if (last && last.first + last.count === b) last.count++;
    else runs.push({ first: b, count: 1 });
  }
  return runs;
}

/** Twin of krylovPrepare.wgsl on lanes [firstLane, firstLane + lanes) of w ([lanes][n]). */
export function krylovPrepareF64(
  w: Float64Array,
  hole: ArrayLike<number>,
  exponent: ArrayLike<number>,
  a: {
    readonly n: number;
    readonly firstLane: number;
    readonly lanes: number;
    readonly block: number;
    readonly seed: number;
    readonly tick: number;
    readonly zeroHoles?: boolean;
  },
): Float64Array {
  for (let l = a.firstLane; l < a.firstLane + a.lanes; l++) {
    const base = l * a.n;
    if (hole[l]) {
      for (let i = 0; i < a.n; i++) w[base + i] = a.zeroHoles ? 0 : krylovRandom(a.seed, l % a.block, a.tick, i);
    } else {
      const unit = 2 ** -exponent[Math.floor(l / a.block)]!;
      for (let i = 0; i < a.n; i++) w[base + i] = w[base + i]! * unit;
    }
  }
  return w;
}

/** Per-lane state the normalize kernel updates (mirrors its read_write bindings). */
export interface KrylovNormalizeState {
  readonly hole: Uint32Array;
  readonly inv: Float64Array;
  readonly recNorm: Float64Array;
  readonly recFlags: Uint32Array;
}

/** Twin of krylovNormalize.wgsl (see its header for the rule). */
export function krylovNormalizeF64(
  norm0: ArrayLike<number>,
  norm2: ArrayLike<number>,
  s: KrylovNormalizeState,
  a: {
    readonly firstLane: number;
    readonly laneStride: number;
    readonly count: number;
    readonly recBase: number;
    readonly tol: number;
    readonly norm2Base: number;
    readonly minNorm0?: number;
  },
): KrylovNormalizeState {
  for (let t = 0; t < a.count; t++) {
    const l = a.firstLane + t * a.laneStride;
    const x = norm0[l]!;
    const y = norm2[a.norm2Base + t]!;
    const nonFinite = !Number.isFinite(x) || !Number.isFinite(y);
    const nu0 = Math.max(Math.sqrt(Math.max(x, 0)), Math.fround(a.minNorm0 ?? 0));
    const nu = Math.sqrt(Math.max(y, 0));
    const isHole = nonFinite || !(nu > a.tol * nu0);
    s.inv[l] = isHole ? 0 : 1 / nu;
    s.recNorm[a.recBase + l] = Number.isFinite(nu) ? nu : 0;
    s.recFlags[a.recBase + l] = (isHole ? 1 : 0) | (s.hole[l] ? 2 : 0) | (nonFinite ? 4 : 0);
    s.hole[l] = isHole ? 1 : 0;
  }
  return s;
}
