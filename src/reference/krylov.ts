/**
 * Block thick-restart Krylov eigensolver: the host-side driver shared by the GPU eigensolvers
 * (`eigsh`, src/algorithms/eigsh.ts; `eigshJacobian`, src/algorithms/golubKahan.ts) and their
 * float64 twins (`eigshF64`, `eigshJacobianF64`). The driver decides everything — when to check
 * convergence, restart, lock, verify and stop — and asks a backend (GPU f32 or host float64) for
 * four bulk operations on the Krylov bases: start, expand, restart and Ritz vectors. Every backend
 * therefore runs the same algorithm; see docs/accuracy.md ("Eigenvalues") for the guarantees.
 *
 * Two decompositions share the driver (src/reference/krylovItems.ts holds their algebra):
 * - `symmetric`: block Lanczos on a symmetric A, one basis Q;
 * - `bidiagonal`: block Golub–Kahan on a rectangular J, for the eigenvalues of K = J Jᵀ, with a
 *   left basis U (length n, the "main" basis) and a right basis V. A step applies Jᵀ to the
 *   frontier of U (new V rows), then J to those (the new frontier of U).
 *
 * The main basis of every operator ("item") is a sequence of rows q_0, q_1, … in blocks of p. A
 * block step applies the operator to the newest p rows (the *frontier*), orthogonalizes each result
 * twice (CGS2) against every row, then within the block, and normalizes it into the next row. The
 * coefficients of every projection are read back, so the driver holds the projected operator
 * explicitly (H = QᵀAQ, or M = UᵀJV): thick restarts, locked Ritz vectors and random restart
 * vectors need no special algebra. Row kinds: applied (its column of H, or row of M, is known),
 * frontier (the newest p rows, not yet applied), hole (a zero row: no direction was left, an
 * invariant subspace). A hole is followed at the next step by a random vector orthogonalized
 * against the basis (as ARPACK's getv0 does), so an invariant subspace never ends the run early.
 *
 * Verification: once every wanted pair has converged, the next restart keeps the converged Ritz
 * vectors and the unconverged ones nearest the wanted end (symmetric; bidiagonal: the converged
 * ones only) and clears the frontier, so the following steps run a lane from a random block
 * orthogonal to everything kept. The set is accepted as soon as the lane's certificate holds
 * (src/reference/krylovVerification.ts), or after 16 vectors; a value that enters the wanted range
 * (a copy of a multiple eigenvalue the Krylov space had missed) makes a wanted pair unconverged
 * and the iteration resumes, without the unconverged kept vectors (their coupling left the basis
 * with the frontier): later rounds keep the converged vectors only.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { APPLIED, BidiagonalItem, FRONTIER, HOLE, SymmetricItem, type KrylovItem, type Ritz } from './krylovItems.ts';
import { certifies, certifiesDeflated, trustedLane, type LockedBlock } from './krylovVerification.ts';

/** Which end of the spectrum to compute. `"both"`: ⌈k/2⌉ largest and ⌊k/2⌋ smallest. */
export type Which = 'largest' | 'smallest' | 'both';

/** The decomposition the driver runs (see the module documentation). */
export type KrylovKind = 'symmetric' | 'bidiagonal';

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

/** Flags the backend reports per candidate vector. */
export const CandidateFlag = {
  /** No direction left (‖w‖ ≤ tol·‖w₀‖ after orthogonalization): the new row is zero. */
  hole: 1,
  /** The candidate was a random vector (the source row was a hole), not an operator apply. */
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
  /** Load the start block of every item into rows [0, p) of the main basis (orthonormalized). */
  | { readonly kind: 'start' }
  /**
   * Run `steps` block steps for the items with active[b] = 1, the first from frontier rows
   * [rows − p, rows) of the main basis. A lane whose source row is a hole takes a random
   * candidate instead of an apply; `tick` numbers the steps (for the random vectors).
   * Bidiagonal: step s applies Jᵀ to U rows [r − p, r) into V rows [r − p, r), then J to those
   * into U rows [r, r + p), r = rows + s·p; a hole in U gives a zero V candidate (a hole, flagged
   * injected), so the random candidate is drawn in U, uniform in the n-space.
   */
  | {
      readonly kind: 'expand';
      readonly rows: number;
      readonly steps: number;
      readonly active: Uint8Array;
      readonly tick: number;
      /** Bidiagonal: a verification round runs, V candidates are orthogonalized against every V row (`rightWindowStart`). */
      readonly fullRight: boolean;
    }
  /**
   * Thick restart of the items with S_b: new main rows [0, keep) = Σ_j S_b[j][t] q_j over rows
   * j < applied (S_b row-major [applied][keep]); new main rows [keep, keep + p) = old rows
   * [applied, applied + p), or holes (zero rows) where clear[b] = 1. Bidiagonal: new V rows
   * [0, keep) = Σ_j right_b[j][t] v_j over V rows j < applied.
   */
  | {
      readonly kind: 'restart';
      readonly applied: number;
      readonly keep: number;
      readonly s: readonly (Float64Array | null)[];
      readonly right: readonly (Float64Array | null)[] | null;
      readonly clear: Uint8Array;
      /**
       * Per item, the kept block of a verification restart with the bound on its coupling
       * (src/reference/krylovVerification.ts, `LockedBlock`), else null. Backends ignore it: it
       * states what the certificate assumes about the rows the restart forms (tests check it).
       */
      readonly locked: readonly (LockedBlock | null)[];
    }
  /**
   * Ritz vectors: for every item, Σ_j S_b[j][t] q_j over main rows j < rows[b] for t < count
   * (S_b [rows[b]][count], zero columns where an item has fewer than `count` values).
   */
  | { readonly kind: 'vectors'; readonly rows: Int32Array; readonly count: number; readonly s: readonly Float64Array[] };

/** What a backend returns for `start` and `expand`. */
export interface CandidateRecords {
  /**
   * Coefficients [steps][halves][lanes][capacity] (halves: 1 symmetric, 2 bidiagonal: Jᵀ then J):
   * for candidate (s, h, l), its projections on rows [0, target) of the basis it joins (both CGS
   * passes summed), target = its row (see `expand`). Unused for `start`.
   */
  readonly coef: Float64Array;
  /** ‖candidate‖ after orthogonalization, [steps][halves][lanes]. */
  readonly norm: Float64Array;
  /** {@link CandidateFlag} bits, [steps][halves][lanes]. */
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
  /** Default `"symmetric"`. */
  readonly kind?: KrylovKind;
  /** Dimension of the main basis (A is n×n; J is n×cols). */
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
  /** The backend's unit roundoff (2⁻²⁴ in f32, 2⁻⁵³ in float64): the rounding floors are made of it. */
  readonly roundoff: number;
  /**
   * The backends' relative hole tolerance (a candidate below it after orthogonalization is a
   * hole): an invariant verification lane is exact only down to it (see `trustedLane`).
   */
  readonly holeTolerance: number;
}

/** One item's result (eigenvalues in the operator's units). */
export interface KrylovItemResult {
  /** Wanted Ritz values, in output order (see {@link ritzOrder}). */
  readonly eigenvalues: Float64Array;
  readonly errorBounds: Float64Array;
  readonly converged: boolean[];
  /** Block steps taken. */
  readonly steps: number;
  /** Operator applications (vectors; bidiagonal: applications of K = J Jᵀ, one J and one Jᵀ each). */
  readonly applies: number;
  /** Holes met (invariant subspaces found and continued from). */
  readonly breakdowns: number;
  readonly restarts: number;
  /** Verification rounds run. */
  readonly verifications: number;
  /**
   * The last verification round ended on its certificate (probability ≥ 1 − VERIFY_DELTA that no
   * wanted eigenvalue was missed), not on its step count (docs/accuracy.md, "What converged guarantees").
   */
  readonly certified: boolean;
  /** Largest measured loss of orthogonality. */
  readonly loss: number;
  readonly stopReason: StopReason;
}

/** The outcome of {@link krylovEigen}. */
export interface KrylovOutcome {
  readonly results: KrylovItemResult[];
}

/** The driver's per-item progress around the algebra of src/reference/krylovItems.ts. */
class Progress {
  readonly alg: KrylovItem;
  phase: 'running' | 'verifying' | 'done' = 'running';
  stopReason: StopReason = 'converged';
  steps = 0;
  applies = 0;
  restarts = 0;
  verifications = 0;
  /** Convergence checks made. */
  checks = 0;
  /** Block steps taken at the last verification restart. */
  verifyStart = 0;
  /** The first row of the verification lane (the random block) and the dimension it lives in. */
  verifyFirst = 0;
  verifyDimension = 0;
  /** The kept block of the verification restart and its coupling bound (null: bidiagonal). */
  verifyBlock: LockedBlock | null = null;
  /** No restart since the verification restart: the lane's rows are its Krylov basis. */
  laneIntact = false;
  /** The last verification round ended on its certificate. */
  certified = false;
  ritz: Ritz | null = null;
  /** Rows of the basis when `ritz` was computed (and for the Ritz vectors once stopped). */
  finalRows = 0;
  /** Converged: the next restart locks the converged pairs and continues from a random block. */
  verifyRequested = false;
  /**
   * A deflated verification failed: the next restart keeps only the converged (lockable) vectors,
   * dropping the unconverged ones whose coupling left the basis with the cleared frontier.
   */
  purgeRequested = false;
  /** The verification round kept unconverged vectors (a failure then purges them). */
  keptUnconverged = false;
  /** A deflated verification failed once: later rounds keep only the converged vectors. */
  deflationFailed = false;
  constructor(alg: KrylovItem) {
    this.alg = alg;
  }
}

/**
 * The verification's failure probability: a converged set is accepted on the certificate only if,
 * with probability ≥ 1 − VERIFY_DELTA over the random block, no eigenvalue was missed beyond the
 * tolerance (docs/accuracy.md, "What converged guarantees").
 */
export const VERIFY_DELTA = 1e-3;

/**
 * Once every wanted bound is within this factor of the tolerance, convergence is checked after
 * every block step instead of every max(4, rows/8) vectors (float64 catalogue, bench sizes: 1–6
 * applications fewer on 8 of 24 cases and 699 on the 7-decade smallest end, 2–4 more on 2 where a
 * restart moved; docs/benchmarks.md, `eigsh-work`).
 */
const NEAR_CONVERGENCE = 100;

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
  // Fixed steps need p·(steps + 1) rows (no restart); adaptive runs keep k vectors and a block to restart.
  const least = s.fixedSteps === undefined ? k + 2 * p : p * (s.fixedSteps + 1);
  if (!Number.isInteger(capacity) || capacity < least)
    throw new InvalidArgumentError(
      'maxVectors',
      `must be an integer ≥ ${s.fixedSteps === undefined ? 'k + 2·blockSize' : 'blockSize·(steps + 1)'} = ${least}, got ${capacity}`,
    );
}

/** Whether every wanted pair of `ritz` has bound ≤ tolerance·scale (and there are k of them). */
function allConverged(ritz: Ritz, k: number, which: Which, tolerance: number): boolean {
  const m = ritz.values.length;
  if (m < k) return false;
  return ritzOrder(m, k, which).every((t) => ritz.bounds[t]! <= tolerance * ritz.scale);
}

/** The largest rounding floor among the wanted values. */
function wantedFloor(ritz: Ritz, k: number, which: Which): number {
  let f = 0;
  for (const t of ritzOrder(ritz.values.length, k, which)) f = Math.max(f, ritz.floors[t]!);
  return f;
}

/**
 * The block thick-restart Krylov driver, as a generator: it yields {@link KrylovRequest}s and
 * receives the backend's {@link KrylovResponse}s (see {@link runKrylovSync} and the GPU runners).
 * Returns the wanted Ritz values, bounds and convergence per item, and, through a final `vectors`
 * request, their Ritz vectors.
 */
export function* krylovEigen(settings: KrylovSettings): Generator<KrylovRequest, KrylovOutcome, KrylovResponse> {
  checkSettings(settings);
  const { n, items: itemCount, block: p, k, which, tolerance, capacity: cap, fixedSteps, roundoff } = settings;
  const bidiagonal = settings.kind === 'bidiagonal';
  const halves = bidiagonal ? 2 : 1;
  const lanes = itemCount * p;
  const items = Array.from({ length: itemCount }, () => new Progress(bidiagonal ? new BidiagonalItem(cap) : new SymmetricItem(cap)));
  const fixed = fixedSteps !== undefined;

  // Start block: rows [0, p).
  const start = (yield { kind: 'start' })!;
  for (const [b, item] of items.entries()) {
    for (let v = 0; v < p; v++) {
      const f = start.flags[b * p + v]!;
      if (f & CandidateFlag.nonFinite) throw nonFiniteError();
      item.alg.status[v] = f & CandidateFlag.hole ? HOLE : FRONTIER;
    }
  }
  let rows = p;
  let tick = 0;
  // Verification: the random block runs until its certificate holds (with probability
  // ≥ 1 − VERIFY_DELTA no wanted eigenvalue lies beyond its returned value by more than the
  // tolerance; src/reference/krylovVerification.ts), at most 16 vectors (the fixed length the
  // certificate replaces: float64 catalogue, 8 missed a copy in a 28² Laplacian, 16 and 32 found
  // every copy; docs/accuracy.md).
  const verifySteps = Math.max(2, Math.ceil(16 / p));
  // Pairs are locked for verification with a 2× margin: a locked pair's bound is frozen (its
  // residual direction leaves the basis), so a margin keeps it converged through the check.
  const lockable = (ritz: Ritz, t: number): boolean => ritz.bounds[t]! <= 0.5 * tolerance * ritz.scale;
  // Rows a deflated verification may keep: the rest hold the lane (its hole block and random block).
  const verifyKeep = cap - p * (verifySteps + 1);

  const nearConverged = (ritz: Ritz): boolean => {
    const m = ritz.values.length;
    if (m < k) return false;
    return ritzOrder(m, k, which).every((t) => ritz.bounds[t]! <= NEAR_CONVERGENCE * tolerance * ritz.scale);
  };
  const activeMask = (): Uint8Array => Uint8Array.from(items, (it) => (it.phase === 'done' ? 0 : 1));
  const ritzAt = (item: Progress): Ritz => {
    if (item.ritz === null || item.finalRows !== rows) {
      item.ritz = item.alg.ritz(rows, roundoff);
      item.finalRows = rows;
    }
    return item.ritz;
  };

  while (items.some((it) => it.phase !== 'done')) {
    // How many block steps before the next check.
    let steps: number;
    if (fixed) steps = fixedSteps - items[0]!.steps;
    else {
      // The first check once k Ritz values can exist, then every max(4, rows/8) vectors (the
      // host's Rayleigh–Ritz costs O(rows³) per check: this keeps its total within a few times the last one).
      steps = items.every((it) => it.checks === 0) ? Math.ceil((k + p) / p) : Math.ceil(Math.max(4, rows / 8) / p);
      // Near convergence (every wanted bound within NEAR_CONVERGENCE × the tolerance) check after
      // every step: a chunk would overshoot the step where the set converges.
      for (const it of items) if (it.phase === 'running' && it.ritz !== null && nearConverged(it.ritz)) steps = 1;
      // Never past the space: an item needs at most (n − valid rows) more directions, plus one
      // step to apply its last frontier (so that an exhausted space ends in one chunk).
      let room = Infinity;
      for (const it of items)
        if (it.phase !== 'done')
          room = Math.min(room, Math.ceil((n - it.alg.validRows(rows)) / p) + (it.alg.frontierRows(rows) > 0 ? 1 : 0));
      // A verifying item is checked after every block step of its random block: the lane stops as
      // soon as its certificate holds (exact cases certify after the first apply).
      for (const it of items) if (it.phase === 'verifying') steps = 1;
      steps = Math.max(1, Math.min(steps, room));
      for (const it of items)
        if (it.phase !== 'done') steps = Math.min(steps, Math.max(1, Math.ceil((settings.maxApplies - it.applies) / p)));
    }
    // A verification or purge restart restarts every item (the row layout is shared): it waits while
    // another item's lane is intact, so that lane's round ends on its certificate (at most
    // verifySteps steps), not on an ordinary restart that compresses it.
    const laneRunning = items.some((it) => it.phase === 'verifying' && it.laneIntact);
    if (!laneRunning && items.some((it) => it.verifyRequested || it.purgeRequested)) {
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
    const fullRight = bidiagonal && items.some((it) => it.phase === 'verifying');
    const rec = (yield { kind: 'expand', rows, steps, active, tick, fullRight })!;
    for (const [b, item] of items.entries()) {
      if (!active[b]) continue;
      const alg = item.alg;
      alg.exponent = rec.exponent[b]!;
      for (let at = 0; at < steps * halves; at++) {
        for (let v = 0; v < p; v++) if (rec.flags[at * lanes + b * p + v]! & CandidateFlag.nonFinite) throw nonFiniteError();
        if (rec.loss) for (let v = 0; v < p; v++) alg.loss = Math.max(alg.loss, rec.loss[at * lanes + b * p + v]!);
      }
      alg.absorb(rec, b, rows, steps, lanes, p, CandidateFlag.hole, CandidateFlag.injected);
      item.steps += steps;
      // Applications of the operator to basis vectors: a lane whose source row was a hole took a random vector instead.
      for (let s = 0; s < steps; s++)
        for (let v = 0; v < p; v++) if (!(rec.flags[s * halves * lanes + b * p + v]! & CandidateFlag.injected)) item.applies++;
    }
    rows += steps * p;
    tick += steps;
    if (fixed) {
      for (const item of items) {
        ritzAt(item);
        item.phase = 'done';
        item.stopReason = exhausted(item) ? 'exhausted' : 'steps';
      }
      break;
    }
    items.forEach((item, b) => {
      if (item.phase !== 'done' && active[b]) check(item);
    });
  }

  const results = items.map((item) => resultOf(item));
  if (settings.vectors) {
    const rowsOf = Int32Array.from(items, (it) => it.finalRows);
    const s = items.map((item, b) => {
      const ritz = item.ritz!;
      const order = ritzOrder(ritz.values.length, k, which);
      const out = new Float64Array(rowsOf[b]! * k);
      const m = ritz.idx.length;
      order.forEach((t, c) => {
        for (let a = 0; a < m; a++) out[ritz.idx[a]! * k + c] = ritz.vectors[t * m + a]!;
      });
      return out;
    });
    yield { kind: 'vectors', rows: rowsOf, count: k, s };
  }
  return { results };

  function exhausted(item: Progress): boolean {
    return item.alg.validRows(rows) >= n;
  }

  /** Convergence, verification and stopping of one item after a chunk. */
  function check(item: Progress): void {
    const ritz = ritzAt(item);
    item.checks++;
    // Complete only once the frontier has been applied (its column belongs to the projection).
    if (exhausted(item) && item.alg.frontierRows(rows) === 0) {
      item.phase = 'done';
      item.stopReason = 'exhausted';
      return;
    }
    if (item.applies >= settings.maxApplies) {
      item.phase = 'done';
      item.stopReason = 'maxApplies';
      return;
    }
    const ok = allConverged(ritz, k, which, tolerance);
    if (!ok && wantedFloor(ritz, k, which) > 0.5 * tolerance * ritz.scale) {
      item.phase = 'done';
      item.stopReason = 'floor';
      return;
    }
    if (item.phase === 'running') {
      // A request held back by another item's lane is withdrawn if the set stopped converging.
      item.verifyRequested = ok && settings.verify && allConverged(ritz, k, which, 0.5 * tolerance);
      if (ok && !settings.verify) item.phase = 'done';
      return;
    }
    // Verifying: a value entering the wanted range makes a wanted pair unconverged.
    if (!ok) {
      item.phase = 'running';
      item.laneIntact = false;
      if (item.keptUnconverged) item.purgeRequested = item.deflationFailed = true;
      return;
    }
    item.certified = certified(item, ritz);
    if (item.certified || item.steps - item.verifyStart >= verifySteps) item.phase = 'done';
  }

  /** The verification certificate of an item whose wanted pairs are converged (see krylovVerification.ts). */
  function certified(item: Progress, ritz: Ritz): boolean {
    if (!item.laneIntact) return false;
    const m = ritz.values.length;
    const order = ritzOrder(m, k, which);
    const { top, bottom } = wantedSplit(k, which);
    const margin = tolerance * ritz.scale;
    // λ_i ≤ θ_i + tolerance (top), λ_i ≥ θ_i − tolerance (bottom), less the rounding floor.
    const allowance = (t: number): number => margin - ritz.floors[t]!;
    const lane = trustedLane(
      item.alg.laneMeasure(item.verifyFirst, rows, p),
      settings.holeTolerance,
      p,
      item.verifyDimension,
      VERIFY_DELTA,
    );
    if (item.verifyBlock === null) {
      // Bidiagonal: the lane alone, against the innermost wanted value (docs/accuracy.md, "Golub–Kahan").
      const inner = (t: number, side: 1 | -1): number => ritz.values[t]! + side * allowance(t);
      const cuts = {
        top: top > 0 ? inner(order[top - 1]!, 1) : null,
        bottom: bottom > 0 ? inner(order[top + bottom - 1]!, -1) : null,
      };
      return certifies(lane, cuts, p, item.verifyDimension, VERIFY_DELTA);
    }
    const deflatedCuts = {
      top: order.slice(0, top).map((t) => ritz.values[t]! + allowance(t)),
      bottom: order.slice(top, top + bottom).map((t) => ritz.values[t]! - allowance(t)),
    };
    return certifiesDeflated(lane, item.verifyBlock, deflatedCuts, p, item.verifyDimension, VERIFY_DELTA);
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
      const ritz = ritzAt(item);
      const m = ritz.idx.length;
      const lock = item.verifyRequested;
      const converged = keepOrder(m, m, k, which)
        .filter((t) => lockable(ritz, t))
        .slice(0, target);
      let order: number[];
      if (item.purgeRequested) order = converged;
      else if (!lock) order = keepOrder(m, target, k, which);
      else if (item.deflationFailed || !item.alg.deflatedVerification) order = converged;
      // Deflated verification: the converged vectors and the unconverged ones nearest the wanted
      // end, leaving room for the lane (its random block probes the complement of all of them).
      else order = keepOrder(m, Math.max(converged.length, Math.min(target, verifyKeep)), k, which);
      return { ritz, lock, order, unconverged: order.some((t) => !lockable(ritz, t)) };
    });
    // Kept rows: uniform over items (the layout is shared); items keeping fewer pad with holes.
    const keep = Math.max(1, ...plans.map((x) => x?.order.length ?? 0));
    const sList: (Float64Array | null)[] = [];
    const rightList: (Float64Array | null)[] = [];
    const clear = new Uint8Array(itemCount);
    const lockedBlocks: (LockedBlock | null)[] = [];
    for (const [b, item] of items.entries()) {
      const plan = plans[b];
      lockedBlocks.push(null);
      if (!plan) {
        sList.push(null);
        rightList.push(null);
        continue;
      }
      const { s, right } = item.alg.restart({ ritz: plan.ritz, lock: plan.lock, order: plan.order, keep, applied, p });
      item.restarts++;
      item.ritz = null;
      item.purgeRequested = false;
      // A restart inside a verification round (a memory budget too small for the lane) compresses
      // the lane: its measure is lost, and the round ends on its step count alone.
      if (!plan.lock && item.phase === 'verifying') item.laneIntact = false;
      if (plan.lock) {
        clear[b] = 1;
        item.verifyRequested = false;
        item.phase = 'verifying';
        item.verifications++;
        item.verifyStart = item.steps;
        item.verifyFirst = keep + p;
        let locked = 0;
        for (let r = 0; r < keep; r++) if (item.alg.status[r] === APPLIED) locked++;
        item.verifyDimension = n - locked;
        // The coupling bound holds for any kept block, the converged vectors alone included (after
        // a failed deflated round): every round certifies through it (null: bidiagonal).
        item.verifyBlock = item.alg.lockedBlock(keep);
        item.keptUnconverged = plan.unconverged;
        lockedBlocks[b] = item.verifyBlock;
        item.laneIntact = true;
      }
      sList.push(s);
      rightList.push(right);
    }
    yield { kind: 'restart', applied, keep, s: sList, right: bidiagonal ? rightList : null, clear, locked: lockedBlocks };
    return keep + p;
  }

  function resultOf(item: Progress): KrylovItemResult {
    const ritz = item.ritz ?? ritzAt(item);
    const m = ritz.values.length;
    const order = ritzOrder(m, k, which);
    const unit = item.alg.valueUnit();
    const eigenvalues = Float64Array.from(order, (t) => ritz.values[t]! * unit);
    const errorBounds = Float64Array.from(order, (t) => ritz.bounds[t]! * unit);
    const converged = order.map((t) => ritz.bounds[t]! <= tolerance * ritz.scale);
    return {
      eigenvalues,
      errorBounds,
      converged,
      steps: item.steps,
      applies: item.applies,
      breakdowns: item.alg.breakdowns,
      restarts: item.restarts,
      verifications: item.verifications,
      certified: item.certified,
      loss: item.alg.loss,
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
 * `krylovRandom` in shaders/lanczos/krylovPrepare.wgsl.
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
