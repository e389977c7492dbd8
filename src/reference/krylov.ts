/**
 * Block thick-restart Lanczos: the host-side logic shared by the GPU eigensolver
 * (src/algorithms/eigsh.ts) and its float64 twin (`eigshF64`, src/reference/eigsh.ts). The driver
 * decides everything — when to check convergence, restart, lock, verify and stop — and asks a
 * backend (GPU f32 or host float64) for four bulk operations on the Krylov basis: start, expand,
 * restart and Ritz vectors. Both backends therefore run the same algorithm; see docs/accuracy.md
 * ("Eigenvalues") for the guarantees.
 *
 * The basis of every operator ("item") is a sequence of rows q_0, q_1, … in blocks of p. A block
 * step applies A to the newest p rows (the *frontier*), orthogonalizes each result twice (CGS2)
 * against every row, then within the block, and normalizes it into the next row. The coefficients
 * of every projection are read back, so the driver holds the Rayleigh quotient H = QᵀAQ
 * explicitly (not only a tridiagonal): thick restarts, locked Ritz vectors and random restart
 * vectors need no special algebra. Row kinds:
 *
 * - applied (A q_i known: its column of H is known),
 * - frontier (the newest p rows, not yet applied),
 * - hole (a zero row: the candidate had no direction left, an invariant subspace).
 *
 * A hole is followed at the next step by a random vector orthogonalized against the basis (as
 * ARPACK's getv0 does), so an invariant subspace never ends the run early. With
 * C[i][j] = the coefficient of A q_j on q_i (measured when q_j was applied),
 *
 *   A Q_H = Q_H H + Q_F R + D,   H = C[applied][applied] (upper triangle), R = C[frontier][applied],
 *
 * with D the residuals that left the basis (dropped at holes, or with a frontier cleared for
 * verification), tracked as {@link Dropped} events. A Ritz pair (θ, s) of H therefore has
 * ‖A Q s − θ Q s‖ ≤ ‖R s‖ + Σ_e weight_e‖E_e s‖: the error bound, plus the backend's rounding floor.
 *
 * Verification: once every wanted pair has converged, the next restart keeps only converged Ritz
 * vectors (locked) and clears the frontier, so the following steps continue from a random block
 * orthogonal to them. The set is accepted after a few steps if every wanted pair is still
 * converged; a value that enters the wanted range (a copy of a multiple eigenvalue the Krylov space
 * had missed) makes a wanted pair unconverged and the iteration resumes.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { norm2 } from './linalg.ts';
import { symmetricEigen } from './symmetricEigen.ts';

/** Which end of the spectrum to compute. `"both"`: ⌈k/2⌉ largest and ⌊k/2⌋ smallest. */
export type Which = 'largest' | 'smallest' | 'both';

/** Why an item stopped. */
export type StopReason =
  /** Every wanted pair converged (and passed verification when enabled). */
  | 'converged'
  /** The basis spans the whole space (or every direction reachable): the Ritz values are exact up to the floor. */
  | 'exhausted'
  /** The operator-application limit `maxApplies` was reached first. */
  | 'maxApplies'
  /** The requested fixed number of steps was taken. */
  | 'steps'
  /** The measured rounding floor exceeds half the tolerance: it cannot be certified (docs/accuracy.md). */
  | 'floor';

/** Row kinds of the basis. */
const HOLE = 0;
const APPLIED = 1;
const FRONTIER = 2;

/** Flags the backend reports per candidate vector. */
export const CandidateFlag = {
  /** No direction left (‖w‖ ≤ tol·‖w₀‖ after orthogonalization): the new row is zero. */
  hole: 1,
  /** The candidate was a random vector (the frontier row was a hole), not A·q. */
  injected: 2,
  /** A non-finite value appeared (the operator produced Inf/NaN even after scaling). */
  nonFinite: 4,
} as const;

/**
 * The bulk operations a backend performs for the driver. Rows are per item; lane l = b·p + v is
 * block member v of item b. Inactive items must be left untouched (their basis may still be
 * needed for Ritz vectors).
 */
export type KrylovRequest =
  /** Load the start block of every item into rows [0, p) (orthonormalized). */
  | { readonly kind: 'start' }
  /**
   * Run `steps` block steps for the items with active[b] = 1, the first from frontier rows
   * [rows − p, rows). A lane whose frontier row is a hole takes a random candidate instead of A·q;
   * `tick` numbers the steps (for the random vectors).
   */
  | { readonly kind: 'expand'; readonly rows: number; readonly steps: number; readonly active: Uint8Array; readonly tick: number }
  /**
   * Thick restart of the items with S_b: new rows [0, keep) = Σ_j S_b[j][t] q_j over rows
   * j < applied (S_b row-major [applied][keep]); new rows [keep, keep + p) = old rows
   * [applied, applied + p), or holes (zero rows) where clear[b] = 1.
   */
  | {
      readonly kind: 'restart';
      readonly applied: number;
      readonly keep: number;
      readonly s: readonly (Float64Array | null)[];
      readonly clear: Uint8Array;
    }
  /**
   * Ritz vectors: for every item, Σ_j S_b[j][t] q_j over rows j < rows[b] for t < count
   * (S_b [rows[b]][count], zero columns where an item has fewer than `count` values).
   */
  | { readonly kind: 'vectors'; readonly rows: Int32Array; readonly count: number; readonly s: readonly Float64Array[] };

/** What a backend returns for `start` and `expand`. */
export interface CandidateRecords {
  /**
   * Coefficients [steps][lanes][capacity]: for candidate (s, l), its projections on rows
   * [0, target) (both CGS passes summed), target = rows + s·p + v. Unused for `start`.
   */
  readonly coef: Float64Array;
  /** ‖candidate‖ after orthogonalization, [steps][lanes]. */
  readonly norm: Float64Array;
  /** {@link CandidateFlag} bits, [steps][lanes]. */
  readonly flags: Uint8Array;
  /** log2 of the power of two each item's operator is divided by (fixed by the first apply). */
  readonly exponent: Int32Array;
  /**
   * Per candidate, ‖second-pass coefficients‖/‖candidate before orthogonalization‖: how far from
   * orthogonal to the basis the first Gram–Schmidt pass left it — the measured loss of
   * orthogonality (plus rounding) that the rounding floor is made of.
   */
  readonly loss?: Float64Array;
}

/** Response to a request: records for start/expand, nothing for restart/vectors. */
export type KrylovResponse = CandidateRecords | null;

/** Problem settings of {@link krylovEigen}. */
export interface KrylovSettings {
  readonly n: number;
  readonly items: number;
  /** Block size p. */
  readonly block: number;
  /** Eigenpairs wanted per item. */
  readonly k: number;
  readonly which: Which;
  /** Converged when bound ≤ tolerance·max|θ|. */
  readonly tolerance: number;
  /** Rows per item the basis may hold (the memory budget). */
  readonly capacity: number;
  /** Exactly this many block steps, no restart, no verification. */
  readonly fixedSteps?: number;
  /** Verify converged sets with a random block (default true in adaptive mode). */
  readonly verify: boolean;
  /** Stop an item after this many operator applications (vectors). */
  readonly maxApplies: number;
  /** Ritz vectors wanted. */
  readonly vectors: boolean;
  /**
   * The backend's rounding floor for an item (in the scaled units of H), from its scale (max|θ|)
   * and the largest measured loss of orthogonality.
   */
  readonly floor: (f: { readonly scale: number; readonly loss: number }) => number;
}

/** One item's result (eigenvalues in the operator's units). */
export interface KrylovItemResult {
  /** Wanted Ritz values, in output order (see {@link ritzOrder}). */
  readonly eigenvalues: Float64Array;
  readonly errorBounds: Float64Array;
  readonly converged: boolean[];
  /** Block steps taken. */
  readonly steps: number;
  /** Operator applications (vectors). */
  readonly applies: number;
  /** Holes met (invariant subspaces found and continued from). */
  readonly breakdowns: number;
  readonly restarts: number;
  /** Verification rounds run. */
  readonly verifications: number;
  /** Largest measured loss of orthogonality. */
  readonly loss: number;
  readonly stopReason: StopReason;
}

/** The outcome of {@link krylovEigen}. */
export interface KrylovOutcome {
  readonly results: KrylovItemResult[];
}

/** The Ritz decomposition of one item at a check. */
interface Ritz {
  /** Row indices of H (applied rows). */
  readonly hIdx: Int32Array;
  /** Ritz values ascending (scaled units). */
  readonly values: Float64Array;
  /** Eigenvectors of H, row t = vector of values[t], length hIdx.length. */
  readonly vectors: Float64Array;
  /** Bound per Ritz value (scaled units), residual + drops + floor. */
  readonly bounds: Float64Array;
  readonly scale: number;
  /** The rounding floor included in every bound. */
  readonly floor: number;
}

/**
 * A residual that left the basis: `weight · Σ_r E[r]·u_r` with u_r orthonormal vectors outside
 * the relation, E [rows][cap] coefficients over the basis columns. It adds weight·‖E s‖ to the
 * bound of a Ritz vector Q s. Holes are one-row events (weight = the dropped norm, E = e_j); the
 * rows excluded at a restart form one event of weight 1. Restarts map E to E·S, so bounds do not
 * compound.
 */
interface Dropped {
  readonly weight: number;
  readonly rows: number;
  readonly e: Float64Array;
}

/** Σ_e weight_e·‖E_e s‖ for s given over the columns `cols`. */
function droppedBound(dropped: readonly Dropped[], cap: number, cols: Int32Array, s: ArrayLike<number>): number {
  let total = 0;
  for (const d of dropped) {
    let sq = 0;
    for (let r = 0; r < d.rows; r++) {
      const base = r * cap;
      let acc = 0;
      for (let a = 0; a < cols.length; a++) acc += d.e[base + cols[a]!]! * s[a]!;
      sq += acc * acc;
    }
    total += d.weight * Math.sqrt(sq);
  }
  return total;
}

/** Per-item state of the driver. */
class Item {
  readonly status: Uint8Array;
  /** C[i·cap + j]: coefficient of A q_j on q_i. */
  readonly c: Float64Array;
  /** Residuals that left the basis (see {@link Dropped}). */
  dropped: Dropped[] = [];
  phase: 'running' | 'verifying' | 'done' = 'running';
  stopReason: StopReason = 'converged';
  exponent = 0;
  steps = 0;
  applies = 0;
  breakdowns = 0;
  restarts = 0;
  verifications = 0;
  /** Block steps taken at the last verification restart. */
  verifyStart = 0;
  ritz: Ritz | null = null;
  /** Rows of the basis when the item stopped (for its Ritz vectors). */
  finalRows = 0;
  /** Converged: the next restart locks the converged pairs and continues from a random block. */
  verifyRequested = false;
  /** The largest |θ| seen so far: the estimate of ‖A‖ (restarts may keep only small Ritz values). */
  scale = 0;
  /** The largest measured loss of orthogonality (see CandidateRecords.loss). */
  loss = 0;
  readonly cap: number;
  constructor(cap: number) {
    this.cap = cap;
    this.status = new Uint8Array(cap);
    this.c = new Float64Array(cap * cap);
  }

  /** Rows that are part of the space (applied or frontier). */
  validRows(rows: number): number {
    let count = 0;
    for (let i = 0; i < rows; i++) if (this.status[i] !== HOLE) count++;
    return count;
  }
}

/** Number of wanted values at the top and bottom for `which`. */
export function wantedSplit(k: number, which: Which): { top: number; bottom: number } {
  if (which === 'largest') return { top: k, bottom: 0 };
  if (which === 'smallest') return { top: 0, bottom: k };
  return { top: Math.ceil(k / 2), bottom: Math.floor(k / 2) };
}

/**
 * Positions (into m ascending Ritz values) of the wanted values in output order: descending for
 * `largest`, ascending for `smallest`; for `both`, the top block descending then the bottom block
 * ascending. Fewer than k when m < k.
 */
export function ritzOrder(m: number, k: number, which: Which): number[] {
  const { top, bottom } = wantedSplit(Math.min(k, m), which);
  const out: number[] = [];
  for (let i = 0; i < top; i++) out.push(m - 1 - i);
  for (let i = 0; i < bottom; i++) out.push(i);
  return out;
}

/** The positions of the `keep` Ritz values nearest the wanted end(s), wanted ones first. */
function keepOrder(m: number, keep: number, k: number, which: Which): number[] {
  const { top, bottom } = wantedSplit(k, which);
  const kt = top + bottom === 0 ? 0 : Math.round((keep * top) / (top + bottom));
  const t = Math.min(m, kt);
  const b = Math.min(m - t, keep - t);
  const out: number[] = [];
  for (let i = 0; i < t; i++) out.push(m - 1 - i);
  for (let i = 0; i < b; i++) out.push(i);
  return out;
}

/** Validates settings (programmer errors of the callers). */
function checkSettings(s: KrylovSettings): void {
  const { n, block: p, k, capacity } = s;
  if (!Number.isInteger(p) || p < 1 || p > n) throw new InvalidArgumentError('blockSize', `must be an integer in [1, n = ${n}], got ${p}`);
  if (!Number.isInteger(capacity) || capacity < k + 2 * p)
    throw new InvalidArgumentError('maxVectors', `must be an integer ≥ k + 2·blockSize = ${k + 2 * p}, got ${capacity}`);
}

/** Rayleigh–Ritz on one item: H and R from the coefficients, eigenpairs, bounds. */
function ritzOf(item: Item, rows: number, floor: KrylovSettings['floor']): Ritz {
  const cap = item.cap;
  const h: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < rows; i++) {
    const st = item.status[i]!;
    if (st === APPLIED) h.push(i);
    else if (st === FRONTIER) r.push(i);
  }
  const m = h.length;
  const hIdx = Int32Array.from(h);
  if (m === 0) return { hIdx, values: new Float64Array(0), vectors: new Float64Array(0), bounds: new Float64Array(0), scale: 0, floor: 0 };
  const H = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    const ia = h[a]!;
    for (let b = a; b < m; b++) {
      const v = item.c[ia * cap + h[b]!]!;
      H[a * m + b] = v;
      H[b * m + a] = v;
    }
  }
  const eig = symmetricEigen(H, m, { vectors: true });
  const values = eig.values;
  const vectors = eig.vectors!;
  let scale = item.scale;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  item.scale = scale;
  const fl = floor({ scale, loss: item.loss });
  const bounds = new Float64Array(m);
  const rs = new Float64Array(r.length);
  for (let t = 0; t < m; t++) {
    const s = vectors.subarray(t * m, (t + 1) * m);
    for (let f = 0; f < r.length; f++) {
      const base = r[f]! * cap;
      let acc = 0;
      for (let a = 0; a < m; a++) acc += item.c[base + h[a]!]! * s[a]!;
      rs[f] = acc;
    }
    bounds[t] = norm2(rs) + droppedBound(item.dropped, cap, hIdx, s) + fl;
  }
  return { hIdx, values, vectors, bounds, scale, floor: fl };
}

/** Whether every wanted pair of `ritz` has bound ≤ tolerance·scale (and there are k of them). */
function allConverged(ritz: Ritz, k: number, which: Which, tolerance: number): boolean {
  const m = ritz.values.length;
  if (m < k) return false;
  return ritzOrder(m, k, which).every((t) => ritz.bounds[t]! <= tolerance * ritz.scale);
}

/**
 * The block thick-restart Lanczos driver, as a generator: it yields {@link KrylovRequest}s and
 * receives the backend's {@link KrylovResponse}s (see {@link runKrylovSync} and the GPU runner
 * in src/algorithms/eigsh.ts). Returns the wanted Ritz values, bounds and convergence per item,
 * and, through a final `vectors` request, their Ritz vectors.
 */
export function* krylovEigen(settings: KrylovSettings): Generator<KrylovRequest, KrylovOutcome, KrylovResponse> {
  checkSettings(settings);
  const { n, items: itemCount, block: p, k, which, tolerance, capacity: cap, fixedSteps, floor } = settings;
  const lanes = itemCount * p;
  const items = Array.from({ length: itemCount }, () => new Item(cap));
  const fixed = fixedSteps !== undefined;

  // Start block: rows [0, p).
  const start = (yield { kind: 'start' })!;
  for (const [b, item] of items.entries()) {
    for (let v = 0; v < p; v++) {
      const f = start.flags[b * p + v]!;
      if (f & CandidateFlag.nonFinite) throw nonFiniteError();
      item.status[v] = f & CandidateFlag.hole ? HOLE : FRONTIER;
    }
  }
  let rows = p;
  let tick = 0;
  // Verification: 16 vectors after a locking restart (float64 catalogue: 8 missed a copy in a 28²
  // Laplacian, 16 and 32 found every copy; docs/accuracy.md).
  const verifySteps = Math.max(2, Math.ceil(16 / p));
  // Pairs are locked for verification with a 2× margin: a locked pair's bound is frozen (its
  // residual direction leaves the basis), so a margin keeps it converged through the check.
  const lockable = (ritz: Ritz, t: number): boolean => ritz.bounds[t]! <= 0.5 * tolerance * ritz.scale;

  const activeMask = (): Uint8Array => Uint8Array.from(items, (it) => (it.phase === 'done' ? 0 : 1));

  while (items.some((it) => it.phase !== 'done')) {
    // How many block steps before the next check.
    let steps: number;
    if (fixed) steps = fixedSteps - items[0]!.steps;
    else {
      // The first check once k Ritz values can exist, then every max(4, rows/8) vectors (the
      // host's Rayleigh–Ritz costs O(rows³) per check: this keeps its total within a few times the last one).
      steps = items.every((it) => it.ritz === null) ? Math.ceil((k + p) / p) : Math.ceil(Math.max(4, rows / 8) / p);
      // Never past the space: an item needs at most (n − valid rows) more directions.
      let room = Infinity;
      for (const it of items) if (it.phase !== 'done') room = Math.min(room, Math.ceil((n - it.validRows(rows)) / p));
      steps = Math.max(1, Math.min(steps, room));
      for (const it of items)
        if (it.phase !== 'done') steps = Math.min(steps, Math.max(1, Math.ceil((settings.maxApplies - it.applies) / p)));
    }
    if (items.some((it) => it.verifyRequested)) {
      rows = yield* restart();
      continue;
    }
    if (rows + steps * p > cap) {
      steps = Math.floor((cap - rows) / p);
      if (steps < 1) {
        if (fixed) throw new InvalidArgumentError('steps', `${fixedSteps} block steps need ${p * (fixedSteps + 1)} rows, capacity ${cap}`);
        rows = yield* restart();
        continue;
      }
    }
    const active = activeMask();
    const rec = (yield { kind: 'expand', rows, steps, active, tick })!;
    for (const [b, item] of items.entries()) {
      if (!active[b]) continue;
      item.exponent = rec.exponent[b]!;
      absorb(item, b, rec, rows, steps);
      if (rec.loss)
        for (let s2 = 0; s2 < steps; s2++) for (let v = 0; v < p; v++) item.loss = Math.max(item.loss, rec.loss[s2 * lanes + b * p + v]!);
      item.steps += steps;
      item.applies += steps * p;
    }
    rows += steps * p;
    tick += steps;
    if (fixed) {
      for (const item of items) {
        item.ritz = ritzOf(item, rows, floor);
        item.finalRows = rows;
        item.phase = 'done';
        item.stopReason = exhausted(item) ? 'exhausted' : 'steps';
      }
      break;
    }
    for (const item of items) {
      if (item.phase === 'done' || !active[items.indexOf(item)]) continue;
      check(item);
    }
  }

  const results = items.map((item) => resultOf(item));
  if (settings.vectors) {
    const rowsOf = Int32Array.from(items, (it) => it.finalRows);
    const s = items.map((item, b) => {
      const ritz = item.ritz!;
      const order = ritzOrder(ritz.values.length, k, which);
      const out = new Float64Array(rowsOf[b]! * k);
      const m = ritz.hIdx.length;
      order.forEach((t, c) => {
        for (let a = 0; a < m; a++) out[ritz.hIdx[a]! * k + c] = ritz.vectors[t * m + a]!;
      });
      return out;
    });
    yield { kind: 'vectors', rows: rowsOf, count: k, s };
  }
  return { results };

  /** Reads one expand's candidate records into the item's coefficients and row kinds. */
  function absorb(item: Item, b: number, rec: CandidateRecords, rows0: number, steps: number): void {
    for (let s = 0; s < steps; s++) {
      const r = rows0 + s * p;
      for (let v = 0; v < p; v++) {
        const l = b * p + v;
        const at = s * lanes + l;
        const f = rec.flags[at]!;
        if (f & CandidateFlag.nonFinite) throw nonFiniteError();
        const src = r - p + v;
        const target = r + v;
        const norm = rec.norm[at]!;
        if (!(f & CandidateFlag.injected)) {
          // Column src of C: projections on rows [0, target), the norm on row target.
          item.status[src] = APPLIED;
          const base = at * cap;
          for (let i = 0; i < target; i++) item.c[i * cap + src] = rec.coef[base + i]!;
          for (let i = target; i < cap; i++) item.c[i * cap + src] = 0;
          if (f & CandidateFlag.hole) {
            if (norm > 0) {
              const e = new Float64Array(cap);
              e[src] = 1;
              item.dropped.push({ weight: norm, rows: 1, e });
            }
          } else item.c[target * cap + src] = norm;
        }
        if (f & CandidateFlag.hole) item.breakdowns++;
        item.status[target] = f & CandidateFlag.hole ? HOLE : FRONTIER;
      }
    }
  }

  function exhausted(item: Item): boolean {
    return item.validRows(rows) >= n;
  }

  /** Convergence, verification and stopping of one item after a chunk. */
  function check(item: Item): void {
    const ritz = ritzOf(item, rows, floor);
    item.ritz = ritz;
    item.finalRows = rows;
    if (exhausted(item)) {
      // Complete only once the frontier has been applied (its column belongs to H).
      let frontier = 0;
      for (let i = 0; i < rows; i++) if (item.status[i] === FRONTIER) frontier++;
      if (frontier === 0) {
        item.phase = 'done';
        item.stopReason = 'exhausted';
        return;
      }
    }
    if (item.applies >= settings.maxApplies) {
      item.phase = 'done';
      item.stopReason = 'maxApplies';
      return;
    }
    const ok = allConverged(ritz, k, which, tolerance);
    if (!ok && ritz.floor > 0.5 * tolerance * ritz.scale) {
      item.phase = 'done';
      item.stopReason = 'floor';
      return;
    }
    if (item.phase === 'running') {
      if (!ok) return;
      if (!settings.verify) item.phase = 'done';
      else if (allConverged(ritz, k, which, 0.5 * tolerance)) item.verifyRequested = true;
      return;
    }
    // Verifying: a value entering the wanted range makes a wanted pair unconverged.
    if (!ok) {
      item.phase = 'running';
      return;
    }
    if (item.steps - item.verifyStart >= verifySteps) item.phase = 'done';
  }

  /**
   * Thick restart of every active item (the row layout is shared, so all restart together);
   * returns the new row count. Running items keep the `keep` Ritz vectors nearest the wanted end
   * and their frontier; items that asked for verification keep only their converged Ritz vectors
   * (locked) and lose their frontier, so the next steps start from random vectors.
   */
  function* restart(): Generator<KrylovRequest, number, KrylovResponse> {
    const applied = rows - p;
    const target = Math.min(cap - 2 * p, k + Math.max(0, Math.floor((cap - 2 * p - k) / 2)));
    const plans = items.map((item) => {
      if (item.phase === 'done') return null;
      const ritz = ritzOf(item, rows, floor);
      const m = ritz.hIdx.length;
      const lock = item.verifyRequested;
      const order = lock
        ? keepOrder(m, m, k, which)
            .filter((t) => lockable(ritz, t))
            .slice(0, target)
        : keepOrder(m, target, k, which);
      return { ritz, m, lock, order };
    });
    // Kept rows: uniform over items (the layout is shared); items keeping fewer pad with holes.
    const keep = Math.max(1, ...plans.map((x) => x?.order.length ?? 0));
    const sList: (Float64Array | null)[] = [];
    const clear = new Uint8Array(itemCount);
    for (const [b, item] of items.entries()) {
      const plan = plans[b];
      if (!plan) {
        sList.push(null);
        continue;
      }
      const { ritz, m, lock, order } = plan;
      const s = new Float64Array(applied * keep);
      const c = new Float64Array(cap * cap);
      const status = new Uint8Array(cap);
      // Dropped residuals follow the kept Ritz vectors: E' = E·S.
      const map = (e: Float64Array, rowsE: number): Float64Array => {
        const out = new Float64Array(rowsE * cap);
        for (let r = 0; r < rowsE; r++) {
          order.forEach((t, col) => {
            let acc = 0;
            for (let a = 0; a < m; a++) acc += e[r * cap + ritz.hIdx[a]!]! * ritz.vectors[t * m + a]!;
            out[r * cap + col] = acc;
          });
        }
        return out;
      };
      const dropped = item.dropped.map((d) => ({ weight: d.weight, rows: d.rows, e: map(d.e, d.rows) }));
      if (lock) {
        // The frontier leaves the basis: its coupling to the locked vectors becomes a dropped residual.
        const e = new Float64Array(p * cap);
        for (let v = 0; v < p; v++) {
          const f = applied + v;
          if (item.status[f] === FRONTIER) e.set(item.c.subarray(f * cap, (f + 1) * cap), v * cap);
        }
        dropped.push({ weight: 1, rows: p, e: map(e, p) });
      }
      order.forEach((t, col) => {
        const sv = ritz.vectors.subarray(t * m, (t + 1) * m);
        for (let a = 0; a < m; a++) s[ritz.hIdx[a]! * keep + col] = sv[a]!;
        status[col] = APPLIED;
        c[col * cap + col] = ritz.values[t]!;
        // Coupling to the frontier rows: (R S)[f][col].
        for (let v = 0; v < p; v++) {
          const f = applied + v;
          if (lock || item.status[f] !== FRONTIER) continue;
          let acc = 0;
          for (let a = 0; a < m; a++) acc += item.c[f * cap + ritz.hIdx[a]!]! * sv[a]!;
          c[(keep + v) * cap + col] = acc;
        }
      });
      for (let v = 0; v < p; v++) status[keep + v] = lock ? HOLE : item.status[applied + v]!;
      item.c.set(c);
      item.dropped = dropped.filter((d) => d.e.some((v) => v !== 0));
      item.status.set(status);
      item.restarts++;
      if (lock) {
        clear[b] = 1;
        item.verifyRequested = false;
        item.phase = 'verifying';
        item.verifications++;
        item.verifyStart = item.steps;
      }
      sList.push(s);
    }
    yield { kind: 'restart', applied, keep, s: sList, clear };
    return keep + p;
  }

  function resultOf(item: Item): KrylovItemResult {
    const ritz = item.ritz ?? ritzOf(item, rows, floor);
    const m = ritz.values.length;
    const order = ritzOrder(m, k, which);
    const unit = 2 ** item.exponent;
    const eigenvalues = Float64Array.from(order, (t) => ritz.values[t]! * unit);
    const errorBounds = Float64Array.from(order, (t) => ritz.bounds[t]! * unit);
    const converged = order.map((t) => ritz.bounds[t]! <= tolerance * ritz.scale);
    return {
      eigenvalues,
      errorBounds,
      converged,
      steps: item.steps,
      applies: item.applies,
      breakdowns: item.breakdowns,
      restarts: item.restarts,
      verifications: item.verifications,
      loss: item.loss,
      stopReason: item.stopReason,
    };
  }
}

function nonFiniteError(): InvalidArgumentError {
  return new InvalidArgumentError(
    'operator',
    'produced a non-finite value (Inf or NaN) even after scaling by a power of two: its entries or its output exceed the floating-point range, or it is not finite',
  );
}

/** A synchronous backend (the float64 reference). */
export interface SyncKrylovBackend {
  handle(request: KrylovRequest): KrylovResponse;
}

/** Runs the driver against a synchronous backend. */
export function runKrylovSync(settings: KrylovSettings, backend: SyncKrylovBackend): KrylovOutcome {
  const gen = krylovEigen(settings);
  let next = gen.next(null as unknown as KrylovResponse);
  while (!next.done) next = gen.next(backend.handle(next.value));
  return next.value;
}

/**
 * The random restart vector entry i for block member `v` at step `tick`: uniform in (−1, 1),
 * an odd multiple of 2⁻²³ (exact in f32), from a 32-bit integer hash. Identical to
 * `krylovRandom` in shaders/lanczos/krylovStep.wgsl.
 */
export function krylovRandom(seed: number, v: number, tick: number, i: number): number {
  const key = mix((seed >>> 0) ^ mix((tick >>> 0) ^ mix((v + 0x9e3779b9) >>> 0)));
  const h = mix((key + Math.imul(i, 0x85ebca6b)) >>> 0);
  return ((h >>> 9) + 0.5) * 2 ** -22 - 1;
}

/** lowbias32 (Chris Wellons): a 32-bit integer hash with low bias. */
function mix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
