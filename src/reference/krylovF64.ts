/**
 * The float64 backend of the block Krylov driver (src/reference/krylov.ts): the same bulk
 * operations as the GPU backend of src/algorithms/krylovGpu.ts — block apply, power-of-two scaling
 * fixed by the first apply, random candidates after holes, CGS2 against the basis and within the
 * block, normalization with the relative hole test, thick restart, Ritz vectors — in float64 on
 * the host, for both decompositions (Lanczos on a symmetric operator; Golub–Kahan on a rectangular
 * one, with a left basis U and a right basis V). It is the oracle of the GPU path and the `cpu`
 * backend. A J with more columns than rows runs one-sided Golub–Kahan, as on the GPU: V candidates
 * are orthogonalized against a window of V rows ({@link rightWindowStart}), the J candidates'
 * coefficients above the bidiagonal band are not recorded ({@link recordedFrom}); in both forms a
 * hole in U continues as a hole in V (a zero candidate), then as a random U candidate.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { activeRuns, recordedFrom, rightHoleFloor, rightWindowStart, scaleExponent } from './krylovKernels.ts';
import {
  CandidateFlag,
  krylovRandom,
  type CandidateRecords,
  type KrylovRequest,
  type KrylovResponse,
  type SyncKrylovBackend,
} from './krylov.ts';

/** A batch of symmetric operators on the host, applied in float64. */
export interface CpuOperator {
  /** Dimension of each operator. */
  readonly n: number;
  /** Operators in the batch. */
  readonly batch: number;
  /** y = A_b x (y zero-filled on entry). */
  apply(b: number, x: Float64Array, y: Float64Array): void;
}

/** A batch of rectangular operators J_b (n × cols) on the host, applied in float64. */
export interface CpuRectangularOperator {
  readonly n: number;
  readonly cols: number;
  readonly batch: number;
  /** y = J_b x, x of length cols, y of length n (zero-filled on entry). */
  applyJ(b: number, x: Float64Array, y: Float64Array): void;
  /** y = J_bᵀ x, x of length n, y of length cols (zero-filled on entry). */
  applyJt(b: number, x: Float64Array, y: Float64Array): void;
}

/** Settings of {@link KrylovF64Backend}. */
export interface KrylovF64Options {
  readonly block: number;
  readonly capacity: number;
  /** Start block: vector v of every item (length n, need not be normalized). */
  readonly startVector: (v: number) => Float64Array;
  /** Seed of the random candidates. */
  readonly seed: number;
  /** A candidate is a hole when ‖w‖ ≤ holeTolerance·‖w₀‖ after orthogonalization (w₀: before). */
  readonly holeTolerance: number;
}

/** Default relative hole tolerance in float64: far above CGS2's rounding (≈ ε√rows), far below any real coupling that matters. */
export const F64_HOLE_TOLERANCE = 1e-12;

/** One basis of every item: rows [cap][len] per item. */
class Space {
  readonly len: number;
  readonly rows: Float64Array[];
  constructor(items: number, cap: number, len: number) {
    this.len = len;
    this.rows = Array.from({ length: items }, () => new Float64Array(cap * len));
  }
}

type Records = CandidateRecords & { coef: Float64Array; norm: Float64Array; flags: Uint8Array; loss: Float64Array };

/**
 * The float64 Krylov backend (see the module documentation). With a {@link CpuOperator} it runs
 * the symmetric decomposition; with a {@link CpuRectangularOperator}, the bidiagonal one.
 */
export class KrylovF64Backend implements SyncKrylovBackend {
  readonly n: number;
  readonly items: number;
  readonly p: number;
  readonly cap: number;
  /** Ritz vectors per item after a `vectors` request, [count][n]. */
  vectors: Float64Array[] = [];
  readonly #main: Space;
  readonly #right: Space | null;
  readonly #symmetric: CpuOperator | null;
  readonly #rectangular: CpuRectangularOperator | null;
  readonly #options: KrylovF64Options;
  readonly #hole: Uint8Array;
  readonly #exponent: Int32Array;
  readonly #exponentSet: Uint8Array;
  /** One-sided Golub–Kahan (J has more columns than rows). */
  readonly #oneSided: boolean;
  /** Rows kept by the last restart (see {@link rightWindowStart}). */
  #kept = 0;
  /** The current expand runs a verification round: V candidates against every V row (see `rightWindowStart`). */
  #fullRight = false;
  /** One-sided: per item, the largest Jᵀ candidate norm of the chunks before (see {@link rightHoleFloor}). */
  readonly #rightScale: Float64Array;
  /** One-sided: per item, the hole floor of the Jᵀ candidates of the current chunk. */
  readonly #rightFloor: Float64Array;

  constructor(op: CpuOperator | CpuRectangularOperator, options: KrylovF64Options) {
    this.#options = options;
    this.n = op.n;
    this.items = op.batch;
    this.p = options.block;
    this.cap = options.capacity;
    const rectangular = 'applyJ' in op;
    this.#symmetric = rectangular ? null : op;
    this.#rectangular = rectangular ? op : null;
    this.#main = new Space(this.items, this.cap, this.n);
    this.#right = rectangular ? new Space(this.items, this.cap, op.cols) : null;
    this.#hole = new Uint8Array(this.items * this.p);
    this.#exponent = new Int32Array(this.items);
    this.#exponentSet = new Uint8Array(this.items);
    this.#oneSided = rectangular && op.cols > op.n;
    this.#rightScale = new Float64Array(this.items);
    this.#rightFloor = new Float64Array(this.items);
  }

  /** The main basis of item b (Q or U), [cap][n]. */
  basis(b: number): Float64Array {
    return this.#main.rows[b]!;
  }

  /** The right basis V of item b, [cap][cols] (bidiagonal only; null for the symmetric decomposition). */
  rightBasis(b: number): Float64Array | null {
    return this.#right?.rows[b] ?? null;
  }

  handle(request: KrylovRequest): KrylovResponse {
    switch (request.kind) {
      case 'start':
        return this.#start();
      case 'expand':
        this.#fullRight = request.fullRight;
        return this.#expand(request.rows, request.steps, request.active, request.tick);
      case 'restart':
        this.#restart(request.applied, request.keep, request.s, request.right, request.clear);
        return null;
      case 'vectors':
        this.vectors = request.s.map((s, b) => combine(this.#main, b, s, request.rows[b]!, request.count));
        return null;
    }
  }

  #records(halfSteps: number, withCoef: boolean): Records {
    const lanes = this.items * this.p;
    return {
      coef: new Float64Array(withCoef ? halfSteps * lanes * this.cap : 0),
      norm: new Float64Array(halfSteps * lanes),
      flags: new Uint8Array(halfSteps * lanes),
      exponent: this.#exponent,
      loss: new Float64Array(halfSteps * lanes),
    };
  }

  #start(): CandidateRecords {
    const { n, p } = this;
    this.#rightScale.fill(0);
    const rec = this.#records(1, false);
    for (let b = 0; b < this.items; b++) {
      const w = Array.from({ length: p }, (_, v) => {
        const s = this.#options.startVector(v);
        if (s.length !== n) throw new InvalidArgumentError('start', `start vector ${v} has ${s.length} entries, expected n = ${n}`);
        return Float64Array.from(s);
      });
      this.#finishBlock(this.#main, b, w, 0, null, 0, rec, 0, new Uint8Array(p));
    }
    return rec;
  }

  #expand(rows: number, steps: number, active: Uint8Array, tick: number): CandidateRecords {
    const { p } = this;
    const halves = this.#right ? 2 : 1;
    const rec = this.#records(steps * halves, true);
    const lanes = this.items * p;
    // The Jᵀ hole floor is fixed per chunk and per run of active items (as the GPU normalizes them together).
    if (this.#oneSided)
      for (const run of activeRuns(active))
        this.#rightFloor.fill(rightHoleFloor(this.#rightScale, run.first, run.count), run.first, run.first + run.count);
    for (let s = 0; s < steps; s++) {
      const r = rows + s * p;
      for (let b = 0; b < this.items; b++) {
        if (!active[b]) continue;
        if (!this.#right) {
          const op = this.#symmetric!;
          this.#half(b, this.#main, this.#main, r - p, r, (x, y) => op.apply(b, x, y), tick + s, rec, s * lanes);
        } else {
          const op = this.#rectangular!;
          // Jᵀ on the frontier of U into V rows [r − p, r), then J on those into U rows [r, r + p).
          this.#half(b, this.#main, this.#right, r - p, r - p, (x, y) => op.applyJt(b, x, y), 2 * (tick + s), rec, 2 * s * lanes);
          this.#half(b, this.#right, this.#main, r - p, r, (x, y) => op.applyJ(b, x, y), 2 * (tick + s) + 1, rec, (2 * s + 1) * lanes);
        }
      }
    }
    if (this.#oneSided)
      for (let s = 0; s < steps; s++)
        for (let l = 0; l < lanes; l++) {
          const at = 2 * s * lanes + l;
          const b = Math.floor(l / p);
          if (active[b] && !(rec.flags[at]! & (CandidateFlag.hole | CandidateFlag.injected)))
            this.#rightScale[b] = Math.max(this.#rightScale[b]!, rec.norm[at]!);
        }
    return rec;
  }

  /**
   * One half-step of item b: candidates = the operator on rows [from, from + p) of `source` (or
   * random vectors where the lane's source row is a hole), scaled by 2^−e, orthogonalized into
   * rows [to, to + p) of `target`; records at [recBase + lane].
   */
  #half(
    b: number,
    source: Space,
    target: Space,
    from: number,
    to: number,
    apply: (x: Float64Array, y: Float64Array) => void,
    tick: number,
    rec: Records,
    recBase: number,
  ): void {
    const { p, cap } = this;
    const len = target.len;
    const q = source.rows[b]!;
    const injected = new Uint8Array(p);
    // Golub–Kahan: a hole in U continues as a hole in V (a zero candidate), then as a random U
    // candidate — uniform over the n-space, where a random V candidate would only reach range(J).
    const rightHalf = target === this.#right;
    const oneSided = this.#oneSided && rightHalf;
    const w = Array.from({ length: p }, (_, v) => {
      const out = new Float64Array(len);
      if (this.#hole[b * p + v]) {
        injected[v] = 1;
        if (!rightHalf) for (let i = 0; i < len; i++) out[i] = krylovRandom(this.#options.seed, v, tick, i);
      } else {
        apply(q.subarray((from + v) * source.len, (from + v + 1) * source.len), out);
      }
      return out;
    });
    if (!this.#exponentSet[b] && injected.some((x) => !x)) {
      let max = 0;
      w.forEach((x, v) => {
        if (!injected[v]) for (const e of x) max = Math.max(max, Math.abs(e));
      });
      this.#exponent[b] = scaleExponent(max);
      this.#exponentSet[b] = 1;
    }
    const unit = 2 ** -this.#exponent[b]!;
    w.forEach((x, v) => {
      if (!injected[v]) for (let i = 0; i < len; i++) x[i] = x[i]! * unit;
    });
    const windowStart = oneSided ? rightWindowStart(to, p, this.#kept, this.#fullRight) : 0;
    // The loss is measured on the recurrence's own window (see `rightWindowStart`).
    const lossFrom = oneSided ? rightWindowStart(to, p, this.#kept, false) : 0;
    const coefBase = (recBase + b * p) * cap;
    const floor = oneSided ? this.#rightFloor[b]! : 0;
    this.#finishBlock(target, b, w, to, rec.coef, coefBase, rec, recBase, injected, windowStart, floor, lossFrom);
    if (this.#oneSided && !rightHalf)
      for (let v = 0; v < p; v++) rec.coef.fill(0, coefBase + v * cap, coefBase + v * cap + recordedFrom(to + v, p));
  }

  /**
   * CGS2 of the candidates against rows [windowStart, r) of `space`, then one by one within the block,
   * normalization into rows r + v (or a hole), and the records. `coefBase`: offset of lane (b, 0)
   * in rec.coef.
   */
  #finishBlock(
    space: Space,
    b: number,
    w: Float64Array[],
    r: number,
    coef: Float64Array | null,
    coefBase: number,
    rec: { norm: Float64Array; flags: Uint8Array; loss?: Float64Array },
    recBase: number,
    injected: Uint8Array,
    windowStart = 0,
    minNorm0 = 0,
    lossFrom = windowStart,
  ): void {
    const { p, cap } = this;
    const len = space.len;
    const q = space.rows[b]!;
    const norm0 = w.map((x) => Math.sqrt(sumSquares(x)));
    for (let v = 0; v < p; v++) {
      const x = w[v]!;
      const c = coef ? coef.subarray(coefBase + v * cap, coefBase + (v + 1) * cap) : new Float64Array(cap);
      const passes = [0, 0, 0];
      project(x, q, windowStart, r + v, len, c, passes, lossFrom);
      const nrm = Math.sqrt(sumSquares(x));
      // ‖h₂‖/‖w₀‖: the measured loss of orthogonality (as the GPU backend computes it).
      const w0 = passes[0]! + passes[1]! + nrm * nrm;
      const l = b * p + v;
      const nonFinite = !Number.isFinite(norm0[v]!) || !Number.isFinite(nrm);
      const hole = nonFinite || !(nrm > this.#options.holeTolerance * Math.max(norm0[v]!, minNorm0));
      // A Jᵀ candidate that is a hole joins no basis: its ratio measures nothing kept (as on the GPU).
      const dropped = hole && space === this.#right;
      if (rec.loss) rec.loss[recBase + b * p + v] = w0 > 0 && !dropped ? Math.sqrt(passes[2]! / w0) : 0;
      const row = q.subarray((r + v) * len, (r + v + 1) * len);
      if (hole) row.fill(0);
      else for (let i = 0; i < len; i++) row[i] = x[i]! / nrm;
      this.#hole[l] = hole ? 1 : 0;
      rec.norm[recBase + l] = Number.isFinite(nrm) ? nrm : 0;
      rec.flags[recBase + l] =
        (hole ? CandidateFlag.hole : 0) | (injected[v] ? CandidateFlag.injected : 0) | (nonFinite ? CandidateFlag.nonFinite : 0);
    }
  }

  #restart(
    applied: number,
    keep: number,
    s: readonly (Float64Array | null)[],
    right: readonly (Float64Array | null)[] | null,
    clear: Uint8Array,
  ): void {
    const { n, p } = this;
    this.#kept = keep;
    for (let b = 0; b < this.items; b++) {
      if (!s[b]) continue;
      const y = combine(this.#main, b, s[b]!, applied, keep);
      const q = this.#main.rows[b]!;
      const frontier = clear[b] ? new Float64Array(p * n) : q.slice(applied * n, (applied + p) * n);
      q.set(y, 0);
      q.set(frontier, keep * n);
      if (clear[b]) this.#hole.fill(1, b * p, (b + 1) * p);
      if (this.#right && right?.[b]) this.#right.rows[b]!.set(combine(this.#right, b, right[b]!, applied, keep), 0);
    }
  }
}

/** Σ_j S[j][t] q_j over rows j < rows of the item's basis, t < count: [count][len]. */
function combine(space: Space, b: number, s: Float64Array, rows: number, count: number): Float64Array {
  const len = space.len;
  const q = space.rows[b]!;
  const out = new Float64Array(count * len);
  for (let j = 0; j < rows; j++) {
    const qj = q.subarray(j * len, (j + 1) * len);
    for (let t = 0; t < count; t++) {
      const c = s[j * count + t]!;
      if (c === 0) continue;
      const o = t * len;
      for (let i = 0; i < len; i++) out[o + i] = out[o + i]! + c * qj[i]!;
    }
  }
  return out;
}

function sumSquares(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return s;
}

/**
 * Two passes of classical Gram–Schmidt of x against rows [from, to) of q; adds the coefficients
 * into c[from..to) and each pass's ‖h‖² into `passes`.
 */
/**
 * CGS2 of x against rows [from, to) of q: coefficients added to c; passes[0], passes[1] = the squared
 * norms of each pass's coefficients, passes[2] = the second pass's over rows ≥ lossFrom only.
 */
function project(
  x: Float64Array,
  q: Float64Array,
  from: number,
  to: number,
  n: number,
  c: Float64Array,
  passes: number[],
  lossFrom = from,
): void {
  if (to <= from) return;
  const h = new Float64Array(to - from);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = from; j < to; j++) {
      let s = 0;
      const o = j * n;
      for (let i = 0; i < n; i++) s += q[o + i]! * x[i]!;
      h[j - from] = s;
    }
    for (let j = from; j < to; j++) {
      const hj = h[j - from]!;
      if (hj === 0) continue;
      const o = j * n;
      for (let i = 0; i < n; i++) x[i] = x[i]! - hj * q[o + i]!;
      c[j] = c[j]! + hj;
      passes[pass] = passes[pass]! + hj * hj;
      if (pass === 1 && j >= lossFrom) passes[2] = passes[2]! + hj * hj;
    }
  }
}
