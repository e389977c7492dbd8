/**
 * The per-operator algebra of the block Krylov driver (src/reference/krylov.ts), for its two
 * decompositions. Both keep the measured projection coefficients, so the driver's logic (checks,
 * thick restarts, locking, verification, stopping) is the same for both; only the Rayleigh–Ritz
 * step and the restart algebra differ.
 *
 * - **Symmetric** (Lanczos on A, basis Q). C[i][j] = the coefficient of A q_j on q_i, measured when
 *   q_j was applied:  A Q_H = Q_H H + Q_F R + D,  H = C[applied][applied], R = C[frontier][applied].
 *   A Ritz pair (θ, s) of H has ‖A Q s − θ Q s‖ ≤ ‖R s‖ + Σ_e w_e‖E_e s‖.
 * - **Bidiagonal** (Golub–Kahan on J, for K = J Jᵀ; left basis U, right basis V). M[i][j] =
 *   u_iᵀ J v_j, measured by whichever of Jᵀ u_i and J v_j was applied later:
 *   Jᵀ U_A = V M_Aᵀ + D_v,  J V = U_A M_A + U_F R + D_u  (M_A = M[applied U][V], R = M[frontier U][V]).
 *   The Ritz values of K on span(U_A) are the σ² of M_A, from its singular value decomposition
 *   (src/reference/svd.ts), so that σ is accurate to ≈ u·σ_max and λ = σ² to ≈ 2u·σ_max·σ (not
 *   u·σ_max² as Lanczos on K). With g = M_Aᵀ s (= σ t), K U_A s − σ² U_A s = U_F R g + D_u g + J D_v s:
 *   the bound is ‖R g‖ + Σ_u w‖E g‖ + ‖J‖·Σ_v w‖E s‖ (‖J‖ estimated by σ_max).
 *
 * D collects the residuals that left the relation ({@link Dropped}); restarts map them linearly, so
 * bounds do not compound. The rounding floor of each bound is measured (see {@link roundingFloors}).
 * @module
 */
import type { LaneMeasure, LockedBlock } from './krylovVerification.ts';
import { norm2 } from './linalg.ts';
import { leftSingularDecomposition, nullThreshold } from './svd.ts';
import { symmetricEigen } from './symmetricEigen.ts';

/** Row kinds of a basis. */
export const HOLE = 0;
export const APPLIED = 1;
export const FRONTIER = 2;

/** Which of the two relations a record half belongs to: the main basis (Q or U) or V. */
export const MAIN = 0;
export const RIGHT = 1;

/**
 * A residual that left the relation: `weight · Σ_r (E s)_r u_r` with u_r orthonormal vectors
 * outside it, E [rows][cap] coefficients over the columns of one basis (`side`: MAIN or RIGHT), or
 * the unit vector at `index` when `e` is null (a hole: one dropped leftover). It adds
 * weight·‖E x‖ to the bound of a Ritz vector with coordinates x over that basis.
 */
export interface Dropped {
  readonly weight: number;
  readonly side: number;
  readonly rows: number;
  readonly e: Float64Array | null;
  readonly index: number;
}

/** The Rayleigh–Ritz decomposition of one item at a check (values in the scaled units). */
export interface Ritz {
  /** Applied rows of the main basis (Q or U). */
  readonly idx: Int32Array;
  /** Ritz values ascending (λ of A or of K = J Jᵀ). */
  readonly values: Float64Array;
  /** [m][idx.length]: row t = coordinates of the Ritz vector of values[t] over `idx`. */
  readonly vectors: Float64Array;
  /** Bidiagonal: the V rows of M_A's columns. */
  readonly rightIdx: Int32Array | null;
  /** Bidiagonal: [m][rightIdx.length], row t = g_t = M_Aᵀ s_t = σ_t·(right singular vector). */
  readonly g: Float64Array | null;
  /** Bidiagonal: σ_t (values = σ²). */
  readonly sigma: Float64Array | null;
  /** Bound per value (scaled units): residual + dropped + floor. */
  readonly bounds: Float64Array;
  /** The rounding floor included in each bound. */
  readonly floors: Float64Array;
  /** The largest |value| seen so far (the estimate of ‖A‖ or ‖K‖). */
  readonly scale: number;
}

/** A restart plan's output for the backend: S over the main basis and (bidiagonal) over V. */
export interface RestartMatrices {
  readonly s: Float64Array;
  readonly right: Float64Array | null;
}

/**
 * The rounding floors of the bounds (docs/accuracy.md, "The rounding floor"), from the backend's
 * unit roundoff u and the largest measured loss of orthogonality η: symmetric (2η + 2u)·max|θ|;
 * bidiagonal, with d = (2η + 2u)·σ_max the floor of σ, 2dσ + d² for λ = σ².
 */
export function roundingFloors(
  kind: 'symmetric' | 'bidiagonal',
  roundoff: number,
  loss: number,
  scale: number,
  sigma: Float64Array | null,
  m: number,
): Float64Array {
  const out = new Float64Array(m);
  if (kind === 'symmetric') return out.fill((2 * loss + 2 * roundoff) * scale);
  const d = (2 * loss + 2 * roundoff) * Math.sqrt(scale);
  for (let t = 0; t < m; t++) out[t] = 2 * d * sigma![t]! + d * d;
  return out;
}

/** Σ_e weight_e·‖E_e x‖ over the events of `side`, x given over the basis rows `cols` (pos: row → position, −1 if absent). */
function droppedBound(
  dropped: readonly Dropped[],
  side: number,
  cap: number,
  cols: Int32Array,
  pos: Int32Array,
  x: ArrayLike<number>,
): number {
  let total = 0;
  for (const d of dropped) {
    if (d.side !== side) continue;
    if (d.e === null) {
      const a = pos[d.index]!;
      if (a >= 0) total += d.weight * Math.abs(x[a]!);
      continue;
    }
    let sq = 0;
    for (let r = 0; r < d.rows; r++) {
      const base = r * cap;
      let acc = 0;
      for (let a = 0; a < cols.length; a++) acc += d.e[base + cols[a]!]! * x[a]!;
      sq += acc * acc;
    }
    total += d.weight * Math.sqrt(sq);
  }
  return total;
}

/** Row → position map of `cols` (−1 elsewhere). */
function positions(cols: Int32Array, cap: number): Int32Array {
  const pos = new Int32Array(cap).fill(-1);
  cols.forEach((row, a) => (pos[row] = a));
  return pos;
}

/**
 * E' = E·X over the kept columns: X[t][a] (coordinates over `cols`) for each kept position of
 * `order`; returns the event over the new rows [0, order.length) (dense).
 */
function mapEvent(d: Dropped, cap: number, pos: Int32Array, m: number, x: Float64Array, order: readonly number[]): Dropped {
  const out = new Float64Array(d.rows * cap);
  for (let r = 0; r < d.rows; r++) {
    order.forEach((t, col) => {
      let acc = 0;
      if (d.e === null) {
        const a = pos[d.index]!;
        if (a >= 0) acc = x[t * m + a]!;
      } else {
        for (let row = 0; row < cap; row++) {
          const a = pos[row]!;
          if (a >= 0) acc += d.e[r * cap + row]! * x[t * m + a]!;
        }
      }
      out[r * cap + col] = acc;
    });
  }
  return { weight: d.weight, side: d.side, rows: d.rows, e: out, index: -1 };
}

/** What the driver passes to {@link KrylovItem.restart}. */
export interface RestartPlan {
  readonly ritz: Ritz;
  /** Positions (into ritz.values) kept, in the new row order. */
  readonly order: readonly number[];
  /** Rows kept (≥ order.length: the layout is shared by the items of a batch). */
  readonly keep: number;
  /** Rows applied before the restart (the frontier is rows [applied, applied + p)). */
  readonly applied: number;
  readonly p: number;
  /** Verification: the frontier leaves the basis (its coupling becomes a dropped residual). */
  readonly lock: boolean;
}

/** The algebra of one item (see the module documentation); the driver keeps its progress fields here too. */
export abstract class KrylovItem {
  readonly cap: number;
  /** Row kinds of the main basis (Q or U). */
  readonly status: Uint8Array;
  /** The measured coefficients, [cap][cap] (C of the symmetric relation, M of the bidiagonal one). */
  readonly c: Float64Array;
  dropped: Dropped[] = [];
  /** log2 of the power of two the operator (A, or J) is divided by. */
  exponent = 0;
  /** The largest |value| seen so far. */
  scale = 0;
  /** The largest measured loss of orthogonality. */
  loss = 0;
  breakdowns = 0;
  /** Record halves per step: 1 (A), 2 (Jᵀ then J). */
  abstract readonly halves: number;
  /**
   * Whether verification may keep unconverged vectors ({@link KrylovItem.lockedBlock} bounds their
   * coupling); otherwise it keeps only the converged ones.
   */
  abstract readonly deflatedVerification: boolean;

  constructor(cap: number) {
    this.cap = cap;
    this.status = new Uint8Array(cap);
    this.c = new Float64Array(cap * cap);
  }

  /** Rows of the main basis that are part of the space (applied or frontier). */
  validRows(rows: number): number {
    let count = 0;
    for (let i = 0; i < rows; i++) if (this.status[i] !== HOLE) count++;
    return count;
  }

  /** Frontier rows of the main basis among the first `rows`. */
  frontierRows(rows: number): number {
    let count = 0;
    for (let i = 0; i < rows; i++) if (this.status[i] === FRONTIER) count++;
    return count;
  }

  /** The factor from scaled to operator units for values (2^e for A, 4^e for K = J Jᵀ with J/2^e). */
  abstract valueUnit(): number;

  /**
   * Reads the records of `steps` steps starting at `rows0` rows (lanes = items·p; half h of step s
   * at record (s·halves + h)·lanes + lane). Returns nothing; throws through `nonFinite` on a
   * non-finite candidate.
   */
  abstract absorb(
    rec: { coef: Float64Array; norm: Float64Array; flags: Uint8Array },
    b: number,
    rows0: number,
    steps: number,
    lanes: number,
    p: number,
    flagHole: number,
    flagInjected: number,
  ): void;

  /** Rayleigh–Ritz over the applied rows among the first `rows`. */
  abstract ritz(rows: number, roundoff: number): Ritz;

  /** Thick restart (see {@link RestartPlan}); updates the coefficients, row kinds and dropped residuals. */
  abstract restart(plan: RestartPlan): RestartMatrices;

  /**
   * Right after a verification restart: the kept block (rows [0, keep), Ritz vectors) with the
   * bound on its coupling to the complement (src/reference/krylovVerification.ts,
   * {@link LockedBlock}), or null without {@link KrylovItem.deflatedVerification} (bidiagonal:
   * the restricted Gram matrix UᵀKU is diagonal only up to the dropped V residuals, so its lane
   * certifies against the converged vectors alone).
   */
  abstract lockedBlock(keep: number): LockedBlock | null;

  /**
   * The measure of a verification lane that started at row `first` (src/reference/krylovVerification.ts):
   * its complete blocks of p rows up to the first block that is not applied, and whether its
   * Krylov space became invariant there (a whole block of holes).
   */
  laneMeasure(first: number, rows: number, p: number): LaneMeasure {
    let steps = 0;
    let exact = false;
    for (let r0 = first; r0 + p <= rows; r0 += p) {
      const kinds = this.blockKinds(r0, p);
      if (kinds.applied) {
        steps++;
        if (kinds.end === 'exact') exact = true;
        if (kinds.end !== 'none') break;
        continue;
      }
      exact = steps > 0 && kinds.holes === p;
      break;
    }
    const m = steps * p;
    if (m === 0) return { nodes: new Float64Array(0), weights: new Float64Array(0), steps: 0, exact: false };
    const h = this.laneProjection(first, m);
    const eig = symmetricEigen(h, m, { vectors: true });
    const weights = new Float64Array(m);
    for (let t = 0; t < m; t++) {
      let w = 0;
      for (let r = 0; r < p; r++) w += eig.vectors![t * m + r]! ** 2;
      weights[t] = w;
    }
    return { nodes: eig.values, weights, steps, exact };
  }

  /**
   * Row kinds of the block [r0, r0 + p) of a lane: every row applied; the holes among them; and
   * (bidiagonal) whether applying the block ended the lane's Krylov space for all its rows
   * ('exact') or some ('partial'): Jᵀ left no new V direction.
   */
  protected abstract blockKinds(r0: number, p: number): { applied: boolean; holes: number; end: 'none' | 'exact' | 'partial' };

  /** The projection of the operator (A, or K = J Jᵀ) on the lane rows [first, first + m), [m][m]. */
  protected abstract laneProjection(first: number, m: number): Float64Array;

  /** Main-basis coordinates and S matrix rows (applied rows × keep) for the kept positions. */
  protected keptLeft(ritz: Ritz, order: readonly number[], applied: number, keep: number): Float64Array {
    const m = ritz.idx.length;
    const s = new Float64Array(applied * keep);
    order.forEach((t, col) => {
      for (let a = 0; a < m; a++) s[ritz.idx[a]! * keep + col] = ritz.vectors[t * m + a]!;
    });
    return s;
  }
}

/** Lanczos on a symmetric A (see the module documentation). */
export class SymmetricItem extends KrylovItem {
  readonly halves = 1;
  readonly deflatedVerification = true;

  valueUnit(): number {
    return 2 ** this.exponent;
  }

  absorb(
    rec: { coef: Float64Array; norm: Float64Array; flags: Uint8Array },
    b: number,
    rows0: number,
    steps: number,
    lanes: number,
    p: number,
    flagHole: number,
    flagInjected: number,
  ): void {
    const cap = this.cap;
    for (let s = 0; s < steps; s++) {
      const r = rows0 + s * p;
      for (let v = 0; v < p; v++) {
        const at = s * lanes + b * p + v;
        const f = rec.flags[at]!;
        const src = r - p + v;
        const target = r + v;
        const norm = rec.norm[at]!;
        if (!(f & flagInjected)) {
          // Column src of C: projections on rows [0, target), the norm on row target.
          this.status[src] = APPLIED;
          const base = at * cap;
          for (let i = 0; i < target; i++) this.c[i * cap + src] = rec.coef[base + i]!;
          for (let i = target; i < cap; i++) this.c[i * cap + src] = 0;
          if (f & flagHole) {
            if (norm > 0) this.dropped.push({ weight: norm, side: MAIN, rows: 1, e: null, index: src });
          } else this.c[target * cap + src] = norm;
        }
        if (f & flagHole) this.breakdowns++;
        this.status[target] = f & flagHole ? HOLE : FRONTIER;
      }
    }
  }

  ritz(rows: number, roundoff: number): Ritz {
    const cap = this.cap;
    const h: number[] = [];
    const fr: number[] = [];
    for (let i = 0; i < rows; i++) {
      const st = this.status[i]!;
      if (st === APPLIED) h.push(i);
      else if (st === FRONTIER) fr.push(i);
    }
    const m = h.length;
    const idx = Int32Array.from(h);
    const empty = new Float64Array(0);
    if (m === 0)
      return { idx, values: empty, vectors: empty, rightIdx: null, g: null, sigma: null, bounds: empty, floors: empty, scale: 0 };
    const H = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      const ia = h[a]!;
      for (let b = a; b < m; b++) {
        const v = this.c[ia * cap + h[b]!]!;
        H[a * m + b] = v;
        H[b * m + a] = v;
      }
    }
    const eig = symmetricEigen(H, m, { vectors: true });
    const values = eig.values;
    const vectors = eig.vectors!;
    for (const v of values) this.scale = Math.max(this.scale, Math.abs(v));
    const floors = roundingFloors('symmetric', roundoff, this.loss, this.scale, null, m);
    const pos = positions(idx, cap);
    const bounds = new Float64Array(m);
    const rs = new Float64Array(fr.length);
    for (let t = 0; t < m; t++) {
      const s = vectors.subarray(t * m, (t + 1) * m);
      for (let f = 0; f < fr.length; f++) {
        const base = fr[f]! * cap;
        let acc = 0;
        for (let a = 0; a < m; a++) acc += this.c[base + h[a]!]! * s[a]!;
        rs[f] = acc;
      }
      bounds[t] = norm2(rs) + droppedBound(this.dropped, MAIN, cap, idx, pos, s) + floors[t]!;
    }
    return { idx, values, vectors, rightIdx: null, g: null, sigma: null, bounds, floors, scale: this.scale };
  }

  /**
   * A Y = Y Θ + Σ_e w_e D_e E_e over the kept rows (the cleared frontier's coupling is one of the
   * events): ‖C y‖ ≤ Σ_e w_e‖E_e y‖, so CᵀC ⪯ J·Σ_e w_e² E_eᵀE_e with J the number of events
   * (Cauchy–Schwarz).
   */
  lockedBlock(keep: number): LockedBlock {
    const cap = this.cap;
    const rows: number[] = [];
    for (let r = 0; r < keep; r++) if (this.status[r] === APPLIED) rows.push(r);
    const m = rows.length;
    const values = Float64Array.from(rows, (r) => this.c[r * cap + r]!);
    const gram = new Float64Array(m * m);
    const pos = positions(Int32Array.from(rows), cap);
    let events = 0;
    const x = new Float64Array(m);
    for (const d of this.dropped) {
      if (d.side !== MAIN) continue;
      let touched = false;
      for (let r = 0; r < (d.e === null ? 1 : d.rows); r++) {
        if (d.e === null) {
          x.fill(0);
          if (pos[d.index]! >= 0) x[pos[d.index]!] = 1;
        } else for (let a = 0; a < m; a++) x[a] = d.e[r * cap + rows[a]!]!;
        for (let a = 0; a < m; a++) {
          if (x[a] === 0) continue;
          touched = true;
          for (let b = 0; b < m; b++) gram[a * m + b] = gram[a * m + b]! + d.weight * d.weight * x[a]! * x[b]!;
        }
      }
      if (touched) events++;
    }
    if (events > 1) for (let i = 0; i < m * m; i++) gram[i] = gram[i]! * events;
    return { values, gram };
  }

  protected blockKinds(r0: number, p: number): { applied: boolean; holes: number; end: 'none' | 'exact' | 'partial' } {
    let applied = 0;
    let holes = 0;
    for (let r = r0; r < r0 + p; r++) {
      if (this.status[r] === APPLIED) applied++;
      else if (this.status[r] === HOLE) holes++;
    }
    return { applied: applied === p, holes, end: 'none' };
  }

  protected laneProjection(first: number, m: number): Float64Array {
    const cap = this.cap;
    const h = new Float64Array(m * m);
    for (let a = 0; a < m; a++)
      for (let b = a; b < m; b++) {
        const v = this.c[(first + a) * cap + first + b]!;
        h[a * m + b] = v;
        h[b * m + a] = v;
      }
    return h;
  }

  restart(plan: RestartPlan): RestartMatrices {
    const { ritz, order, keep, applied, p, lock } = plan;
    const cap = this.cap;
    const m = ritz.idx.length;
    const pos = positions(ritz.idx, cap);
    const dropped = this.dropped.map((d) => mapEvent(d, cap, pos, m, ritz.vectors, order));
    if (lock) {
      // The frontier leaves the basis: its coupling to the kept vectors becomes a dropped residual.
      const e = new Float64Array(p * cap);
      for (let v = 0; v < p; v++) {
        const f = applied + v;
        if (this.status[f] === FRONTIER) e.set(this.c.subarray(f * cap, (f + 1) * cap), v * cap);
      }
      dropped.push(mapEvent({ weight: 1, side: MAIN, rows: p, e, index: -1 }, cap, pos, m, ritz.vectors, order));
    }
    const c = new Float64Array(cap * cap);
    const status = new Uint8Array(cap);
    order.forEach((t, col) => {
      const sv = ritz.vectors.subarray(t * m, (t + 1) * m);
      status[col] = APPLIED;
      c[col * cap + col] = ritz.values[t]!;
      // Coupling to the frontier rows: (R S)[f][col].
      for (let v = 0; v < p; v++) {
        const f = applied + v;
        if (lock || this.status[f] !== FRONTIER) continue;
        let acc = 0;
        for (let a = 0; a < m; a++) acc += this.c[f * cap + ritz.idx[a]!]! * sv[a]!;
        c[(keep + v) * cap + col] = acc;
      }
    });
    for (let v = 0; v < p; v++) status[keep + v] = lock ? HOLE : this.status[applied + v]!;
    const s = this.keptLeft(ritz, order, applied, keep);
    this.c.set(c);
    this.status.set(status);
    this.dropped = dropped.filter((d) => d.e!.some((x) => x !== 0));
    return { s, right: null };
  }
}

/** Golub–Kahan on J for K = J Jᵀ (see the module documentation). */
export class BidiagonalItem extends KrylovItem {
  readonly halves = 2;
  readonly deflatedVerification = false;
  /** Row kinds of V (applied or hole). */
  readonly statusV: Uint8Array;

  constructor(cap: number) {
    super(cap);
    this.statusV = new Uint8Array(cap);
  }

  valueUnit(): number {
    return 4 ** this.exponent;
  }

  absorb(
    rec: { coef: Float64Array; norm: Float64Array; flags: Uint8Array },
    b: number,
    rows0: number,
    steps: number,
    lanes: number,
    p: number,
    flagHole: number,
    flagInjected: number,
  ): void {
    const cap = this.cap;
    const M = this.c;
    for (let s = 0; s < steps; s++) {
      const r = rows0 + s * p;
      // Half 0: Jᵀ u_src → V row tv (row src of M).
      for (let v = 0; v < p; v++) {
        const at = 2 * s * lanes + b * p + v;
        const f = rec.flags[at]!;
        const src = r - p + v;
        const tv = r - p + v;
        const norm = rec.norm[at]!;
        if (!(f & flagInjected)) {
          this.status[src] = APPLIED;
          const base = at * cap;
          const row = src * cap;
          for (let j = 0; j < tv; j++) M[row + j] = rec.coef[base + j]!;
          for (let j = tv; j < cap; j++) M[row + j] = 0;
          if (f & flagHole) {
            if (norm > 0) this.dropped.push({ weight: norm, side: MAIN, rows: 1, e: null, index: src });
          } else M[row + tv] = norm;
        }
        if (f & flagHole) this.breakdowns++;
        this.statusV[tv] = f & flagHole ? HOLE : FRONTIER;
      }
      // Half 1: J v_src → U row tu (column src of M).
      for (let v = 0; v < p; v++) {
        const at = (2 * s + 1) * lanes + b * p + v;
        const f = rec.flags[at]!;
        const src = r - p + v;
        const tu = r + v;
        const norm = rec.norm[at]!;
        if (!(f & flagInjected)) {
          this.statusV[src] = APPLIED;
          const base = at * cap;
          for (let i = 0; i < tu; i++) M[i * cap + src] = rec.coef[base + i]!;
          for (let i = tu; i < cap; i++) M[i * cap + src] = 0;
          if (f & flagHole) {
            if (norm > 0) this.dropped.push({ weight: norm, side: RIGHT, rows: 1, e: null, index: src });
          } else M[tu * cap + src] = norm;
        }
        if (f & flagHole) this.breakdowns++;
        this.status[tu] = f & flagHole ? HOLE : FRONTIER;
      }
    }
  }

  ritz(rows: number, roundoff: number): Ritz {
    const cap = this.cap;
    const M = this.c;
    const h: number[] = [];
    const fr: number[] = [];
    for (let i = 0; i < rows; i++) {
      const st = this.status[i]!;
      if (st === APPLIED) h.push(i);
      else if (st === FRONTIER) fr.push(i);
    }
    const cols: number[] = [];
    for (let j = 0; j < rows; j++) if (this.statusV[j] === APPLIED) cols.push(j);
    const mu = h.length;
    const mv = cols.length;
    const idx = Int32Array.from(h);
    const rightIdx = Int32Array.from(cols);
    const ma = new Float64Array(mu * mv);
    for (let a = 0; a < mu; a++) for (let j = 0; j < mv; j++) ma[a * mv + j] = M[h[a]! * cap + cols[j]!]!;
    const dec = leftSingularDecomposition(ma, mu, mv);
    const values = Float64Array.from(dec.sigma, (x) => x * x);
    for (const v of values) this.scale = Math.max(this.scale, v);
    const floors = roundingFloors('bidiagonal', roundoff, this.loss, this.scale, dec.sigma, mu);
    const sigmaMax = Math.sqrt(this.scale);
    const posU = positions(idx, cap);
    const posV = positions(rightIdx, cap);
    const bounds = new Float64Array(mu);
    const rg = new Float64Array(fr.length);
    for (let t = 0; t < mu; t++) {
      const g = dec.g.subarray(t * mv, (t + 1) * mv);
      const s = dec.left.subarray(t * mu, (t + 1) * mu);
      for (let f = 0; f < fr.length; f++) {
        const base = fr[f]! * cap;
        let acc = 0;
        for (let j = 0; j < mv; j++) acc += M[base + cols[j]!]! * g[j]!;
        rg[f] = acc;
      }
      bounds[t] =
        norm2(rg) +
        droppedBound(this.dropped, RIGHT, cap, rightIdx, posV, g) +
        sigmaMax * droppedBound(this.dropped, MAIN, cap, idx, posU, s) +
        floors[t]!;
    }
    return { idx, values, vectors: dec.left, rightIdx, g: dec.g, sigma: dec.sigma, bounds, floors, scale: this.scale };
  }

  lockedBlock(): null {
    return null;
  }

  protected blockKinds(r0: number, p: number): { applied: boolean; holes: number; end: 'none' | 'exact' | 'partial' } {
    let applied = 0;
    let holes = 0;
    let vHoles = 0;
    for (let r = r0; r < r0 + p; r++) {
      if (this.status[r] === APPLIED) {
        applied++;
        if (this.statusV[r] === HOLE) vHoles++;
      } else if (this.status[r] === HOLE) holes++;
    }
    // Jᵀ of an applied U row left no new V direction: K maps the lane into itself (the U rows that
    // follow such a row are random restarts, not part of the lane's Krylov space).
    return { applied: applied === p, holes, end: vHoles === 0 ? 'none' : vHoles === p ? 'exact' : 'partial' };
  }

  protected laneProjection(first: number, m: number): Float64Array {
    // K on the lane's U rows: (Jᵀu_a)·(Jᵀu_b) = Σ_j M[a][j] M[b][j] over the lane's V rows.
    const cap = this.cap;
    const M = this.c;
    const h = new Float64Array(m * m);
    for (let a = 0; a < m; a++)
      for (let b = a; b < m; b++) {
        let acc = 0;
        for (let j = first; j < first + m; j++)
          if (this.statusV[j] === APPLIED) acc += M[(first + a) * cap + j]! * M[(first + b) * cap + j]!;
        h[a * m + b] = acc;
        h[b * m + a] = acc;
      }
    return h;
  }

  restart(plan: RestartPlan): RestartMatrices {
    const { ritz, order, keep, applied, p, lock } = plan;
    const cap = this.cap;
    const M = this.c;
    const mu = ritz.idx.length;
    const rightIdx = ritz.rightIdx!;
    const mv = rightIdx.length;
    const g = ritz.g!;
    const sigma = ritz.sigma!;
    // Right singular vectors t = g/σ exist for the min(mu, mv) largest σ above the rounding level
    // of the decomposition (the rest are null directions of M_Aᵀ, whose g is noise).
    const firstRight = mu - Math.min(mu, mv);
    // A pair whose λ = σ² lies within its rounding floor is a null direction too: the recorded M
    // carries the backend's rounding (≈ u·‖M‖), so its g/σ is noise, not a right vector of J.
    const zero = nullThreshold(mv) * (mu > 0 ? sigma[mu - 1]! : 0);
    const hasRight = (t: number): boolean => t >= firstRight && sigma[t]! > zero && sigma[t]! ** 2 > ritz.floors[t]!;
    const tv = new Float64Array(mu * mv);
    for (let t = 0; t < mu; t++) if (hasRight(t)) for (let j = 0; j < mv; j++) tv[t * mv + j] = g[t * mv + j]! / sigma[t]!;
    const posU = positions(ritz.idx, cap);
    const posV = positions(rightIdx, cap);
    const dropped = this.dropped.map((d) =>
      d.side === MAIN ? mapEvent(d, cap, posU, mu, ritz.vectors, order) : mapEvent(d, cap, posV, mv, tv, order),
    );
    if (lock) {
      // The frontier of U leaves the basis: its coupling J V ∋ U_F R becomes a dropped residual over V.
      const e = new Float64Array(p * cap);
      for (let v = 0; v < p; v++) {
        const f = applied + v;
        if (this.status[f] === FRONTIER) e.set(M.subarray(f * cap, (f + 1) * cap), v * cap);
      }
      dropped.push(mapEvent({ weight: 1, side: RIGHT, rows: p, e, index: -1 }, cap, posV, mv, tv, order));
    }
    const c = new Float64Array(cap * cap);
    const status = new Uint8Array(cap);
    const statusV = new Uint8Array(cap);
    const right = new Float64Array(applied * keep);
    order.forEach((t, col) => {
      status[col] = APPLIED;
      if (!hasRight(t)) {
        // A null direction of M_Aᵀ: Jᵀ ũ = V g + … with g ≈ 0 leaves the relation.
        const w = norm2(g.subarray(t * mv, (t + 1) * mv));
        if (w > 0) dropped.push({ weight: w, side: MAIN, rows: 1, e: null, index: col });
        return;
      }
      statusV[col] = APPLIED;
      c[col * cap + col] = sigma[t]!;
      for (let j = 0; j < mv; j++) right[rightIdx[j]! * keep + col] = tv[t * mv + j]!;
      // Coupling of the frontier rows to the kept right vector: (R t)[f].
      for (let v = 0; v < p; v++) {
        const f = applied + v;
        if (lock || this.status[f] !== FRONTIER) continue;
        let acc = 0;
        for (let j = 0; j < mv; j++) acc += M[f * cap + rightIdx[j]!]! * tv[t * mv + j]!;
        c[(keep + v) * cap + col] = acc;
      }
    });
    for (let v = 0; v < p; v++) status[keep + v] = lock ? HOLE : this.status[applied + v]!;
    const s = this.keptLeft(ritz, order, applied, keep);
    M.set(c);
    this.status.set(status);
    this.statusV.set(statusV);
    this.dropped = dropped.filter((d) => d.e === null || d.e.some((x) => x !== 0));
    return { s, right };
  }
}
