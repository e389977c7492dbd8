/**
 * The benchmark suite end to end on the test's adapter at tiny sizes: every figure finite and
 * positive, the JSON schema fields present, peers either timed or skipped with a reason, an added
 * group run through the registry, and the harness's clock choice (GPU timestamps exactly when the
 * device has `timestamp-query`). No timing assertions.
 */
import { create } from 'webgpu';
import { describe, expect } from 'vitest';
import {
  BENCH_SCHEMA_VERSION,
  measure,
  registerBenchGroup,
  renderMarkdown,
  runBenchmarks,
  timingMethodFor,
  unregisterBenchGroup,
  type BenchGroup,
  type BenchScale,
  type Measurement,
} from '../../src/bench/index.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { GpuContext } from '../../src/gpu/context.ts';
import { record } from '../../src/gpu/recorder.ts';
import { createCopyBandwidth } from '../../src/kernels/copyBandwidth.ts';
import { SWIFTSHADER_ICD_PATHS } from '../../src/node/dawn.ts';
import { existsSync } from 'node:fs';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

useGpu();

const TINY: BenchScale = {
  name: 'tiny',
  copyBytes: 1 << 20,
  gemmSizes: [32, 64],
  apply: { n: [64, 128], batch: [1, 2] },
  lanczos: { n: [64, 128], batch: [1, 2], steps: 8 },
  eigsh: { n: [48, 64], k: 4, tolerance: 1e-4 },
  eigshJacobian: { shapes: [[24, 400]] },
  slq: { n: [64], probes: 2, steps: 8 },
  transport: { r: [16], n: [64], shells: [6] },
  binning: { batch: [1, 3], len: [100], shellsPerDecade: 4 },
  pipeline: { n: [48], checkpoints: 3, rank: 8, f64MaxN: 48 },
  warmup: 1,
  repeats: 2,
  maxSeconds: 1,
  caseBudgetSeconds: 20,
  mlMatrixMaxN: 48,
  f64MaxN: 64,
};

function expectMeasurement(m: Measurement, where: string): void {
  expect(m.samples.length, where).toBeGreaterThan(0);
  for (const s of m.samples) expect(Number.isFinite(s) && s > 0, `${where}: sample ${s}`).toBe(true);
  for (const key of ['median', 'min', 'max'] as const) expect(Number.isFinite(m[key]) && m[key] > 0, `${where}: ${key}`).toBe(true);
  expect(m.spread, where).toBeGreaterThanOrEqual(0);
  expect(['gpu-timestamp', 'wall', 'wall-python', 'wall-host'], where).toContain(m.timing);
}

describe(`benchmark suite on ${gpuBackend}`, () => {
  gpuTest(
    'the whole suite at tiny sizes: finite positive figures, schema fields, peers timed or skipped with a reason',
    async (ctx) => {
      const extension: BenchGroup = {
        id: 'test-extension',
        title: 'Added through the registry',
        description: 'one copy',
        cases: () => [
          {
            label: 'copy 4096',
            params: { n: 4096 },
            async run(env) {
              const cp = await createCopyBandwidth(env.ctx);
              const a = await env.ctx.uploadF32(new Float32Array(4096), 'ext a');
              const b = await env.ctx.uploadF32(new Float32Array(4096), 'ext b');
              try {
                const time = await measure('ext', () => record(env.ctx, 'ext', (rec) => cp.encode(rec, a, b, 4096)), env.timing());
                return { label: 'copy 4096', params: { n: 4096 }, time, metrics: { gbPerS: (2 * 4096 * 4) / time.median / 1e6 } };
              } finally {
                env.ctx.destroyBuffer(a);
                env.ctx.destroyBuffer(b);
              }
            },
          },
          {
            label: 'too big',
            params: { n: 1 },
            memory: { largestBuffer: Number.MAX_SAFE_INTEGER },
            run: () => Promise.reject(new Error('not run')),
          },
        ],
      };
      registerBenchGroup(extension);
      const progress: number[] = [];
      let report;
      try {
        report = await runBenchmarks(ctx, {
          scale: TINY,
          groups: ['apply', 'lanczos', 'eigsh', 'eigsh-jacobian', 'slq', 'binning', 'transport', 'pipeline', extension.id],
          onProgress: (p) => progress.push(p.done),
          machine: 'test machine',
        });
      } finally {
        unregisterBenchGroup(extension.id);
      }
      expect(progress.length).toBeGreaterThan(5);

      // Schema.
      expect(report).toMatchObject({ schemaVersion: BENCH_SCHEMA_VERSION, machine: 'test machine', timing: timingMethodFor(ctx) });
      expect(Date.parse(report.date)).not.toBeNaN();
      expect(report.node).toBe(process.version);
      expect(report.adapter).toMatchObject({ route: ctx.adapter.route, mode: ctx.adapter.mode, software: ctx.adapter.software });
      expect(report.groups.map((g) => g.id)).toEqual([
        'apply',
        'lanczos',
        'eigsh',
        'eigsh-jacobian',
        'slq',
        'binning',
        'transport',
        'pipeline',
        'test-extension',
      ]);
      expect(report.goals.map((g) => g.id)).toEqual(['apply-bandwidth', 'lanczos-overhead', 'gpu-vs-lapack', 'eigsh-work-vs-arpack']);
      expect(JSON.parse(JSON.stringify(report))).toEqual(report);

      // Roofline.
      expectMeasurement(report.roofline.copy.time, 'copy');
      expect(report.roofline.copy.gbPerS).toBeGreaterThan(0);
      expect(report.roofline.gemm.points).toHaveLength(2);
      for (const p of report.roofline.gemm.points) expectMeasurement(p.time, `gemm ${p.n}`);
      expect(report.roofline.gemm.best.gflopPerS).toBeGreaterThan(0);

      // Every case ran (none failed, only the deliberately oversized one skipped).
      for (const g of report.groups) expect(g.failed, g.id).toEqual([]);
      const counts = Object.fromEntries(report.groups.map((g) => [g.id, g.figures.length]));
      expect(counts).toEqual({
        apply: 4,
        lanczos: 4,
        eigsh: 2,
        'eigsh-jacobian': 1,
        slq: 1,
        binning: 2,
        transport: 1,
        pipeline: 1,
        'test-extension': 1,
      });
      expect(report.groups.at(-1)!.skipped).toEqual([
        expect.objectContaining({ label: 'too big', reason: expect.stringMatching(/maxBufferSize/) }),
      ]);

      for (const g of report.groups) {
        for (const f of g.figures) {
          const where = `${g.id} ${f.label}`;
          expectMeasurement(f.time, where);
          expect(f.time.timing).toBe(report.timing);
          for (const [k, v] of Object.entries(f.metrics)) expect(Number.isFinite(v) && v >= 0, `${where} ${k} = ${v}`).toBe(true);
          for (const [k, m] of Object.entries(f.measurements ?? {})) expectMeasurement(m, `${where} ${k}`);
          for (const p of f.peers ?? []) {
            if (p.skipped) {
              expect(p.reason, `${where} ${p.peer}`).toMatch(/\S/);
              expect(p.time).toBeUndefined();
            } else {
              expectMeasurement(p.time!, `${where} ${p.peer}`);
              expect(Number.isFinite(p.ratio) && p.ratio! > 0, `${where} ${p.peer} ratio`).toBe(true);
            }
          }
        }
      }
      // Golub–Kahan resolves the small eigenvalues that Lanczos on the f32 K loses (λ over 8 decades).
      const wide = report.groups.find((g) => g.id === 'eigsh-jacobian')!.figures[0]!;
      expect(wide.metrics.golubKahanApplies).toBe(24);
      expect(wide.metrics.golubKahanBottom10MedianRelError).toBeLessThan(wide.metrics.lanczosKBottom10MedianRelError! / 10);
      const lanczos = report.groups.find((g) => g.id === 'lanczos')!;
      for (const f of lanczos.figures) {
        expect(f.metrics.lanczosOverApplies).toBeGreaterThan(0);
        expect(f.metrics.gflopPerS).toBeGreaterThan(0);
      }
      // eigsh converged to the known spectrum; the peers that ran agree with it.
      for (const f of report.groups.find((g) => g.id === 'eigsh')!.figures) {
        expect(f.metrics.converged).toBe(4);
        expect(f.metrics.maxErrorOverLambdaMax).toBeLessThan(1e-4);
        expect(f.peers!.map((p) => p.peer)).toEqual(['numpy-eigvalsh', 'numpy-eigh', 'scipy-eigsh', 'ml-matrix', 'grsd-f64-eigsh']);
        for (const p of f.peers!) if (!p.skipped) expect(p.result!.maxErrorOverLambdaMax as number, p.peer).toBeLessThan(1e-4);
      }
      // The float64 reference and ml-matrix run in-process: never skipped at these sizes (n=64 > mlMatrixMaxN is).
      const eig48 = report.groups.find((g) => g.id === 'eigsh')!.figures[0]!;
      expect(eig48.peers!.filter((p) => p.skipped).map((p) => p.peer)).not.toContain('grsd-f64-eigsh');
      expect(eig48.peers!.find((p) => p.peer === 'ml-matrix')!.skipped).toBeUndefined();

      // Transport: the GPU flow matrix agrees with numpy's float64 one (when numpy ran), and the
      // float64 JavaScript reference agrees too; the GEMM roofline ratio is a positive fraction.
      const transport = report.groups.find((g) => g.id === 'transport')!.figures[0]!;
      expect(transport.peers!.map((p) => p.peer)).toEqual(['numpy-transport', 'numpy-transport-f32', 'grsd-f64-transport']);
      expect(transport.metrics.fractionOfGemmRoofline).toBeGreaterThan(0);
      if (!transport.peers![0]!.skipped) {
        expect(transport.metrics.errorVsNumpy64).toBeLessThan(Math.sqrt(64) * 2 ** -24);
        expect(transport.peers![2]!.result!.errorVsNumpy64 as number).toBeLessThan(1e-12);
      }
      for (const f of report.groups.find((g) => g.id === 'binning')!.figures) expect(f.metrics.valuesPerSecond).toBeGreaterThan(0);
      const pipeline = report.groups.find((g) => g.id === 'pipeline')!.figures[0]!;
      expect(pipeline.peers!.map((p) => p.peer)).toEqual(['numpy-pipeline', 'grsd-cpu-pipeline']);
      expect(pipeline.peers![1]!.skipped).toBeUndefined();

      // Scaling: exponents against n and batch for the apply and Lanczos groups.
      for (const id of ['apply', 'lanczos']) {
        for (const variable of ['n', 'batch']) {
          const fits = report.scaling.filter((s) => s.group === id && s.series === 'grsd' && s.variable === variable);
          expect(fits.length, `${id} vs ${variable}`).toBe(2);
          for (const s of fits) expect(Number.isFinite(s.exponent)).toBe(true);
        }
      }
      for (const goal of report.goals) {
        expect(goal.met === null || typeof goal.met === 'boolean').toBe(true);
        if (goal.met === null) expect(goal.reason).toMatch(/\S/);
      }
      const md = renderMarkdown(report);
      expect(md).toContain('## Roofline');
      expect(md).toContain('## Lanczos (CGS2), fixed steps');
      expect(md).toContain('test-extension');
    },
    240_000, // SwiftShader under load: about 50 s quiet, over 60 s on a busy machine
  );

  gpuTest('GPU timestamps are used exactly when the device has timestamp-query', async (ctx) => {
    // The shared context requests no optional features.
    expect(ctx.device.features.has('timestamp-query')).toBe(false);
    const m = await measure('noop', () => ctx.done(), { ctx, warmup: 0, repeats: 2 });
    expect(m.timing).toBe('wall');
    await expect(measure('noop', () => {}, { ctx, timing: 'gpu-timestamp' })).rejects.toThrow(InvalidArgumentError);

    // A device of the same route with the feature, when the adapter offers it.
    const route =
      gpuBackend === 'swiftshader'
        ? { flags: ['backend=vulkan'], icd: SWIFTSHADER_ICD_PATHS.find((p) => existsSync(p)) }
        : { flags: [`backend=${gpuBackend === 'auto' ? 'opengles' : gpuBackend}`], icd: undefined };
    const saved = { icd: process.env.VK_ICD_FILENAMES, drivers: process.env.VK_DRIVER_FILES };
    if (route.icd) process.env.VK_ICD_FILENAMES = process.env.VK_DRIVER_FILES = route.icd;
    let instance: GPU;
    let device: GPUDevice;
    try {
      // The Vulkan loader reads the ICD variables when the adapter is requested: keep them until then.
      instance = create(route.flags);
      const adapter = await instance.requestAdapter(ctx.adapter.mode === 'compatibility' ? { featureLevel: 'compatibility' } : {});
      expect(adapter).not.toBeNull();
      if (!adapter!.features.has('timestamp-query')) {
        expect(timingMethodFor(ctx)).toBe('wall');
        return;
      }
      device = await adapter!.requestDevice({ requiredFeatures: ['timestamp-query'] });
    } finally {
      for (const [key, value] of [
        ['VK_ICD_FILENAMES', saved.icd],
        ['VK_DRIVER_FILES', saved.drivers],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    using own = new GpuContext({ device, owned: true, route: 'test timestamps', keepAlive: instance });
    expect(timingMethodFor(own)).toBe('gpu-timestamp');
    const cp = await createCopyBandwidth(own);
    const a = await own.uploadF32(new Float32Array(1 << 16), 'ts a');
    const b = await own.uploadF32(new Float32Array(1 << 16), 'ts b');
    const t = await measure('copy', () => record(own, 'copy', (rec) => cp.encode(rec, a, b, 1 << 16)), { ctx: own, warmup: 1, repeats: 3 });
    expect(t.timing).toBe('gpu-timestamp');
    expectMeasurement(t, 'timestamped copy');
    own.destroyBuffer(a);
    own.destroyBuffer(b);
    expect(own.liveBufferCount).toBe(0);
    expect(own.uncapturedErrors).toEqual([]);
  });
});
