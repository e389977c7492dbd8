/** Streaming for visualizers: events, the async iterator, and caller-owned GPU buffers with the documented layouts. */
import { describe, expect } from 'vitest';
import { GrsdSeries, type CheckpointData, type CheckpointResult, type IntervalResult } from '../../src/analysis/series.ts';
import { streamAnalysis } from '../../src/analysis/stream.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';
import { lazyDiagonal, rotatingBasis } from '../helpers/grsdCases.ts';

const getCtx = useGpu();
const spectrum = (n: number) => Float64Array.from({ length: n }, (_, i) => 10 ** (-0.13 - (2.6 * i) / (n - 1)));

describe(`streaming on ${gpuBackend}`, () => {
  gpuTest('streamAnalysis yields each step as it arrives; GPU copies hold exactly the results (documented layouts)', async () => {
    const ctx = getCtx();
    const n = 12;
    const { at } = rotatingBasis(n, spectrum(n), 0.05, 2);
    async function* source(): AsyncGenerator<CheckpointData> {
      for (const t of [0, 0.01, 0.02]) yield { t, kernel: at(t).kernel, residual: at(t).residual };
    }
    const before = ctx.liveBufferCount;
    const seen: number[] = [];
    for await (const step of streamAnalysis(ctx, source(), { rank: n, gpuOutputs: true, gridOptions: { floorRelative: 1e-3 } })) {
      seen.push(step.index);
      const gpu = step.gpu!;
      const size = step.grid.size;
      const energy = await ctx.readF32(gpu.energy, 0, size);
      step.checkpoint.energy.forEach((e, i) => expect(energy[i]).toBeCloseTo(Math.fround(e), 6));
      if (step.interval) {
        const transport = await ctx.readF32(gpu.interval!.transport, 0, size * size);
        step.interval.transport.forEach((v, i) => expect(transport[i]).toBe(Math.fround(v)));
        const flux = await ctx.readF32(gpu.interval!.flux, 0, step.grid.count);
        step.interval.flux.forEach((v, i) => expect(flux[i]).toBe(Math.fround(v)));
        const valid = new Uint32Array(await ctx.read(gpu.interval!.velocityValid, 0, (step.grid.count - 1) * 4));
        expect(Array.from(valid)).toEqual(Array.from(step.interval.velocityValid));
      } else {
        expect(gpu.interval).toBeNull();
      }
      gpu.destroy();
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(ctx.liveBufferCount).toBe(before);
  });

  gpuTest('breaking out of the iteration disposes the series; events fire per push', async () => {
    const ctx = getCtx();
    const { checkpoints } = lazyDiagonal(10, [0, 1, 2, 3]);
    const before = ctx.liveBufferCount;
    for await (const step of streamAnalysis(ctx, checkpoints, { rank: 10, gridOptions: { floorRelative: 1e-4 } })) {
      if (step.index === 1) break;
    }
    expect(ctx.liveBufferCount).toBe(before);
    const series = new GrsdSeries(ctx, { rank: 10, gridOptions: { floorRelative: 1e-4 } });
    const cps: CheckpointResult[] = [];
    const ivs: IntervalResult[] = [];
    const off = series.on('checkpoint', (c) => cps.push(c));
    series.on('interval', (i) => ivs.push(i));
    await series.push(checkpoints[0]!);
    await series.push(checkpoints[1]!);
    off();
    await series.push(checkpoints[2]!);
    expect(cps.map((c) => c.t)).toEqual([0, 1]);
    expect(ivs.map((i) => i.t1)).toEqual([1, 2]);
    series.dispose();
  });

  gpuTest('gpuOutputs on the CPU backend is refused with a typed error', async () => {
    const it = streamAnalysis('cpu', [], { gpuOutputs: true });
    await expect(it.next()).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
