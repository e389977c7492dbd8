/**
 * Direct kernel tests: each WGSL kernel below is dispatched through its TS wrapper on seeded random
 * input (with awkward sizes: 1, not a multiple of the workgroup size, batch > 1, strides and
 * unaligned offsets) plus edge cases, read back, and compared entrywise with its float64 twin in
 * src/reference at the tolerance stated in each describe block:
 *
 *   shellAssign + shellReduce   src/kernels/shellBinning.ts   assignShell, shellReduceF64
 *   shellFlow + shellFlowReduce src/kernels/shellFlow.ts      shellFlowRows, shellFlowReduce
 *   csrMatVec                   src/kernels/csrMatVec.ts      csrMatVec
 *   wgslOperator                src/kernels/wgslOperator.ts   wgslOperatorF64
 *   gatherRows                  src/kernels/gatherRows.ts     gatherRowsF64
 *   scaleVectors                src/kernels/scaleVectors.ts   scaleVectorsF64
 *   splitSum                    src/kernels/matVec.ts         splitSumF64 (and matVecT)
 *   lanczosUpdate               src/kernels/lanczosUpdate.ts  lanczosUpdateF64
 *
 * u = 2⁻²⁴ (f32 unit roundoff), γ_k = k·u/(1 − k·u). Entries outside what a kernel writes are
 * filled with sentinels and must come back bit for bit unchanged.
 */
import { describe, expect } from 'vitest';
import { BufferGroup } from '../../src/gpu/bufferGroup.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { bindGroup, getPipeline } from '../../src/gpu/kernel.ts';
import { readStaging, record, type Recorder } from '../../src/gpu/recorder.ts';
import { createCsrMatVec } from '../../src/kernels/csrMatVec.ts';
import { createGatherRows } from '../../src/kernels/gatherRows.ts';
import { createLanczosUpdate, LanczosUpdateMode } from '../../src/kernels/lanczosUpdate.ts';
import { SplitSumParams, splitSumKernel, type VectorsView } from '../../src/kernels/matVec.ts';
import { createScaleVectors } from '../../src/kernels/scaleVectors.ts';
import { createShellBinning } from '../../src/kernels/shellBinning.ts';
import { createShellFlow } from '../../src/kernels/shellFlow.ts';
import { createWgslOperatorApply, userOperatorKernel, wgslOperatorKernel } from '../../src/kernels/wgslOperator.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import { lanczosUpdateF64, type LanczosUpdateArgs } from '../../src/reference/lanczos.ts';
import { gatherRowsF64, scaleVectorsF64, type GatherRowsLayout, type ScaleVectorsLayout } from '../../src/reference/linalg.ts';
import { matVecErrorBound, matVecT, splitSumF64, type MatVecLayout, type SplitSumLayout } from '../../src/reference/matVec.ts';
import { assignShell, shellReduceF64, type ShellBinning } from '../../src/reference/shells.ts';
import { csrMatVec, type Csr } from '../../src/reference/sparse.ts';
import { shellFlowReduce, shellFlowRows } from '../../src/reference/transport.ts';
import { identityEntryF64, wgslOperatorF64, type OperatorEntryF64, type WgslOperatorLayout } from '../../src/reference/wgslOperator.ts';
import { randomF32, rng } from '../helpers/data.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';
import { runMatVec } from '../helpers/kernels.ts';

const getCtx = useGpu();

const U = 2 ** -24;
const gamma = (k: number): number => (k * U) / (1 - k * U);
const SENTINEL_U32 = 0xdeadbeef;

/** A new group buffer holding `data` (f32 or u32). */
async function put(group: BufferGroup, data: Float32Array | Uint32Array, label: string): Promise<GPUBuffer> {
  const buffer = await group.storage(data.length, label);
  group.ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** Records `encode` and reads back the first `elements` 4-byte elements of each buffer in `reads`. */
async function runAndRead(
  ctx: GpuContext,
  label: string,
  encode: (rec: Recorder) => void,
  reads: readonly (readonly [GPUBuffer, number])[],
): Promise<ArrayBuffer[]> {
  const staged = await record(ctx, label, (rec) => {
    encode(rec);
    return reads.map(([buffer, elements]) => rec.stage(buffer, 0, Math.max(1, elements) * 4));
  });
  return Promise.all(staged.map((s) => readStaging(ctx, s)));
}

/**
 * Checks |got − ref| ≤ bound entrywise (a non-finite reference must be matched exactly, a zero
 * bound means bit-exact up to the sign of zero) and returns max |error|/bound over nonzero bounds.
 */
function within(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, bound: ArrayLike<number> | number): number {
  expect(got.length, `${what}: length`).toBe(ref.length);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!;
    const g = got[i]!;
    const b = typeof bound === 'number' ? bound : bound[i]!;
    if (!Number.isFinite(r)) {
      if (!Object.is(g, r)) expect.fail(`${what}[${i}] = ${g}, reference ${r}`);
      continue;
    }
    const err = Math.abs(g - r);
    if (!(err <= b)) expect.fail(`${what}[${i}] = ${g}, reference ${r}, |error| ${err} > bound ${b}`);
    if (b > 0) worst = Math.max(worst, err / b);
  }
  return worst;
}

/** Fails unless `got` and `before` agree bit for bit at every index where `written` is 0. */
function untouched(what: string, got: Float32Array | Uint32Array, before: Float32Array | Uint32Array, written: Uint8Array): void {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(before.buffer, before.byteOffset, before.length);
  for (let i = 0; i < b.length; i++) {
    if (!written[i] && g[i] !== b[i]) expect.fail(`${what}[${i}] outside the output changed from ${before[i]} to ${got[i]}`);
  }
}

// ---------------------------------------------------------------------------------------------
// shellAssign + shellReduce
// ---------------------------------------------------------------------------------------------

/** 12 shells of width ½ in ln λ around λ_ref = 1 (window [e⁻³, e³)), floor ≈ 0.02 (an f32 value). */
const GRID: ShellBinning = {
  lambdaRef: 1,
  width: 0.5,
  alphaMin: -6,
  count: 12,
  floor: Math.fround(0.02),
  boundaryTolerance: 1e-3,
};

/** Next f32 below a positive normal f32 `x`. */
function f32Below(x: number): number {
  const bits = new Uint32Array(new Float32Array([x]).buffer);
  bits[0]! -= 1;
  return new Float32Array(bits.buffer)[0]!;
}

/**
 * Eigenvalues for one batch item: log-uniform over [e⁻⁵, e⁵] (below the floor, between the floor
 * and the window, inside, above), every shell boundary b_α = e^{αh} rounded to f32 (and its f32
 * neighbours), values 0.8 and 1.2 times the flag tolerance away from each boundary, the floor
 * itself and the f32 just below it; item `special` also gets 0, −1, −0,
 * NaN, ±∞, 1e-30 and the largest f32. Item `gap` leaves window shell 5 empty.
 */
function shellValues(len: number, label: string, special: boolean, gap: boolean): Float32Array {
  const r = rng(label);
  const out = new Float32Array(len);
  const fixed: number[] = [];
  for (let a = GRID.alphaMin; a <= GRID.alphaMin + GRID.count; a++) {
    const b = Math.fround(Math.exp(a * GRID.width));
    fixed.push(b, f32Below(b));
    // Just inside and just outside the flag band (distance 0.8·tol and 1.2·tol in ln λ).
    for (const d of [-1.2, -0.8, 0.8, 1.2]) fixed.push(Math.fround(Math.exp(a * GRID.width + d * GRID.boundaryTolerance)));
  }
  fixed.push(GRID.floor, f32Below(GRID.floor));
  // Keeps shell 5 (ln λ ∈ [−0.5, 0)) and the values that could round into it out of a `gap` item.
  const nearShell5 = (v: number): boolean => Math.abs(Math.log(v) + 0.25) < 0.26;
  if (gap) fixed.splice(0, fixed.length, ...fixed.filter((v) => !nearShell5(v)));
  if (special) fixed.push(0, -1, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-30, 3.4028234663852886e38);
  for (let k = 0; k < len; k++) {
    // Fixed values at scattered positions, random ones elsewhere.
    if (k % 3 === 1 && fixed.length > 0) {
      out[k] = fixed.splice(r.int(fixed.length), 1)[0]!;
      continue;
    }
    for (;;) {
      const v = Math.fround(Math.exp(-5 + 10 * r.uniform()));
      if (gap && nearShell5(v)) continue;
      out[k] = v;
      break;
    }
  }
  return out;
}

describe(`shellAssign + shellReduce on ${gpuBackend}: vs assignShell and shellReduceF64`, () => {
  // Tolerances:
  //  - index: equal to assignShell's, except for λ within the f32 log error (≈ 1e-6 in ln λ) of a
  //    boundary: those must be flagged (tol = 1e-3 ≫ 1e-6) and may land in the neighbouring shell;
  //  - flag: equal, except where the float64 distance to the boundary is within 1e-5·(1 + |ln λ|)
  //    of tol (f32 ln λ, ln λ_ref and 1/h each carry a relative error of a few u);
  //  - sums (fed the GPU's indices): Σw within γ_{len+1}Σ|w| (one rounding for a², then len
  //    additions), Σλw within γ_{len+2}Σ|λw| (one more for the product), counts exact.
  const shapes = [
    { batch: 1, len: 1, stride: 1 },
    { batch: 5, len: 37, stride: 40 },
    { batch: 3, len: 300, stride: 301 },
  ];
  for (const shape of shapes) {
    for (const square of [true, false]) {
      gpuTest(
        `shellAssign + shellReduce: batch ${shape.batch}, len ${shape.len}, stride ${shape.stride}, ${square ? 'squared amplitudes' : 'linear weights'}`,
        async () => {
          const ctx = getCtx();
          const { batch, len, stride } = shape;
          const shells = GRID.count + 1;
          const tag = `shell${batch}x${len}`;
          const values = new Float32Array(batch * stride);
          for (let b = 0; b < batch; b++) values.set(shellValues(len, `${tag}v${b}`, b === 1 || batch === 1, b === 2), b * stride);
          // Padding past len holds values that would land in real shells: they must be ignored.
          for (let b = 0; b < batch; b++) for (let k = len; k < stride; k++) values[b * stride + k] = 1;
          const amplitudes = randomF32(batch * stride, `${tag}a`);
          // The largest f32 λ gets a small amplitude so that λ·w stays in f32 range.
          values.forEach((v, e) => {
            if (Number.isFinite(v) && v > 1e30) amplitudes[e] = 2 ** -12;
          });
          const sentinel = new Uint32Array(batch * stride).fill(SENTINEL_U32);
          const binning = await createShellBinning(ctx);
          using group = new BufferGroup(ctx);
          const buffers = {
            values: await put(group, values, 'values'),
            amplitudes: await put(group, amplitudes, 'amplitudes'),
            index: await put(group, sentinel, 'index'),
            flag: await put(group, sentinel, 'flag'),
            weight: await put(group, new Float32Array(batch * shells).fill(Number.NaN), 'weight'),
            lambdaWeight: await put(group, new Float32Array(batch * shells).fill(Number.NaN), 'lambdaWeight'),
            counts: await put(group, new Float32Array(batch * shells).fill(Number.NaN), 'counts'),
          };
          const raw = await runAndRead(ctx, 'shell binning', (rec) => binning.encode(rec, buffers, GRID, shape, square), [
            [buffers.index, batch * stride],
            [buffers.flag, batch * stride],
            [buffers.weight, batch * shells],
            [buffers.lambdaWeight, batch * shells],
            [buffers.counts, batch * shells],
          ]);
          const index = new Uint32Array(raw[0]!);
          const flag = new Uint32Array(raw[1]!);
          const [weight, lambdaWeight, counts] = raw.slice(2).map((r) => new Float32Array(r));

          // shellAssign: indices and flags.
          const written = new Uint8Array(batch * stride);
          let neighbours = 0;
          for (let b = 0; b < batch; b++) {
            for (let k = 0; k < len; k++) {
              const e = b * stride + k;
              written[e] = 1;
              const lambda = values[e]!;
              const ref = assignShell(lambda, GRID);
              const where = `λ = ${lambda} (item ${b}, k ${k})`;
              if (index[e] !== ref.index) {
                // Only a boundary-straddling λ may land in the neighbouring shell, and the GPU must flag it.
                expect(
                  ref.boundary && flag[e] === 1 && Math.abs(index[e]! - ref.index) === 1,
                  `${where}: shell ${index[e]} vs ${ref.index}`,
                ).toBe(true);
                neighbours++;
              }
              if (flag[e] !== (ref.boundary ? 1 : 0)) {
                const x = (Math.log(lambda) - Math.log(GRID.lambdaRef)) / GRID.width;
                const dist = Math.min(x - Math.floor(x), Math.floor(x) + 1 - x) * GRID.width;
                expect(Math.abs(dist - GRID.boundaryTolerance), `${where}: flag ${flag[e]} vs ${ref.boundary}`).toBeLessThan(
                  1e-5 * (1 + Math.abs(Math.log(lambda))),
                );
              }
              // Every f32 shell boundary inside the window (and its f32 neighbour) must be flagged.
              const x = Math.log(lambda) / GRID.width;
              if (ref.index < GRID.count && Math.abs(x - Math.round(x)) < 1e-5) expect(flag[e], `${where}: boundary not flagged`).toBe(1);
            }
          }
          untouched('index', index, sentinel, written);
          untouched('flag', flag, sentinel, written);

          // shellReduce: sums over the GPU's own indices.
          const l = { batch, len, stride, shells };
          const ref = shellReduceF64(values, amplitudes, index, l, square);
          const absW = shellReduceF64(values, amplitudes.map(Math.abs), index, l, square).weight;
          const absLW = shellReduceF64(values.map(Math.abs), amplitudes.map(Math.abs), index, l, square).lambdaWeight;
          const worst = Math.max(
            within(
              'weight',
              weight!,
              ref.weight,
              absW.map((v) => gamma(len + 1) * v),
            ),
            within(
              'lambdaWeight',
              lambdaWeight!,
              ref.lambdaWeight,
              absLW.map((v) => (Number.isFinite(v) ? gamma(len + 2) * v : v)),
            ),
            within('counts', counts!, ref.counts, 0),
          );
          // Every item's counts add up to len (each value lands in exactly one shell), and item 2 has an empty shell.
          for (let b = 0; b < batch; b++) expect(ref.counts.subarray(b * shells, (b + 1) * shells).reduce((s, c) => s + c, 0)).toBe(len);
          if (batch >= 3) {
            expect(counts![2 * shells + 5]).toBe(0);
            expect(weight![2 * shells + 5]).toBe(0);
          }
          console.log(
            `shellAssign + shellReduce ${gpuBackend} ${tag}: ${neighbours} boundary values in the neighbouring shell, max |error|/bound ${worst.toExponential(2)}`,
          );
          expect(worst).toBeLessThanOrEqual(1);
        },
      );
    }
  }
});

// ---------------------------------------------------------------------------------------------
// shellFlow + shellFlowReduce
// ---------------------------------------------------------------------------------------------

describe(`shellFlow + shellFlowReduce on ${gpuBackend}: F vs shellFlowReduce(shellFlowRows(...))`, () => {
  // Tolerance: F[σ][τ] = Σ_{j∈τ} α_j (Σ_{k∈σ} O_jk β_k) is two nested f32 sums; the inner one is off
  // by ≤ γ_rNew Σ_k|O_jk β_k|, the outer adds ≤ γ_rOld Σ_j|α_j Ŷ_jσ|, so in all
  // |error| ≤ γ_{rOld+rNew+2} Σ_{j∈τ} Σ_{k∈σ} |α_j O_jk β_k| (0 for empty shells: exact zeros).
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [37, 53, 11],
    [5, 300, 3],
    [130, 70, 20],
  ];
  for (const [rOld, rNew, shells] of shapes) {
    gpuTest(`shellFlow + shellFlowReduce: rOld ${rOld}, rNew ${rNew}, ${shells} shells (some empty)`, async () => {
      const ctx = getCtx();
      const tag = `flow${rOld}x${rNew}x${shells}`;
      const r = rng(tag);
      const o = randomF32(rOld * rNew, `${tag}o`);
      const alpha = randomF32(rOld, `${tag}alpha`);
      const beta = randomF32(rNew, `${tag}beta`);
      // Shell 1 gets no new eigenvector and shell 2 no old one (when there are enough shells).
      const pick = (avoid: number): number => {
        for (;;) {
          const s = r.int(shells);
          if (shells <= 3 || s !== avoid) return s;
        }
      };
      const oldIndex = Uint32Array.from({ length: rOld }, () => pick(2));
      const newIndex = Uint32Array.from({ length: rNew }, () => pick(1));
      const kernels = await createShellFlow(ctx);
      using group = new BufferGroup(ctx);
      const b = {
        o: await put(group, o, 'o'),
        alpha: await put(group, alpha, 'alpha'),
        beta: await put(group, beta, 'beta'),
        oldIndex: await put(group, oldIndex, 'oldIndex'),
        newIndex: await put(group, newIndex, 'newIndex'),
        f: await put(group, new Float32Array(shells * shells).fill(Number.NaN), 'f'),
      };
      const [raw] = await runAndRead(ctx, 'shell flow', (rec) => kernels.encode(rec, b, { rOld, rNew, shells }), [[b.f, shells * shells]]);
      const f = new Float32Array(raw!);
      const ref = shellFlowReduce(shellFlowRows(o, beta, newIndex, rOld, shells), alpha, oldIndex, shells);
      const abs = (a: Float32Array): Float32Array => a.map(Math.abs);
      const mag = shellFlowReduce(shellFlowRows(abs(o), abs(beta), newIndex, rOld, shells), abs(alpha), oldIndex, shells);
      const worst = within(
        'F',
        f,
        ref,
        mag.map((v) => gamma(rOld + rNew + 2) * v),
      );
      if (shells > 3) {
        for (let s = 0; s < shells; s++) {
          expect(f[1 * shells + s], `F[1][${s}] (no new eigenvector in shell 1)`).toBe(0);
          expect(f[s * shells + 2], `F[${s}][2] (no old eigenvector in shell 2)`).toBe(0);
        }
      }
      console.log(`shellFlow + shellFlowReduce ${gpuBackend} ${tag}: max |error|/bound ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// csrMatVec
// ---------------------------------------------------------------------------------------------

/** A random n×n CSR matrix (not symmetric: the kernel does not care) with empty rows, duplicate columns and up to 6 nonzeros a row. */
function randomCsr(n: number, label: string): Csr {
  const r = rng(label);
  const rowPtr = [0];
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const nnz = i % 5 === 0 ? 0 : r.int(7);
    for (let t = 0; t < nnz; t++) {
      colIdx.push(t === 1 ? colIdx.at(-1)! : r.int(n));
      values.push(Math.fround(r.normal()));
    }
    rowPtr.push(colIdx.length);
  }
  return { n, rowPtr, colIdx, values };
}

interface VecLayout {
  readonly n: number;
  readonly batch: number;
  readonly vectors: number;
  readonly xOffset: number;
  readonly xStride: number;
  readonly xVecStride: number;
  readonly yOffset: number;
  readonly yStride: number;
  readonly yVecStride: number;
}

const span = (offset: number, batch: number, stride: number, vectors: number, vecStride: number, n: number): number =>
  offset + (batch - 1) * stride + (vectors - 1) * vecStride + n + 3;

/** Seeded host x and initial y for a layout (y0 also marks what must stay untouched). */
function layoutData(l: VecLayout, tag: string): { x: Float32Array; y0: Float32Array } {
  return {
    x: randomF32(span(l.xOffset, l.batch, l.xStride, l.vectors, l.xVecStride, l.n), `${tag}x`),
    y0: randomF32(span(l.yOffset, l.batch, l.yStride, l.vectors, l.yVecStride, l.n), `${tag}y`),
  };
}

/** The x and y views of a layout on the buffers xb, yb. */
function layoutViews(l: VecLayout, xb: GPUBuffer, yb: GPUBuffer): [VectorsView, VectorsView] {
  return [
    { buffer: xb, offset: l.xOffset, batchStride: l.xStride, vectorStride: l.xVecStride },
    { buffer: yb, offset: l.yOffset, batchStride: l.yStride, vectorStride: l.yVecStride },
  ];
}

/** Marks the entries a batched multi-vector output y[b][v][i], i < n, occupies. */
function writtenEntries(l: VecLayout, length: number): Uint8Array {
  const w = new Uint8Array(length);
  for (let b = 0; b < l.batch; b++) {
    for (let v = 0; v < l.vectors; v++) for (let i = 0; i < l.n; i++) w[l.yOffset + b * l.yStride + v * l.yVecStride + i] = 1;
  }
  return w;
}

const vecLayouts: [string, VecLayout][] = [
  ['n 1, batch 1, 1 vector', { n: 1, batch: 1, vectors: 1, xOffset: 0, xStride: 1, xVecStride: 1, yOffset: 0, yStride: 1, yVecStride: 1 }],
  [
    'n 129, batch 3, 2 vectors, unaligned offsets and padded strides',
    { n: 129, batch: 3, vectors: 2, xOffset: 5, xStride: 2 * 132 + 7, xVecStride: 132, yOffset: 70, yStride: 2 * 130 + 1, yVecStride: 130 },
  ],
  [
    'n 300, batch 2, 3 vectors',
    { n: 300, batch: 2, vectors: 3, xOffset: 0, xStride: 900, xVecStride: 300, yOffset: 0, yStride: 900, yVecStride: 300 },
  ],
];

describe(`csrMatVec on ${gpuBackend}: vs csrMatVec (float64) per operator and vector`, () => {
  // Tolerance: each entry is an f32 sum over the row's nonzeros in order, so
  // |error| ≤ γ_nnz(row) Σ_p |a_p x_col(p)|; empty rows must be exactly 0.
  for (const [name, l] of vecLayouts) {
    gpuTest(`csrMatVec: ${name}`, async () => {
      const ctx = getCtx();
      const tag = `csr${l.n}x${l.batch}`;
      const mats = Array.from({ length: l.batch }, (_, b) => randomCsr(l.n, `${tag}m${b}`));
      const total = mats.reduce((s, a) => s + a.rowPtr[l.n]!, 0);
      const rowPtr = new Uint32Array(l.batch * (l.n + 1));
      const colIdx = new Uint32Array(Math.max(1, total));
      const values = new Float32Array(Math.max(1, total));
      const base = new Uint32Array(l.batch);
      let offset = 0;
      mats.forEach((a, b) => {
        base[b] = offset;
        for (let i = 0; i <= l.n; i++) rowPtr[b * (l.n + 1) + i] = a.rowPtr[i]!;
        colIdx.set(a.colIdx, offset);
        values.set(a.values, offset);
        offset += a.rowPtr[l.n]!;
      });
      const { x, y0 } = layoutData(l, tag);
      const kernel = await createCsrMatVec(ctx);
      using group = new BufferGroup(ctx);
      const csr = {
        rowPtr: await put(group, rowPtr, 'rowPtr'),
        colIdx: await put(group, colIdx, 'colIdx'),
        values: await put(group, values, 'values'),
        base: await put(group, base, 'base'),
      };
      const xb = await put(group, x, 'x');
      const yb = await put(group, y0, 'y');
      const [raw] = await runAndRead(
        ctx,
        'csrMatVec',
        (rec) => kernel.encode(rec, csr, l.n, l.batch, ...layoutViews(l, xb, yb), l.vectors),
        [[yb, y0.length]],
      );
      const y = new Float32Array(raw!);
      untouched('y', y, y0, writtenEntries(l, y0.length));
      let worst = 0;
      for (let b = 0; b < l.batch; b++) {
        const a = mats[b]!;
        const absA: Csr = { ...a, values: Array.from(a.values, Math.abs) };
        for (let v = 0; v < l.vectors; v++) {
          const xv = x.subarray(l.xOffset + b * l.xStride + v * l.xVecStride, l.xOffset + b * l.xStride + v * l.xVecStride + l.n);
          const ref = csrMatVec(a, xv);
          const mag = csrMatVec(absA, xv.map(Math.abs));
          const bound = mag.map((m, i) => gamma(a.rowPtr[i + 1]! - a.rowPtr[i]!) * m);
          const yo = l.yOffset + b * l.yStride + v * l.yVecStride;
          worst = Math.max(worst, within(`y[${b}][${v}]`, y.subarray(yo, yo + l.n), ref, bound));
        }
      }
      expect(worst).toBeLessThanOrEqual(1);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// wgslOperator
// ---------------------------------------------------------------------------------------------

/** A symmetric entry with f32-exact values built from userData, the operator index and the diagonal. */
const USER_ENTRY = `
fn operatorEntry(b: u32, i: u32, j: u32) -> f32 {
  let lo = min(i, j);
  let hi = max(i, j);
  let v = userData[(lo * 7u + hi * 3u) % 23u] * f32(1u << b);
  return select(v, v + 2.0, i == j);
}`;

/** Float64 mirror of USER_ENTRY: each f32 operation is one correctly rounded step, reproduced by Math.fround. */
function userEntryF64(data: Float32Array): OperatorEntryF64 {
  return (b, i, j) => {
    const lo = Math.min(i, j);
    const hi = Math.max(i, j);
    const v = Math.fround(data[(lo * 7 + hi * 3) % 23]! * 2 ** b);
    return i === j ? Math.fround(v + 2) : v;
  };
}

describe(`wgslOperator on ${gpuBackend}: vs wgslOperatorF64`, () => {
  // Tolerance: the entries are f32-exact (the float64 entry reproduces the f32 one), so the only
  // error is the f32 accumulation over j in column order: |error| ≤ γ_n Σ_j |a_ij x_j|. The
  // template's default identity entry is exact: y = x bit for bit.
  for (const [name, l] of vecLayouts) {
    gpuTest(`wgslOperator: user entry, ${name}`, async () => {
      const ctx = getCtx();
      const tag = `wop${l.n}x${l.batch}`;
      const data = randomF32(23, `${tag}data`);
      const { x, y0 } = layoutData(l, tag);
      const apply = await createWgslOperatorApply(ctx, userOperatorKernel('wgslOperator test entry', USER_ENTRY));
      using group = new BufferGroup(ctx);
      const userData = await put(group, data, 'userData');
      const xb = await put(group, x, 'x');
      const yb = await put(group, y0, 'y');
      const [raw] = await runAndRead(
        ctx,
        'wgslOperator',
        (rec) => apply.encode(rec, userData, l.n, l.batch, ...layoutViews(l, xb, yb), l.vectors),
        [[yb, y0.length]],
      );
      const y = new Float32Array(raw!);
      const written = writtenEntries(l, y0.length);
      untouched('y', y, y0, written);
      const layout: WgslOperatorLayout = { ...l };
      const entry = userEntryF64(data);
      const ref = wgslOperatorF64(entry, x, Float64Array.from(y0), layout);
      const mag = wgslOperatorF64((b, i, j) => Math.abs(entry(b, i, j)), x.map(Math.abs), Float64Array.from(y0), layout);
      const bound = mag.map((m, i) => (written[i] ? gamma(l.n) * m : 0));
      const worst = within('y', y, ref, bound);
      expect(worst).toBeLessThanOrEqual(1);
    });
  }

  gpuTest('wgslOperator: default identity entry, n 257, batch 2, 2 vectors: y = x exactly', async () => {
    const ctx = getCtx();
    const l: WgslOperatorLayout = {
      n: 257,
      batch: 2,
      vectors: 2,
      xStride: 600,
      xVecStride: 280,
      yStride: 514,
      yVecStride: 257,
      xOffset: 9,
    };
    const x = randomF32(9 + 600 + 280 + 257, 'wopIdx');
    const apply = await createWgslOperatorApply(ctx, wgslOperatorKernel);
    using group = new BufferGroup(ctx);
    const userData = await put(group, new Float32Array(4), 'userData');
    const xb = await put(group, x, 'x');
    const yb = await put(group, new Float32Array(2 * 514).fill(Number.NaN), 'y');
    const [raw] = await runAndRead(
      ctx,
      'wgslOperator identity',
      (rec) =>
        apply.encode(
          rec,
          userData,
          l.n,
          l.batch,
          { buffer: xb, offset: 9, batchStride: l.xStride, vectorStride: l.xVecStride },
          { buffer: yb, batchStride: l.yStride, vectorStride: l.yVecStride },
          l.vectors,
        ),
      [[yb, 2 * 514]],
    );
    const ref = wgslOperatorF64(identityEntryF64, x, new Float64Array(2 * 514), l);
    within('y', new Float32Array(raw!), ref, 0);
  });
});

// ---------------------------------------------------------------------------------------------
// gatherRows
// ---------------------------------------------------------------------------------------------

describe(`gatherRows on ${gpuBackend}: vs gatherRowsF64, bit for bit`, () => {
  // Tolerance: none. The kernel copies f32 values (or writes 0), so every output must equal the
  // reference exactly, including the sign of zero.
  const cases: [string, GatherRowsLayout, number, number[]][] = [
    // [name, layout, rows per batch item in src, limits]
    ['batch 1, 1 row of 1', { batch: 1, count: 1, len: 1, srcBatchStride: 1, srcRowStride: 1, limitStride: 1, limitOffset: 0 }, 1, [1]],
    [
      'batch 3, 5 of 6 rows of 37 (row stride 40), limits 0, 37, 20 at stride 2 offset 1',
      { batch: 3, count: 5, len: 37, srcBatchStride: 6 * 40 + 3, srcRowStride: 40, limitStride: 2, limitOffset: 1 },
      6,
      [0, 37, 20],
    ],
    [
      'batch 4, 7 of 9 rows of 300, limits 300, 1, 299, 150',
      { batch: 4, count: 7, len: 300, srcBatchStride: 9 * 300, srcRowStride: 300, limitStride: 1, limitOffset: 0 },
      9,
      [300, 1, 299, 150],
    ],
  ];
  for (const [name, l, rows, limits] of cases) {
    gpuTest(`gatherRows: ${name}`, async () => {
      const ctx = getCtx();
      const tag = `gather${l.batch}x${l.len}`;
      const r = rng(tag);
      const src = randomF32((l.batch - 1) * l.srcBatchStride + (rows - 1) * l.srcRowStride + l.len, `${tag}src`);
      for (let i = 0; i < src.length; i += 17) src[i] = -0;
      // Repeated rows and the last row included.
      const index = Uint32Array.from({ length: l.batch * l.count }, (_, e) => (e % l.count === 0 ? rows - 1 : r.int(rows)));
      const limit = new Uint32Array(l.batch * l.limitStride).fill(SENTINEL_U32 % 7);
      limits.forEach((v, b) => (limit[b * l.limitStride + l.limitOffset] = v));
      const gather = await createGatherRows(ctx);
      using group = new BufferGroup(ctx);
      const b = {
        src: await put(group, src, 'src'),
        index: await put(group, index, 'index'),
        limit: await put(group, limit, 'limit'),
        dst: await put(group, new Float32Array(l.batch * l.count * l.len).fill(Number.NaN), 'dst'),
      };
      const [raw] = await runAndRead(ctx, 'gatherRows', (rec) => gather.encode(rec, { ...b, ...l }), [[b.dst, l.batch * l.count * l.len]]);
      const got = new Float32Array(raw!);
      const ref = gatherRowsF64(src, index, limit, l);
      for (let i = 0; i < ref.length; i++) if (!Object.is(got[i], ref[i])) expect.fail(`dst[${i}] = ${got[i]}, reference ${ref[i]}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// scaleVectors
// ---------------------------------------------------------------------------------------------

async function checkScaleVectors(ctx: GpuContext, l: ScaleVectorsLayout, tag: string): Promise<void> {
  const srcOffset = l.srcOffset ?? 0;
  const dstOffset = l.dstOffset ?? 0;
  const sOffset = l.sOffset ?? 0;
  const src = randomF32(srcOffset + (l.batch - 1) * l.srcStride + l.len + 2, `${tag}src`);
  const dst0 = randomF32(dstOffset + (l.batch - 1) * l.dstStride + l.len + 2, `${tag}dst`);
  // Scales: random, with 0 (a lane that broke down), negative, tiny and large ones.
  const sStride = l.sStride ?? 1;
  const s = randomF32(sOffset + (l.batch - 1) * sStride + 2, `${tag}s`);
  const specials = [0, -1, 1e-20, 3e20, -0.5];
  for (let b = 0; b < l.batch; b += 2) s[sOffset + b * sStride] = specials[(b / 2) % specials.length]!;
  const kernel = await createScaleVectors(ctx);
  using group = new BufferGroup(ctx);
  const sb = await put(group, src, 'src');
  const db = await put(group, dst0, 'dst');
  const cb = await put(group, s, 's');
  const [raw] = await runAndRead(
    ctx,
    'scaleVectors',
    (rec) =>
      kernel.encode(rec, {
        src: { buffer: sb, offset: srcOffset, stride: l.srcStride },
        dst: { buffer: db, offset: dstOffset, stride: l.dstStride },
        scales: { buffer: cb, offset: sOffset, stride: sStride },
        len: l.len,
        batch: l.batch,
      }),
    [[db, dst0.length]],
  );
  const got = new Float32Array(raw!);
  const ref = scaleVectorsF64(src, s, Float64Array.from(dst0), l);
  const written = new Uint8Array(dst0.length);
  for (let b = 0; b < l.batch; b++) for (let i = 0; i < l.len; i++) written[dstOffset + b * l.dstStride + i] = 1;
  untouched('dst', got, dst0, written);
  // One correctly rounded f32 multiply: exactly fround of the (exact) float64 product.
  for (let i = 0; i < ref.length; i++)
    if (got[i] !== Math.fround(ref[i]!)) expect.fail(`dst[${i}] = ${got[i]}, reference ${Math.fround(ref[i]!)}`);
}

describe(`scaleVectors on ${gpuBackend}: vs scaleVectorsF64, exactly fround(src·s)`, () => {
  // Tolerance: none. The float64 product of two f32 values is exact and WGSL's f32 multiply is
  // correctly rounded, so the kernel must return exactly Math.fround(src·s) (no subnormal results here).
  const cases: [string, ScaleVectorsLayout][] = [
    ['len 1, batch 1', { len: 1, batch: 1, srcStride: 1, dstStride: 1 }],
    [
      'len 37, batch 5, strides 40/37, unaligned offsets',
      { len: 37, batch: 5, srcStride: 40, dstStride: 37, srcOffset: 3, dstOffset: 70, sOffset: 1 },
    ],
    [
      'len 19, batch 6, scales at stride 3 (a block member of each item)',
      { len: 19, batch: 6, srcStride: 19, dstStride: 25, srcOffset: 2, dstOffset: 4, sOffset: 1, sStride: 3 },
    ],
    ['len 300, batch 3, dst stride 310', { len: 300, batch: 3, srcStride: 300, dstStride: 310 }],
  ];
  for (const [name, l] of cases) gpuTest(`scaleVectors: ${name}`, () => checkScaleVectors(getCtx(), l, `scale${l.len}x${l.batch}`));

  gpuTest('scaleVectors: batches above a 4 KiB binding limit are split into several dispatches', async () => {
    using small = await createNodeGpuContext({ backend: gpuBackend, maxBindingBytes: 4096 });
    await checkScaleVectors(
      small,
      { len: 100, batch: 40, srcStride: 100, dstStride: 120, srcOffset: 5, dstOffset: 1, sOffset: 2 },
      'scaleSmall',
    );
    expect(small.liveBufferCount).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// splitSum
// ---------------------------------------------------------------------------------------------

describe(`splitSum on ${gpuBackend}: vs splitSumF64 (direct dispatch) and matVecT (split products)`, () => {
  // Tolerance: each entry sums `splits` f32 partials in split order, scales by α, adds β·y:
  // |error| ≤ γ_{splits+2}(|α| Σ_s |p_s| + |β y|). With β = 0, y is write-only (NaN there must not leak).
  const cases: [string, SplitSumLayout][] = [
    ['len 1, 1 split', { len: 1, vectors: 1, batch: 1, splits: 1, partialStride: 1, yStride: 1, yVecStride: 1 }],
    [
      'len 37, 3 vectors, batch 2, 5 splits, α −0.5, β 2, offsets and strides',
      {
        len: 37,
        vectors: 3,
        batch: 2,
        splits: 5,
        partialStride: 2 * 3 * 37 + 11,
        pOffset: 7,
        yStride: 3 * 40 + 5,
        yVecStride: 40,
        yOffset: 9,
        alpha: -0.5,
        beta: 2,
      },
    ],
    [
      'len 300, batch 3, 4 splits, β 0 over NaN',
      { len: 300, vectors: 1, batch: 3, splits: 4, partialStride: 900, yStride: 300, yVecStride: 300 },
    ],
    [
      '0 splits (empty reduction): y = β·y',
      { len: 129, vectors: 2, batch: 1, splits: 0, partialStride: 0, yStride: 258, yVecStride: 129, beta: 0.5 },
    ],
  ];
  for (const [name, l] of cases) {
    gpuTest(`splitSum: ${name}`, async () => {
      const ctx = getCtx();
      const tag = `split${l.len}x${l.splits}`;
      const compact = l.batch * l.vectors * l.len;
      const p = randomF32((l.pOffset ?? 0) + Math.max(0, l.splits - 1) * l.partialStride + compact, `${tag}p`);
      const yLen = (l.yOffset ?? 0) + (l.batch - 1) * l.yStride + (l.vectors - 1) * l.yVecStride + l.len + 3;
      const y0 = (l.beta ?? 0) === 0 ? new Float32Array(yLen).fill(Number.NaN) : randomF32(yLen, `${tag}y`);
      const pipeline = await getPipeline(ctx, splitSumKernel, { WORKGROUP_SIZE: ctx.workgroupSize });
      using group = new BufferGroup(ctx);
      const pb = await put(group, p, 'p');
      const yb = await put(group, y0, 'y');
      const [raw] = await runAndRead(
        ctx,
        'splitSum',
        (rec) => {
          const params = rec.uniform('splitSum params', SplitSumParams, {
            len: l.len,
            vectors: l.vectors,
            batch: l.batch,
            splits: l.splits,
            partialStride: l.partialStride,
            yStride: l.yStride,
            yVecStride: l.yVecStride,
            yShift: l.yOffset ?? 0,
            pShift: l.pOffset ?? 0,
            alpha: l.alpha ?? 1,
            beta: l.beta ?? 0,
          });
          rec.dispatch(pipeline, bindGroup(ctx, splitSumKernel, { params, p: pb, y: yb }), Math.ceil(compact / ctx.workgroupSize));
        },
        [[yb, yLen]],
      );
      const got = new Float32Array(raw!);
      const ref = splitSumF64(p, Float64Array.from(y0), l);
      const absY = (l.beta ?? 0) === 0 ? new Float64Array(yLen) : Float64Array.from(y0, Math.abs);
      const mag = splitSumF64(p.map(Math.abs), absY, { ...l, alpha: Math.abs(l.alpha ?? 1), beta: Math.abs(l.beta ?? 0) });
      const written = new Uint8Array(yLen);
      for (let b = 0; b < l.batch; b++) {
        for (let v = 0; v < l.vectors; v++)
          for (let i = 0; i < l.len; i++) written[(l.yOffset ?? 0) + b * l.yStride + v * l.yVecStride + i] = 1;
      }
      untouched('y', got, y0, written);
      const bound = mag.map((m, i) => (written[i] ? gamma(l.splits + 2) * m : 0));
      const worst = within(
        'y',
        got.map((v, i) => (written[i] ? v : 0)),
        ref.map((v, i) => (written[i] ? v : 0)),
        bound,
      );
      expect(worst).toBeLessThanOrEqual(1);
    });
  }

  // Through the wrapper: matVecT with few output columns and a long reduction splits the rows over
  // workgroups (splits = min(targetWorkgroups / (column tiles · vector groups · batch), ⌈K/wg⌉) > 1)
  // and finishes with splitSum; an empty row range runs splitSum with 0 splits (y = β·y).
  // Tolerance: matVecErrorBound, γ_{K+2}(|α| Σ|M||x|) + |β y| terms.
  const products: [string, MatVecLayout][] = [
    [
      'matVecT 3000×5, 2 vectors, split over rows, α 1.5, β −1',
      { rows: 3000, cols: 5, batch: 1, vectors: 2, xStride: 6000, xVecStride: 3000, yStride: 10, yVecStride: 5, alpha: 1.5, beta: -1 },
    ],
    [
      'matVecT empty row range (0 splits), batch 2, β 0.25',
      {
        rows: 40,
        cols: 33,
        batch: 2,
        vectors: 1,
        rowBegin: 7,
        rowEnd: 7,
        xStride: 40,
        xVecStride: 40,
        yStride: 33,
        yVecStride: 33,
        beta: 0.25,
      },
    ],
  ];
  for (const [name, l] of products) {
    gpuTest(`splitSum via ${name}`, async () => {
      const ctx = getCtx();
      const m = randomF32(l.batch * l.rows * l.cols, `${name}m`);
      const x = randomF32(l.batch * l.xStride, `${name}x`);
      const y0 = randomF32(l.batch * l.yStride, `${name}y`);
      const got = await runMatVec(ctx, 'T', m, x, y0, l, { targetWorkgroups: 64 });
      const ref = matVecT(m, x, Float64Array.from(y0), l);
      const worst = within('y', got, ref, matVecErrorBound(m, x, y0, l, true));
      expect(worst).toBeLessThanOrEqual(1);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// lanczosUpdate
// ---------------------------------------------------------------------------------------------

interface LaneState {
  alpha: Float32Array;
  beta: Float32Array;
  state: Uint32Array;
  scale: Float32Array;
  inv: Float32Array;
}

/** The inputs of one update step per lane, by lane class (class = (l + k) % 10 for step k). */
function laneInputs(lanes: number, k: number, hStride: number, mode: number, tol: number, prev: LaneState, tag: string) {
  const r = rng(`${tag}k${k}m${mode}`);
  const h1 = new Float32Array(lanes * hStride);
  const h2 = new Float32Array(lanes * hStride);
  const norm2 = new Float32Array(lanes);
  for (let l = 0; l < lanes; l++) {
    for (let t = 0; t < hStride; t++) {
      h1[l * hStride + t] = r.normal();
      h2[l * hStride + t] = 1e-3 * r.normal();
    }
    const scale = prev.scale[l]!;
    const nrm = 0.25 + 2 * r.uniform();
    const cls = (l + k) % 10;
    let n2: number;
    if (mode === 0) {
      n2 = [nrm * nrm, 0, Number.NaN, Number.POSITIVE_INFINITY, -1, 1e-30, nrm * nrm, 1e30, nrm * nrm, nrm * nrm][cls]!;
    } else {
      // A clear breakdown (‖w‖ = tol·scale/2), a clear continuation (‖w‖ = 2·tol·scale, with the
      // scale not raised by this step's α), exact zero, NaN, +∞, a negative ‖w‖², a non-finite α.
      const s = Math.max(scale, 1);
      const quiet = (): void => {
        h1[l * hStride + k] = 0;
        h2[l * hStride + k] = 0;
      };
      switch (cls) {
        case 1:
          n2 = (0.5 * tol * s) ** 2;
          quiet();
          break;
        case 2:
          n2 = scale > 0 ? (2 * tol * scale) ** 2 : nrm * nrm;
          quiet();
          break;
        case 3:
          n2 = 0;
          break;
        case 4:
          n2 = Number.NaN;
          break;
        case 5:
          n2 = Number.POSITIVE_INFINITY;
          break;
        case 6:
          n2 = -2;
          break;
        case 7:
          n2 = nrm * nrm;
          h1[l * hStride + k] = mode === 1 ? Number.POSITIVE_INFINITY : h1[l * hStride + k]!;
          break;
        default:
          n2 = nrm * nrm;
      }
    }
    norm2[l] = n2;
  }
  return { h1, h2, norm2 };
}

describe(`lanczosUpdate on ${gpuBackend}: vs lanczosUpdateF64, step by step from the GPU's own state`, () => {
  // Tolerance: alpha = h1 + h2 (one rounding), beta / alpha = √‖w‖², inv = 1/√‖w‖², scale = a max
  // of those: WGSL's sqrt is within 4.5 ulp (inherited from 1/inverseSqrt) and division within
  // 2.5 ulp, 1 ulp ≤ 2u relative, so every float output is within 32u relatively of the float64
  // value computed from the same f32 state. Active flags and step counts are exact, except that a
  // lane whose ‖w‖ is within 64u of tol·scale may decide either way (none of the cases built here).
  const FLOAT_TOL = 32 * U;

  async function runSequence(ctx: GpuContext, lanes: number, modes: readonly [number, number][], tag: string): Promise<void> {
    const hStride = 7;
    const tStride = 6;
    const tol = 2 ** -10;
    const update = await createLanczosUpdate(ctx);
    using group = new BufferGroup(ctx);
    // Start from garbage: the start step must set everything it owns, and untouched α/β entries must survive.
    const init: LaneState = {
      alpha: randomF32(lanes * tStride, `${tag}alpha`),
      beta: randomF32(lanes * tStride, `${tag}beta`),
      state: new Uint32Array(lanes * 2).fill(SENTINEL_U32),
      scale: new Float32Array(lanes).fill(Number.NaN),
      inv: new Float32Array(lanes).fill(Number.NaN),
    };
    const buffers = {
      h1: await group.storage(lanes * hStride, 'h1'),
      h2: await group.storage(lanes * hStride, 'h2'),
      norm2: await group.storage(lanes, 'norm2'),
      alpha: await put(group, init.alpha, 'alpha'),
      beta: await put(group, init.beta, 'beta'),
      state: await put(group, init.state, 'state'),
      scale: await put(group, init.scale, 'scale'),
      inv: await put(group, init.inv, 'inv'),
    };
    let prev = init;
    const seen = { breakdowns: 0, active: 0 };
    for (const [mode, k] of modes) {
      const inputs = laneInputs(lanes, k, hStride, mode, tol, prev, tag);
      const q = ctx.device.queue;
      q.writeBuffer(buffers.h1, 0, inputs.h1);
      q.writeBuffer(buffers.h2, 0, inputs.h2);
      q.writeBuffer(buffers.norm2, 0, inputs.norm2);
      const args: LanczosUpdateArgs = { lanes, k, mode, hStride, tStride, tol };
      const raw = await runAndRead(ctx, `lanczosUpdate mode ${mode} k ${k}`, (rec) => update.encode(rec, buffers, args), [
        [buffers.alpha, lanes * tStride],
        [buffers.beta, lanes * tStride],
        [buffers.state, lanes * 2],
        [buffers.scale, lanes],
        [buffers.inv, lanes],
      ]);
      const got: LaneState = {
        alpha: new Float32Array(raw[0]!),
        beta: new Float32Array(raw[1]!),
        state: new Uint32Array(raw[2]!),
        scale: new Float32Array(raw[3]!),
        inv: new Float32Array(raw[4]!),
      };
      const ref = lanczosUpdateF64(
        inputs.h1,
        inputs.h2,
        inputs.norm2,
        {
          alpha: Float64Array.from(prev.alpha),
          beta: Float64Array.from(prev.beta),
          state: Uint32Array.from(prev.state),
          scale: Float64Array.from(prev.scale),
          inv: Float64Array.from(prev.inv),
        },
        args,
      );
      const where = `mode ${mode}, k ${k}`;
      for (let l = 0; l < lanes; l++) {
        const wasActive = mode === 0 || prev.state[2 * l] === 1;
        const nrm = Math.sqrt(Math.max(inputs.norm2[l]!, 0));
        // ‖w‖ = 0 and non-finite ‖w‖ decide exactly; a positive ‖w‖ within 64u of tol·scale could go either way.
        const ambiguous =
          wasActive &&
          mode !== 0 &&
          nrm > 0 &&
          Number.isFinite(nrm) &&
          Math.abs(nrm - tol * ref.scale[l]!) <= 64 * U * Math.max(nrm, tol * ref.scale[l]!);
        expect(ambiguous, `${where}, lane ${l}: a near-threshold case slipped in`).toBe(false);
        expect(got.state[2 * l], `${where}, lane ${l}: active`).toBe(ref.state[2 * l]);
        expect(got.state[2 * l + 1], `${where}, lane ${l}: steps`).toBe(ref.state[2 * l + 1]);
        if (mode !== 0 && wasActive) seen[ref.state[2 * l] === 1 ? 'active' : 'breakdowns']++;
      }
      const rel = (v: number): number => FLOAT_TOL * Math.abs(v);
      within(`${where}: alpha`, got.alpha, ref.alpha, ref.alpha.map(rel));
      within(`${where}: beta`, got.beta, ref.beta, ref.beta.map(rel));
      within(`${where}: scale`, got.scale, ref.scale, ref.scale.map(rel));
      within(`${where}: inv`, got.inv, ref.inv, ref.inv.map(rel));
      prev = got;
    }
    // The cases exercise both outcomes.
    if (lanes > 1) {
      expect(seen.breakdowns).toBeGreaterThan(0);
      expect(seen.active).toBeGreaterThan(0);
    }
  }

  const lanczos: [number, number][] = [
    [LanczosUpdateMode.start, 0],
    [LanczosUpdateMode.lanczosStep, 0],
    [LanczosUpdateMode.lanczosStep, 1],
    [LanczosUpdateMode.lanczosStep, 2],
    [LanczosUpdateMode.lanczosStep, 5],
  ];
  const golubKahan: [number, number][] = [
    [LanczosUpdateMode.start, 0],
    [LanczosUpdateMode.storeAlpha, 0],
    [LanczosUpdateMode.storeBeta, 0],
    [LanczosUpdateMode.storeAlpha, 1],
    [LanczosUpdateMode.storeBeta, 1],
  ];
  gpuTest('lanczosUpdate: Lanczos (start, then steps 0, 1, 2, 5) on 1 lane', () => runSequence(getCtx(), 1, lanczos, 'lu1'));
  gpuTest('lanczosUpdate: Lanczos (start, then steps 0, 1, 2, 5) on 300 lanes with breakdowns, NaN, ±∞, negative ‖w‖²', () =>
    runSequence(getCtx(), 300, lanczos, 'lu300'),
  );
  gpuTest('lanczosUpdate: Golub–Kahan half steps (start, store α / β) on 257 lanes', () => runSequence(getCtx(), 257, golubKahan, 'gk257'));
});
