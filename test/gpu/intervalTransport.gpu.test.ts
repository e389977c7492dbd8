/**
 * The series' per-interval GPU work (intervalTransport: the flow estimator, the overlap O = U Vᵀ
 * and the Kato projections U (K_new − K_old) Uᵀ) against its float64 twin intervalTransportF64 on
 * the same f32 inputs, entrywise within error bounds of the f32 arithmetic.
 */
import { describe, expect } from 'vitest';
import { intervalTransport } from '../../src/algorithms/intervalTransport.ts';
import { denseOperator, type SymmetricOperator } from '../../src/algorithms/operators.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { BufferGroup } from '../../src/gpu/bufferGroup.ts';
import { intervalTransportF64 } from '../../src/reference/intervalTransport.ts';
import { randomOrthogonal } from '../../src/reference/linalg.ts';
import { rng } from '../helpers/data.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

useGpu();
const U = 2 ** -24;
const gamma = (k: number) => (k * U) / (1 - k * U);

function orthonormalRows(r: number, n: number, label: string): Float32Array {
  return Float32Array.from(randomOrthogonal(n, rng(label)).subarray(0, r * n));
}

function symmetricF32(n: number, label: string): Float32Array {
  const g = rng(label);
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = g.normal();
  return a;
}

/** |U| M |U|ᵀ (r × r) for a non-negative n×n M, in float64. */
function absSandwich(u: Float32Array, r: number, n: number, m: Float64Array): Float64Array {
  const out = new Float64Array(r * r);
  const mu = new Float64Array(r * n); // row j: M |u_j|
  for (let j = 0; j < r; j++)
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let l = 0; l < n; l++) s += m[i * n + l]! * Math.abs(u[j * n + l]!);
      mu[j * n + i] = s;
    }
  for (let k = 0; k < r; k++)
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(u[k * n + i]!) * mu[j * n + i]!;
      out[k * r + j] = s;
    }
  return out;
}

describe(`interval transport (flow estimator, overlap, Kato projections) on ${gpuBackend} vs float64`, () => {
  const cases = [
    { rOld: 37, rNew: 29, n: 131, shells: 7, pairs: 2 },
    { rOld: 1, rNew: 5, n: 64, shells: 3, pairs: 1 },
    { rOld: 12, rNew: 0, n: 40, shells: 4, pairs: 1 },
  ];
  for (const { rOld, rNew, n, shells, pairs } of cases) {
    gpuTest(`rOld=${rOld} rNew=${rNew} n=${n} shells=${shells}, ${pairs} Kato pair(s): every output within its f32 bound`, async (ctx) => {
      const label = `${rOld}-${rNew}-${n}`;
      const u = orthonormalRows(rOld, n, `U ${label}`);
      const v = orthonormalRows(rNew, n, `V ${label}`);
      const a = Float32Array.from(rng(`a ${label}`).normals(n));
      const g = rng(`index ${label}`);
      const oldIndex = Int32Array.from({ length: rOld }, () => g.int(shells));
      const newIndex = Int32Array.from({ length: rNew }, () => g.int(shells));
      const kernels = Array.from(
        { length: pairs },
        (_, i) => [symmetricF32(n, `Kn ${i} ${label}`), symmetricF32(n, `Ko ${i} ${label}`)] as const,
      );
      const ref = intervalTransportF64({ u, v, a, oldIndex, newIndex, shells, kernels });
      // β = V a in float64 (the series passes the new checkpoint's amplitudes).
      const beta = Float64Array.from({ length: rNew }, (_, k) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += v[k * n + i]! * a[i]!;
        return s;
      });
      let norm2 = 0;
      for (const x of a) norm2 += x * x;
      using group = new BufferGroup(ctx);
      const upload = async (data: Float32Array, what: string) => {
        const b = await group.storage(data.length, what);
        if (data.length) ctx.device.queue.writeBuffer(b, 0, data);
        return b;
      };
      const ops: SymmetricOperator[] = [];
      try {
        for (const [kn, ko] of kernels) ops.push(await denseOperator(ctx, { n, data: kn }), await denseOperator(ctx, { n, data: ko }));
        const gpu = await intervalTransport(ctx, {
          n,
          shells,
          old: { vectors: await upload(u, 'U'), index: oldIndex },
          new: { vectors: await upload(v, 'V'), index: newIndex, residual: await upload(a, 'a'), amplitudes: beta, norm2 },
          kato: kernels.map((_, i) => [ops[2 * i]!, ops[2 * i + 1]!] as const),
        });
        // Flow: √n·2⁻²⁴·‖a‖² per entry (docs/accuracy.md, test/gpu/flowEstimator.gpu.test.ts).
        const flowTol = Math.sqrt(n) * U * norm2;
        gpu.flow.forEach((f, e) => expect(Math.abs(f - ref.flow[e]!), `F[${e}]`).toBeLessThanOrEqual(flowTol));
        // Overlap: the GEMM bound γ_{n+2} Σ_i |u_ji v_ki|.
        for (let j = 0; j < rOld; j++)
          for (let k = 0; k < rNew; k++) {
            let abs = 0;
            for (let i = 0; i < n; i++) abs += Math.abs(u[j * n + i]! * v[k * n + i]!);
            expect(Math.abs(gpu.overlap[j * rNew + k]! - ref.overlap[j * rNew + k]!)).toBeLessThanOrEqual(gamma(n + 2) * abs);
          }
        // Kato projections: (2γ_{n+2} + γ₂)(1 + 2γ_{n+2})·|u_k|ᵀ(|K_new| + |K_old|)|u_j| (apply, GEMM, signed accumulation).
        expect(gpu.projections).toHaveLength(rOld > 0 ? pairs : 0);
        gpu.projections.forEach((p, i) => {
          const [kn, ko] = kernels[i]!;
          const bound = absSandwich(
            u,
            rOld,
            n,
            Float64Array.from(kn, (x, e) => Math.abs(x) + Math.abs(ko[e]!)),
          );
          const c = (2 * gamma(n + 2) + gamma(2)) * (1 + 2 * gamma(n + 2));
          let worst = 0;
          p.forEach((x, e) => (worst = Math.max(worst, Math.abs(x - ref.projections[i]![e]!) / (c * bound[e]!))));
          expect(worst, `projection ${i}: worst error / bound`).toBeLessThanOrEqual(1);
          expect(Math.max(...Array.from(ref.projections[i]!, Math.abs))).toBeGreaterThan(0.1); // not vacuous
        });
      } finally {
        for (const op of ops) op.dispose();
      }
    });
  }

  gpuTest('bad input: a shell index out of range, amplitudes of the wrong length → InvalidArgumentError naming it', async (ctx) => {
    using group = new BufferGroup(ctx);
    const buffer = await group.storage(64, 'x');
    const base = {
      n: 8,
      shells: 3,
      old: { vectors: buffer, index: [0, 1] },
      new: { vectors: buffer, index: [0, 2], residual: buffer, amplitudes: [1, 1], norm2: 2 },
    };
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e,
      );
    const out = await fail(intervalTransport(ctx, { ...base, old: { ...base.old, index: [0, 3] } }));
    expect(out).toBeInstanceOf(InvalidArgumentError);
    expect((out as Error).message).toMatch(/old\.index.*entry 1/);
    const short = await fail(intervalTransport(ctx, { ...base, new: { ...base.new, amplitudes: [1] } }));
    expect((short as InvalidArgumentError).argument).toBe('new.amplitudes');
  });
});
