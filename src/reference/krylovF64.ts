/**
 * The float64 backend of the block thick-restart Lanczos driver (src/reference/krylov.ts): the
 * same bulk operations as the GPU backend of src/algorithms/eigsh.ts — block apply, power-of-two
 * scaling fixed by the first apply, random candidates after holes, CGS2 against the basis and
 * within the block, normalization with the relative hole test, thick restart, Ritz vectors — in
 * float64 on the host. It is the oracle of the GPU path and the `cpu` backend.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { scaleExponent } from './krylovKernels.ts';
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
  readonly n: number;
  readonly batch: number;
  /** y = A_b x (y zero-filled on entry). */
  apply(b: number, x: Float64Array, y: Float64Array): void;
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

/** The float64 Krylov backend (see the module documentation). */
export class KrylovF64Backend implements SyncKrylovBackend {
  readonly n: number;
  readonly items: number;
  readonly p: number;
  readonly cap: number;
  /** Basis per item, [cap][n]. */
  readonly basis: Float64Array[];
  /** Ritz vectors per item after a `vectors` request, [count][n]. */
  vectors: Float64Array[] = [];
  readonly #op: CpuOperator;
  readonly #options: KrylovF64Options;
  readonly #hole: Uint8Array;
  readonly #exponent: Int32Array;
  readonly #exponentSet: Uint8Array;

  constructor(op: CpuOperator, options: KrylovF64Options) {
    this.#op = op;
    this.#options = options;
    this.n = op.n;
    this.items = op.batch;
    this.p = options.block;
    this.cap = options.capacity;
    this.basis = Array.from({ length: this.items }, () => new Float64Array(this.cap * this.n));
    this.#hole = new Uint8Array(this.items * this.p);
    this.#exponent = new Int32Array(this.items);
    this.#exponentSet = new Uint8Array(this.items);
  }

  handle(request: KrylovRequest): KrylovResponse {
    switch (request.kind) {
      case 'start':
        return this.#start();
      case 'expand':
        return this.#expand(request.rows, request.steps, request.active, request.tick);
      case 'restart':
        this.#restart(request.applied, request.keep, request.s, request.clear);
        return null;
      case 'vectors':
        this.vectors = request.s.map((s, b) => this.#combine(b, s, request.rows[b]!, request.count));
        return null;
    }
  }

  #records(
    steps: number,
    withCoef: boolean,
  ): CandidateRecords & { coef: Float64Array; norm: Float64Array; flags: Uint8Array; loss: Float64Array } {
    const lanes = this.items * this.p;
    return {
      coef: new Float64Array(withCoef ? steps * lanes * this.cap : 0),
      norm: new Float64Array(steps * lanes),
      flags: new Uint8Array(steps * lanes),
      exponent: this.#exponent,
      loss: new Float64Array(steps * lanes),
    };
  }

  #start(): CandidateRecords {
    const { n, p } = this;
    const rec = this.#records(1, false);
    for (let b = 0; b < this.items; b++) {
      const w = Array.from({ length: p }, (_, v) => {
        const s = this.#options.startVector(v);
        if (s.length !== n) throw new InvalidArgumentError('start', `start vector ${v} has ${s.length} entries, expected n = ${n}`);
        return Float64Array.from(s);
      });
      this.#finishBlock(b, w, 0, null, 0, rec, 0, new Uint8Array(p));
    }
    return rec;
  }

  #expand(rows: number, steps: number, active: Uint8Array, tick: number): CandidateRecords {
    const { n, p, cap } = this;
    const rec = this.#records(steps, true);
    const lanes = this.items * p;
    for (let s = 0; s < steps; s++) {
      const r = rows + s * p;
      for (let b = 0; b < this.items; b++) {
        if (!active[b]) continue;
        const q = this.basis[b]!;
        const injected = new Uint8Array(p);
        const w = Array.from({ length: p }, (_, v) => {
          const l = b * p + v;
          const out = new Float64Array(n);
          if (this.#hole[l]) {
            injected[v] = 1;
            for (let i = 0; i < n; i++) out[i] = krylovRandom(this.#options.seed, v, tick + s, i);
          } else {
            this.#op.apply(b, q.subarray((r - p + v) * n, (r - p + v + 1) * n), out);
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
          if (!injected[v]) for (let i = 0; i < n; i++) x[i] = x[i]! * unit;
        });
        this.#finishBlock(b, w, r, rec.coef, (s * lanes + b * p) * cap, rec, s * lanes, injected);
      }
    }
    return rec;
  }

  /**
   * CGS2 of the candidates against rows [0, r), then one by one within the block, normalization
   * into rows r + v (or a hole), and the records. `coefBase`: offset of lane (b, 0) in rec.coef.
   */
  #finishBlock(
    b: number,
    w: Float64Array[],
    r: number,
    coef: Float64Array | null,
    coefBase: number,
    rec: { norm: Float64Array; flags: Uint8Array; loss?: Float64Array },
    recBase: number,
    injected: Uint8Array,
  ): void {
    const { n, p, cap } = this;
    const q = this.basis[b]!;
    const norm0 = w.map((x) => Math.sqrt(sumSquares(x)));
    for (let v = 0; v < p; v++) {
      const x = w[v]!;
      const c = coef ? coef.subarray(coefBase + v * cap, coefBase + (v + 1) * cap) : new Float64Array(cap);
      const passes = [0, 0];
      project(x, q, 0, r + v, n, c, passes);
      const nrm = Math.sqrt(sumSquares(x));
      // ‖h₂‖/‖w₀‖: the measured loss of orthogonality (as the GPU backend computes it).
      const w0 = passes[0]! + passes[1]! + nrm * nrm;
      if (rec.loss) rec.loss[recBase + b * p + v] = w0 > 0 ? Math.sqrt(passes[1]! / w0) : 0;
      const l = b * p + v;
      const nonFinite = !Number.isFinite(norm0[v]!) || !Number.isFinite(nrm);
      const hole = nonFinite || !(nrm > this.#options.holeTolerance * norm0[v]!);
      const row = q.subarray((r + v) * n, (r + v + 1) * n);
      if (hole) row.fill(0);
      else for (let i = 0; i < n; i++) row[i] = x[i]! / nrm;
      this.#hole[l] = hole ? 1 : 0;
      rec.norm[recBase + l] = Number.isFinite(nrm) ? nrm : 0;
      rec.flags[recBase + l] =
        (hole ? CandidateFlag.hole : 0) | (injected[v] ? CandidateFlag.injected : 0) | (nonFinite ? CandidateFlag.nonFinite : 0);
    }
  }

  #restart(applied: number, keep: number, s: readonly (Float64Array | null)[], clear: Uint8Array): void {
    const { n, p } = this;
    for (let b = 0; b < this.items; b++) {
      if (!s[b]) continue;
      const y = this.#combine(b, s[b]!, applied, keep);
      const q = this.basis[b]!;
      const frontier = clear[b] ? new Float64Array(p * n) : q.slice(applied * n, (applied + p) * n);
      q.set(y, 0);
      q.set(frontier, keep * n);
      if (clear[b]) this.#hole.fill(1, b * p, (b + 1) * p);
    }
  }

  /** Σ_j S[j][t] q_j over rows j < rows, t < count: [count][n]. */
  #combine(b: number, s: Float64Array, rows: number, count: number): Float64Array {
    const { n } = this;
    const q = this.basis[b]!;
    const out = new Float64Array(count * n);
    for (let j = 0; j < rows; j++) {
      const qj = q.subarray(j * n, (j + 1) * n);
      for (let t = 0; t < count; t++) {
        const c = s[j * count + t]!;
        if (c === 0) continue;
        const o = t * n;
        for (let i = 0; i < n; i++) out[o + i] = out[o + i]! + c * qj[i]!;
      }
    }
    return out;
  }
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
function project(x: Float64Array, q: Float64Array, from: number, to: number, n: number, c: Float64Array, passes: number[]): void {
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
    }
  }
}
