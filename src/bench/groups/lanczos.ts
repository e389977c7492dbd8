/**
 * Group `lanczos` (issue 3): batched Lanczos with CGS2 full reorthogonalization for a fixed number
 * of steps m, one start vector per matrix, timed whole (start + m steps + tridiagonal readback)
 * and against its operator applies alone (the same m applies on the same buffers, recorded in the
 * same command-buffer chunks), whose ratio says what the recurrence costs on top of the applies.
 *
 * Counting per lane (matrix), with step k = 0…m−1 orthogonalizing against k+1 basis vectors:
 * - FLOPs: applies 2n²·m, CGS2 Σ 8(k+1)n = 4n·m(m+1) (two passes of h = Qw and w −= Qᵀh).
 * - Bytes: applies 4n²·m (the matrix streamed once per step), CGS2 Σ 16(k+1)n = 8n·m(m+1)
 *   (the basis read four times per step).
 * @module
 */
import { createLanczos } from '../../algorithms/lanczos.ts';
import { denseOperator } from '../../algorithms/operators.ts';
import { record } from '../../gpu/recorder.ts';
import { measure } from '../harness.ts';
import { batchBytes, uploadBatch } from '../problems.ts';
import type { BenchCase, BenchEnv, BenchGroup, Figure } from '../types.ts';

/** Steps recorded per command buffer (LanczosRun's default; the applies-alone timing uses the same). */
const STEPS_PER_SUBMIT = 8;

/** Bytes and FLOPs of m Lanczos steps on `lanes` lanes of size n (see the module comment). */
export function lanczosWork(
  n: number,
  lanes: number,
  m: number,
): { applyBytes: number; cgsBytes: number; applyFlops: number; cgsFlops: number } {
  return {
    applyBytes: lanes * 4 * n * n * m,
    cgsBytes: lanes * 8 * n * m * (m + 1),
    applyFlops: lanes * 2 * n * n * m,
    cgsFlops: lanes * 4 * n * m * (m + 1),
  };
}

function lanczosCase(n: number, batch: number, steps: number): BenchCase {
  const w = lanczosWork(n, batch, steps);
  const matrixBytes = batchBytes(n, batch);
  const basisBytes = batch * (steps + 1) * n * 4;
  return {
    label: `n=${n} batch=${batch} steps=${steps}`,
    params: { n, batch, steps },
    memory: { largestBuffer: Math.max(matrixBytes, basisBytes), gpu: matrixBytes + basisBytes + 2 * batch * n * 4, host: n * n * 8 },
    ...(steps > n ? { skipReason: `steps = ${steps} exceeds n = ${n}` } : {}),
    predictSeconds: (env) => env.predictSeconds({ bytes: w.applyBytes + w.cgsBytes }),
    async run(env: BenchEnv): Promise<Figure> {
      const { ctx } = env;
      const predicted = env.predictSeconds({ bytes: w.applyBytes + w.cgsBytes });
      const matrices = await uploadBatch(ctx, env.matrix(n), n, batch);
      try {
        using op = await denseOperator(ctx, { n, batch, buffer: matrices });
        using run = await createLanczos(op, { maxSteps: steps, stepsPerSubmit: STEPS_PER_SUBMIT });
        let breakdowns = 0;
        const whole = await measure(
          `lanczos n=${n} batch=${batch}`,
          async () => {
            await run.start({ kind: 'random', seed: 0 });
            await run.advance(steps);
            const tri = await run.readTridiagonals();
            breakdowns = tri.breakdown.filter(Boolean).length;
          },
          env.timing(predicted),
        );
        // The same applies on the same buffers: x = basis row k, y = w, chunked like the run.
        const stride = run.laneStride;
        const wView = { buffer: run.buffers.w, batchStride: n, vectorStride: n };
        const applies = await measure(
          `lanczos applies n=${n} batch=${batch}`,
          async () => {
            for (let k0 = 0; k0 < steps; k0 += STEPS_PER_SUBMIT) {
              await record(ctx, 'bench lanczos applies', (rec) => {
                for (let k = k0; k < Math.min(steps, k0 + STEPS_PER_SUBMIT); k++) {
                  op.encodeApply(rec, { buffer: run.basis, offset: k * n, batchStride: stride, vectorStride: stride }, wView, 1);
                }
              });
            }
          },
          env.timing(env.predictSeconds({ bytes: w.applyBytes })),
        );
        const t = whole.median;
        const bytes = w.applyBytes + w.cgsBytes;
        const flops = w.applyFlops + w.cgsFlops;
        const gbPerS = bytes / t / 1e6;
        const gflopPerS = flops / t / 1e6;
        return {
          label: `n=${n} batch=${batch} steps=${steps}`,
          params: { n, batch, steps },
          time: whole,
          measurements: { applies },
          metrics: {
            bytes,
            flops,
            gbPerS,
            gflopPerS,
            fractionOfCopyBandwidth: gbPerS / env.roofline.copy.gbPerS,
            fractionOfGemmPeak: gflopPerS / env.roofline.gemm.best.gflopPerS,
            msPerStep: t / steps,
            appliesGbPerS: w.applyBytes / applies.median / 1e6,
            lanczosOverApplies: t / applies.median,
            lanczosOverAppliesOfMinimums: whole.min / applies.min,
          },
          ...(breakdowns > 0 ? { notes: [`${breakdowns} lane(s) stopped early on breakdown (dispatches still ran)`] } : {}),
        };
      } finally {
        ctx.destroyBuffer(matrices);
      }
    },
  };
}

/** The Lanczos benchmark group. */
export const lanczosGroup: BenchGroup = {
  id: 'lanczos',
  title: 'Lanczos (CGS2), fixed steps',
  description:
    'Batched Lanczos with full CGS2 reorthogonalization, one random start vector per matrix, m fixed steps: start + m steps + ' +
    'tridiagonal readback, timed whole and against its m operator applies alone (same buffers, same submission chunks). ' +
    'Per lane: FLOPs = 2n²m (applies) + 4n·m(m+1) (CGS2); bytes = 4n²m (applies) + 8n·m(m+1) (CGS2 basis reads).',
  cases(scale) {
    const { n: ns, batch: bs, steps } = scale.lanczos;
    const out: BenchCase[] = [];
    for (const n of ns) for (const batch of bs) out.push(lanczosCase(n, batch, steps));
    return out.sort((a, b) => a.params.n! * a.params.n! * a.params.batch! - b.params.n! * b.params.n! * b.params.batch!);
  },
};
