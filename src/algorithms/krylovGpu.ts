/**
 * The GPU backend of the block Krylov driver (src/reference/krylov.ts): the bases of every operator
 * of a batch live on the GPU in f32 and a whole chunk of block steps is one command buffer — apply,
 * scaling by a power of two, random candidates after holes, CGS2 against the basis (matVecN/matVecT
 * over all rows, then within the block), norms, the hole test and normalization — followed by one
 * readback of the projection coefficients. Operators that have converged are not applied again
 * (the step runs over the contiguous runs of active operators).
 *
 * Both decompositions of the driver: a symmetric operator (one basis Q, Lanczos) or a rectangular
 * one (Golub–Kahan: a left basis U and a right basis V; a step is a half-step Jᵀ: U → V followed by
 * a half-step J: V → U). A half-step is the same sequence of kernels whatever the spaces. When J
 * has more columns than rows, Golub–Kahan is one-sided (docs/accuracy.md, "Golub–Kahan"): only U is
 * reorthogonalized in full; a Jᵀ candidate is orthogonalized against a window of V rows
 * (`rightWindowStart`, src/reference/krylovKernels.ts), so a step costs the two applies plus
 * O(n·rows) instead of O(cols·rows), and the coefficients of the J half above the bidiagonal band
 * are not recorded (`recordedFrom`); a Jᵀ candidate below the rounding level of the apply is a hole
 * (`rightHoleFloor`). In both forms a hole in U continues as a zero V candidate (a
 * hole), then a random U candidate.
 *
 * Layout per space: basis [items][allocated][len] (grown as rows are needed), candidates
 * w [items][p][len]; lane l = b·p + v is block member v of operator b.
 *
 * Float64 twin: KrylovF64Backend (src/reference/krylovF64.ts).
 * @module
 */
import { DeviceLimitError, DisposedError } from '../errors.ts';
import { BufferGroup } from '../gpu/bufferGroup.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import type { GpuContext } from '../gpu/context.ts';
import { readStaging, record, type Recorder } from '../gpu/recorder.ts';
import { createBatchedDot, type BatchedDot } from '../kernels/batchedDot.ts';
import { createKrylovKernels, EXPONENT_UNSET, type KrylovKernels } from '../kernels/krylovStep.ts';
import { createMatVec, type MatVec, type VectorsView } from '../kernels/matVec.ts';
import { createScaleVectors, type ScaleVectors } from '../kernels/scaleVectors.ts';
import { CandidateFlag, type CandidateRecords, type KrylovRequest, type KrylovResponse } from '../reference/krylov.ts';
import { activeRuns, recordedFrom, rightHoleFloor, rightWindowStart } from '../reference/krylovKernels.ts';
import type { RectangularOperator, SymmetricOperator } from './operators.ts';

/** Options of {@link createKrylovGpu}. */
export interface KrylovGpuOptions {
  readonly block: number;
  /** Rows per operator the driver may use (the memory budget). */
  readonly capacity: number;
  /** Start block, [items][p][n] (the same vectors for every operator when `shared`). */
  readonly start:
    | { readonly kind: 'host'; readonly data: Float32Array | Float64Array; readonly shared: boolean }
    | { readonly kind: 'gpu'; readonly buffer: GPUBuffer; readonly offset?: number };
  readonly seed: number;
  /** Relative hole tolerance (see krylovNormalize.wgsl). */
  readonly holeTolerance: number;
}

interface Kernels {
  readonly mv: MatVec;
  readonly dot: BatchedDot;
  readonly krylov: KrylovKernels;
  readonly scale: ScaleVectors;
}

/** One basis of every operator: rows [items][allocated][len], candidates [items][p][len]. */
interface Space {
  readonly len: number;
  basis: GPUBuffer;
  readonly w: GPUBuffer;
}

/** Contiguous operators [first, first + count) of a batch. */
interface Run {
  readonly first: number;
  readonly count: number;
}

/** Records y = Op x for (at least) the operators of the runs (x and y describe the whole batch). */
type ApplyRuns = (rec: Recorder, x: VectorsView, y: VectorsView, vectors: number, runs: readonly Run[]) => void;

type ApplyItems = (rec: Recorder, x: VectorsView, y: VectorsView, vectors: number, first: number, count: number) => void;
type ApplyAll = (rec: Recorder, x: VectorsView, y: VectorsView, vectors: number) => void;

/** Applies the operator to the active runs only when it can (`items`), else to the whole batch. */
function applyRuns(items: ApplyItems | undefined, all: ApplyAll): ApplyRuns {
  return (rec, x, y, vectors, runs) => {
    if (items) for (const run of runs) items(rec, x, y, vectors, run.first, run.count);
    else all(rec, x, y, vectors);
  };
}

/** The operator(s) a backend applies: A (Q → Q), or Jᵀ (U → V) then J (V → U). */
type Application =
  | { readonly kind: 'symmetric'; readonly apply: ApplyRuns }
  | {
      readonly kind: 'bidiagonal';
      readonly cols: number;
      readonly applyJt: ApplyRuns;
      readonly applyJ: ApplyRuns;
      /** One-sided reorthogonalization (cols > n). */
      readonly oneSided: boolean;
    };

/** A group buffer holding `data`. */
async function upload(group: BufferGroup, data: Float32Array, label: string): Promise<GPUBuffer> {
  const buffer = await group.storage(data.length, label);
  group.ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** The GPU Krylov backend (see the module documentation). Dispose it. */
export class KrylovGpuBackend implements Disposable {
  readonly ctx: GpuContext;
  readonly n: number;
  readonly items: number;
  readonly p: number;
  readonly capacity: number;
  /** Rows currently allocated per item and space (≤ capacity). */
  allocated: number;
  /** After a `vectors` request: [items][count][n] Ritz vectors (owned by the caller once taken). */
  vectorBuffer: GPUBuffer | null = null;
  /** Ritz vectors per item in {@link vectorBuffer}. */
  vectorCount = 0;
  readonly #options: KrylovGpuOptions;
  readonly #app: Application;
  readonly #k: Kernels;
  /** The main basis (Q or U, length n) and, for Golub–Kahan, V. */
  readonly #main: Space;
  readonly #right: Space | null;
  readonly #lane: { readonly norm0: GPUBuffer; readonly norm2: GPUBuffer; readonly hole: GPUBuffer; readonly inv: GPUBuffer };
  readonly #exponent: GPUBuffer;
  readonly #maxAbs: GPUBuffer;
  #exponentSet = false;
  /** Rows kept by the last restart (see `rightWindowStart`). */
  #kept = 0;
  /** The current expand runs a verification round: V candidates against every V row (see `rightWindowStart`). */
  #fullRight = false;
  /** One-sided: per item, the largest Jᵀ candidate norm so far (≤ ‖J‖, scaled units; see `rightHoleFloor`). */
  readonly #rightScale: Float64Array;
  #disposed = false;

  /** @internal use {@link createKrylovGpu} or {@link createGolubKahanGpu} */
  constructor(
    ctx: GpuContext,
    shape: { readonly n: number; readonly items: number },
    app: Application,
    options: KrylovGpuOptions,
    kernels: Kernels,
    buffers: {
      allocated: number;
      main: Space;
      right: Space | null;
      norm0: GPUBuffer;
      norm2: GPUBuffer;
      hole: GPUBuffer;
      inv: GPUBuffer;
      exponent: GPUBuffer;
      maxAbs: GPUBuffer;
    },
  ) {
    this.ctx = ctx;
    this.n = shape.n;
    this.items = shape.items;
    this.p = options.block;
    this.capacity = options.capacity;
    this.#options = options;
    this.#app = app;
    this.#k = kernels;
    this.allocated = buffers.allocated;
    this.#main = buffers.main;
    this.#right = buffers.right;
    this.#lane = { norm0: buffers.norm0, norm2: buffers.norm2, hole: buffers.hole, inv: buffers.inv };
    this.#exponent = buffers.exponent;
    this.#maxAbs = buffers.maxAbs;
    this.#rightScale = new Float64Array(shape.items);
  }

  get #lanes(): number {
    return this.items * this.p;
  }

  get #spaces(): Space[] {
    return this.#right ? [this.#main, this.#right] : [this.#main];
  }

  /** Serves one driver request. */
  async handle(request: KrylovRequest): Promise<KrylovResponse> {
    if (this.#disposed) throw new DisposedError('KrylovGpuBackend');
    switch (request.kind) {
      case 'start':
        return this.#start();
      case 'expand':
        await this.#ensureRows(request.rows + request.steps * this.p);
        this.#fullRight = request.fullRight;
        return this.#expand(request.rows, request.steps, request.active, request.tick);
      case 'restart':
        this.#kept = request.keep;
        await this.#ensureRows(request.keep + this.p);
        await this.#restart(request.applied, request.keep, request.s, request.right, request.clear);
        return null;
      case 'vectors':
        await this.#vectors(request.rows, request.count, request.s);
        return null;
    }
  }

  /** Grows the bases (doubling, up to the capacity) so that they hold `rows` rows per item. */
  async #ensureRows(rows: number): Promise<void> {
    if (rows <= this.allocated) return;
    const { ctx, items } = this;
    const next = Math.min(this.capacity, Math.max(rows, 2 * this.allocated));
    for (const space of this.#spaces) checkBasisSize(ctx, items, next, space.len);
    const oldRows = this.allocated;
    using group = new BufferGroup(ctx);
    const grown = await Promise.all(this.#spaces.map((space) => group.storage(items * next * space.len, 'krylov basis')));
    await record(ctx, 'krylov basis growth', (rec) => {
      this.#spaces.forEach((space, i) => {
        const len = space.len;
        for (let b = 0; b < items; b++) rec.copy(space.basis, b * oldRows * len * 4, grown[i]!, b * next * len * 4, oldRows * len * 4);
      });
    });
    group.keep(...grown);
    this.#spaces.forEach((space, i) => {
      ctx.destroyBuffer(space.basis);
      space.basis = grown[i]!;
    });
    this.allocated = next;
  }

  #basisMatrix(space: Space, first: number) {
    const stride = this.allocated * space.len;
    return { buffer: space.basis, offset: first * stride, rows: this.allocated, cols: space.len, batchStride: stride };
  }

  async #start(): Promise<CandidateRecords> {
    const { ctx, n, p, items } = this;
    const lanes = this.#lanes;
    const start = this.#options.start;
    const w = this.#main.w;
    if (start.kind === 'host') {
      const data = new Float32Array(lanes * n);
      if (start.shared) for (let b = 0; b < items; b++) data.set(start.data.subarray(0, p * n), b * p * n);
      else data.set(start.data);
      ctx.device.queue.writeBuffer(w, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    ctx.device.queue.writeBuffer(this.#exponent, 0, new Int32Array(items).fill(EXPONENT_UNSET));
    ctx.device.queue.writeBuffer(this.#lane.hole, 0, new Uint32Array(lanes));
    this.#exponentSet = false;
    this.#rightScale.fill(0);
    const staged = await record(ctx, 'krylov start', (rec) => {
      if (start.kind === 'gpu') rec.copy(start.buffer, (start.offset ?? 0) * 4, w, 0, lanes * n * 4);
      const recNorm = rec.scratch(lanes * 4, 'krylov start norms');
      const recFlags = rec.scratch(lanes * 4, 'krylov start flags');
      const h = rec.scratch(lanes * Math.max(1, p) * 4, 'krylov start coefficients');
      this.#k.dot.encode(rec, w, w, this.#lane.norm0, { n, batch: lanes });
      this.#finishBlock(rec, this.#main, { first: 0, count: items }, 0, [h, h], 0, p, recNorm, recFlags, 0);
      return [rec.stage(recNorm, 0, lanes * 4), rec.stage(recFlags, 0, lanes * 4)];
    });
    const [normRaw, flagRaw] = await Promise.all(staged.map((s) => readStaging(ctx, s)));
    return {
      coef: new Float64Array(0),
      norm: Float64Array.from(new Float32Array(normRaw!)),
      flags: Uint8Array.from(new Uint32Array(flagRaw!)),
      exponent: new Int32Array(items),
    };
  }

  /**
   * Within-block CGS2 of candidates v = 0..p−1 of the run against rows [r, r + v) of `space`,
   * norms, the hole test and normalization into rows r + v. Coefficients go to column
   * (coefBase + lane)·cStride of h.
   */
  #finishBlock(
    rec: Recorder,
    space: Space,
    run: { first: number; count: number },
    r: number,
    h: readonly [GPUBuffer, GPUBuffer],
    coefBase: number,
    cStride: number,
    recNorm: GPUBuffer,
    recFlags: GPUBuffer,
    recBase: number,
    minNorm0 = 0,
  ): void {
    const { p } = this;
    const n = space.len;
    const { mv, dot, krylov, scale } = this.#k;
    const { first, count } = run;
    for (let v = 0; v < p; v++) {
      const lane0 = first * p + v;
      const wv: VectorsView = { buffer: space.w, offset: lane0 * n, batchStride: p * n, vectorStride: n };
      if (v > 0) {
        for (const hb of h) {
          const hv: VectorsView = { buffer: hb, offset: (coefBase + lane0) * cStride, batchStride: p * cStride, vectorStride: cStride };
          const m = this.#basisMatrix(space, first);
          mv.encodeN(rec, { m, x: wv, y: hv, batch: count, vectors: 1, rowBegin: r, rowEnd: r + v });
          mv.encodeT(rec, { m, x: hv, y: wv, batch: count, vectors: 1, rowBegin: r, rowEnd: r + v, alpha: -1, beta: 1 });
        }
      }
      // ‖w‖² of lanes lane0 + t·p, t < count, at consecutive positions first·p + t.
      dot.encode(rec, space.w, space.w, this.#lane.norm2, { n, batch: count, stride: p * n, offset: lane0 * n }, first * p, 'sum');
      krylov.normalize(rec, {
        ...this.#lane,
        norm2Base: first * p,
        recNorm,
        recFlags,
        firstLane: lane0,
        laneStride: p,
        count,
        recBase,
        tol: this.#options.holeTolerance,
        minNorm0,
      });
      scale.encode(rec, {
        src: { buffer: space.w, offset: lane0 * n, stride: p * n },
        dst: { buffer: space.basis, offset: first * this.allocated * n + (r + v) * n, stride: this.allocated * n },
        scales: { buffer: this.#lane.inv, offset: lane0, stride: p },
        len: n,
        batch: count,
      });
    }
  }

  async #expand(rows: number, steps: number, active: Uint8Array, tick: number): Promise<CandidateRecords> {
    const { ctx, p, items } = this;
    const lanes = this.#lanes;
    const halves = this.#right ? 2 : 1;
    const halfSteps = steps * halves;
    const runs = activeRuns(active);
    const cStride = this.allocated;
    // Per half-step, the first row of the basis its candidates are orthogonalized against.
    const app = this.#app;
    const oneSided = app.kind === 'bidiagonal' && app.oneSided;
    const windowStarts = Array.from({ length: halfSteps }, (_, hs) =>
      oneSided && hs % 2 === 0 ? rightWindowStart(rows + (hs / 2) * p - p, p, this.#kept, this.#fullRight) : 0,
    );
    // The loss of orthogonality is measured on the recurrence's own window (a verification round's
    // full V pass also sees the V rows' known loss of orthogonality, which one-sided Golub–Kahan
    // does not rely on: docs/accuracy.md, "Golub–Kahan").
    const lossStarts = Array.from({ length: halfSteps }, (_, hs) =>
      oneSided && hs % 2 === 0 ? rightWindowStart(rows + (hs / 2) * p - p, p, this.#kept, false) : 0,
    );
    const staged = await record(ctx, `krylov steps ${tick}..${tick + steps - 1}`, (rec) => {
      const h1 = rec.scratch(halfSteps * lanes * cStride * 4, 'krylov coefficients (pass 1)');
      const h2 = rec.scratch(halfSteps * lanes * cStride * 4, 'krylov coefficients (pass 2)');
      const recNorm = rec.scratch(halfSteps * lanes * 4, 'krylov norms');
      const recFlags = rec.scratch(halfSteps * lanes * 4, 'krylov flags');
      const out = { h: [h1, h2] as const, cStride, recNorm, recFlags };
      for (let s = 0; s < steps; s++) {
        const r = rows + s * p;
        if (app.kind === 'symmetric') this.#half(rec, runs, this.#main, this.#main, r - p, r, 0, app.apply, tick + s, s * lanes, out);
        else {
          // Jᵀ on the frontier of U into V rows [r − p, r), then J on those into U rows [r, r + p).
          const from = windowStarts[2 * s]!;
          this.#half(rec, runs, this.#main, this.#right!, r - p, r - p, from, app.applyJt, 2 * (tick + s), 2 * s * lanes, out);
          this.#half(rec, runs, this.#right!, this.#main, r - p, r, 0, app.applyJ, 2 * (tick + s) + 1, (2 * s + 1) * lanes, out);
        }
      }
      return [
        rec.stage(h1, 0, halfSteps * lanes * cStride * 4),
        rec.stage(h2, 0, halfSteps * lanes * cStride * 4),
        rec.stage(recNorm, 0, halfSteps * lanes * 4),
        rec.stage(recFlags, 0, halfSteps * lanes * 4),
        rec.stage(this.#exponent, 0, items * 4),
      ];
    });
    const [h1Raw, h2Raw, normRaw, flagRaw, expRaw] = await Promise.all(staged.map((s) => readStaging(ctx, s)));
    const h1 = new Float32Array(h1Raw!);
    const h2 = new Float32Array(h2Raw!);
    const cap = this.capacity;
    const coef = new Float64Array(halfSteps * lanes * cap);
    const loss = new Float64Array(halfSteps * lanes);
    const norm = Float64Array.from(new Float32Array(normRaw!));
    const flags = Uint8Array.from(new Uint32Array(flagRaw!));
    for (let c = 0; c < halfSteps * lanes; c++) {
      const hs = Math.floor(c / lanes);
      const s = Math.floor(hs / halves);
      const v = (c % lanes) % p;
      // The row the candidate joins: Q/U row rows + s·p + v, or (half 0 of Golub–Kahan) V row rows − p + s·p + v.
      const target = rows + s * p + v - (halves === 2 && hs % 2 === 0 ? p : 0);
      // One-sided, J half: only the coefficients on U rows ≥ the source V row are recorded (see `recordedFrom`).
      const recorded = oneSided && hs % 2 === 1 ? recordedFrom(target, p) : 0;
      let a2 = 0;
      let b2 = 0;
      for (let i = windowStarts[hs]!; i < target; i++) {
        const x = h1[c * cStride + i]!;
        const y = h2[c * cStride + i]!;
        if (i >= recorded) coef[c * cap + i] = x + y;
        a2 += x * x;
        if (i >= lossStarts[hs]!) b2 += y * y;
        else a2 += y * y;
      }
      if (oneSided && hs % 2 === 0 && !(flags[c]! & (CandidateFlag.hole | CandidateFlag.injected))) {
        const b = Math.floor((c % lanes) / p);
        this.#rightScale[b] = Math.max(this.#rightScale[b]!, norm[c]!);
      }
      // ‖h₂‖/‖w₀‖ with ‖w₀‖² = ‖h₁‖² + ‖h₂‖² + ‖w₂‖² (Pythagoras, up to rounding). A Jᵀ candidate
      // that is a hole joins no basis: its ratio (rounding noise against V) measures nothing kept.
      const w2 = norm[c]!;
      const w0 = a2 + b2 + w2 * w2;
      const dropped = halves === 2 && hs % 2 === 0 && flags[c]! & CandidateFlag.hole;
      loss[c] = w0 > 0 && !dropped ? Math.sqrt(b2 / w0) : 0;
    }
    return { coef, norm, flags, exponent: new Int32Array(expRaw!), loss };
  }

  /**
   * Records one half-step for the active runs: candidates = the operator on rows [from, from + p)
   * of `source` (where a lane's source row is a hole: a random vector, or zero for the Jᵀ half),
   * scaled by 2^−e, CGS2 against rows [windowStart, to) of `target`, then within the block,
   * normalized into rows [to, to + p).
   */
  #half(
    rec: Recorder,
    runs: readonly { first: number; count: number }[],
    source: Space,
    target: Space,
    from: number,
    to: number,
    windowStart: number,
    apply: ApplyRuns,
    tick: number,
    recBase: number,
    out: {
      readonly h: readonly [GPUBuffer, GPUBuffer];
      readonly cStride: number;
      readonly recNorm: GPUBuffer;
      readonly recFlags: GPUBuffer;
    },
  ): void {
    const { p, items } = this;
    const n = target.len;
    const { mv, dot, krylov } = this.#k;
    const oneSidedRight = this.#app.kind === 'bidiagonal' && this.#app.oneSided && target === this.#right;
    const x: VectorsView = {
      buffer: source.basis,
      offset: from * source.len,
      batchStride: this.allocated * source.len,
      vectorStride: source.len,
    };
    const w: VectorsView = { buffer: target.w, batchStride: p * n, vectorStride: n };
    apply(rec, x, w, p, runs);
    if (!this.#exponentSet) {
      for (const run of runs)
        dot.encode(rec, target.w, null, this.#maxAbs, { n: p * n, batch: run.count, offset: run.first * p * n }, run.first, 'maxAbs');
      // maxAbs was read at the right offsets only for active items; the others keep their exponent unset.
      krylov.exponent(rec, this.#maxAbs, this.#exponent, items);
      this.#exponentSet = true;
    }
    for (const run of runs) {
      const lane0 = run.first * p;
      krylov.prepare(rec, {
        w: target.w,
        hole: this.#lane.hole,
        exponent: this.#exponent,
        n,
        firstLane: lane0,
        lanes: run.count * p,
        block: p,
        seed: this.#options.seed,
        tick,
        zeroHoles: target === this.#right,
      });
      dot.encode(rec, target.w, target.w, this.#lane.norm0, { n, batch: run.count * p, offset: lane0 * n }, lane0, 'sum');
      const m = this.#basisMatrix(target, run.first);
      const wv: VectorsView = { buffer: target.w, offset: lane0 * n, batchStride: p * n, vectorStride: n };
      for (const hb of out.h) {
        const hv: VectorsView = {
          buffer: hb,
          offset: (recBase + lane0) * out.cStride,
          batchStride: p * out.cStride,
          vectorStride: out.cStride,
        };
        mv.encodeN(rec, { m, x: wv, y: hv, batch: run.count, vectors: p, rowBegin: windowStart, rowEnd: to });
        mv.encodeT(rec, { m, x: hv, y: wv, batch: run.count, vectors: p, rowBegin: windowStart, rowEnd: to, alpha: -1, beta: 1 });
      }
      const floor = oneSidedRight ? rightHoleFloor(this.#rightScale, run.first, run.count) : 0;
      this.#finishBlock(rec, target, run, to, out.h, recBase, out.cStride, out.recNorm, out.recFlags, recBase, floor);
    }
  }

  async #restart(
    applied: number,
    keep: number,
    s: readonly (Float64Array | null)[],
    right: readonly (Float64Array | null)[] | null,
    clear: Uint8Array,
  ): Promise<void> {
    const { ctx, p, items } = this;
    const active = Uint8Array.from(s, (x) => (x ? 1 : 0));
    const runs = activeRuns(active);
    if (runs.length === 0) return;
    const holes = new Uint32Array(p).fill(1);
    clear.forEach((c, b) => {
      if (c) ctx.device.queue.writeBuffer(this.#lane.hole, b * p * 4, holes);
    });
    using group = new BufferGroup(ctx);
    const combos: { space: Space; sBuffer: GPUBuffer; y: GPUBuffer; frontier: boolean }[] = [];
    for (const [space, mats, frontier] of [
      [this.#main, s, true],
      [this.#right, right, false],
    ] as const) {
      if (!space || !mats) continue;
      // S as f32 vectors: x[b][t][j] = S_b[j][t].
      const sT = new Float32Array(items * keep * applied);
      mats.forEach((sb, b) => {
        if (!sb) return;
        for (let j = 0; j < applied; j++) for (let t = 0; t < keep; t++) sT[(b * keep + t) * applied + j] = sb[j * keep + t]!;
      });
      const rowsNew = frontier ? keep + p : keep;
      combos.push({
        space,
        sBuffer: await upload(group, sT, 'krylov restart S'),
        y: await group.storage(items * rowsNew * space.len, 'krylov restart rows'),
        frontier,
      });
    }
    await record(ctx, 'krylov restart', (rec) => {
      for (const { space, sBuffer, y, frontier } of combos) {
        const n = space.len;
        const rowsNew = frontier ? keep + p : keep;
        for (const run of runs) {
          this.#k.mv.encodeT(rec, {
            m: this.#basisMatrix(space, run.first),
            x: { buffer: sBuffer, offset: run.first * keep * applied, batchStride: keep * applied, vectorStride: applied },
            y: { buffer: y, offset: run.first * rowsNew * n, batchStride: rowsNew * n, vectorStride: n },
            batch: run.count,
            vectors: keep,
            rowEnd: applied,
          });
        }
        const stride = this.allocated * n;
        for (let b = 0; b < items; b++) {
          if (!s[b]) continue;
          if (frontier) {
            if (clear[b]) rec.clear(y, (b * rowsNew + keep) * n * 4, p * n * 4);
            else rec.copy(space.basis, (b * stride + applied * n) * 4, y, (b * rowsNew + keep) * n * 4, p * n * 4);
          }
          rec.copy(y, b * rowsNew * n * 4, space.basis, b * stride * 4, rowsNew * n * 4);
        }
      }
    });
  }

  async #vectors(rows: Int32Array, count: number, s: readonly Float64Array[]): Promise<void> {
    const { ctx, n, items } = this;
    const rMax = Math.max(1, ...rows);
    this.vectorCount = count;
    const out = await ctx.createBuffer({ label: 'ritz vectors', size: Math.max(16, items * count * n * 4), usage: STORAGE_USAGE });
    try {
      // S as f32 vectors: x[b][t][j] = S_b[j][t]; rows past an item's own count stay zero.
      const sT = new Float32Array(items * count * rMax);
      s.forEach((sb, b) => {
        for (let j = 0; j < rows[b]!; j++) for (let t = 0; t < count; t++) sT[(b * count + t) * rMax + j] = sb[j * count + t]!;
      });
      using group = new BufferGroup(ctx);
      const sBuffer = await upload(group, sT, 'ritz S');
      await record(ctx, 'ritz vectors', (rec) => {
        this.#k.mv.encodeT(rec, {
          m: this.#basisMatrix(this.#main, 0),
          x: { buffer: sBuffer, batchStride: count * rMax, vectorStride: rMax },
          y: { buffer: out, batchStride: count * n, vectorStride: n },
          batch: items,
          vectors: count,
          rowEnd: rMax,
        });
      });
      this.vectorBuffer = out;
    } catch (error) {
      ctx.destroyBuffer(out);
      throw error;
    }
  }

  /** Releases the backend's buffers (not the operator, not a taken {@link vectorBuffer}). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const space of this.#spaces) {
      this.ctx.destroyBuffer(space.basis);
      this.ctx.destroyBuffer(space.w);
    }
    for (const b of [...Object.values(this.#lane), this.#exponent, this.#maxAbs]) this.ctx.destroyBuffer(b);
    this.ctx.destroyBuffer(this.vectorBuffer);
    this.vectorBuffer = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Throws DeviceLimitError when a basis of `rows` vectors of length `len` per item cannot be one buffer. */
function checkBasisSize(ctx: GpuContext, items: number, rows: number, len: number): void {
  const bytes = items * rows * len * 4;
  if (bytes > ctx.limits.maxBufferSize)
    throw new DeviceLimitError(
      'maxBufferSize',
      bytes,
      ctx.limits.maxBufferSize,
      `a Krylov basis of ${items} operators × ${rows} vectors × ${len}`,
    );
}

/** Allocates the backend's buffers and compiles its kernels. */
async function createBackend(
  ctx: GpuContext,
  shape: { readonly n: number; readonly items: number },
  app: Application,
  options: KrylovGpuOptions,
): Promise<KrylovGpuBackend> {
  const { n, items } = shape;
  const p = options.block;
  const lanes = items * p;
  // On software adapters a split reduction costs an extra dispatch per product and buys nothing
  // on a few CPU cores: the CGS products run unsplit there.
  const [mv, dot, krylov, scale] = await Promise.all([
    createMatVec(ctx, ctx.adapter.software ? { targetWorkgroups: 1 } : {}),
    createBatchedDot(ctx),
    createKrylovKernels(ctx),
    createScaleVectors(ctx),
  ]);
  const allocated = Math.min(options.capacity, Math.max(4 * p, 32));
  const lens = app.kind === 'bidiagonal' ? [n, app.cols] : [n];
  for (const len of lens) checkBasisSize(ctx, items, allocated, len);
  using group = new BufferGroup(ctx);
  const spaces: Space[] = [];
  for (const len of lens)
    spaces.push({
      len,
      basis: await group.storage(items * allocated * len, 'krylov basis'),
      w: await group.storage(lanes * len, 'krylov candidates'),
    });
  const lane = {
    norm0: await group.storage(lanes, 'krylov norm0'),
    norm2: await group.storage(lanes, 'krylov norm2'),
    hole: await group.storage(lanes, 'krylov hole'),
    inv: await group.storage(lanes, 'krylov inv'),
    exponent: await group.storage(items, 'krylov exponent'),
    maxAbs: await group.storage(items, 'krylov maxAbs'),
  };
  const backend = new KrylovGpuBackend(
    ctx,
    shape,
    app,
    options,
    { mv, dot, krylov, scale },
    {
      allocated,
      main: spaces[0]!,
      right: spaces[1] ?? null,
      ...lane,
    },
  );
  group.keep(...spaces.flatMap((s) => [s.basis, s.w]), ...Object.values(lane));
  return backend;
}

/** Allocates a GPU Krylov backend (Lanczos) for a symmetric `operator` and compiles its kernels. */
export async function createKrylovGpu(operator: SymmetricOperator, options: KrylovGpuOptions): Promise<KrylovGpuBackend> {
  const apply = applyRuns(operator.encodeApplyItems?.bind(operator), operator.encodeApply.bind(operator));
  return createBackend(operator.ctx, { n: operator.n, items: operator.batch }, { kind: 'symmetric', apply }, options);
}

/**
 * Allocates a GPU Krylov backend (Golub–Kahan: bases U of length n and V of length p) for a
 * rectangular `operator` J, for the eigenvalues of K = J Jᵀ, and compiles its kernels.
 */
export async function createGolubKahanGpu(operator: RectangularOperator, options: KrylovGpuOptions): Promise<KrylovGpuBackend> {
  const applyJt = applyRuns(operator.encodeJtItems?.bind(operator), operator.encodeJt.bind(operator));
  const applyJ = applyRuns(operator.encodeJItems?.bind(operator), operator.encodeJ.bind(operator));
  return createBackend(
    operator.ctx,
    { n: operator.n, items: operator.batch },
    { kind: 'bidiagonal', cols: operator.p, applyJt, applyJ, oneSided: operator.p > operator.n },
    options,
  );
}
