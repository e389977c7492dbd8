/**
 * The benchmark suite's machinery without a GPU: sample statistics, the harness with an injected
 * clock, the power-law fit and scaling exponents, goals, markdown rendering, the registry, the
 * benchmark matrix, and peers that cannot run being reported as skipped (never faked).
 * No timing assertions: speed is measured by `grsd bench`, never asserted.
 */
import { describe, expect, test } from 'vitest';
import {
  BENCH_SCHEMA_VERSION,
  benchGroups,
  benchMatrix,
  benchSpectrum,
  evaluateGoals,
  f64EigshPeer,
  fitPowerLaw,
  formatNumber,
  fromSamples,
  hostPeer,
  lanczosWork,
  measure,
  mlMatrixPeer,
  QUICK_SCALE,
  pythonPeer,
  pythonScriptPeer,
  PYTHON_PRELUDE,
  quantileSorted,
  registerBenchGroup,
  renderMarkdown,
  runPythonPeer,
  scalingFits,
  selectBenchGroups,
  summarize,
  topKError,
  unregisterBenchGroup,
  withRatios,
  type BenchGroup,
  type BenchReport,
  type Figure,
  type GroupResult,
} from '../../src/bench/index.ts';
import { runCli } from '../../src/cli/program.ts';
import { EXIT } from '../../src/cli/exitCodes.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { symmetricEigen } from '../../src/reference/symmetricEigen.ts';

const ms = (label: string, samples: number[]) => fromSamples(label, samples, 'wall');

function figure(params: Record<string, number>, median: number, metrics: Record<string, number> = {}, extra: Partial<Figure> = {}): Figure {
  return { label: JSON.stringify(params), params, time: ms('t', [median, median, median]), metrics, ...extra };
}

function group(id: string, figures: Figure[], rest: Partial<GroupResult> = {}): GroupResult {
  return { id, title: id, description: `${id} group`, figures, skipped: [], failed: [], ...rest };
}

describe('sample statistics', () => {
  test('median, extremes, IQR (type-7 quantiles) and MAD', () => {
    const s = summarize([4, 1, 100, 3, 2]);
    expect(s).toMatchObject({ median: 3, min: 1, max: 100, spread: 2, spreadKind: 'iqr', mad: 1, mean: 22 });
    expect(summarize([5]).spread).toBe(0);
    expect(summarize([1, 2, 3, 4]).median).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantileSorted([10, 20], 1)).toBe(20);
  });

  test('rejects empty and non-finite samples', () => {
    expect(() => summarize([])).toThrow(InvalidArgumentError);
    expect(() => summarize([1, Number.NaN])).toThrow(/finite/);
    expect(() => quantileSorted([1], 1.5)).toThrow(InvalidArgumentError);
  });
});

describe('measure (host work, injected clock)', () => {
  /** A clock that advances by the next duration each time fn runs. */
  function fakeWork(durations: number[]) {
    let now = 0;
    let calls = 0;
    return {
      clock: () => now,
      fn: () => {
        now += durations[calls++] ?? 1;
      },
      calls: () => calls,
    };
  }

  test('warm-up runs are untimed; samples, statistics and the clock are recorded', async () => {
    const w = fakeWork([50, 10, 12, 11, 30, 9]);
    const m = await measure('work', w.fn, { warmup: 1, repeats: 5, clock: w.clock });
    expect(m.samples).toEqual([10, 12, 11, 30, 9]);
    expect(m).toMatchObject({ label: 'work', timing: 'wall-host', unit: 'ms', warmup: 1, median: 11, min: 9, max: 30 });
    expect(w.calls()).toBe(6);
  });

  test('divideBy reports per unit of work; maxSeconds stops repeating but keeps one sample', async () => {
    const w = fakeWork([40, 40, 40]);
    expect((await measure('x', w.fn, { warmup: 0, repeats: 3, divideBy: 4, clock: w.clock })).samples).toEqual([10, 10, 10]);
    const slow = fakeWork([5000, 5000, 5000, 5000]);
    const m = await measure('slow', slow.fn, { warmup: 1, repeats: 3, maxSeconds: 1, clock: slow.clock });
    expect(m.samples).toEqual([5000]);
    expect(m.warmup).toBe(1);
  });

  test('slowWarmupSeconds: a long warm-up run is kept as the first sample', async () => {
    const w = fakeWork([3000, 2500, 2600]);
    const m = await measure('peer', w.fn, { warmup: 1, repeats: 3, slowWarmupSeconds: 2, clock: w.clock });
    expect(m.samples).toEqual([3000, 2500, 2600]);
    expect(m.warmup).toBe(0);
    const quick = fakeWork([100, 10, 11]);
    expect((await measure('peer', quick.fn, { warmup: 1, repeats: 2, slowWarmupSeconds: 2, clock: quick.clock })).samples).toEqual([
      10, 11,
    ]);
  });

  test('asks for a GPU clock without a GPU context: typed error', async () => {
    await expect(measure('x', () => {}, { timing: 'gpu-timestamp' })).rejects.toThrow(InvalidArgumentError);
    await expect(measure('x', () => {}, { repeats: 0 })).rejects.toThrow(/repeats/);
  });
});

describe('power-law fit and scaling exponents', () => {
  test('exact power laws are recovered', () => {
    const xs = [256, 512, 1024, 2048];
    const fit = fitPowerLaw(
      xs,
      xs.map((x) => 3 * x ** 2),
    );
    expect(fit.exponent).toBeCloseTo(2, 12);
    expect(fit.coefficient).toBeCloseTo(3, 9);
    expect(fit.r2).toBeCloseTo(1, 12);
    expect(fitPowerLaw([1, 8], [5, 10]).exponent).toBeCloseTo(1 / 3, 12);
  });

  test('noisy data: least squares in log-log, r² below 1', () => {
    const fit = fitPowerLaw([1, 2, 4, 8], [1, 2.2, 3.6, 8.5]);
    expect(fit.exponent).toBeGreaterThan(0.9);
    expect(fit.exponent).toBeLessThan(1.1);
    expect(fit.r2).toBeLessThan(1);
    expect(fit.points).toBe(4);
  });

  test('bad input throws', () => {
    expect(() => fitPowerLaw([1], [1])).toThrow(/two points/);
    expect(() => fitPowerLaw([2, 2], [1, 3])).toThrow(/distinct/);
    expect(() => fitPowerLaw([1, 2], [0, 3])).toThrow(/positive/);
    expect(() => fitPowerLaw([1, 2], [1])).toThrow(InvalidArgumentError);
  });

  test('scalingFits: against n and batch with the other parameters fixed, for grsd and each peer', () => {
    const peer = (median: number) => [{ peer: 'numpy-eigvalsh', description: 'd', time: ms('p', [median]) }];
    const g = group('lanczos', [
      figure({ n: 1024, batch: 1 }, 10, {}, { peers: peer(1) }),
      figure({ n: 2048, batch: 1 }, 40, {}, { peers: peer(8) }),
      figure({ n: 4096, batch: 1 }, 160, {}, { peers: peer(64) }),
      figure({ n: 1024, batch: 8 }, 20),
      figure({ n: 1024, batch: 32 }, 80),
    ]);
    const fits = scalingFits([g]);
    const byN = fits.find((f) => f.variable === 'n' && f.series === 'grsd' && f.fixed.batch === 1)!;
    expect(byN.exponent).toBeCloseTo(2, 10);
    expect(byN.points.map((p) => p.x)).toEqual([1024, 2048, 4096]);
    expect(fits.find((f) => f.variable === 'n' && f.series === 'numpy-eigvalsh')!.exponent).toBeCloseTo(3, 10);
    const byBatch = fits.find((f) => f.variable === 'batch' && f.fixed.n === 1024)!;
    expect(byBatch.exponent).toBeCloseTo(fitPowerLaw([1, 8, 32], [10, 20, 80]).exponent, 12);
    // A series with a single point per fixed setting gives no fit.
    expect(fits.some((f) => f.variable === 'n' && f.fixed.batch === 8)).toBe(false);
  });
});

describe('goals', () => {
  const applies = group('apply', [
    figure({ n: 1024, batch: 1 }, 1, { bytesPerApply: 4e6, fractionOfCopyBandwidth: 0.9 }),
    figure({ n: 4096, batch: 8 }, 1, { bytesPerApply: 5e8, fractionOfCopyBandwidth: 0.45 }),
  ]);
  const lanczos = group('lanczos', [
    figure({ n: 256, batch: 1 }, 1, { lanczosOverApplies: 3 }),
    figure({ n: 1024, batch: 1 }, 1, { lanczosOverApplies: 1.2 }),
    figure({ n: 4096, batch: 8 }, 1, { lanczosOverApplies: 1.4 }),
  ]);
  const eig = group('eigsh', [
    figure({ n: 4096, batch: 1 }, 1, {}, { peers: [{ peer: 'numpy-eigvalsh', description: 'd', time: ms('p', [2]), ratio: 0.5 }] }),
  ]);

  test('judged on the largest apply, the worst Lanczos with n ≥ 1024, numpy at n ≥ 4096', () => {
    const goals = evaluateGoals([applies, lanczos, eig], false);
    expect(goals.map((g) => g.id)).toEqual(['apply-bandwidth', 'lanczos-overhead', 'gpu-vs-lapack', 'eigsh-work-vs-arpack']);
    expect(goals[0]).toMatchObject({ value: 0.45, met: false });
    expect(goals[1]).toMatchObject({ value: 1.4, met: true });
    expect(goals[2]).toMatchObject({ value: 0.5, met: true });
    expect(goals[3]).toMatchObject({ value: null, met: null });
  });

  test('eigsh work against ARPACK: judged on the worst ratio among the cases where ARPACK converged to the right values', () => {
    const work = group('eigsh-work', [
      figure({ n: 400, k: 6 }, 1, { applies: 27, appliesArpack: 20, ratioToArpack: 1.35 }),
      figure({ n: 500, k: 10 }, 1, { applies: 159, appliesArpack: 69, arpackConverged: 0 }),
      figure({ n: 1000, k: 10 }, 1, { applies: 355, appliesArpack: 390, ratioToArpack: 0.91 }),
    ]);
    const goal = evaluateGoals([work], true)[3]!;
    expect(goal).toMatchObject({ id: 'eigsh-work-vs-arpack', value: 1.35, met: false });
    expect(goal.basis).toMatch(/worst of 2 case/);
  });

  test('software adapters and missing figures give met = null with a reason', () => {
    const goals = evaluateGoals([eig], true);
    expect(goals[0]).toMatchObject({ value: null, met: null });
    expect(goals[1]!.reason).toMatch(/not measured/);
    expect(goals[2]).toMatchObject({ value: 0.5, met: null });
    expect(goals[2]!.reason).toMatch(/software adapter/);
    expect(evaluateGoals([], false)[2]).toMatchObject({ met: null, value: null });
  });
});

function syntheticReport(): BenchReport {
  const peers = withRatios(
    [
      {
        peer: 'numpy-eigvalsh',
        description: 'LAPACK',
        time: fromSamples('p', [4, 5, 6], 'wall-python'),
        result: { maxErrorOverLambdaMax: 1e-9 },
      },
      { peer: 'scipy-eigsh', description: 'ARPACK', skipped: true, reason: 'scipy import failed: ModuleNotFoundError' },
    ],
    { median: 10, min: 8 },
  );
  const groups = [
    group('eigsh', [figure({ n: 256, batch: 1, k: 10 }, 10, { steps: 40, maxErrorOverLambdaMax: 2e-7 }, { peers, label: 'n=256 k=10' })], {
      skipped: [
        { label: 'n=4096 k=10', params: { n: 4096 }, reason: 'predicted 99 s per run on this adapter, over the per-case budget of 30 s' },
      ],
    }),
  ];
  return {
    schemaVersion: BENCH_SCHEMA_VERSION,
    date: '2026-01-01T00:00:00.000Z',
    grsdVersion: '0.0.0',
    scale: QUICK_SCALE,
    machine: '2-core x86-64, no GPU',
    host: { cpu: 'cpu', cores: 2, memoryGiB: 8, platform: 'linux', arch: 'x64', loadAverage: { start: 0.5, end: 2.25 } },
    adapter: {
      description: 'llvmpipe',
      device: '',
      vendor: '',
      architecture: '',
      mode: 'compatibility',
      route: 'opengles',
      software: true,
    },
    node: 'v24.0.0',
    timing: 'wall',
    limits: { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 27 },
    roofline: {
      copy: { bufferBytes: 2 ** 25, bytesPerCopy: 2 ** 26, copiesPerSample: 4, time: ms('copy', [10, 11, 12]), gbPerS: 6.1 },
      gemm: { points: [{ n: 256, productsPerSample: 8, time: ms('gemm', [5, 6]), gflopPerS: 6.2 }], best: { n: 256, gflopPerS: 6.2 } },
      skipped: [{ what: 'gemm n = 4096', reason: 'over budget' }],
    },
    groups,
    scaling: [
      {
        group: 'eigsh',
        series: 'grsd',
        variable: 'n',
        fixed: { batch: 1 },
        points: [
          { x: 1, ms: 1 },
          { x: 2, ms: 4 },
        ],
        exponent: 2,
        r2: 1,
      },
    ],
    goals: evaluateGoals(groups, true),
    elapsedSeconds: 12,
    notes: ['Software adapter: says nothing about GPU speed.'],
  };
}

describe('markdown rendering', () => {
  test('header, roofline, goals, group table, peers with ratios, skipped peers and cases, scaling', () => {
    const md = renderMarkdown(syntheticReport());
    expect(md).toContain('**Machine:** 2-core x86-64, no GPU');
    expect(md).toContain('**software adapter**');
    expect(md).toContain('GPU clock: `wall`');
    expect(md).toContain('load average 0.50 at the start, 2.25 at the end');
    expect(md).toContain('## Roofline (measured on this device)');
    expect(md).toMatch(/\| copy, read \+ write \| 2 × 32 MiB \| 11 ± 1 \| 3 \| \*\*6\.1 GB\/s\*\* \|/);
    expect(md).toContain('skipped gemm n = 4096: over budget');
    expect(md).toMatch(/\| n \| batch \| k \| median ± IQR \(ms\) \| samples \| steps \| max err \/ λmax \|/);
    expect(md).toMatch(/\| n=256 k=10 \| numpy-eigvalsh \| 5 ± 1 \| 3 \| wall-python \| 2× \| 2× \| 1\.00e-9 \|/);
    expect(md).toContain('skipped: scipy import failed: ModuleNotFoundError');
    expect(md).toContain('- n=4096 k=10: predicted 99 s per run');
    expect(md).toContain('n/a — software adapter');
    expect(md).toMatch(/\| eigsh \| grsd \| n \| batch=1 \| 1: 1, 2: 4 \| 2\.00 \| 1\.000 \|/);
    // Every table row has as many cells as its header.
    for (const block of md.split('\n\n')) {
      const rows = block.split('\n').filter((l) => l.startsWith('| '));
      if (rows.length === 0) continue;
      const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
      for (const r of rows) expect(cells(r), r).toBe(cells(rows[0]!));
    }
  });

  test('formatNumber', () => {
    expect(formatNumber(1234.5)).toBe('1230');
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(2e-7)).toBe('2.00e-7');
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(Number.NaN)).toBe('—');
  });
});

describe('peers that cannot run are reported as skipped, never faked', () => {
  const matrix = Float32Array.from([2, 0, 0, 1]);
  const timing = { warmup: 0, repeats: 1, maxSeconds: 10 };

  test('GRSD_PYTHON pointing at a nonexistent interpreter', async () => {
    const saved = process.env.GRSD_PYTHON;
    process.env.GRSD_PYTHON = '/nonexistent/python3';
    try {
      const r = await runPythonPeer({ peer: 'numpy-eigvalsh', n: 2, k: 1, ...timing }, matrix, null);
      expect(r.skipped).toBe(true);
      expect(r.skipped && r.reason).toMatch(/\/nonexistent\/python3.*not found/);
      const outcome = await pythonPeer({ peer: 'scipy-eigsh', n: 2, k: 1, tol: 1e-4, ...timing }, matrix, new Float64Array([1, 1]), {});
      expect(outcome).toMatchObject({ peer: 'scipy-eigsh', skipped: true });
      expect(outcome.time).toBeUndefined();
      expect(withRatios([outcome], { median: 5, min: 5 })[0]!.ratio).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.GRSD_PYTHON;
      else process.env.GRSD_PYTHON = saved;
    }
  });

  test('an interpreter that fails, and peers disabled', async () => {
    const failing = await runPythonPeer({ peer: 'numpy-eigvalsh', n: 2, k: 1, ...timing }, matrix, null, { python: 'false' });
    expect(failing).toMatchObject({ skipped: true });
    expect(failing.skipped && failing.reason).toMatch(/exited with code 1/);
    const off = await pythonPeer({ peer: 'numpy-slq', n: 2, steps: 1, probes: 1, ...timing }, matrix, new Float64Array(2), {
      disabledReason: 'off',
    });
    expect(off).toMatchObject({ skipped: true, reason: 'off' });
  });

  test('the real python3, when it has numpy: a result; otherwise skipped with a reason', async () => {
    const r = await runPythonPeer({ peer: 'numpy-eigvalsh', n: 2, k: 2, ...timing }, matrix, null);
    if (r.skipped) {
      expect(r.reason.length).toBeGreaterThan(0);
    } else {
      expect(r.samples).toHaveLength(1);
      expect(r.samples[0]).toBeGreaterThan(0);
      expect(r.result.top).toEqual([2, 1]);
      expect(r.versions.numpy).toMatch(/\d/);
    }
  });
});

describe('peers of groups added later: pythonScriptPeer (PYTHON_PRELUDE) and hostPeer', () => {
  const timing = { warmup: 1, repeats: 2, maxSeconds: 10 };
  const script = `${PYTHON_PRELUDE}
x = take(int(spec["n"]), "<f4").astype(np.float64)
i = take(2, "<i4")
samples, s = timed(lambda: float(x.sum()))
finish(samples, {"sum": s, "ints": i.tolist()})
`;

  test('a script reads its payload in order, times itself and reports a result (or is skipped with a reason)', async () => {
    const p = await pythonScriptPeer(
      'numpy-sum',
      script,
      { n: 3, ...timing },
      [Float32Array.from([1, 2, 3.5]), Int32Array.from([7, -1])],
      {},
    );
    if (p.skipped) {
      expect(p.reason).toMatch(/\S/);
      return;
    }
    expect(p).toMatchObject({ peer: 'numpy-sum', description: 'numpy-sum', result: { sum: 6.5, ints: [7, -1] } });
    expect(p.time!.timing).toBe('wall-python');
    expect(p.time!.samples).toHaveLength(2);
    // A payload shorter than the script reads: skipped, with Python's message.
    const short = await pythonScriptPeer('numpy-sum', script, { n: 30, ...timing }, [new Float32Array(3)], {});
    expect(short).toMatchObject({ skipped: true });
    expect(short.reason).toMatch(/payload too short/);
  });

  test('hostPeer: wall-host timing; a plain-object return value becomes the result', async () => {
    const p = await hostPeer('js-sum', () => ({ sum: [1, 2, 3].reduce((a, b) => a + b) }), timing, 'a sum');
    expect(p).toMatchObject({ peer: 'js-sum', description: 'a sum', result: { sum: 6 } });
    expect(p.time!.timing).toBe('wall-host');
    const q = await hostPeer('js-array', () => new Float64Array(2), timing);
    expect(q.result).toBeUndefined();
  });
});

describe('JavaScript peers', () => {
  const n = 24;
  const matrix = benchMatrix(n, 3);
  const spectrum = benchSpectrum(n);
  const timing = { warmup: 0, repeats: 1, maxSeconds: 10 };

  test('ml-matrix EigenvalueDecomposition (dev dependency) on the benchmark matrix', async () => {
    const p = await mlMatrixPeer(matrix, n, 3, timing);
    expect(p.skipped).toBeUndefined();
    expect(p.time!.timing).toBe('wall-host');
    expect(topKError(p.result!.top as number[], spectrum, 3)).toBeLessThan(1e-6);
  });

  test('grsd float64 reference', async () => {
    const p = await f64EigshPeer(matrix, n, { k: 3, tolerance: 1e-4, seed: 0 }, timing);
    expect(topKError(p.result!.top as number[], spectrum, 3)).toBeLessThan(1e-6);
  });
});

describe('benchmark problems', () => {
  test('benchMatrix is exactly symmetric with the power-law spectrum 1/(i+1)', () => {
    const n = 40;
    const a = benchMatrix(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(a[i * n + j]).toBe(a[j * n + i]);
    const eig = symmetricEigen(Float64Array.from(a), n);
    const values = [...eig.values].sort((x, y) => y - x);
    const want = benchSpectrum(n);
    values.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-6));
    // Dense, not diagonal.
    expect(Math.abs(a[1]!)).toBeGreaterThan(0);
  });

  test('Lanczos work counting', () => {
    expect(lanczosWork(100, 2, 3)).toEqual({
      applyBytes: 2 * 4 * 100 * 100 * 3,
      cgsBytes: 2 * 8 * 100 * 12,
      applyFlops: 2 * 2 * 100 * 100 * 3,
      cgsFlops: 2 * 4 * 100 * 12,
    });
  });
});

describe('registry of benchmark groups (extension point)', () => {
  const extra: BenchGroup = { id: 'extra-group', title: 'Extra', description: 'later', cases: () => [] };

  test('built-ins, registration, selection', () => {
    expect(benchGroups().map((g) => g.id)).toEqual(
      expect.arrayContaining(['apply', 'lanczos', 'eigsh', 'slq', 'binning', 'transport', 'pipeline']),
    );
    registerBenchGroup(extra);
    try {
      registerBenchGroup(extra); // same object: no-op
      expect(benchGroups().map((g) => g.id)).toContain('extra-group');
      expect(selectBenchGroups(['extra-group', 'lanczos']).map((g) => g.id)).toEqual(['lanczos', 'extra-group']);
      expect(() => registerBenchGroup({ ...extra })).toThrow(/already registered/);
      expect(() => registerBenchGroup({ ...extra, id: 'eigsh' })).toThrow(InvalidArgumentError);
    } finally {
      unregisterBenchGroup('extra-group');
    }
    expect(() => selectBenchGroups(['nope'])).toThrow(/unknown benchmark group.*nope/);
  });
});

describe('grsd bench (no GPU needed)', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), setExitCode: () => {} }, out, err };
  };

  test('--help documents the options', async () => {
    const c = capture();
    expect(await runCli(['bench', '--help'], c.io)).toBe(EXIT.OK);
    const help = c.out.join('');
    for (const option of ['--quick', '--json', '--markdown', '--backend', '--group', '--python', '--no-peers'])
      expect(help).toContain(option);
  });

  test('a bad backend is a usage error', async () => {
    const c = capture();
    expect(await runCli(['bench', '--backend', 'cpu'], c.io)).toBe(EXIT.USAGE);
  });
});
