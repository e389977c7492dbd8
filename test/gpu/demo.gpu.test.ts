/**
 * `grsd demo --quick` end to end: every depth gets finite numbers and a verdict for each condition,
 * report.html and report.json are written, and bad configurations stop with typed errors.
 * On SwiftShader (core mode, ~10× slower than llvmpipe) the same code path runs through the library
 * on a smaller study so that the suite stays within its time budget.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { EXIT } from '../../src/cli/exitCodes.ts';
import { runCli } from '../../src/cli/program.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { checkpointSteps, DEMO_QUICK_CONFIG, runDepthStudy } from '../../src/experiments/depthStudy.ts';
import { demoJson, demoTable } from '../../src/io/demoReport.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

const getCtx = useGpu();
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-demo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VERDICTS = ['pass', 'marginal', 'fail', 'not-computable'];

function assertFiniteDeep(value: unknown, path = 'report'): void {
  if (typeof value === 'number') expect(Number.isFinite(value), path).toBe(true);
  else if (Array.isArray(value)) value.forEach((v, i) => assertFiniteDeep(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertFiniteDeep(v, `${path}.${k}`);
}

describe(`grsd demo (${gpuBackend})`, () => {
  if (gpuBackend !== 'swiftshader') {
    gpuTest(
      'grsd demo --quick writes a report with finite numbers and a verdict for every depth and condition',
      async () => {
        const out: string[] = [];
        const err: string[] = [];
        const json = join(dir, 'report.json');
        const html = join(dir, 'report.html');
        const runs = join(dir, 'runs');
        const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), setExitCode: () => {} };
        const code = await runCli(['demo', '--quick', '--json', json, '--report', html, '--save-runs', runs, '--backend', gpuBackend], io);
        expect(code, err.join('')).toBe(EXIT.OK);
        const text = out.join('');
        expect(text).toMatch(/architecture +depth/);
        expect(text).toMatch(/depth threshold L\*/);
        const report = JSON.parse(readFileSync(json, 'utf8'));
        assertFiniteDeep(report);
        expect(report.summary).toHaveLength(DEMO_QUICK_CONFIG.architectures.length * DEMO_QUICK_CONFIG.depths.length);
        for (const row of report.summary) {
          for (const c of ['C1', 'C2', 'C3', 'C4']) expect(VERDICTS).toContain(row.verdicts[c]);
          expect(row.finalLoss).toBeGreaterThan(0);
        }
        for (const run of report.runs)
          expect(run.analysis.checkpoints.length).toBe(checkpointSteps(DEMO_QUICK_CONFIG.steps, DEMO_QUICK_CONFIG.checkpoints).length);
        expect(Object.keys(report.scans)).toEqual([...DEMO_QUICK_CONFIG.architectures]);
        const page = readFileSync(html, 'utf8');
        expect(page).toMatch(/<svg/);
        expect(page).not.toMatch(/NaN/);
        // --save-runs: one run directory per network, which grsd analyze reads back to the same
        // checkpoints (times and probe losses exactly: the files hold the demo's f32 data).
        expect(readdirSync(runs).sort()).toEqual(
          DEMO_QUICK_CONFIG.architectures.flatMap((a) => DEMO_QUICK_CONFIG.depths.map((l) => `${a}-L${l}`)).sort(),
        );
        const analyzed = join(dir, 'analysis.json');
        expect(await runCli(['analyze', join(runs, 'residual-L8'), '--json', analyzed, '--backend', gpuBackend], io), err.join('')).toBe(
          EXIT.OK,
        );
        const again = JSON.parse(readFileSync(analyzed, 'utf8'));
        const original = report.runs.find(
          (r: { architecture: string; depth: number }) => r.architecture === 'residual' && r.depth === 8,
        ).analysis;
        const pick = (a: { checkpoints: { t: number; loss: number }[] }) => a.checkpoints.map((c) => [c.t, c.loss]);
        expect(pick(again)).toEqual(pick(original));
      },
      240_000,
    );
  } else {
    gpuTest(
      'the demo study (smaller, through the library) gives finite numbers and verdicts for every depth',
      async () => {
        const study = await runDepthStudy(getCtx(), {
          ...DEMO_QUICK_CONFIG,
          depths: [2, 4],
          width: 16,
          task: { ...DEMO_QUICK_CONFIG.task, points: 24 },
          steps: 40,
          checkpoints: 4,
          permutations: 50,
        });
        const report = demoJson(study, { kind: 'gpu' });
        assertFiniteDeep(report);
        for (const run of study.runs) for (const c of Object.values(run.analysis.conditions)) expect(VERDICTS).toContain(c.verdict);
        expect(demoTable(study)).toMatch(/residual: depth threshold/);
      },
      240_000,
    );
  }

  gpuTest(
    'bad configurations stop with a typed error that says what to change',
    async () => {
      const ctx = getCtx();
      const bad = async (patch: object, argument: RegExp) => {
        const e = await runDepthStudy(ctx, { ...DEMO_QUICK_CONFIG, depths: [2], steps: 5, checkpoints: 2, ...patch }).catch(
          (x: unknown) => x,
        );
        expect(e).toBeInstanceOf(InvalidArgumentError);
        expect((e as InvalidArgumentError).argument).toMatch(argument);
      };
      await bad({ width: 0 }, /width/);
      await bad({ depths: [0] }, /depths?/);
      await bad({ learningRate: 1e4, steps: 30 }, /learningRate/);
    },
    120_000,
  );
});
