/**
 * Operator conformance: every built-in operator's GPU apply matches its dense float64 form on a
 * block of vectors, entrywise within the f32 bound; invalid input gives typed errors.
 */
import { describe, expect } from 'vitest';
import { csrOperator, denseOperator, jacobianOperator, wgslOperator, type SymmetricOperator } from '../../src/algorithms/operators.ts';
import { GpuValidationError, InvalidArgumentError } from '../../src/errors.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { readStaging, record } from '../../src/gpu/recorder.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import { matmul, transpose } from '../../src/reference/linalg.ts';
import { csrToDense, type Csr } from '../../src/reference/sparse.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';
import { randomF32, rng } from '../helpers/data.ts';

const getCtx = useGpu();

/** Applies `op` to `vectors` random vectors per operator on the GPU and returns [batch][vectors][n]. */
async function applyOnGpu(ctx: GpuContext, op: SymmetricOperator, x: Float32Array, vectors: number): Promise<Float32Array> {
  const n = op.n;
  const xb = await ctx.uploadF32(x, 'x');
  const yb = await ctx.uploadF32(new Float32Array(x.length), 'y');
  try {
    const staging = await record(ctx, 'apply', (rec) => {
      op.encodeApply(
        rec,
        { buffer: xb, batchStride: vectors * n, vectorStride: n },
        { buffer: yb, batchStride: vectors * n, vectorStride: n },
        vectors,
      );
      return rec.stage(yb, 0, x.byteLength);
    });
    return new Float32Array(await readStaging(ctx, staging));
  } finally {
    ctx.destroyBuffer(xb);
    ctx.destroyBuffer(yb);
  }
}

/** Checks y = A_b x against dense f64 matrices: |error| ≤ γ_K Σ|a||x| (K = reduction length). */
async function conformance(ctx: GpuContext, op: SymmetricOperator, dense: Float64Array[], reduction: number): Promise<void> {
  const { n, batch } = op;
  const vectors = 3;
  const x = randomF32(batch * vectors * n, `x${op.kind}${n}`);
  const y = await applyOnGpu(ctx, op, x, vectors);
  const u = 2 ** -24;
  const gamma = (2 * reduction * u) / (1 - 2 * reduction * u);
  let worst = 0;
  for (let b = 0; b < batch; b++) {
    const a = dense[b]!;
    for (let v = 0; v < vectors; v++) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        let mag = 0;
        for (let j = 0; j < n; j++) {
          const t = a[i * n + j]! * x[(b * vectors + v) * n + j]!;
          s += t;
          mag += Math.abs(t);
        }
        const err = Math.abs(y[(b * vectors + v) * n + i]! - s);
        worst = Math.max(worst, err / Math.max(gamma * mag, Number.MIN_VALUE));
      }
    }
  }
  expect(worst).toBeLessThanOrEqual(1);
}

function randomSymmetric(n: number, label: string): Float64Array {
  const r = rng(label);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = Math.fround(r.normal());
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

function randomCsr(n: number, label: string): Csr {
  const r = rng(label);
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    dense[i * n + i] = Math.fround(2 + r.uniform());
    for (let t = 0; t < 3; t++) {
      const j = r.int(n);
      const v = Math.fround(r.normal());
      dense[i * n + j] = v;
      dense[j * n + i] = v;
    }
  }
  const rowPtr = [0];
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (dense[i * n + j] !== 0) {
        colIdx.push(j);
        values.push(dense[i * n + j]!);
      }
    }
    rowPtr.push(colIdx.length);
  }
  return { n, rowPtr, colIdx, values };
}

describe(`operators on ${gpuBackend}: GPU apply vs dense float64`, () => {
  gpuTest('dense: batch of 2, n = 70', async () => {
    const ctx = getCtx();
    const mats = [randomSymmetric(70, 'd0'), randomSymmetric(70, 'd1')];
    const data = new Float32Array(2 * 70 * 70);
    mats.forEach((m, b) => data.set(m, b * 4900));
    using op = await denseOperator(ctx, { n: 70, batch: 2, data });
    await conformance(ctx, op, mats, 70);
  });

  gpuTest('jacobian: K = J Jᵀ applied as J(Jᵀx), n = 40, P = 90, batch 2', async () => {
    const ctx = getCtx();
    const n = 40;
    const p = 90;
    const j = Float64Array.from(randomF32(2 * n * p, 'jac'));
    using op = await jacobianOperator(ctx, { n, p, batch: 2, data: j });
    const dense = [0, 1].map((b) => {
      const jb = j.subarray(b * n * p, (b + 1) * n * p);
      return matmul(Float64Array.from(jb), transpose(Float64Array.from(jb), n, p), n, p, n);
    });
    await conformance(ctx, op, dense, 2 * p * n);
  });

  gpuTest('jacobian wider than one binding is split into column blocks (4 KiB bindings)', async () => {
    using small = await createNodeGpuContext({ backend: gpuBackend, maxBindingBytes: 4096 });
    const n = 12;
    const p = 3000;
    const j = Float64Array.from(randomF32(n * p, 'wide'));
    using op = await jacobianOperator(small, { n, p, data: j });
    await conformance(small, op, [matmul(j, transpose(j, n, p), n, p, n)], 2 * p * n);
  });

  gpuTest('csr: batch of 2 sparse symmetric matrices, n = 90', async () => {
    const ctx = getCtx();
    const mats = [randomCsr(90, 'c0'), randomCsr(90, 'c1')];
    using op = await csrOperator(ctx, { n: 90, matrices: mats });
    await conformance(ctx, op, mats.map(csrToDense), 90);
  });

  gpuTest('wgsl: an RBF kernel matrix from a user entry function, never materialized', async () => {
    const ctx = getCtx();
    const n = 50;
    const pts = Float32Array.from({ length: n }, (_, i) => Math.fround(i / 7));
    using op = await wgslOperator(ctx, {
      n,
      batch: 2,
      userData: pts,
      code: 'fn operatorEntry(b: u32, i: u32, j: u32) -> f32 { let d = userData[i] - userData[j]; return f32(b + 1u) * exp(-0.5 * d * d); }',
    });
    const dense = [1, 2].map((scale) =>
      Float64Array.from({ length: n * n }, (_, e) => scale * Math.exp(-0.5 * (pts[Math.floor(e / n)]! - pts[e % n]!) ** 2)),
    );
    // exp in f32 has its own error: a few ulps per entry on top of the summation bound.
    await conformance(ctx, op, dense, n + 8);
  });

  gpuTest('wgsl: a compile error names the operator and shows the compiler message', async () => {
    const ctx = getCtx();
    const error = await wgslOperator(ctx, {
      n: 4,
      code: 'fn operatorEntry(b: u32, i: u32, j: u32) -> f32 { return nonsense; }',
      label: 'myKernel',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuValidationError);
    expect((error as GpuValidationError).kernel).toBe('myKernel');
    expect((error as Error).message).toMatch(/nonsense/);
  });

  gpuTest('bad input: wrong sizes, NaN/Inf, asymmetric, bad CSR → InvalidArgumentError naming the argument', async () => {
    const ctx = getCtx();
    const bad = async (p: Promise<unknown>, argument: string, message: RegExp) => {
      const e = await p.catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toBe(argument);
      expect((e as Error).message).toMatch(message);
    };
    await bad(denseOperator(ctx, { n: 3, data: new Float32Array(8) }), 'data', /expected batch·n·n = 1·3·3 = 9 values, got 8/);
    const nan = new Float32Array(9).fill(1);
    nan[5] = Number.NaN;
    await bad(denseOperator(ctx, { n: 3, data: nan }), 'data', /entry \(1, 2\) of matrix 0 is NaN/);
    const inf = new Float32Array(18).fill(1);
    inf[9 + 4] = Number.POSITIVE_INFINITY;
    await bad(denseOperator(ctx, { n: 3, batch: 2, data: inf }), 'data', /entry \(1, 1\) of matrix 1 is Infinity/);
    const asym = new Float32Array([1, 2, 3, 2, 1, 5, 3, 4, 1]);
    await bad(denseOperator(ctx, { n: 3, data: asym }), 'data', /not symmetric: entry \(1, 2\) = 5 but \(2, 1\) = 4/);
    await bad(denseOperator(ctx, { n: 0, data: new Float32Array(0) }), 'n', /positive integer/);
    await bad(jacobianOperator(ctx, { n: 2, p: 3, data: new Float32Array(5) }), 'data', /expected batch·n·p/);
    await bad(
      csrOperator(ctx, { n: 2, matrices: [{ n: 2, rowPtr: [0, 1, 2], colIdx: [0, 5], values: [1, 1] }] }),
      'matrices[0].colIdx',
      /outside \[0, 2\)/,
    );
    await bad(
      csrOperator(ctx, { n: 2, matrices: [{ n: 2, rowPtr: [0, 1, 2], colIdx: [1, 1], values: [1, 1] }] }),
      'matrices[0]',
      /not symmetric/,
    );
    await bad(wgslOperator(ctx, { n: 2, code: 'fn other() {}' }), 'code', /operatorEntry/);
  });
});
