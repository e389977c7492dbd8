/**
 * Group `apply`: the batched dense operator apply (matVecT through `denseOperator.encodeApply`),
 * one vector per matrix: y_b = A_b x_b. Bandwidth counts the matrix bytes read, n²·batch·4, per
 * apply (the vectors are negligible) and is compared with the measured copy bandwidth.
 * @module
 */
import { denseOperator } from '../../algorithms/operators.ts';
import { STORAGE_USAGE } from '../../gpu/flags.ts';
import { record } from '../../gpu/recorder.ts';
import { measure } from '../harness.ts';
import { batchBytes, uploadBatch } from '../problems.ts';
import type { BenchCase, BenchEnv, BenchGroup, Figure } from '../types.ts';

/** Target duration of one timed sample: applies are repeated inside it up to this (at most 64). */
const SAMPLE_SECONDS = 0.05;

/** One apply configuration (also used by the suite to calibrate its run-time predictions). */
export function applyCase(n: number, batch: number): BenchCase {
  const bytes = batchBytes(n, batch);
  return {
    label: `n=${n} batch=${batch}`,
    params: { n, batch },
    memory: { largestBuffer: bytes, gpu: bytes + 2 * batch * n * 4, host: n * n * 4 * 2 },
    predictSeconds: (env) => env.predictSeconds({ bytes }),
    async run(env: BenchEnv): Promise<Figure> {
      const { ctx } = env;
      const predicted = env.predictSeconds({ bytes });
      const applies = Math.max(1, Math.min(64, Math.round(SAMPLE_SECONDS / Math.max(predicted, 1e-9))));
      const matrices = await uploadBatch(ctx, env.matrix(n), n, batch);
      const x = await ctx.uploadF32(
        Float32Array.from({ length: batch * n }, (_, i) => Math.sin(i + 1)),
        'bench apply x',
      );
      const y = await ctx.createBuffer({ label: 'bench apply y', size: Math.max(16, batch * n * 4), usage: STORAGE_USAGE });
      try {
        using op = await denseOperator(ctx, { n, batch, buffer: matrices });
        const xv = { buffer: x, batchStride: n, vectorStride: n };
        const yv = { buffer: y, batchStride: n, vectorStride: n };
        const time = await measure(
          `apply n=${n} batch=${batch}`,
          () =>
            record(ctx, 'bench apply', (rec) => {
              for (let i = 0; i < applies; i++) op.encodeApply(rec, xv, yv, 1);
            }),
          { ...env.timing(predicted * applies), divideBy: applies },
        );
        const gbPerS = bytes / time.median / 1e6;
        // The largest apply measured so far predicts the run time of later cases.
        if (bytes >= (env.shared.get('applyBytes') ?? 0)) {
          env.shared.set('applyBytes', bytes);
          env.shared.set('applyGbPerS', gbPerS);
        }
        return {
          label: `n=${n} batch=${batch}`,
          params: { n, batch },
          time,
          metrics: {
            bytesPerApply: bytes,
            appliesPerSample: applies,
            gbPerS,
            fractionOfCopyBandwidth: gbPerS / env.roofline.copy.gbPerS,
          },
        };
      } finally {
        ctx.destroyBuffer(matrices);
        ctx.destroyBuffer(x);
        ctx.destroyBuffer(y);
      }
    },
  };
}

/** The dense operator apply benchmark group. */
export const operatorApplyGroup: BenchGroup = {
  id: 'apply',
  title: 'Dense operator apply (matVecT)',
  description:
    'y_b = A_b·x_b for a batch of dense symmetric n×n f32 matrices, one vector each, through denseOperator.encodeApply ' +
    '(several applies per timed sample; times are per apply). GB/s = n²·batch·4 bytes read / t; compared with the measured copy bandwidth.',
  cases(scale) {
    const out: BenchCase[] = [];
    for (const n of scale.apply.n) for (const batch of scale.apply.batch) out.push(applyCase(n, batch));
    return out.sort((a, b) => a.params.n! * a.params.n! * a.params.batch! - b.params.n! * b.params.n! * b.params.batch!);
  },
};
