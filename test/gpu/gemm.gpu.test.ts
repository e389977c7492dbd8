import { describe, expect } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { record } from '../../src/gpu/recorder.ts';
import { createGemm, gemmGpu } from '../../src/kernels/gemm.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import { gemm, gemmErrorBound, type GemmLayout } from '../../src/reference/gemm.ts';
import { randomF32 } from '../helpers/data.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

const getCtx = useGpu();

/** Stored rows, row length, leading dimension, batch stride and offset of one operand. */
function storage(l: GemmLayout, which: 'a' | 'b' | 'c') {
  const [rows, rowLen] =
    which === 'a' ? (l.transA ? [l.k, l.m] : [l.m, l.k]) : which === 'b' ? (l.transB ? [l.n, l.k] : [l.k, l.n]) : [l.m, l.n];
  const o = l[which] ?? {};
  const ld = o.ld ?? Math.max(1, rowLen);
  return { rows, rowLen, ld, stride: o.batchStride ?? rows * ld, offset: o.offset ?? 0 };
}

/** Elements the operand spans, plus a few trailing ones that must stay untouched. */
function length(l: GemmLayout, which: 'a' | 'b' | 'c'): number {
  const s = storage(l, which);
  return s.offset + ((l.batch ?? 1) - 1) * s.stride + Math.max(0, s.rows - 1) * s.ld + s.rowLen + 5;
}

/**
 * Runs one product on the GPU and checks it entrywise against the float64 twin: written entries
 * within the bound, every other entry of C bit-for-bit unchanged. Returns max |error|/bound.
 */
async function check(ctx: GpuContext, l: GemmLayout, label: string, fillC: 'random' | 'nan' = 'random'): Promise<number> {
  const a = randomF32(length(l, 'a'), `${label}a`);
  const b = randomF32(length(l, 'b'), `${label}b`);
  const c = fillC === 'nan' ? new Float32Array(length(l, 'c')).fill(Number.NaN) : randomF32(length(l, 'c'), `${label}c`);
  const got = await gemmGpu(ctx, a, b, c, l);
  expect(got).toHaveLength(c.length);
  const ref = gemm(a, b, Float64Array.from(c), l);
  const bound = gemmErrorBound(a, b, c, l);
  const written = new Uint8Array(c.length);
  const s = storage(l, 'c');
  for (let bi = 0; bi < (l.batch ?? 1); bi++) {
    for (let m = 0; m < l.m; m++) for (let n = 0; n < l.n; n++) written[s.offset + bi * s.stride + m * s.ld + n] = 1;
  }
  let worst = 0;
  for (let i = 0; i < c.length; i++) {
    if (!written[i]) {
      if (!Object.is(got[i], c[i])) expect.fail(`${label}: C[${i}] outside the product changed from ${c[i]} to ${got[i]}`);
      continue;
    }
    const err = Math.abs(got[i]! - ref[i]!);
    if (!(err <= bound[i]!)) expect.fail(`${label}: C[${i}] = ${got[i]}, reference ${ref[i]}, |error| ${err} > bound ${bound[i]}`);
    worst = Math.max(worst, err / Math.max(bound[i]!, Number.MIN_VALUE));
  }
  console.log(`gemm ${gpuBackend} ${label}: max |error|/bound = ${worst.toExponential(2)}`);
  expect(worst).toBeLessThanOrEqual(1);
  return worst;
}

const TRANSPOSES = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;
const tag = (transA: boolean, transB: boolean): string => `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;

describe(`gemm on ${gpuBackend}: f32 GPU vs float64 twin, entrywise within γ_{K+2}|α||A||B| + γ_2|βC|`, () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [5, 7, 3],
    [64, 64, 64],
    [65, 63, 129],
    [200, 3, 1000],
    [3, 3, 20_000],
  ];
  for (const [m, n, k] of shapes) {
    gpuTest(`${m}×${n}×${k}, all four transpose combinations`, async () => {
      for (const [transA, transB] of TRANSPOSES) {
        await check(getCtx(), { m, n, k, transA, transB }, `${m}x${n}x${k} ${tag(transA, transB)}`);
      }
    });
  }

  gpuTest('batch 3 with one operand broadcast (batch stride 0)', async () => {
    const ctx = getCtx();
    await check(ctx, { m: 33, n: 17, k: 40, batch: 3, transB: true, a: { batchStride: 0 } }, 'batch3 A broadcast');
    await check(ctx, { m: 70, n: 20, k: 35, batch: 3, transA: true, alpha: -0.5, beta: 2, b: { batchStride: 0 } }, 'batch3 B broadcast');
  });

  gpuTest('non-default leading dimensions and offsets, alpha and beta ≠ 0', async () => {
    for (const [transA, transB] of TRANSPOSES) {
      const l: GemmLayout = {
        m: 37,
        n: 29,
        k: 45,
        batch: 2,
        transA,
        transB,
        alpha: 0.75,
        beta: -1.25,
        a: { offset: 3, ld: 50, batchStride: 50 * 45 + 7 },
        b: { offset: 5, ld: 47 },
        c: { offset: 11, ld: 33, batchStride: 37 * 33 + 2 },
      };
      await check(getCtx(), l, `ld/offsets ${tag(transA, transB)}`);
    }
  });

  gpuTest('beta = 0 over a C prefilled with NaN: C is write-only (also with split K)', async () => {
    const ctx = getCtx();
    await check(ctx, { m: 70, n: 66, k: 50, alpha: 2, c: { offset: 1, ld: 70 } }, 'NaN C', 'nan');
    await check(ctx, { m: 3, n: 5, k: 5000, transA: true, c: { ld: 6 } }, 'NaN C split-K', 'nan');
  });

  gpuTest('beta ≠ 0 with split K, and an empty reduction (K = 0: C = beta·C)', async () => {
    const ctx = getCtx();
    await check(ctx, { m: 8, n: 8, k: 6000, transA: true, alpha: 0.5, beta: 0.5 }, 'split-K beta');
    await check(ctx, { m: 4, n: 5, k: 0, beta: 2, c: { ld: 7 } }, 'K = 0');
  });

  gpuTest('invalid arguments are refused', async () => {
    const ctx = getCtx();
    const g = await createGemm(ctx);
    const buf = await ctx.uploadF32(new Float32Array(64), 'x');
    const other = await ctx.uploadF32(new Float32Array(64), 'y');
    try {
      const attempt = (args: Parameters<typeof g.encode>[1]): Promise<unknown> => record(ctx, 'gemm invalid', (rec) => g.encode(rec, args));
      const ops = { a: { buffer: buf }, b: { buffer: buf }, c: { buffer: other } };
      await expect(attempt({ ...ops, m: 4, n: 4, k: 4, a: { buffer: buf, ld: 3 } })).rejects.toThrow(InvalidArgumentError);
      await expect(attempt({ ...ops, m: 4, n: 4, k: 4, batch: 2, c: { buffer: other, batchStride: 4 } })).rejects.toThrow(/overlap/);
      await expect(attempt({ ...ops, m: 4, n: 4, k: 4, c: { buffer: buf } })).rejects.toThrow(/must differ/);
      await expect(attempt({ ...ops, m: 9, n: 9, k: 9 })).rejects.toThrow(/spans/);
      await expect(attempt({ ...ops, m: 1.5, n: 4, k: 4 })).rejects.toThrow(InvalidArgumentError);
    } finally {
      ctx.destroyBuffer(buf);
      ctx.destroyBuffer(other);
    }
  });

  gpuTest('operands larger than one binding are split by batch, rows/columns of C and K (4 KiB bindings)', async () => {
    using small = await createNodeGpuContext({ backend: gpuBackend, maxBindingBytes: 4096 });
    expect(small.limits.maxStorageBufferBindingSize).toBe(4096);
    for (const [transA, transB] of TRANSPOSES) {
      await check(small, { m: 70, n: 50, k: 90, batch: 2, transA, transB, alpha: 1.5, beta: 0.5 }, `4KiB 70x50x90 ${tag(transA, transB)}`);
    }
    await check(small, { m: 3, n: 3, k: 3000, transB: true }, '4KiB 3x3x3000 K pieces', 'nan');
    await check(small, { m: 2, n: 1000, k: 3, beta: -1 }, '4KiB 2x1000x3 column pieces');
    await check(small, { m: 2, n: 1000, k: 3, transB: true }, '4KiB 2x1000x3 NT column pieces');
    await check(small, { m: 1000, n: 2, k: 3, transA: true, beta: 0.25 }, '4KiB 1000x2x3 TN row pieces');
    await check(small, { m: 8, n: 8, k: 8, batch: 40, transA: true, b: { batchStride: 0 } }, '4KiB batch chunks');
    await check(small, { m: 1, n: 1, k: 900, beta: 3 }, '4KiB split-K partials');
    await check(small, { m: 40, n: 50, k: 0, batch: 2, beta: 2 }, '4KiB K = 0');
    expect(small.liveBufferCount).toBe(0);
  });
});
