import { describe, expect } from 'vitest';
import { matVecErrorBound, matVecN, matVecT, type MatVecLayout } from '../../src/reference/matVec.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';
import { randomF32 } from '../helpers/data.ts';
import { runMatVec } from '../helpers/kernels.ts';
import type { MatVecTuning } from '../../src/kernels/matVec.ts';

const getCtx = useGpu();

/** Runs one case on the GPU and checks every entry against the float64 twin within its bound. */
async function check(ctx: GpuContext, which: 'T' | 'N', l: MatVecLayout, label: string, tuning: MatVecTuning = {}): Promise<void> {
  const ld = l.ld ?? l.cols;
  const mLen = (l.mOffset ?? 0) + (l.batch - 1) * (l.mStride ?? l.rows * ld) + l.rows * ld;
  const xLen = (l.xOffset ?? 0) + (l.batch - 1) * l.xStride + (l.vectors - 1) * l.xVecStride + (which === 'T' ? l.rows : l.cols);
  const yLen = (l.yOffset ?? 0) + (l.batch - 1) * l.yStride + (l.vectors - 1) * l.yVecStride + (which === 'T' ? l.cols : l.rows);
  const m = randomF32(mLen, `${label}m`);
  const x = randomF32(xLen, `${label}x`);
  const y = randomF32(yLen, `${label}y`);
  const got = await runMatVec(ctx, which, m, x, y, l, tuning);
  const ref = (which === 'T' ? matVecT : matVecN)(m, x, Float64Array.from(y), l);
  const bound = matVecErrorBound(m, x, y, l, which === 'T');
  let worst = 0;
  for (let i = 0; i < yLen; i++) {
    const err = Math.abs(got[i]! - ref[i]!);
    if (ref[i] === y[i]) expect(got[i], `untouched y[${i}] changed`).toBe(y[i]);
    else worst = Math.max(worst, err / Math.max(bound[i]!, Number.MIN_VALUE));
  }
  expect(worst, `${label}: max error/bound`).toBeLessThanOrEqual(1);
}

const cases: [string, MatVecLayout][] = [
  ['1×1', { rows: 1, cols: 1, batch: 1, vectors: 1, xStride: 1, xVecStride: 1, yStride: 1, yVecStride: 1 }],
  ['square 300, batch 3', { rows: 300, cols: 300, batch: 3, vectors: 1, xStride: 300, xVecStride: 300, yStride: 300, yVecStride: 300 }],
  [
    'tall 1000×5, 9 vectors, alpha/beta',
    { rows: 1000, cols: 5, batch: 2, vectors: 9, xStride: 9000, xVecStride: 1000, yStride: 45, yVecStride: 5, alpha: -0.5, beta: 2 },
  ],
  [
    'wide 5×2000, ld 2010, offsets',
    {
      rows: 5,
      cols: 2000,
      ld: 2010,
      mOffset: 7,
      mStride: 5 * 2010 + 3,
      batch: 2,
      vectors: 3,
      xOffset: 1,
      xStride: 7000,
      xVecStride: 2001,
      yOffset: 5,
      yStride: 9000,
      yVecStride: 2003,
    },
  ],
  [
    'sub-range of rows',
    {
      rows: 40,
      cols: 300,
      batch: 2,
      vectors: 2,
      rowBegin: 5,
      rowEnd: 31,
      xStride: 80,
      xVecStride: 40,
      yStride: 600,
      yVecStride: 300,
      beta: 1,
    },
  ],
];

describe(`matVecT / matVecN on ${gpuBackend}: f32 GPU vs float64 twin, entrywise within γ_K Σ|M x|`, () => {
  for (const [name, l] of cases) {
    gpuTest(`matVecT ${name}`, () => check(getCtx(), 'T', l, `T${name}`));
    const n: MatVecLayout = {
      ...l,
      xStride: l.yStride + (l.cols > l.rows ? 0 : l.rows),
      xVecStride: Math.max(l.cols, l.yVecStride),
      yStride: l.xStride + l.rows,
      yVecStride: Math.max(l.rows, l.xVecStride),
    };
    gpuTest(`matVecN ${name}`, () => check(getCtx(), 'N', n, `N${name}`));
  }

  for (const tuning of [
    { threadsPerRow: 1, targetWorkgroups: 4 },
    { threadsPerRow: 8, targetWorkgroups: 64 },
    { threadsPerRow: 32, targetWorkgroups: 128 },
  ]) {
    gpuTest(`tuning ${JSON.stringify(tuning)} (the software and GPU defaults and one in between)`, async () => {
      const ctx = getCtx();
      const l: MatVecLayout = {
        rows: 37,
        cols: 900,
        batch: 2,
        vectors: 3,
        xStride: 2700,
        xVecStride: 900,
        yStride: 111,
        yVecStride: 37,
        beta: 0.5,
      };
      await check(ctx, 'N', l, `tuneN${tuning.threadsPerRow}`, tuning);
      const t: MatVecLayout = {
        rows: 900,
        cols: 37,
        batch: 2,
        vectors: 3,
        xStride: 2700,
        xVecStride: 900,
        yStride: 111,
        yVecStride: 37,
        beta: 0.5,
      };
      await check(ctx, 'T', t, `tuneT${tuning.threadsPerRow}`, tuning);
    });
  }

  gpuTest('matrices larger than one binding are split into row pieces (4 KiB bindings)', async () => {
    using small = await createNodeGpuContext({ backend: gpuBackend, maxBindingBytes: 4096 });
    await check(
      small,
      'T',
      { rows: 200, cols: 60, batch: 3, vectors: 2, xStride: 400, xVecStride: 200, yStride: 120, yVecStride: 60 },
      'splitT',
    );
    await check(
      small,
      'N',
      { rows: 200, cols: 60, batch: 3, vectors: 2, xStride: 120, xVecStride: 60, yStride: 400, yVecStride: 200, beta: 1 },
      'splitN',
    );
    await check(
      small,
      'T',
      { rows: 20, cols: 30, batch: 40, vectors: 1, xStride: 20, xVecStride: 20, yStride: 30, yVecStride: 30 },
      'batchChunks',
    );
    expect(small.liveBufferCount).toBe(0);
  });
});
