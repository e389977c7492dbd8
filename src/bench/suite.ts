/**
 * {@link runBenchmarks}: the whole suite on one GPU context — the roofline, an apply calibration
 * for run-time predictions, every selected group's cases (skipped with a reason when they exceed
 * `maxBufferSize`, the memory budgets or the per-case time budget; recorded as failed when they
 * throw), then the scaling exponents and the goals.
 * @module
 */
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { DeviceLimitError, GpuOutOfMemoryError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { GRSD_VERSION } from '../version.ts';
import { applyCase } from './groups/operatorApply.ts';
import { timingMethodFor } from './harness.ts';
import type { PeerOptions } from './peers.ts';
import { benchMatrix } from './problems.ts';
import { selectBenchGroups } from './registry.ts';
import { measureRoofline } from './roofline.ts';
import { FULL_SCALE, QUICK_SCALE } from './scales.ts';
import { fitPowerLaw } from './stats.ts';
import {
  BENCH_SCHEMA_VERSION,
  type BenchEnv,
  type BenchReport,
  type BenchScale,
  type Figure,
  type GoalResult,
  type GroupResult,
  type ScalingFit,
} from './types.ts';

const GiB = 2 ** 30;

/** Progress of a run, for progress bars. */
export interface BenchProgress {
  /** Steps finished. */
  readonly done: number;
  /** Steps planned (may grow once the groups' cases are known). */
  readonly total: number;
  /** What runs next (or "done"). */
  readonly label: string;
}

/** Options of {@link runBenchmarks}. */
export interface BenchOptions {
  /** `"full"` (default), `"quick"` or custom sizes. */
  readonly scale?: 'quick' | 'full' | BenchScale;
  /** Group ids to run (default: all registered). */
  readonly groups?: readonly string[];
  readonly peers?: PeerOptions;
  /** GPU memory a case may hold at once. Default 3 GiB. */
  readonly memoryBudgetBytes?: number;
  /** Host memory a case may hold at once. Default a quarter of the machine's memory, at most 8 GiB. */
  readonly hostBudgetBytes?: number;
  /** Description of the machine for the report header. Default: from the OS and the adapter. */
  readonly machine?: string;
  readonly onProgress?: (progress: BenchProgress) => void;
}

/** The scale for a name or a custom scale. */
export function resolveScale(scale: BenchOptions['scale']): BenchScale {
  if (scale === undefined || scale === 'full') return FULL_SCALE;
  if (scale === 'quick') return QUICK_SCALE;
  if (typeof scale === 'object') return scale;
  throw new InvalidArgumentError('scale', `expected "quick", "full" or a scale object, got ${String(scale)}`);
}

function hostInfo(): Omit<BenchReport['host'], 'loadAverage'> {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / GiB) * 10) / 10,
    platform: platform(),
    arch: arch(),
  };
}

/** The default machine line: "2-core x64 (AMD EPYC), 23.4 GiB RAM, adapter: ... (compatibility mode, software)". */
export function describeMachine(host: Omit<BenchReport['host'], 'loadAverage'>, ctx: GpuContext): string {
  const a = ctx.adapter;
  const name = a.description || a.device || a.vendor || 'unnamed adapter';
  return `${host.cores}-core ${host.arch} (${host.cpu}), ${host.memoryGiB} GiB RAM; adapter: ${name} (${a.route}, ${a.mode} mode${a.software ? ', software adapter' : ''})`;
}

const fmtBytes = (b: number): string => (b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`);

/** Runs the benchmark suite on `ctx` and returns the report (see docs/benchmarks.md). */
export async function runBenchmarks(ctx: GpuContext, options: BenchOptions = {}): Promise<BenchReport> {
  const started = performance.now();
  const scale = resolveScale(options.scale);
  const groups = selectBenchGroups(options.groups);
  const host = hostInfo();
  const loadAtStart = loadavg()[0] ?? 0;
  const memoryBudgetBytes = options.memoryBudgetBytes ?? 3 * GiB;
  const hostBudgetBytes = options.hostBudgetBytes ?? Math.min(8 * GiB, totalmem() / 4);
  const notes: string[] = [];
  const planned = groups.map((g) => ({ group: g, cases: g.cases(scale) }));
  const calibrate = !groups.some((g) => g.id === 'apply');
  let done = 0;
  const total = 1 + scale.gemmSizes.length + (calibrate ? 1 : 0) + planned.reduce((s, p) => s + p.cases.length, 0);
  const progress = (label: string): void => options.onProgress?.({ done, total, label });

  const roofline = await measureRoofline(ctx, {
    copyBytes: scale.copyBytes,
    gemmSizes: scale.gemmSizes,
    warmup: scale.warmup,
    repeats: scale.repeats,
    maxSeconds: scale.maxSeconds,
    caseBudgetSeconds: scale.caseBudgetSeconds,
    memoryBudgetBytes,
    onStep: (label) => {
      progress(label);
      done++;
    },
  });
  done = 1 + scale.gemmSizes.length;

  const matrices = new Map<number, Float32Array>();
  const shared = new Map<string, number>();
  const env: BenchEnv = {
    ctx,
    scale,
    roofline,
    peers: options.peers ?? {},
    memoryBudgetBytes,
    hostBudgetBytes,
    shared,
    timing: (predicted) => ({
      ctx,
      warmup: predicted !== undefined && predicted !== null && predicted > 2 ? 0 : scale.warmup,
      repeats: scale.repeats,
      maxSeconds: scale.maxSeconds,
    }),
    predictSeconds: ({ bytes = 0, flops = 0 }) => {
      const bandwidth = shared.get('applyGbPerS') ?? roofline.copy.gbPerS;
      const gflops = roofline.gemm.best.gflopPerS;
      return Math.max(bytes / (bandwidth * 1e9), Number.isFinite(gflops) ? flops / (gflops * 1e9) : 0);
    },
    matrix: (n) => {
      let m = matrices.get(n);
      if (!m) {
        // Keep at most two sizes: the largest matrices are 64 MiB each.
        if (matrices.size >= 2) matrices.delete(matrices.keys().next().value!);
        matrices.set(n, (m = benchMatrix(n)));
      }
      return m;
    },
  };

  // Calibrate run-time predictions with one mid-size apply when the apply group does not run first.
  if (calibrate) {
    const n = Math.min(2048, Math.max(256, ...scale.apply.n));
    progress(`calibration: apply n = ${n}`);
    const figure = await applyCase(n, 1).run(env);
    notes.push(`Run-time predictions calibrated with a dense apply at n = ${n}: ${figure.metrics.gbPerS!.toFixed(2)} GB/s.`);
    done++;
  }

  const results: GroupResult[] = [];
  for (const { group, cases } of planned) {
    const result: GroupResult = { id: group.id, title: group.title, description: group.description, figures: [], skipped: [], failed: [] };
    results.push(result);
    for (const c of cases) {
      progress(`${group.id}: ${c.label}`);
      const skip = (reason: string): void => void result.skipped.push({ label: c.label, params: c.params, reason });
      const mem = c.memory ?? {};
      const predicted = c.skipReason ? 0 : (c.predictSeconds?.(env) ?? 0);
      if (c.skipReason) skip(c.skipReason);
      else if ((mem.largestBuffer ?? 0) > ctx.limits.maxBufferSize)
        skip(`needs a ${fmtBytes(mem.largestBuffer!)} buffer, over the adapter's maxBufferSize (${fmtBytes(ctx.limits.maxBufferSize)})`);
      else if ((mem.gpu ?? 0) > memoryBudgetBytes)
        skip(`needs ${fmtBytes(mem.gpu!)} of GPU memory, over the budget of ${fmtBytes(memoryBudgetBytes)} (--memory-budget)`);
      else if ((mem.host ?? 0) > hostBudgetBytes)
        skip(`needs ${fmtBytes(mem.host!)} of host memory, over the budget of ${fmtBytes(hostBudgetBytes)}`);
      else if (predicted > scale.caseBudgetSeconds)
        skip(`predicted ${predicted.toFixed(0)} s per run on this adapter, over the per-case budget of ${scale.caseBudgetSeconds} s`);
      else {
        try {
          result.figures.push(await c.run(env));
        } catch (error) {
          // Running out of device memory or into a limit that cannot be split is this adapter's
          // limitation, not a defect: the case is skipped with the error. Anything else failed.
          const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          if (error instanceof GpuOutOfMemoryError || error instanceof DeviceLimitError) skip(`did not fit on this adapter: ${message}`);
          else result.failed.push({ label: c.label, params: c.params, error: message });
        }
      }
      done++;
    }
  }
  progress('done');

  const adapter = ctx.adapter;
  if (adapter.software)
    notes.push('Software adapter: the GPU figures measure a CPU emulation of WebGPU and say nothing about the speed of grsd on a GPU.');
  return {
    schemaVersion: BENCH_SCHEMA_VERSION,
    date: new Date().toISOString(),
    grsdVersion: GRSD_VERSION,
    scale,
    machine: options.machine ?? describeMachine(host, ctx),
    host: { ...host, loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 } },
    adapter: {
      description: adapter.description,
      device: adapter.device,
      vendor: adapter.vendor,
      architecture: adapter.architecture,
      mode: adapter.mode,
      route: adapter.route,
      software: adapter.software,
    },
    node: process.version,
    timing: timingMethodFor(ctx),
    limits: { maxBufferSize: ctx.limits.maxBufferSize, maxStorageBufferBindingSize: ctx.limits.maxStorageBufferBindingSize },
    roofline,
    groups: results,
    scaling: scalingFits(results),
    goals: evaluateGoals(results, adapter.software),
    elapsedSeconds: (performance.now() - started) / 1000,
    notes,
  };
}

/**
 * Log-log least-squares exponents of time against each of `n` and `batch`, for grsd and for each
 * peer, within every set of figures that differ only in that parameter (at least two points).
 */
export function scalingFits(groups: readonly GroupResult[]): ScalingFit[] {
  const fits: ScalingFit[] = [];
  for (const g of groups) {
    for (const variable of ['n', 'batch']) {
      const series = new Map<string, Figure[]>();
      for (const f of g.figures) {
        if (f.params[variable] === undefined) continue;
        const fixed = Object.entries(f.params).filter(([k]) => k !== variable);
        const key = JSON.stringify(fixed);
        series.set(key, [...(series.get(key) ?? []), f]);
      }
      for (const [key, figures] of series) {
        const fixed = Object.fromEntries(JSON.parse(key) as [string, number][]);
        const xs = figures.map((f) => f.params[variable]!);
        if (new Set(xs).size < 2) continue;
        const add = (name: string, ms: (number | undefined)[]): void => {
          const pts = xs.map((x, i) => ({ x, ms: ms[i]! })).filter((p) => p.ms !== undefined && p.ms > 0);
          if (pts.length < 2 || new Set(pts.map((p) => p.x)).size < 2) return;
          pts.sort((a, b) => a.x - b.x);
          const fit = fitPowerLaw(
            pts.map((p) => p.x),
            pts.map((p) => p.ms),
          );
          fits.push({ group: g.id, series: name, variable, fixed, points: pts, exponent: fit.exponent, r2: fit.r2 });
        };
        add(
          'grsd',
          figures.map((f) => f.time.median),
        );
        const peerIds = new Set(figures.flatMap((f) => (f.peers ?? []).filter((p) => p.time).map((p) => p.peer)));
        for (const id of peerIds)
          add(
            id,
            figures.map((f) => f.peers?.find((p) => p.peer === id)?.time?.median),
          );
      }
    }
  }
  return fits;
}

const describeParams = (p: Readonly<Record<string, number>>): string =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

/** The goals of issue 8 against the run's figures. */
export function evaluateGoals(groups: readonly GroupResult[], software: boolean): GoalResult[] {
  const figuresOf = (id: string): Figure[] => groups.find((g) => g.id === id)?.figures ?? [];
  const goals: GoalResult[] = [];

  const apply = figuresOf('apply');
  const description1 = 'Dense operator apply at ≥ 60% of the measured copy bandwidth';
  if (apply.length === 0) {
    goals.push({
      id: 'apply-bandwidth',
      description: description1,
      target: '≥ 0.60',
      value: null,
      met: null,
      basis: 'no apply figure',
      reason: 'not measured in this run',
    });
  } else {
    const largest = apply.reduce((m, f) => (f.metrics.bytesPerApply! > m.metrics.bytesPerApply! ? f : m));
    const fractions = apply.map((f) => f.metrics.fractionOfCopyBandwidth!);
    const value = largest.metrics.fractionOfCopyBandwidth!;
    goals.push({
      id: 'apply-bandwidth',
      description: description1,
      target: '≥ 0.60',
      value,
      met: value >= 0.6,
      basis: `largest configuration measured (${describeParams(largest.params)}); range over all ${apply.length}: ${Math.min(...fractions).toFixed(2)}–${Math.max(...fractions).toFixed(2)}`,
    });
  }

  const lanczos = figuresOf('lanczos');
  const description2 = 'Whole Lanczos run ≤ 1.5× the time of its operator applies alone';
  if (lanczos.length === 0) {
    goals.push({
      id: 'lanczos-overhead',
      description: description2,
      target: '≤ 1.5',
      value: null,
      met: null,
      basis: 'no Lanczos figure',
      reason: 'not measured in this run',
    });
  } else {
    const large = lanczos.filter((f) => f.params.n! >= 1024);
    const judged = large.length > 0 ? large : lanczos;
    const worst = judged.reduce((m, f) => (f.metrics.lanczosOverApplies! > m.metrics.lanczosOverApplies! ? f : m));
    const value = worst.metrics.lanczosOverApplies!;
    goals.push({
      id: 'lanczos-overhead',
      description: description2,
      target: '≤ 1.5',
      value,
      met: value <= 1.5,
      basis: `worst of ${judged.length} configuration(s)${large.length > 0 ? ' with n ≥ 1024' : ' (none with n ≥ 1024 measured)'}: ${describeParams(worst.params)}`,
    });
  }

  const description3 = 'On a real GPU, grsd eigsh (upload included) faster than numpy/LAPACK on the same machine’s CPU at n ≥ 4096';
  const eig = figuresOf('eigsh').filter((f) => f.params.n! >= 4096);
  const ratios = eig.flatMap((f) => {
    const r = f.peers?.find((p) => p.peer === 'numpy-eigvalsh')?.ratio;
    return r === undefined ? [] : [{ f, r }];
  });
  const worst = ratios.reduce<{ f: Figure; r: number } | null>((m, x) => (!m || x.r > m.r ? x : m), null);
  const basis3 = worst
    ? `grsd/numpy-eigvalsh time ratio at ${describeParams(worst.f.params)}`
    : 'no eigsh figure with n ≥ 4096 and a numpy time';
  if (software) {
    goals.push({
      id: 'gpu-vs-lapack',
      description: description3,
      target: 'ratio < 1',
      value: worst?.r ?? null,
      met: null,
      basis: basis3,
      reason: 'software adapter: a CPU emulation of a GPU says nothing about GPU speed',
    });
  } else if (!worst) {
    goals.push({
      id: 'gpu-vs-lapack',
      description: description3,
      target: 'ratio < 1',
      value: null,
      met: null,
      basis: basis3,
      reason: 'no eigsh case with n ≥ 4096 measured against numpy in this run (skipped, peer missing or not selected)',
    });
  } else {
    goals.push({ id: 'gpu-vs-lapack', description: description3, target: 'ratio < 1', value: worst.r, met: worst.r < 1, basis: basis3 });
  }

  // Issue 13: no more operator applications than ARPACK wherever ARPACK converges (counts, not time).
  const description4 = 'eigsh: operator applications ≤ ARPACK’s on every hard-catalogue case where ARPACK converges (2k + 20 vectors)';
  const work = figuresOf('eigsh-work').filter((f) => f.metrics.ratioToArpack !== undefined);
  if (work.length === 0) {
    goals.push({
      id: 'eigsh-work-vs-arpack',
      description: description4,
      target: 'ratio ≤ 1',
      value: null,
      met: null,
      basis: 'no eigsh-work case with a converged ARPACK run',
      reason: 'not measured in this run (group not selected, or scipy missing)',
    });
  } else {
    const hardest = work.reduce((m, f) => (f.metrics.ratioToArpack! > m.metrics.ratioToArpack! ? f : m));
    const value = hardest.metrics.ratioToArpack!;
    goals.push({
      id: 'eigsh-work-vs-arpack',
      description: description4,
      target: 'ratio ≤ 1',
      value,
      met: value <= 1,
      basis: `worst of ${work.length} case(s): ${hardest.label}`,
    });
  }
  return goals;
}
