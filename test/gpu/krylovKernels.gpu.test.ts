/**
 * Direct tests of the block Krylov bookkeeping kernels against their float64 twins
 * (src/reference/krylovKernels.ts) and of batchedDot's strided, offset and max-abs modes
 * (src/reference/batchedDot.ts), with awkward sizes, lane ranges and special values:
 *
 *   krylovPrepare    exact (a power-of-two scaling; the random entries are f32-exact)
 *   krylovNormalize  flags exact; inv and the norm within 2.5 ulp (WGSL sqrt and division)
 *   krylovExponent   exact
 *   batchedDot       dot/sum within γ_n Σ|x y|; max-abs exact
 */
import { describe, expect } from 'vitest';
import { BufferGroup } from '../../src/gpu/bufferGroup.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { readStaging, record, type Recorder } from '../../src/gpu/recorder.ts';
import { createBatchedDot } from '../../src/kernels/batchedDot.ts';
import { createKrylovKernels, EXPONENT_UNSET } from '../../src/kernels/krylovStep.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import { batchedDot, batchedDotErrorBound, batchedMaxAbs } from '../../src/reference/batchedDot.ts';
import { krylovExponentF64, krylovNormalizeF64, krylovPrepareF64, scaleExponent } from '../../src/reference/krylovKernels.ts';
import { krylovRandom } from '../../src/reference/krylov.ts';
import { randomF32 } from '../helpers/data.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

const getCtx = useGpu();
const U = 2 ** -24;

async function put(group: BufferGroup, data: Float32Array | Uint32Array | Int32Array, label: string): Promise<GPUBuffer> {
  const buffer = await group.storage(data.length, label);
  group.ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

async function run(
  ctx: GpuContext,
  encode: (rec: Recorder) => void,
  reads: readonly (readonly [GPUBuffer, number])[],
): Promise<ArrayBuffer[]> {
  const staged = await record(ctx, 'krylov kernel test', (rec) => {
    encode(rec);
    return reads.map(([b, n]) => rec.stage(b, 0, Math.max(1, n) * 4));
  });
  return Promise.all(staged.map((s) => readStaging(ctx, s)));
}

describe(`batchedDot on ${gpuBackend}: row stride, offset and max-abs`, () => {
  async function check(ctx: GpuContext, n: number, batch: number, stride: number, offset: number, tag: string): Promise<void> {
    const len = offset + (batch - 1) * stride + n + 3;
    const x = randomF32(len, `${tag}x`);
    const y = randomF32(len, `${tag}y`);
    if (n > 3) x[offset + 2] = -7.5; // a negative maximum of row 0
    const dot = await createBatchedDot(ctx);
    using group = new BufferGroup(ctx);
    const xb = await put(group, x, 'x');
    const yb = await put(group, y, 'y');
    const out = await group.storage(2 * batch + 1, 'out');
    const [raw] = await run(
      ctx,
      (rec) => {
        dot.encode(rec, xb, yb, out, { n, batch, stride, offset }, 0, 'sum');
        dot.encode(rec, xb, null, out, { n, batch, stride, offset }, batch + 1, 'maxAbs');
      },
      [[out, 2 * batch + 1]],
    );
    const got = new Float32Array(raw!);
    const rows = (a: Float32Array) => {
      const r = new Float32Array(batch * n);
      for (let b = 0; b < batch; b++) r.set(a.subarray(offset + b * stride, offset + b * stride + n), b * n);
      return r;
    };
    const ref = batchedDot(rows(x), rows(y), { n, batch });
    const bound = batchedDotErrorBound(rows(x), rows(y), { n, batch });
    for (let b = 0; b < batch; b++) expect(Math.abs(got[b]! - ref[b]!)).toBeLessThanOrEqual(bound[b]!);
    const max = batchedMaxAbs(x, { n, batch, stride, offset });
    for (let b = 0; b < batch; b++) expect(got[batch + 1 + b]).toBe(Math.fround(max[b]!));
  }

  gpuTest('n = 1, batch 1; n = 37, batch 5, stride 50, offset 3; n = 5000, batch 3, stride 5003, offset 7', async () => {
    await check(getCtx(), 1, 1, 1, 0, 'a');
    await check(getCtx(), 37, 5, 50, 3, 'b');
    await check(getCtx(), 5000, 3, 5003, 7, 'c');
  });

  gpuTest('max-abs: a row holding Inf or NaN comes back non-finite, the others exact', async () => {
    const ctx = getCtx();
    const x = Float32Array.from([1, -2, 3, Infinity, 0, -5, NaN, 1, 2, 0.5, -0.25, 4]);
    const dot = await createBatchedDot(ctx);
    using group = new BufferGroup(ctx);
    const xb = await put(group, x, 'x');
    const out = await group.storage(4, 'out');
    const [raw] = await run(ctx, (rec) => dot.encode(rec, xb, null, out, { n: 3, batch: 4 }, 0, 'maxAbs'), [[out, 4]]);
    const got = new Float32Array(raw!);
    expect(got[0]).toBe(3);
    expect(Number.isFinite(got[1]!)).toBe(false);
    expect(Number.isFinite(got[2]!)).toBe(false);
    expect(got[3]).toBe(4);
  });

  gpuTest('strided and offset rows above a 4 KiB binding limit are split with the same results', async () => {
    using small = await createNodeGpuContext({ backend: gpuBackend, maxBindingBytes: 4096 });
    await check(small, 3000, 4, 3100, 5, 'd');
    expect(small.liveBufferCount).toBe(0);
  });
});

describe(`krylov kernels on ${gpuBackend}: vs their float64 twins`, () => {
  gpuTest('krylovExponent: ⌊log₂ max⌋ from the bits (zero, subnormal, normal, huge, Inf, NaN); set exponents untouched', async () => {
    const ctx = getCtx();
    const maxAbs = Float32Array.from([0, 1e-40, 1, 3, 0.75, 3e38, Infinity, NaN, 1e-30, 5]);
    const exp0 = Int32Array.from(maxAbs, (_, i) => (i === 9 ? 17 : EXPONENT_UNSET));
    const k = await createKrylovKernels(ctx);
    using group = new BufferGroup(ctx);
    const mb = await put(group, maxAbs, 'maxAbs');
    const eb = await put(group, exp0, 'exponent');
    const [raw] = await run(ctx, (rec) => k.exponent(rec, mb, eb, maxAbs.length), [[eb, maxAbs.length]]);
    const ref = krylovExponentF64(maxAbs, Int32Array.from(exp0), maxAbs.length);
    // The twin clamps f32 subnormals (exponent bits 0 → −127) to −126, as the kernel does.
    expect(Array.from(new Int32Array(raw!))).toEqual(Array.from(ref));
    expect(ref[9]).toBe(17);
    expect(scaleExponent(3)).toBe(1);
  });

  gpuTest(
    'krylovPrepare: 2^−e·w on ordinary lanes, the f32-exact random vector (or zeros with zeroHoles) on hole lanes, only inside the lane range',
    async () => {
      const ctx = getCtx();
      const n = 301;
      const block = 3;
      const lanes = 4 * block;
      const w0 = randomF32(lanes * n, 'prep');
      const hole = Uint32Array.from({ length: lanes }, (_, l) => (l % 5 === 1 ? 1 : 0));
      const exponent = Int32Array.from([3, -40, 100, -126]);
      const k = await createKrylovKernels(ctx);
      using group = new BufferGroup(ctx);
      const wb = await put(group, w0, 'w');
      const hb = await put(group, hole, 'hole');
      const eb = await put(group, exponent, 'exponent');
      for (const zeroHoles of [false, true]) {
        ctx.device.queue.writeBuffer(wb, 0, w0);
        const args = { n, firstLane: 2, lanes: 8, block, seed: 77, tick: 12345, zeroHoles };
        const [raw] = await run(ctx, (rec) => k.prepare(rec, { w: wb, hole: hb, exponent: eb, ...args }), [[wb, w0.length]]);
        const got = new Float32Array(raw!);
        const ref = krylovPrepareF64(Float64Array.from(w0), hole, exponent, args);
        for (let i = 0; i < got.length; i++)
          if (got[i] !== Math.fround(ref[i]!)) expect.fail(`zeroHoles ${zeroHoles}: w[${i}] = ${got[i]}, twin ${Math.fround(ref[i]!)}`);
        // Lane 6 is a hole lane inside the range: random entries, or zeros with zeroHoles.
        const lane6 = got.subarray(6 * n, 7 * n);
        expect(lane6.every((x) => x === 0)).toBe(zeroHoles);
      }
      // The random entries are f32 values in (−1, 1).
      const v = krylovRandom(77, 1, 12345, 5);
      expect(Math.fround(v)).toBe(v);
      expect(Math.abs(v)).toBeLessThan(1);
    },
  );

  gpuTest(
    'krylovNormalize: hole test (relative, and under a floor minNorm0), inverse norm and records on a strided lane range, with zero, Inf, NaN and negative inputs',
    async () => {
      const ctx = getCtx();
      const lanes = 300;
      const norm0 = randomF32(lanes, 'n0').map((v) => Math.abs(v) * 10);
      const norm2c = randomF32(lanes, 'n2').map((v) => Math.abs(v));
      const specials = [0, Infinity, NaN, -1, 1e-20, 1e-12];
      for (let t = 0; t < specials.length; t++) norm2c[t * 7] = specials[t]!;
      norm0[9] = Infinity;
      norm0[10] = 0;
      // Lane 11 (t = 5, norm2 at 4 + 5): ν₀ = 1e-3, ν = 1e-6: a direction for the relative test, a hole under minNorm0 = 3.
      norm0[11] = 1e-6;
      norm2c[9] = 1e-12;
      const hole0 = Uint32Array.from({ length: lanes }, (_, l) => l % 3);
      const tol = 64 * U * Math.sqrt(1000);
      const k = await createKrylovKernels(ctx);
      const holes: number[][] = [];
      // minNorm0 = 0 (the relative test) and 3 (a floor under ν₀: the one-sided Golub–Kahan Jᵀ test).
      for (const minNorm0 of [0, 3]) {
        const a = { firstLane: 1, laneStride: 2, count: 140, recBase: 5, tol, norm2Base: 4, minNorm0 };
        using group = new BufferGroup(ctx);
        const n0 = await put(group, norm0, 'norm0');
        const n2 = await put(group, norm2c, 'norm2');
        const hb = await put(
          group,
          hole0.map((h) => (h ? 1 : 0)),
          'hole',
        );
        const inv = await put(group, new Float32Array(lanes).fill(-9), 'inv');
        const rn = await put(group, new Float32Array(lanes + 5).fill(-9), 'recNorm');
        const rf = await put(group, new Uint32Array(lanes + 5).fill(99), 'recFlags');
        const [holeRaw, invRaw, rnRaw, rfRaw] = await run(
          ctx,
          (rec) => k.normalize(rec, { norm0: n0, norm2: n2, hole: hb, inv, recNorm: rn, recFlags: rf, ...a }),
          [
            [hb, lanes],
            [inv, lanes],
            [rn, lanes + 5],
            [rf, lanes + 5],
          ],
        );
        const s = {
          hole: Uint32Array.from(hole0, (h) => (h ? 1 : 0)),
          inv: new Float64Array(lanes).fill(-9),
          recNorm: new Float64Array(lanes + 5).fill(-9),
          recFlags: new Uint32Array(lanes + 5).fill(99),
        };
        krylovNormalizeF64(norm0, norm2c, s, a);
        expect(Array.from(new Uint32Array(holeRaw!))).toEqual(Array.from(s.hole));
        expect(Array.from(new Uint32Array(rfRaw!))).toEqual(Array.from(s.recFlags));
        const close = (got: Float32Array, ref: Float64Array, what: string) => {
          for (let i = 0; i < ref.length; i++) {
            const r = ref[i]!;
            if (r === -9 || r === 0) expect(got[i], `${what}[${i}]`).toBe(Math.fround(r));
            else expect(Math.abs(got[i]! - r), `${what}[${i}]`).toBeLessThanOrEqual(2.5 * 2 * U * Math.abs(r));
          }
        };
        close(new Float32Array(invRaw!), s.inv, 'inv');
        close(new Float32Array(rnRaw!), s.recNorm, 'recNorm');
        holes.push(Array.from(s.hole));
      }
      // The floor turns small candidates (relative to it, not to their own ν₀) into holes.
      expect(holes[1]!.filter((h, l) => h === 1 && holes[0]![l] === 0).length).toBeGreaterThan(0);
    },
  );
});
