/**
 * The power-law x_min scan on the GPU (shaders/analysis/powerLawScan.wgsl) against its float64
 * twin (powerLawScan in src/reference/powerLawTail.ts): α̂ within 1e-5 relative, D within 1e-5
 * absolute, and the same x̂_min or one whose float64 D is within 1e-6 of the minimum — for single
 * data sets, several data sets batched in one dispatch at very different scales, and subsampled
 * candidates; then fitPowerLawTail on the GPU (scan and bootstrap) against the CPU path.
 */
import { describe, expect } from 'vitest';
import { fitPowerLawTail } from '../../src/analysis/powerLawTail.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { powerLawScanGpu, powerLawScanSegments } from '../../src/kernels/powerLawScan.ts';
import {
  argminKs,
  powerLawCandidates,
  powerLawKs,
  powerLawScan,
  sortPositiveData,
  type PowerLawCandidates,
} from '../../src/reference/powerLawTail.ts';
import { createNodeGpuContext } from '../../src/node/dawn.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';
import { rng } from '../helpers/data.ts';

const getCtx = useGpu();

/** Pareto(1, α) tail with a lognormal body below 1, times `scale`. */
function sample(n: number, alpha: number, label: string, scale = 1): Float64Array {
  const r = rng(label);
  return Float64Array.from({ length: n }, () => {
    if (r.uniform() < 0.7) return scale * Math.pow(1 - r.uniform(), -1 / (alpha - 1));
    for (;;) {
      const v = Math.exp(-0.3 + 0.5 * r.normal());
      if (v < 1) return scale * v;
    }
  });
}

interface Set {
  readonly sorted: Float64Array;
  readonly cand: PowerLawCandidates;
}

/** Packs data sets into one kernel input (each scaled by √(x_first·x_max), as the analysis does). */
function pack(sets: readonly Set[]): { x: Float32Array; tailStart: Uint32Array; tailEnd: Uint32Array; logSum: Float32Array } {
  const total = sets.reduce((s, { sorted }) => s + sorted.length, 0);
  const count = sets.reduce((s, { cand }) => s + cand.start.length, 0);
  const x = new Float32Array(total);
  const tailStart = new Uint32Array(count);
  const tailEnd = new Uint32Array(count);
  const logSum = new Float32Array(count);
  let xo = 0;
  let co = 0;
  for (const { sorted, cand } of sets) {
    const scale = Math.sqrt(sorted[cand.start[0]!]! * sorted.at(-1)!);
    sorted.forEach((v, i) => (x[xo + i] = v / scale));
    cand.start.forEach((k, c) => {
      tailStart[co + c] = xo + k;
      tailEnd[co + c] = xo + sorted.length;
      logSum[co + c] = cand.logSum[c]!;
    });
    xo += sorted.length;
    co += cand.start.length;
  }
  return { x, tailStart, tailEnd, logSum };
}

/** The GPU scan of each set agrees with the float64 scan within the contract; returns the worst errors. */
async function compare(sets: readonly Set[]): Promise<{ alpha: number; ks: number }> {
  const { alpha, ks } = await powerLawScanGpu(getCtx(), pack(sets));
  let offset = 0;
  const worst = { alpha: 0, ks: 0 };
  for (const { sorted, cand } of sets) {
    const ref = powerLawScan(sorted, cand);
    const count = cand.start.length;
    const gpuKs = ks.subarray(offset, offset + count);
    for (let c = 0; c < count; c++) {
      worst.alpha = Math.max(worst.alpha, Math.abs(alpha[offset + c]! - ref.alphas[c]!) / ref.alphas[c]!);
      worst.ks = Math.max(worst.ks, Math.abs(gpuKs[c]! - ref.ks[c]!));
    }
    const best = argminKs(ref.ks);
    const gpuBest = argminKs(gpuKs);
    if (gpuBest !== best) expect(ref.ks[gpuBest]! - ref.ks[best]!, 'float64 D at the GPU x̂_min').toBeLessThanOrEqual(1e-6);
    offset += count;
  }
  expect(worst.alpha, 'α̂ relative error').toBeLessThanOrEqual(1e-5);
  expect(worst.ks, 'D absolute error').toBeLessThanOrEqual(1e-5);
  return worst;
}

const setOf = (data: Float64Array, options: { minTail?: number; candidates?: 'all' | number } = {}): Set => {
  const sorted = sortPositiveData(data);
  return { sorted, cand: powerLawCandidates(sorted, options) };
};

describe(`powerLawScan on ${gpuBackend}: GPU f32 vs float64 twin`, () => {
  gpuTest('one data set, every candidate (tails split over several segments)', async () => {
    const set = setOf(sample(1500, 2.5, 'gpu-one'), { minTail: 20 });
    expect(powerLawScanSegments(1500).segments).toBeGreaterThan(1);
    const worst = await compare([set]);
    console.log(`[${gpuBackend}] one set: worst α̂ rel ${worst.alpha.toExponential(2)}, D abs ${worst.ks.toExponential(2)}`);
  });

  gpuTest('three data sets in one dispatch, scales 1e-6 … 1e6, subsampled and all candidates', async () => {
    const worst = await compare([
      setOf(sample(700, 1.8, 'gpu-a', 1e-6), { candidates: 64 }),
      setOf(sample(300, 3.2, 'gpu-b', 1), { minTail: 10 }),
      setOf(sample(900, 2.2, 'gpu-c', 1e6), { candidates: 100 }),
    ]);
    console.log(`[${gpuBackend}] batched: worst α̂ rel ${worst.alpha.toExponential(2)}, D abs ${worst.ks.toExponential(2)}`);
  });

  gpuTest('bad input is refused before any GPU work', async () => {
    const ctx = getCtx();
    const good = pack([setOf(sample(100, 2, 'gpu-bad'), { minTail: 10 })]);
    await expect(powerLawScanGpu(ctx, { ...good, tailEnd: good.tailEnd.subarray(1) })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(powerLawScanGpu(ctx, { ...good, logSum: new Float32Array(good.logSum.length) })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(
      powerLawScanGpu(ctx, { ...good, tailStart: new Uint32Array(0), tailEnd: new Uint32Array(0), logSum: new Float32Array(0) }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  gpuTest('fitPowerLawTail on the GPU: same fit as the CPU path, bootstrap batched on the GPU', async () => {
    const ctx = getCtx();
    const data = sample(1200, 2.5, 'gpu-fit');
    const options = { minTail: 30, bootstrap: 6, seed: 5, compare: false } as const;
    const gpu = await fitPowerLawTail(data, { ...options, context: ctx, gpuMinWork: 0 });
    const cpu = await fitPowerLawTail(data, options);
    if (!gpu.ok || !cpu.ok) throw new Error('fit failed');
    expect(gpu.backend).toBe('gpu');
    expect(cpu.backend).toBe('cpu');
    const sorted = sortPositiveData(data);
    if (gpu.xmin !== cpu.xmin) {
      const k = sorted.indexOf(gpu.xmin);
      expect(powerLawKs(sorted, k, gpu.alpha) - cpu.ks).toBeLessThanOrEqual(1e-6);
    } else {
      expect(gpu.alpha).toBe(cpu.alpha);
      expect(gpu.ks).toBe(cpu.ks);
    }
    expect(Array.from(gpu.scan.alphas)).toEqual(Array.from(cpu.scan.alphas));
    gpu.scan.ks.forEach((v, c) => expect(Math.abs(v - cpu.scan.ks[c]!)).toBeLessThanOrEqual(1e-5));
    // Bootstrap replicates: each D is float64 at the GPU-chosen x_min, so within 1e-6 of the CPU's minimum.
    expect(gpu.bootstrap!.count).toBe(6);
    gpu.bootstrap!.ks.forEach((v, b) => expect(Math.abs(v - cpu.bootstrap!.ks[b]!)).toBeLessThanOrEqual(1e-6));
    expect(gpu.pValue).toBe(cpu.pValue);
    // Below gpuMinWork the scan stays on the CPU.
    const small = await fitPowerLawTail(data, { ...options, bootstrap: 0, context: ctx });
    expect(small.ok && small.backend).toBe('cpu');
  });

  gpuTest('a binding limit of 4 KiB: bootstrap batches split into dispatches that fit; too-large data stays on the CPU', async () => {
    using small = await createNodeGpuContext({ backend: gpuBackend, maxBindingBytes: 4096 });
    const data = sample(600, 2.2, 'gpu-small');
    const options = { minTail: 30, bootstrap: 4, seed: 2, compare: false, gpuMinWork: 0 } as const;
    const gpu = await fitPowerLawTail(data, { ...options, context: small });
    const cpu = await fitPowerLawTail(data, options);
    if (!gpu.ok || !cpu.ok) throw new Error('fit failed');
    expect(gpu.backend).toBe('gpu');
    expect(gpu.bootstrap!.count).toBe(4);
    gpu.bootstrap!.ks.forEach((v, b) => expect(Math.abs(v - cpu.bootstrap!.ks[b]!)).toBeLessThanOrEqual(1e-6));
    const big = await fitPowerLawTail(sample(2000, 2.2, 'gpu-big'), { ...options, bootstrap: 0, context: small });
    expect(big.ok && big.backend).toBe('cpu');
    expect(small.liveBufferCount).toBe(0);
  });
});
