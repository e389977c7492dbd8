/**
 * `grsd demo` end to end on a tiny study (2 seeds, 2 depths): the report opens with the finding,
 * gives every quantity over seeds as { mean, standardError, seeds, values } with finite numbers,
 * has a comparison per depth and L* per architecture, report.html and report.json are written, and
 * bad configurations stop with typed errors. Tiny studies decide nothing: only the structure is
 * checked. On SwiftShader (core mode, ~10× slower than llvmpipe) the same code path runs through
 * the library on a smaller study so that the suite stays within its time budget.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { EXIT } from '../../src/cli/exitCodes.ts';
import { runCli } from '../../src/cli/program.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { checkpointSchedule, DEMO_QUICK_CONFIG, runDepthStudy, type DepthStudyConfig } from '../../src/experiments/depthStudy.ts';
import { demoJson, demoTable } from '../../src/io/demoReport.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

const getCtx = useGpu();
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-demo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VERDICTS = ['pass', 'marginal', 'fail', 'not-computable'];

/** Every number in `value` is finite (null, which marks a quantity that could not be computed, is passed over). */
function assertFiniteDeep(value: unknown, path = 'report'): void {
  if (typeof value === 'number') expect(Number.isFinite(value), path).toBe(true);
  else if (Array.isArray(value)) value.forEach((v, i) => assertFiniteDeep(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertFiniteDeep(v, `${path}.${k}`);
}

describe(`grsd demo (${gpuBackend})`, () => {
  /** The structure every demo report has, whatever the numbers (tiny studies decide nothing). */
  function checkReport(report: Record<string, any>, config: DepthStudyConfig): void {
    assertFiniteDeep(report);
    const seeds = Array.from({ length: config.seeds }, (_, i) => config.seed + i);
    expect(report.schemaVersion).toBe(2);
    expect(['found', 'suggestive', 'not-found', 'undetermined']).toContain(report.finding.effect);
    expect(report.finding.sentence).toMatch(/^[A-Z].*\.$/);
    expect(report.seeds).toEqual(seeds);
    expect(report.summary).toHaveLength(config.architectures.length * config.depths.length);
    for (const cell of report.summary) {
      for (const q of ['epsilonLSI', 'xi', 'velocityExponent', 'finalLoss', 'sharpness']) {
        expect(Object.keys(cell[q]).sort(), q).toEqual(['mean', 'seeds', 'standardError', 'values']);
        expect(cell[q].seeds).toEqual(seeds);
        expect(cell[q].values).toHaveLength(seeds.length);
      }
      expect(cell.finalLoss.mean).toBeGreaterThan(0);
      // Every ε_LSI has a standard error (issue 11): each seed's value computed, the SE that of the mean over seeds.
      expect(config.seeds).toBeGreaterThanOrEqual(2);
      const eps = cell.epsilonLSI as { mean: number | null; standardError: number | null; values: (number | null)[] };
      const where = `ε_LSI ${cell.architecture} L=${cell.depth}`;
      for (const v of eps.values) expect(Number.isFinite(v), `${where}: ${JSON.stringify(eps.values)}`).toBe(true);
      const values = eps.values as number[];
      const mean = values.reduce((a, v) => a + v, 0) / values.length;
      const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
      expect(eps.mean, where).toBeCloseTo(mean, 12);
      expect(eps.standardError, where).not.toBeNull();
      expect(eps.standardError!, where).toBeCloseTo(Math.sqrt(variance / values.length), 12);
      for (const c of ['C1', 'C2', 'C3', 'C4']) {
        const v = cell.verdicts[c];
        expect(v.pass + v.marginal + v.fail + v.notComputable).toBe(seeds.length);
      }
    }
    expect(report.comparisons).toHaveLength(config.depths.length); // residual vs plain at every depth
    for (const c of report.comparisons) expect(c.reference).toBe('plain');
    expect(report.scans.map((x: { architecture: string }) => x.architecture)).toEqual([...config.architectures]);
    expect(report.runs).toHaveLength(config.architectures.length * config.depths.length * seeds.length);
    for (const run of report.runs) {
      expect(seeds).toContain(run.seed);
      expect(run.analysis.checkpoints.length).toBe(
        checkpointSchedule(config.steps, config.checkpointEvery, config.checkpointGrowth).length,
      );
      for (const c of ['C1', 'C2', 'C3', 'C4']) expect(VERDICTS).toContain(run.analysis.conditions[c].verdict);
    }
  }

  if (gpuBackend !== 'swiftshader') {
    gpuTest(
      'grsd demo, tiny (2 seeds, 2 depths): the finding first, statistics over seeds, finite numbers; --save-runs round trip',
      async () => {
        const out: string[] = [];
        const err: string[] = [];
        const json = join(dir, 'report.json');
        const html = join(dir, 'report.html');
        const runs = join(dir, 'runs');
        const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), setExitCode: () => {} };
        // --checkpoint-growth 2: checkpoints at 0, 1, 2, 4, 8, 16, 32, then every 20 steps (11 of them).
        const args = [
          '--quick',
          '--seeds',
          '2',
          '--depths',
          '2,4',
          '--probe-points',
          '24',
          '--checkpoint-every',
          '20',
          '--checkpoint-growth',
          '2',
        ];
        const code = await runCli(['demo', ...args, '--json', json, '--report', html, '--save-runs', runs, '--backend', gpuBackend], io);
        expect(code, err.join('')).toBe(EXIT.OK);
        const config: DepthStudyConfig = {
          ...DEMO_QUICK_CONFIG,
          seeds: 2,
          depths: [2, 4],
          task: { ...DEMO_QUICK_CONFIG.task, points: 24 },
          checkpointEvery: 20,
          checkpointGrowth: 2,
        };
        const report = JSON.parse(readFileSync(json, 'utf8'));
        checkReport(report, config);
        // …, 72, 92, 100 would end on 8 steps after 20: the remainder and the 20 steps before it split 14 + 14.
        expect(report.runs[0].analysis.checkpoints.map((c: { t: number }) => c.t)).toEqual([0, 1, 2, 4, 8, 16, 32, 52, 72, 86, 100]);
        expect(report.config.task.points).toBe(24);
        const text = out.join('');
        expect(text.split('\n')[0]).toBe(report.finding.sentence);
        expect(text).toMatch(/ε_LSI plain − residual = /);
        expect(text).toMatch(/residual: L\* = /);
        expect(err.join('')).toMatch(/expected time ≈ /);
        const page = readFileSync(html, 'utf8');
        expect(page).toMatch(/<svg/);
        expect(page).not.toMatch(/NaN/);
        expect(page).toContain('class="finding"');
        // --save-runs: one run directory per network and seed, which grsd analyze reads back to
        // the same checkpoints (times and probe losses exactly: the files hold the demo's f32 data).
        expect(readdirSync(runs).sort()).toEqual(
          config.architectures.flatMap((a) => config.depths.flatMap((l) => [1, 2].map((s) => `${a}-L${l}-seed${s}`))).sort(),
        );
        const analyzed = join(dir, 'analysis.json');
        expect(await runCli(['analyze', join(runs, 'residual-L4-seed2'), '--json', analyzed, '--backend', 'cpu'], io), err.join('')).toBe(
          EXIT.OK,
        );
        const again = JSON.parse(readFileSync(analyzed, 'utf8'));
        const original = report.runs.find(
          (r: { architecture: string; depth: number; seed: number }) => r.architecture === 'residual' && r.depth === 4 && r.seed === 2,
        ).analysis;
        const pick = (a: { checkpoints: { t: number; loss: number }[] }) => a.checkpoints.map((c) => [c.t, c.loss]);
        expect(pick(again)).toEqual(pick(original));
      },
      240_000,
    );
  } else {
    gpuTest(
      'the depth study, tiny (2 seeds, 2 depths, through the library): statistics over seeds and finite numbers',
      async () => {
        const config: DepthStudyConfig = {
          ...DEMO_QUICK_CONFIG,
          depths: [2, 4],
          seeds: 2,
          width: 16,
          task: { ...DEMO_QUICK_CONFIG.task, points: 16 },
          steps: 40,
          checkpointEvery: 10,
          checkpointGrowth: 1,
          permutations: 50,
        };
        const study = await runDepthStudy(getCtx(), config);
        checkReport(JSON.parse(JSON.stringify(demoJson(study, { kind: 'gpu' }))), config);
        expect(demoTable(study).split('\n')[0]).toBe(study.summary.finding.sentence);
      },
      240_000,
    );
  }

  gpuTest(
    'bad configurations stop with a typed error that says what to change',
    async () => {
      const ctx = getCtx();
      const bad = async (patch: object, argument: RegExp) => {
        const e = await runDepthStudy(ctx, { ...DEMO_QUICK_CONFIG, depths: [2], steps: 5, checkpointEvery: 5, ...patch }).catch(
          (x: unknown) => x,
        );
        expect(e).toBeInstanceOf(InvalidArgumentError);
        expect((e as InvalidArgumentError).argument).toMatch(argument);
      };
      await bad({ width: 0 }, /width/);
      await bad({ depths: [0] }, /depths?/);
      await bad({ depths: [2, 2] }, /depths/);
      await bad({ seeds: 0 }, /seeds/);
      await bad({ checkpointEvery: 6 }, /checkpointEvery/);
      await bad({ learningRate: 1e4, steps: 30 }, /learningRate/);
      // On the command line: usage errors (exit 2) naming the option, before any training.
      const usage = async (args: string[], message: RegExp) => {
        const err: string[] = [];
        const io = { out: () => {}, err: (s: string) => void err.push(s), setExitCode: () => {} };
        const backend = args.includes('--backend') ? [] : ['--backend', gpuBackend];
        expect(await runCli(['demo', ...args, ...backend], io), err.join('')).toBe(EXIT.USAGE);
        expect(err.join('\n')).toMatch(message);
      };
      await usage(['--depths', '2,x'], /option '--depths <LIST>' argument '2,x' is invalid/);
      await usage(['--checkpoint-every', '1000'], /option '--checkpoint-every <K>' argument '1000' is invalid/);
      await usage(['--quick', '--checkpoint-every', '150'], /`--checkpoint-every`: must be at most the 100 training steps/);
      await usage(['--checkpoint-growth', '3'], /option '--checkpoint-growth <G>' argument '3' is invalid.*must be in \[1, 2\]/);
      await usage(['--checkpoint-growth', '-1'], /option '--checkpoint-growth <G>' argument '-1' is invalid/);
      await usage(['--backend', 'cpu'], /`--backend`: the demo trains on the GPU/);
    },
    120_000,
  );
});
