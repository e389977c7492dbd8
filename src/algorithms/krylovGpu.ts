/**
 * The GPU backend of the block thick-restart Lanczos driver (src/reference/krylov.ts): the basis
 * of every operator of a batch lives on the GPU in f32 and a whole chunk of block steps is one
 * command buffer — apply, scaling by a power of two, random candidates after holes, CGS2 against
 * the basis (matVecN/matVecT over all rows, then within the block), norms, the hole test and
 * normalization — followed by one readback of the projection coefficients. Operators that have
 * converged are not applied again (the step runs over the contiguous runs of active operators).
 *
 * Layout: basis [items][capacity][n] (grown as rows are needed), candidates w [items][p][n];
 * lane l = b·p + v is block member v of operator b.
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
import type { CandidateRecords, KrylovRequest, KrylovResponse } from '../reference/krylov.ts';
import type { SymmetricOperator } from './operators.ts';

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

/** A group buffer holding `data`. */
async function upload(group: BufferGroup, data: Float32Array, label: string): Promise<GPUBuffer> {
  const buffer = await group.storage(data.length, label);
  group.ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** Contiguous runs [first, first + count) of active items. */
function runsOf(active: Uint8Array): { first: number; count: number }[] {
  const runs: { first: number; count: number }[] = [];
  for (let b = 0; b < active.length; b++) {
    if (!active[b]) continue;
    const last = runs[runs.length - 1];
    if (last && last.first + last.count === b) last.count++;
    else runs.push({ first: b, count: 1 });
  }
  return runs;
}

/** The GPU Krylov backend (see the module documentation). Dispose it. */
export class KrylovGpuBackend implements Disposable {
  readonly ctx: GpuContext;
  readonly operator: SymmetricOperator;
  readonly n: number;
  readonly items: number;
  readonly p: number;
  readonly capacity: number;
  /** Rows currently allocated per item (≤ capacity). */
  allocated: number;
  /** Basis [items][allocated][n]. */
  basis: GPUBuffer;
  /** After a `vectors` request: [items][count][n] Ritz vectors (owned by the caller once taken). */
  vectorBuffer: GPUBuffer | null = null;
  /** Ritz vectors per item in {@link vectorBuffer}. */
  vectorCount = 0;
  readonly #options: KrylovGpuOptions;
  readonly #k: Kernels;
  readonly #w: GPUBuffer;
  readonly #lane: { readonly norm0: GPUBuffer; readonly norm2: GPUBuffer; readonly hole: GPUBuffer; readonly inv: GPUBuffer };
  readonly #exponent: GPUBuffer;
  readonly #maxAbs: GPUBuffer;
  #exponentSet = false;
  #disposed = false;

  /** @internal use {@link createKrylovGpu} */
  constructor(
    operator: SymmetricOperator,
    options: KrylovGpuOptions,
    kernels: Kernels,
    buffers: {
      basis: GPUBuffer;
      allocated: number;
      w: GPUBuffer;
      norm0: GPUBuffer;
      norm2: GPUBuffer;
      hole: GPUBuffer;
      inv: GPUBuffer;
      exponent: GPUBuffer;
      maxAbs: GPUBuffer;
    },
  ) {
    this.ctx = operator.ctx;
    this.operator = operator;
    this.n = operator.n;
    this.items = operator.batch;
    this.p = options.block;
    this.capacity = options.capacity;
    this.#options = options;
    this.#k = kernels;
    this.basis = buffers.basis;
    this.allocated = buffers.allocated;
    this.#w = buffers.w;
    this.#lane = { norm0: buffers.norm0, norm2: buffers.norm2, hole: buffers.hole, inv: buffers.inv };
    this.#exponent = buffers.exponent;
    this.#maxAbs = buffers.maxAbs;
  }

  get #lanes(): number {
    return this.items * this.p;
  }

  /** Serves one driver request. */
  async handle(request: KrylovRequest): Promise<KrylovResponse> {
    if (this.#disposed) throw new DisposedError('KrylovGpuBackend');
    switch (request.kind) {
      case 'start':
        return this.#start();
      case 'expand':
        await this.#ensureRows(request.rows + request.steps * this.p);
        return this.#expand(request.rows, request.steps, request.active, request.tick);
      case 'restart':
        await this.#ensureRows(request.keep + this.p);
        await this.#restart(request.applied, request.keep, request.s, request.clear);
        return null;
      case 'vectors':
        await this.#vectors(request.rows, request.count, request.s);
        return null;
    }
  }

  /** Grows the basis (doubling, up to the capacity) so that it holds `rows` rows per item. */
  async #ensureRows(rows: number): Promise<void> {
    if (rows <= this.allocated) return;
    const { ctx, n, items } = this;
    const next = Math.min(this.capacity, Math.max(rows, 2 * this.allocated));
    const bytes = items * next * n * 4;
    if (bytes > ctx.limits.maxBufferSize)
      throw new DeviceLimitError(
        'maxBufferSize',
        bytes,
        ctx.limits.maxBufferSize,
        `a Krylov basis of ${items} operators × ${next} vectors × n = ${n}`,
      );
    using group = new BufferGroup(ctx);
    const grown = await group.storage(items * next * n, 'krylov basis');
    const old = this.basis;
    const oldRows = this.allocated;
    await record(ctx, 'krylov basis growth', (rec) => {
      for (let b = 0; b < items; b++) rec.copy(old, b * oldRows * n * 4, grown, b * next * n * 4, oldRows * n * 4);
    });
    group.keep(grown);
    this.basis = grown;
    this.allocated = next;
    ctx.destroyBuffer(old);
  }

  #basisMatrix(first: number) {
    const stride = this.allocated * this.n;
    return { buffer: this.basis, offset: first * stride, rows: this.allocated, cols: this.n, batchStride: stride };
  }

  async #start(): Promise<CandidateRecords> {
    const { ctx, n, p, items } = this;
    const lanes = this.#lanes;
    const start = this.#options.start;
    if (start.kind === 'host') {
      const data = new Float32Array(lanes * n);
      if (start.shared) for (let b = 0; b < items; b++) data.set(start.data.subarray(0, p * n), b * p * n);
      else data.set(start.data);
      ctx.device.queue.writeBuffer(this.#w, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    ctx.device.queue.writeBuffer(this.#exponent, 0, new Int32Array(items).fill(EXPONENT_UNSET));
    ctx.device.queue.writeBuffer(this.#lane.hole, 0, new Uint32Array(lanes));
    this.#exponentSet = false;
    const staged = await record(ctx, 'krylov start', (rec) => {
      if (start.kind === 'gpu') rec.copy(start.buffer, (start.offset ?? 0) * 4, this.#w, 0, lanes * n * 4);
      const recNorm = rec.scratch(lanes * 4, 'krylov start norms');
      const recFlags = rec.scratch(lanes * 4, 'krylov start flags');
      const h = rec.scratch(lanes * Math.max(1, p) * 4, 'krylov start coefficients');
      this.#k.dot.encode(rec, this.#w, this.#w, this.#lane.norm0, { n, batch: lanes });
      this.#finishBlock(rec, { first: 0, count: items }, 0, [h, h], 0, p, recNorm, recFlags, 0);
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
   * Within-block CGS2 of candidates v = 0..p−1 of the run against rows [r, r + v), norms, the hole
   * test and normalization into rows r + v. Coefficients go to column (coefBase + lane)·cStride of h.
   */
  #finishBlock(
    rec: Recorder,
    run: { first: number; count: number },
    r: number,
    h: readonly [GPUBuffer, GPUBuffer],
    coefBase: number,
    cStride: number,
    recNorm: GPUBuffer,
    recFlags: GPUBuffer,
    recBase: number,
  ): void {
    const { n, p } = this;
    const { mv, dot, krylov, scale } = this.#k;
    const { first, count } = run;
    for (let v = 0; v < p; v++) {
      const lane0 = first * p + v;
      const wv: VectorsView = { buffer: this.#w, offset: lane0 * n, batchStride: p * n, vectorStride: n };
      if (v > 0) {
        for (const hb of h) {
          const hv: VectorsView = { buffer: hb, offset: (coefBase + lane0) * cStride, batchStride: p * cStride, vectorStride: cStride };
          const m = this.#basisMatrix(first);
          mv.encodeN(rec, { m, x: wv, y: hv, batch: count, vectors: 1, rowBegin: r, rowEnd: r + v });
          mv.encodeT(rec, { m, x: hv, y: wv, batch: count, vectors: 1, rowBegin: r, rowEnd: r + v, alpha: -1, beta: 1 });
        }
      }
      // ‖w‖² of lanes lane0 + t·p, t < count, at consecutive positions first·p + t.
      dot.encode(rec, this.#w, this.#w, this.#lane.norm2, { n, batch: count, stride: p * n, offset: lane0 * n }, first * p, 'sum');
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
      });
      scale.encode(rec, {
        src: { buffer: this.#w, offset: lane0 * n, stride: p * n },
        dst: { buffer: this.basis, offset: first * this.allocated * n + (r + v) * n, stride: this.allocated * n },
        scales: { buffer: this.#lane.inv, offset: lane0, stride: p },
        len: n,
        batch: count,
      });
    }
  }

  async #expand(rows: number, steps: number, active: Uint8Array, tick: number): Promise<CandidateRecords> {
    const { ctx, p, items } = this;
    const lanes = this.#lanes;
    const runs = runsOf(active);
    const cStride = this.allocated;
    const staged = await record(ctx, `krylov steps ${tick}..${tick + steps - 1}`, (rec) => {
      const h1 = rec.scratch(steps * lanes * cStride * 4, 'krylov coefficients (pass 1)');
      const h2 = rec.scratch(steps * lanes * cStride * 4, 'krylov coefficients (pass 2)');
      const recNorm = rec.scratch(steps * lanes * 4, 'krylov norms');
      const recFlags = rec.scratch(steps * lanes * 4, 'krylov flags');
      for (let s = 0; s < steps; s++) this.#step(rec, runs, rows + s * p, tick + s, [h1, h2], s * lanes, cStride, recNorm, recFlags);
      return [
        rec.stage(h1, 0, steps * lanes * cStride * 4),
        rec.stage(h2, 0, steps * lanes * cStride * 4),
        rec.stage(recNorm, 0, steps * lanes * 4),
        rec.stage(recFlags, 0, steps * lanes * 4),
        rec.stage(this.#exponent, 0, items * 4),
      ];
    });
    const [h1Raw, h2Raw, normRaw, flagRaw, expRaw] = await Promise.all(staged.map((s) => readStaging(ctx, s)));
    const h1 = new Float32Array(h1Raw!);
    const h2 = new Float32Array(h2Raw!);
    const cap = this.capacity;
    const coef = new Float64Array(steps * lanes * cap);
    const loss = new Float64Array(steps * lanes);
    const norm = Float64Array.from(new Float32Array(normRaw!));
    for (let c = 0; c < steps * lanes; c++) {
      const s = Math.floor(c / lanes);
      const v = (c % lanes) % p;
      const target = rows + s * p + v;
      let a2 = 0;
      let b2 = 0;
      for (let i = 0; i < target; i++) {
        const x = h1[c * cStride + i]!;
        const y = h2[c * cStride + i]!;
        coef[c * cap + i] = x + y;
        a2 += x * x;
        b2 += y * y;
      }
      // ‖h₂‖/‖w₀‖ with ‖w₀‖² = ‖h₁‖² + ‖h₂‖² + ‖w₂‖² (Pythagoras, up to rounding).
      const w2 = norm[c]!;
      const w0 = a2 + b2 + w2 * w2;
      loss[c] = w0 > 0 ? Math.sqrt(b2 / w0) : 0;
    }
    return { coef, norm, flags: Uint8Array.from(new Uint32Array(flagRaw!)), exponent: new Int32Array(expRaw!), loss };
  }

  /** Records one block step at row r (frontier rows [r − p, r)) for the active runs. */
  #step(
    rec: Recorder,
    runs: readonly { first: number; count: number }[],
    r: number,
    tick: number,
    h: readonly [GPUBuffer, GPUBuffer],
    coefBase: number,
    cStride: number,
    recNorm: GPUBuffer,
    recFlags: GPUBuffer,
  ): void {
    const { n, p, items, operator } = this;
    const { mv, dot, krylov } = this.#k;
    const stride = this.allocated * n;
    const x: VectorsView = { buffer: this.basis, offset: (r - p) * n, batchStride: stride, vectorStride: n };
    const w: VectorsView = { buffer: this.#w, batchStride: p * n, vectorStride: n };
    if (operator.encodeApplyItems) for (const run of runs) operator.encodeApplyItems(rec, x, w, p, run.first, run.count);
    else operator.encodeApply(rec, x, w, p);
    if (!this.#exponentSet) {
      for (const run of runs)
        dot.encode(rec, this.#w, null, this.#maxAbs, { n: p * n, batch: run.count, offset: run.first * p * n }, run.first, 'maxAbs');
      // maxAbs was read at the right offsets only for active items; the others keep their exponent unset.
      krylov.exponent(rec, this.#maxAbs, this.#exponent, items);
      this.#exponentSet = true;
    }
    for (const run of runs) {
      const lane0 = run.first * p;
      krylov.prepare(rec, {
        w: this.#w,
        hole: this.#lane.hole,
        exponent: this.#exponent,
        n,
        firstLane: lane0,
        lanes: run.count * p,
        block: p,
        seed: this.#options.seed,
        tick,
      });
      dot.encode(rec, this.#w, this.#w, this.#lane.norm0, { n, batch: run.count * p, offset: lane0 * n }, lane0, 'sum');
      const m = this.#basisMatrix(run.first);
      const wv: VectorsView = { buffer: this.#w, offset: lane0 * n, batchStride: p * n, vectorStride: n };
      for (const hb of h) {
        const hv: VectorsView = { buffer: hb, offset: (coefBase + lane0) * cStride, batchStride: p * cStride, vectorStride: cStride };
        mv.encodeN(rec, { m, x: wv, y: hv, batch: run.count, vectors: p, rowEnd: r });
        mv.encodeT(rec, { m, x: hv, y: wv, batch: run.count, vectors: p, rowEnd: r, alpha: -1, beta: 1 });
      }
      this.#finishBlock(rec, run, r, h, coefBase, cStride, recNorm, recFlags, coefBase);
    }
  }

  async #restart(applied: number, keep: number, s: readonly (Float64Array | null)[], clear: Uint8Array): Promise<void> {
    const { ctx, n, p, items } = this;
    const active = Uint8Array.from(s, (x) => (x ? 1 : 0));
    const runs = runsOf(active);
    if (runs.length === 0) return;
    // S as f32 vectors: x[b][t][j] = S_b[j][t].
    const sT = new Float32Array(items * keep * applied);
    s.forEach((sb, b) => {
      if (!sb) return;
      for (let j = 0; j < applied; j++) for (let t = 0; t < keep; t++) sT[(b * keep + t) * applied + j] = sb[j * keep + t]!;
    });
    const holes = new Uint32Array(p).fill(1);
    clear.forEach((c, b) => {
      if (c) ctx.device.queue.writeBuffer(this.#lane.hole, b * p * 4, holes);
    });
    using group = new BufferGroup(ctx);
    const sBuffer = await upload(group, sT, 'krylov restart S');
    const rowsNew = keep + p;
    const y = await group.storage(items * rowsNew * n, 'krylov restart rows');
    await record(ctx, 'krylov restart', (rec) => {
      for (const run of runs) {
        this.#k.mv.encodeT(rec, {
          m: this.#basisMatrix(run.first),
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
        if (clear[b]) rec.clear(y, (b * rowsNew + keep) * n * 4, p * n * 4);
        else rec.copy(this.basis, (b * stride + applied * n) * 4, y, (b * rowsNew + keep) * n * 4, p * n * 4);
        rec.copy(y, b * rowsNew * n * 4, this.basis, b * stride * 4, rowsNew * n * 4);
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
          m: this.#basisMatrix(0),
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
    for (const b of [this.basis, this.#w, ...Object.values(this.#lane), this.#exponent, this.#maxAbs]) this.ctx.destroyBuffer(b);
    this.ctx.destroyBuffer(this.vectorBuffer);
    this.vectorBuffer = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Allocates a GPU Krylov backend for `operator` and compiles its kernels. */
export async function createKrylovGpu(operator: SymmetricOperator, options: KrylovGpuOptions): Promise<KrylovGpuBackend> {
  const ctx = operator.ctx;
  const { n, batch: items } = operator;
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
  const bytes = items * allocated * n * 4;
  if (bytes > ctx.limits.maxBufferSize)
    throw new DeviceLimitError(
      'maxBufferSize',
      bytes,
      ctx.limits.maxBufferSize,
      `a Krylov basis of ${items} operators × ${allocated} vectors × n = ${n}`,
    );
  using group = new BufferGroup(ctx);
  const buffers = {
    basis: await group.storage(items * allocated * n, 'krylov basis'),
    allocated,
    w: await group.storage(lanes * n, 'krylov candidates'),
    norm0: await group.storage(lanes, 'krylov norm0'),
    norm2: await group.storage(lanes, 'krylov norm2'),
    hole: await group.storage(lanes, 'krylov hole'),
    inv: await group.storage(lanes, 'krylov inv'),
    exponent: await group.storage(items, 'krylov exponent'),
    maxAbs: await group.storage(items, 'krylov maxAbs'),
  };
  const backend = new KrylovGpuBackend(operator, options, { mv, dot, krylov, scale }, buffers);
  group.keep(buffers.basis, buffers.w, buffers.norm0, buffers.norm2, buffers.hole, buffers.inv, buffers.exponent, buffers.maxAbs);
  return backend;
}
