/**
 * Symmetric operators applied on the GPU to blocks of vectors: the one interface Lanczos,
 * quadrature and the eigensolvers consume, and its built-ins.
 *
 * - {@link denseOperator}: a batch of dense symmetric n×n f32 matrices.
 * - {@link jacobianOperator}: K = J Jᵀ for a batch of n×P Jacobians, applied as J(Jᵀx) without
 *   forming K (wide Jacobians are stored in column blocks that each fit one binding).
 * - {@link csrOperator}: a batch of sparse symmetric matrices in CSR form.
 * - {@link wgslOperator}: matrix-free, from a user WGSL function `operatorEntry(b, i, j)`.
 *
 * "Batched": an operator object holds `batch` operators (checkpoints, layers, ...); `encodeApply`
 * applies operator b to `vectors` vectors of its own, all in the same dispatches.
 *
 * Host matrices come as a {@link MatrixInput}: `{ data, shape: [n, n] }` (or `[batch, n, n]`),
 * which a grsd `Tensor` satisfies, or the `{ n, data, batch }` form; see {@link matrixOperator}.
 * @module
 */
import { DeviceLimitError, DisposedError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import type { Recorder } from '../gpu/recorder.ts';
import { createCsrMatVec, type CsrBuffers } from '../kernels/csrMatVec.ts';
import { createMatVec, type VectorsView } from '../kernels/matVec.ts';
import { createWgslOperatorApply, userOperatorKernel } from '../kernels/wgslOperator.ts';
import type { Csr } from '../reference/sparse.ts';

/**
 * A batch of symmetric operators on Rⁿ that can be applied on the GPU.
 * Implementations own their GPU data unless documented otherwise; call {@link dispose}.
 */
export interface SymmetricOperator extends Disposable {
  /** What it is: `"dense"`, `"jacobian"`, `"csr"`, `"wgsl"` or a user-defined name. */
  readonly kind: string;
  /** Dimension. */
  readonly n: number;
  /** Number of operators in the batch. */
  readonly batch: number;
  /** The context the operator lives on. */
  readonly ctx: GpuContext;
  /**
   * Records `y[b][v] = A_b x[b][v]` for every operator b < batch and vector v < vectors.
   * x and y must not overlap. Does not submit; may use `rec.scratch`.
   */
  encodeApply(rec: Recorder, x: VectorsView, y: VectorsView, vectors: number): void;
  /**
   * Optional: like {@link encodeApply} for operators b in [first, first + count) only (x and y
   * describe the whole batch). Solvers use it to stop applying operators that have converged.
   */
  encodeApplyItems?(rec: Recorder, x: VectorsView, y: VectorsView, vectors: number, first: number, count: number): void;
  /** Releases the GPU memory the operator owns. Idempotent. */
  dispose(): void;
}

type ApplyItems = (rec: Recorder, x: VectorsView, y: VectorsView, vectors: number, first: number, count: number) => void;

/** Views shifted to batch item `first`. */
function fromItem(v: VectorsView, first: number): VectorsView {
  return { ...v, offset: (v.offset ?? 0) + first * v.batchStride };
}

/** The built-in operators: an apply closure and a release closure behind the interface. */
class BuiltinOperator implements SymmetricOperator {
  readonly kind: string;
  readonly n: number;
  readonly batch: number;
  readonly ctx: GpuContext;
  readonly #apply: ApplyItems;
  readonly #release: () => void;
  #disposed = false;

  /**
   * `apply` handles a range of items (x, y shifted to its first item) when `ranges` is set, else
   * only the whole batch [0, batch).
   */
  constructor(
    fields: { kind: string; n: number; batch: number; ctx: GpuContext; ranges: boolean },
    apply: ApplyItems,
    release: () => void,
  ) {
    this.kind = fields.kind;
    this.n = fields.n;
    this.batch = fields.batch;
    this.ctx = fields.ctx;
    this.#apply = apply;
    this.#release = release;
    if (fields.ranges) this.encodeApplyItems = (rec, x, y, vectors, first, count) => this.#applyItems(rec, x, y, vectors, first, count);
  }

  encodeApply(rec: Recorder, x: VectorsView, y: VectorsView, vectors: number): void {
    if (this.#disposed) throw new DisposedError(`${this.kind} operator`);
    this.#apply(rec, x, y, vectors, 0, this.batch);
  }

  /** Present when the operator can apply a range of its items alone (dense and Jacobian). */
  readonly encodeApplyItems?: ApplyItems;

  #applyItems(rec: Recorder, x: VectorsView, y: VectorsView, vectors: number, first: number, count: number): void {
    if (this.#disposed) throw new DisposedError(`${this.kind} operator`);
    if (!(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count >= 1 && first + count <= this.batch))
      throw new InvalidArgumentError('first/count', `must select items inside [0, ${this.batch}), got [${first}, ${first + count})`);
    this.#apply(rec, fromItem(x, first), fromItem(y, first), vectors, first, count);
  }

  /** Whether {@link dispose} has been called. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * A batch of rectangular operators J_b: Rᵖ → Rⁿ (Jacobians) with separate J and Jᵀ applies, for
 * Golub–Kahan bidiagonalization. x and y must not overlap.
 */
export interface RectangularOperator extends Disposable {
  /** What it is, e.g. `"jacobian"`. */
  readonly kind: string;
  /** Rows of J: the dimension of K = J Jᵀ. */
  readonly n: number;
  /** Columns of J. */
  readonly p: number;
  /** Number of operators in the batch. */
  readonly batch: number;
  /** The context the operator lives on. */
  readonly ctx: GpuContext;
  /** Records y[b][v] = J_b x[b][v] (x has p entries per vector, y has n). */
  encodeJ(rec: Recorder, x: VectorsView, y: VectorsView, vectors: number): void;
  /** Records y[b][v] = J_bᵀ x[b][v] (x has n entries per vector, y has p). */
  encodeJt(rec: Recorder, x: VectorsView, y: VectorsView, vectors: number): void;
  /**
   * Optional: {@link encodeJ} for operators b in [first, first + count) only (x and y describe the
   * whole batch). Solvers use it to stop applying operators that have converged.
   */
  encodeJItems?(rec: Recorder, x: VectorsView, y: VectorsView, vectors: number, first: number, count: number): void;
  /** Optional: {@link encodeJt} for operators b in [first, first + count) only. */
  encodeJtItems?(rec: Recorder, x: VectorsView, y: VectorsView, vectors: number, first: number, count: number): void;
  /** Releases the GPU buffers it owns (borrowed buffers are left alone). Idempotent. */
  dispose(): void;
}

/** Host data accepted by the built-in operators (converted to f32 on upload). */
export type HostMatrixData = Float32Array | Float64Array;

/** The largest finite f32. */
const F32_MAX = 3.4028234663852886e38;

/**
 * Checks that host data can be computed with in f32: every entry ≤ 3.4e38 in magnitude (beyond,
 * it would become ±Inf) and the largest magnitude ≥ 2⁻¹²⁰ (below, the products of an apply fall
 * into f32's subnormal range, which some GPUs flush to zero). Throws InvalidArgumentError naming
 * `argument`. Within the range, eigensolvers scale by powers of two themselves, so the scale of an
 * operator does not matter (docs/accuracy.md, "Scale").
 */
export function assertF32Range(data: ArrayLike<number>, argument: string): void {
  let max = 0;
  let at = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (a > max) ((max = a), (at = i));
  }
  if (max > F32_MAX)
    throw new InvalidArgumentError(
      argument,
      `entry ${at} = ${data[at]} exceeds the f32 range (±${F32_MAX.toExponential(2)}); divide the matrix by a power of two (its eigenvalues scale by the same factor) or use the float64 cpu backend`,
    );
  if (max > 0 && max < 2 ** -120)
    throw new InvalidArgumentError(
      argument,
      `its largest magnitude ${max} is below 2⁻¹²⁰: f32 products would be subnormal; multiply the matrix by a power of two (its eigenvalues scale by the same factor) or use the float64 cpu backend`,
    );
}

function checkDims(n: number, batch: number): void {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('n', `must be a positive integer, got ${n}`);
  if (!Number.isInteger(batch) || batch < 1) throw new InvalidArgumentError('batch', `must be a positive integer, got ${batch}`);
}

/** Throws InvalidArgumentError naming the first non-finite entry of a [batch][rows][cols] array. */
export function assertFinite(data: ArrayLike<number>, argument: string, rows: number, cols: number): void {
  for (let e = 0; e < data.length; e++) {
    const v = data[e]!;
    if (!Number.isFinite(v)) {
      const b = Math.floor(e / (rows * cols));
      const i = Math.floor((e % (rows * cols)) / cols);
      const j = e % cols;
      throw new InvalidArgumentError(argument, `entry (${i}, ${j}) of matrix ${b} is ${v} (values must be finite)`);
    }
  }
}

/**
 * Cheap symmetry check of a [batch][n][n] array: every pair for n ≤ 256, otherwise 16·n sampled
 * pairs plus the first row/column. Tolerance: |a_ij − a_ji| ≤ relTol·max|A| (per matrix).
 */
export function assertSymmetric(data: ArrayLike<number>, n: number, batch: number, argument: string, relTol = 1e-5): void {
  for (let b = 0; b < batch; b++) {
    const base = b * n * n;
    let maxAbs = 0;
    for (let e = base; e < base + n * n; e++) maxAbs = Math.max(maxAbs, Math.abs(data[e]!));
    const tol = relTol * maxAbs;
    const check = (i: number, j: number): void => {
      const a = data[base + i * n + j]!;
      const c = data[base + j * n + i]!;
      if (Math.abs(a - c) > tol) {
        throw new InvalidArgumentError(argument, `matrix ${b} is not symmetric: entry (${i}, ${j}) = ${a} but (${j}, ${i}) = ${c}`);
      }
    };
    if (n <= 256) {
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) check(i, j);
    } else {
      for (let j = 1; j < n; j++) check(0, j);
      let s = 0x9e3779b9 ^ b;
      for (let t = 0; t < 16 * n; t++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const i = s % n;
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        check(i, s % n);
      }
    }
  }
}

async function uploadF32(ctx: GpuContext, data: HostMatrixData, label: string): Promise<GPUBuffer> {
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  if (f32.byteLength > ctx.limits.maxBufferSize)
    throw new DeviceLimitError('maxBufferSize', f32.byteLength, ctx.limits.maxBufferSize, label);
  return ctx.uploadF32(f32, label);
}

/** Options of {@link denseOperator}. Exactly one of `data` and `buffer`. */
export interface DenseOperatorOptions {
  /** Dimension n of each matrix (n × n). */
  readonly n: number;
  /** Number of matrices. Default 1. */
  readonly batch?: number;
  /** Host data, [batch][n][n] row-major. Checked for finiteness and (cheaply) symmetry. */
  readonly data?: HostMatrixData;
  /** A GPU buffer holding [batch][n][n] f32 (borrowed: not destroyed by the operator; not checked). */
  readonly buffer?: GPUBuffer;
  /** Relative tolerance of the symmetry check (default 1e-5 of max|A|). */
  readonly symmetryTolerance?: number;
}

/**
 * A batch of dense symmetric matrices. Applied by the matVecT kernel (A = Aᵀ, so y = Aᵀx),
 * which streams each matrix once per 8 vectors; matrices larger than one binding are split.
 */
export async function denseOperator(ctx: GpuContext, options: DenseOperatorOptions): Promise<SymmetricOperator> {
  const { n } = options;
  const batch = options.batch ?? 1;
  checkDims(n, batch);
  if ((options.data === undefined) === (options.buffer === undefined))
    throw new InvalidArgumentError('data/buffer', 'give exactly one of `data` and `buffer`');
  let owned = false;
  let buffer: GPUBuffer;
  if (options.data) {
    if (options.data.length !== batch * n * n) {
      throw new InvalidArgumentError(
        'data',
        `expected batch·n·n = ${batch}·${n}·${n} = ${batch * n * n} values, got ${options.data.length}`,
      );
    }
    assertFinite(options.data, 'data', n, n);
    assertSymmetric(options.data, n, batch, 'data', options.symmetryTolerance);
    assertF32Range(options.data, 'data');
    buffer = await uploadF32(ctx, options.data, 'dense operator');
    owned = true;
  } else {
    buffer = options.buffer!;
    if (buffer.size < batch * n * n * 4)
      throw new InvalidArgumentError('buffer', `holds ${buffer.size} bytes, need batch·n·n·4 = ${batch * n * n * 4}`);
  }
  const mv = await createMatVec(ctx);
  return new BuiltinOperator(
    { kind: 'dense', n, batch, ctx, ranges: true },
    (rec, x, y, vectors, first, count) =>
      mv.encodeT(rec, { m: { buffer, offset: first * n * n, rows: n, cols: n }, x, y, batch: count, vectors }),
    () => {
      if (owned) ctx.destroyBuffer(buffer);
    },
  );
}

/** Options of {@link jacobianOperator}. Exactly one of `data` and `buffer`. */
export interface JacobianOperatorOptions {
  /** Rows of J (outputs × probe points): the dimension of K = J Jᵀ. */
  readonly n: number;
  /** Columns of J (parameters). */
  readonly p: number;
  /** Number of Jacobians. Default 1. */
  readonly batch?: number;
  /** Host data, [batch][n][p] row-major. Checked for finiteness. */
  readonly data?: HostMatrixData;
  /** A GPU buffer holding [batch][n][p] f32 (borrowed, not checked). Each row must fit one binding. */
  readonly buffer?: GPUBuffer;
}

interface ColumnBlock {
  readonly buffer: GPUBuffer;
  readonly cols: number;
  readonly owned: boolean;
}

/**
 * K = J Jᵀ for a batch of n×P Jacobians, applied as y = J (Jᵀ x) (matVecT then matVecN) without
 * ever forming K, which keeps the small eigenvalues that forming K in f32 would lose (docs/accuracy.md).
 * Host Jacobians wider than one binding are stored in column blocks: K = Σ_c J_c J_cᵀ.
 */
export async function jacobianOperator(
  ctx: GpuContext,
  options: JacobianOperatorOptions,
): Promise<SymmetricOperator & RectangularOperator> {
  const { n, p } = options;
  const batch = options.batch ?? 1;
  checkDims(n, batch);
  if (!Number.isInteger(p) || p < 1) throw new InvalidArgumentError('p', `must be a positive integer, got ${p}`);
  if ((options.data === undefined) === (options.buffer === undefined))
    throw new InvalidArgumentError('data/buffer', 'give exactly one of `data` and `buffer`');
  const maxElems = Math.floor(ctx.limits.maxStorageBufferBindingSize / 4) - ctx.limits.minStorageBufferOffsetAlignment / 4;
  const blocks: ColumnBlock[] = [];
  if (options.data) {
    const data = options.data;
    if (data.length !== batch * n * p)
      throw new InvalidArgumentError('data', `expected batch·n·p = ${batch}·${n}·${p} = ${batch * n * p} values, got ${data.length}`);
    assertFinite(data, 'data', n, p);
    assertF32Range(data, 'data');
    // Block width: one row of a block must fit a binding; one block (all batches) must fit a buffer.
    const maxBufElems = Math.floor(ctx.limits.maxBufferSize / 4);
    const width = Math.max(1, Math.min(p, maxElems, Math.floor(maxBufElems / (batch * n))));
    try {
      for (let c0 = 0; c0 < p; c0 += width) {
        const cols = Math.min(width, p - c0);
        const block = new Float32Array(batch * n * cols);
        for (let r = 0; r < batch * n; r++) for (let c = 0; c < cols; c++) block[r * cols + c] = data[r * p + c0 + c]!;
        blocks.push({ buffer: await ctx.uploadF32(block, `jacobian block ${blocks.length}`), cols, owned: true });
      }
    } catch (error) {
      for (const b of blocks) ctx.destroyBuffer(b.buffer);
      throw error;
    }
  } else {
    const buffer = options.buffer!;
    if (buffer.size < batch * n * p * 4)
      throw new InvalidArgumentError('buffer', `holds ${buffer.size} bytes, need batch·n·p·4 = ${batch * n * p * 4}`);
    if (p > maxElems)
      throw new DeviceLimitError(
        'maxStorageBufferBindingSize',
        p * 4,
        maxElems * 4,
        'one Jacobian row (pass host data, which is split into column blocks)',
      );
    blocks.push({ buffer, cols: p, owned: false });
  }
  const mv = await createMatVec(ctx);
  const widest = Math.max(...blocks.map((b) => b.cols));
  let scratch: GPUBuffer | null = null;
  let scratchElems = 0;
  const op = new BuiltinOperator(
    { kind: 'jacobian', n, batch, ctx, ranges: true },
    (rec, x, y, vectors, first, count) => {
      const need = count * vectors * widest;
      if (need > scratchElems) {
        ctx.destroyBuffer(scratch);
        scratch = ctx.createBufferSync({
          label: 'jacobian Jᵀx',
          size: need * 4,
          usage: STORAGE_USAGE,
        });
        scratchElems = need;
      }
      blocks.forEach((block, c) => {
        const z = { buffer: scratch!, batchStride: vectors * block.cols, vectorStride: block.cols };
        const m = { buffer: block.buffer, offset: first * n * block.cols, rows: n, cols: block.cols };
        mv.encodeT(rec, { m, x, y: z, batch: count, vectors });
        mv.encodeN(rec, { m, x: z, y, batch: count, vectors, beta: c === 0 ? 0 : 1 });
      });
    },
    () => {
      for (const b of blocks) if (b.owned) ctx.destroyBuffer(b.buffer);
      ctx.destroyBuffer(scratch);
      scratch = null;
    },
  );
  // Column block c covers columns [offsets[c], offsets[c] + cols) of every p-vector.
  const offsets = blocks.map((_, c) => blocks.slice(0, c).reduce((sum, b) => sum + b.cols, 0));
  const encodeJItems = (rec: Recorder, x: VectorsView, y: VectorsView, vectors: number, first: number, count: number): void => {
    if (op.isDisposed) throw new DisposedError('jacobian operator');
    const xs = fromItem(x, first);
    const ys = fromItem(y, first);
    blocks.forEach((block, c) => {
      const xc = { ...xs, offset: (xs.offset ?? 0) + offsets[c]! };
      const m = { buffer: block.buffer, offset: first * n * block.cols, rows: n, cols: block.cols };
      mv.encodeN(rec, { m, x: xc, y: ys, batch: count, vectors, beta: c === 0 ? 0 : 1 });
    });
  };
  const encodeJtItems = (rec: Recorder, x: VectorsView, y: VectorsView, vectors: number, first: number, count: number): void => {
    if (op.isDisposed) throw new DisposedError('jacobian operator');
    const xs = fromItem(x, first);
    const ys = fromItem(y, first);
    blocks.forEach((block, c) => {
      const yc = { ...ys, offset: (ys.offset ?? 0) + offsets[c]! };
      const m = { buffer: block.buffer, offset: first * n * block.cols, rows: n, cols: block.cols };
      mv.encodeT(rec, { m, x: xs, y: yc, batch: count, vectors });
    });
  };
  const encodeJ = (rec: Recorder, x: VectorsView, y: VectorsView, vectors: number): void => encodeJItems(rec, x, y, vectors, 0, batch);
  const encodeJt = (rec: Recorder, x: VectorsView, y: VectorsView, vectors: number): void => encodeJtItems(rec, x, y, vectors, 0, batch);
  return Object.assign(op, { p, encodeJ, encodeJt, encodeJItems, encodeJtItems });
}

/** Options of {@link csrOperator}. */
export interface CsrOperatorOptions {
  /** Dimension n of each matrix (n × n). */
  readonly n: number;
  /** One CSR matrix per operator (each n×n, symmetric: checked on the host). */
  readonly matrices: readonly Csr[];
}

/** Validates one CSR matrix: pointers monotone and in range, columns in range, values finite, symmetric. */
function checkCsr(a: Csr, n: number, b: number): void {
  const where = `matrices[${b}]`;
  if (a.n !== n) throw new InvalidArgumentError(where, `has n = ${a.n}, expected ${n}`);
  if (a.rowPtr.length !== n + 1)
    throw new InvalidArgumentError(`${where}.rowPtr`, `must have n + 1 = ${n + 1} entries, got ${a.rowPtr.length}`);
  if (a.rowPtr[0] !== 0) throw new InvalidArgumentError(`${where}.rowPtr`, `must start at 0, got ${a.rowPtr[0]}`);
  const nnz = a.rowPtr[n]!;
  if (a.colIdx.length !== nnz || a.values.length !== nnz) {
    throw new InvalidArgumentError(where, `rowPtr[n] = ${nnz} but colIdx has ${a.colIdx.length} and values ${a.values.length} entries`);
  }
  const entries = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (a.rowPtr[i + 1]! < a.rowPtr[i]!) throw new InvalidArgumentError(`${where}.rowPtr`, `decreases at row ${i}`);
    for (let q = a.rowPtr[i]!; q < a.rowPtr[i + 1]!; q++) {
      const j = a.colIdx[q]!;
      if (!Number.isInteger(j) || j < 0 || j >= n)
        throw new InvalidArgumentError(`${where}.colIdx`, `entry ${q} = ${j} is outside [0, ${n})`);
      const v = a.values[q]!;
      if (!Number.isFinite(v)) throw new InvalidArgumentError(`${where}.values`, `entry (${i}, ${j}) is ${v} (values must be finite)`);
      if (Math.abs(v) > F32_MAX)
        throw new InvalidArgumentError(`${where}.values`, `entry (${i}, ${j}) = ${v} exceeds the f32 range (${F32_MAX.toExponential(2)})`);
      entries.set(i * n + j, (entries.get(i * n + j) ?? 0) + v);
    }
  }
  let maxAbs = 0;
  for (const v of entries.values()) maxAbs = Math.max(maxAbs, Math.abs(v));
  for (const [key, v] of entries) {
    const i = Math.floor(key / n);
    const j = key % n;
    const t = entries.get(j * n + i) ?? 0;
    if (Math.abs(v - t) > 1e-5 * maxAbs)
      throw new InvalidArgumentError(where, `is not symmetric: entry (${i}, ${j}) = ${v} but (${j}, ${i}) = ${t}`);
  }
}

/** A batch of sparse symmetric matrices in CSR form (validated on the host, then uploaded). */
export async function csrOperator(ctx: GpuContext, options: CsrOperatorOptions): Promise<SymmetricOperator> {
  const { n, matrices } = options;
  checkDims(n, Math.max(1, matrices.length));
  if (matrices.length === 0) throw new InvalidArgumentError('matrices', 'must hold at least one matrix');
  matrices.forEach((a, b) => checkCsr(a, n, b));
  const batch = matrices.length;
  const total = matrices.reduce((s, a) => s + a.rowPtr[n]!, 0);
  const rowPtr = new Uint32Array(batch * (n + 1));
  const colIdx = new Uint32Array(Math.max(1, total));
  const values = new Float32Array(Math.max(1, total));
  const base = new Uint32Array(batch);
  let offset = 0;
  matrices.forEach((a, b) => {
    base[b] = offset;
    for (let i = 0; i <= n; i++) rowPtr[b * (n + 1) + i] = a.rowPtr[i]!;
    for (let q = 0; q < a.rowPtr[n]!; q++) {
      colIdx[offset + q] = a.colIdx[q]!;
      values[offset + q] = a.values[q]!;
    }
    offset += a.rowPtr[n]!;
  });
  const upload = (data: Uint32Array | Float32Array, label: string) =>
    ctx.uploadF32(new Float32Array(data.buffer, data.byteOffset, data.length), label);
  const buffers: CsrBuffers = {
    rowPtr: await upload(rowPtr, 'csr rowPtr'),
    colIdx: await upload(colIdx, 'csr colIdx'),
    values: await upload(values, 'csr values'),
    base: await upload(base, 'csr base'),
  };
  const apply = await createCsrMatVec(ctx);
  return new BuiltinOperator(
    { kind: 'csr', n, batch, ctx, ranges: false },
    (rec, x, y, vectors) => apply.encode(rec, buffers, n, batch, x, y, vectors),
    () => {
      for (const b of Object.values(buffers)) ctx.destroyBuffer(b);
    },
  );
}

/** Options of {@link wgslOperator}. */
export interface WgslOperatorOptions {
  /** Dimension n of each operator (n × n). */
  readonly n: number;
  /** Number of operators (the entry function receives b). Default 1. */
  readonly batch?: number;
  /** WGSL defining `fn operatorEntry(b: u32, i: u32, j: u32) -> f32`, symmetric in i and j. It may read `userData[k]`. */
  readonly code: string;
  /** Data bound as `userData: array<f32>` (e.g. points of a kernel matrix). */
  readonly userData?: Float32Array;
  /** Label used in errors (e.g. compile errors in the code). Default `"wgslOperator(user)"`. */
  readonly label?: string;
}

/**
 * A matrix-free operator from a user WGSL entry function: y_i = Σ_j operatorEntry(b, i, j) x_j,
 * O(n²) entry evaluations per vector and no n×n storage. Compile errors in the user's code reject
 * with GpuValidationError naming the label, with the compiler's messages.
 *
 * @example
 * ```ts
 * // An RBF kernel matrix on 1-D points, never materialized.
 * const op = await wgslOperator(ctx, { n: points.length, userData: points, code: `
 *   fn operatorEntry(b: u32, i: u32, j: u32) -> f32 {
 *     let d = userData[i] - userData[j];
 *     return exp(-0.5 * d * d);
 *   }` });
 * ```
 */
export async function wgslOperator(ctx: GpuContext, options: WgslOperatorOptions): Promise<SymmetricOperator> {
  const { n } = options;
  const batch = options.batch ?? 1;
  checkDims(n, batch);
  if (typeof options.code !== 'string') throw new InvalidArgumentError('code', 'must be a string of WGSL');
  const spec = userOperatorKernel(options.label ?? 'wgslOperator(user)', options.code);
  const apply = await createWgslOperatorApply(ctx, spec);
  if (options.userData) assertFinite(options.userData, 'userData', 1, options.userData.length);
  const userData = await ctx.uploadF32(
    options.userData && options.userData.length > 0 ? options.userData : new Float32Array(4),
    'wgsl operator userData',
  );
  return new BuiltinOperator(
    { kind: 'wgsl', n, batch, ctx, ranges: false },
    (rec, x, y, vectors) => apply.encode(rec, userData, n, batch, x, y, vectors),
    () => ctx.destroyBuffer(userData),
  );
}

/**
 * A dense symmetric matrix (or a batch) on the host, as scipy users hold it: row-major `data`
 * with `shape` [n, n] or [batch, n, n] — a grsd `Tensor` is one — or grsd's `{ n, data, batch }`
 * form. Any numeric typed array or number array works; it is converted to f32 on upload.
 */
export type MatrixInput =
  | {
      /** Row-major entries (64-bit integer arrays are refused). */
      readonly data: ArrayLike<number> | BigInt64Array | BigUint64Array;
      /** [n, n] or [batch, n, n]. */
      readonly shape: readonly number[];
    }
  | {
      /** Dimension n. */
      readonly n: number;
      /** Row-major entries, [batch][n][n]. */
      readonly data: ArrayLike<number>;
      /** Number of matrices. Default 1. */
      readonly batch?: number;
    };

/** The `{ n, batch, data }` of a {@link MatrixInput} (typed errors naming `argument`). */
export function denseMatrixOf(input: MatrixInput, argument = 'matrix'): { n: number; batch: number; data: HostMatrixData } {
  if (typeof input !== 'object' || input === null || !('data' in input))
    throw new InvalidArgumentError(argument, 'must be { data, shape: [n, n] } (e.g. a Tensor) or { n, data, batch? }');
  const raw = input.data;
  if (raw instanceof BigInt64Array || raw instanceof BigUint64Array)
    throw new InvalidArgumentError(`${argument}.data`, 'holds 64-bit integers: convert the matrix to float32 or float64');
  if (typeof raw !== 'object' || raw === null || typeof (raw as ArrayLike<number>).length !== 'number')
    throw new InvalidArgumentError(`${argument}.data`, 'must be a typed array or an array of numbers');
  const data = raw instanceof Float32Array || raw instanceof Float64Array ? raw : Float64Array.from(raw as ArrayLike<number>);
  let n: number;
  let batch: number;
  if ('shape' in input) {
    const shape = input.shape;
    if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 3))
      throw new InvalidArgumentError(`${argument}.shape`, `must be [n, n] or [batch, n, n], got ${JSON.stringify(shape)}`);
    const [a, b] = shape.slice(-2) as [number, number];
    if (a !== b) throw new InvalidArgumentError(`${argument}.shape`, `must be square, got ${a}×${b}`);
    n = a;
    batch = shape.length === 3 ? shape[0]! : 1;
  } else {
    n = input.n;
    batch = input.batch ?? 1;
  }
  checkDims(n, batch);
  if (data.length !== batch * n * n)
    throw new InvalidArgumentError(`${argument}.data`, `has ${data.length} values, shape needs batch·n·n = ${batch * n * n}`);
  return { n, batch, data };
}

/** A {@link denseOperator} from a {@link MatrixInput}. */
export async function matrixOperator(
  ctx: GpuContext,
  input: MatrixInput,
  options: { symmetryTolerance?: number } = {},
): Promise<SymmetricOperator> {
  const { n, batch, data } = denseMatrixOf(input);
  return denseOperator(ctx, { n, batch, data, ...options });
}
