/**
 * `grsd serve` on a GPU backend (docs/figures.md): the live analysis of a run (LiveRun with the
 * options `grsd serve` builds) equals the document `grsd analyze --json` writes for the same run
 * on the same GPU context — bit for bit: the same f32 kernels run on the same data — with the
 * grid fixed by --lambda-max and with the whole-run grid, its λ_max bounded per checkpoint on the
 * GPU and the checkpoints arriving in two steps (so the live series is rebuilt when λ_max grows).
 * Both sides share the test's context: on SwiftShader a fresh device compiles the pipeline's
 * kernels for ≈ 27 s (measured: 20 s at the first checkpoint, 7 s at the second), per device.
 * With `auto`, `grsd serve` itself chooses the backend by measurement at the first checkpoint, as
 * `grsd analyze` does, and says so in the document and on stderr.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeBackend, type ComputeBackend } from '../../src/cli/backend.ts';
import { analysisDocument, analyzeRun } from '../../src/cli/commands/analyze.ts';
import { liveAnalysis, serve } from '../../src/cli/commands/serve.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { toJsonText } from '../../src/io/json.ts';
import { LiveRun } from '../../src/node/liveRun.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';
import { trainingRun, type TrainingCheckpoint } from '../helpers/trainingRun.ts';

const PERMUTATIONS = 50;
const training = trainingRun({ steps: 60, checkpoints: 6, layers: false });
const checkpoints: TrainingCheckpoint[] = [...training.checkpoints()];
let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'grsd-serve-gpu-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes the tensors of `cps` into `dir` and a manifest listing the first `listed` of them. */
function writeRun(dir: string, cps: readonly TrainingCheckpoint[], listed = cps.length): void {
  mkdirSync(dir, { recursive: true });
  const npy = (data: Float64Array, shape: number[]) => encodeNpy({ dtype: 'f32', shape, data: Float32Array.from(data) });
  const entries = cps.map((cp, i) => {
    const n = cp.residual.length;
    writeFileSync(join(dir, `k${i}.npy`), npy(cp.kernel, [n, n]));
    writeFileSync(join(dir, `e${i}.npy`), npy(cp.residual, [n]));
    return { t: cp.t, kernel: `k${i}.npy`, residual: `e${i}.npy` };
  });
  const manifest = { timeScale: training.timeScale, timeUnit: 'steps', probePoints: training.probePoints };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, checkpoints: entries.slice(0, listed) }));
}

/** A bound on λ_max of M = timeScale·K over the run (the largest absolute row sum), to fix the grid. */
function gershgorin(cps: readonly TrainingCheckpoint[]): number {
  let bound = 0;
  for (const { kernel, residual } of cps) {
    const n = residual.length;
    for (let i = 0; i < n; i++) {
      let row = 0;
      for (let j = 0; j < n; j++) row += Math.abs(Math.fround(kernel[i * n + j]!));
      bound = Math.max(bound, training.timeScale * row);
    }
  }
  return bound;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
    })
      .on('error', fail)
      .end();
  });
}

/** Runs `grsd serve DIR` in-process until its page holds `total` checkpoints; returns that document and what was said on stderr. */
async function served(
  dir: string,
  options: { backend: ComputeBackend; lambdaMax?: number },
  total: number,
): Promise<{ doc: Record<string, any>; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), setExitCode: () => {} };
  const controller = new AbortController();
  const serving = serve(
    dir,
    { permutations: PERMUTATIONS, seed: 0, fitWindow: 'auto', ...options, port: 0, host: '127.0.0.1', poll: 50 },
    io,
    controller.signal,
  );
  try {
    let doc: Record<string, any> | null = null;
    for (let k = 0; k < 2400 && !doc; k++) {
      const url = out.join('').match(/http:\/\/127\.0\.0\.1:\d+\//)?.[0];
      const r = url ? await get(`${url}api/analysis.json`) : null;
      if (r?.status === 200 && JSON.parse(r.body).checkpoints.length === total) doc = JSON.parse(r.body);
      if (!doc) await new Promise((w) => setTimeout(w, 50));
    }
    expect(doc, err.join('\n')).not.toBeNull();
    return { doc: doc!, err: err.join('\n') };
  } finally {
    controller.abort();
    await serving;
  }
}

describe(`grsd serve on a GPU backend (${gpuBackend})`, () => {
  useGpu();
  const OPTIONS = { permutations: PERMUTATIONS, seed: 0, fitWindow: 'auto' as const };
  /** How `grsd serve --backend NAME` and `grsd analyze --backend NAME` describe a named backend. */
  const SELECTION = { mode: 'requested' as const, reason: `requested ${gpuBackend}` };

  /** The live analysis of `dir` on `ctx` as `grsd serve` runs it, polled until it holds `total` checkpoints; `grown(k)` writes more. */
  async function live(ctx: GpuContext, dir: string, options: { lambdaMax?: number }, total: number, grown: (k: number) => void = () => {}) {
    const description = describeBackend(ctx, SELECTION);
    const run = new LiveRun(dir, {
      ...liveAnalysis({ backend: ctx, description }, { ...OPTIONS, ...options }),
      settleMs: 0,
    });
    try {
      for (let k = 0; k < 20 && (run.state.document?.checkpoints as unknown[] | undefined)?.length !== total; k++) {
        await run.poll();
        expect(run.state.status.phase, run.state.status.message).not.toBe('error');
        grown(run.state.status.analysed);
      }
      expect(run.state.status).toMatchObject({ phase: 'up to date', analysed: total });
      return run.state.document as Record<string, any>;
    } finally {
      await run.stop();
    }
  }

  /** The document `grsd analyze DIR --json` writes, computed on `ctx`. */
  async function analyzed(ctx: GpuContext, dir: string, options: { lambdaMax?: number }) {
    const { result, backend, timeUnit } = await analyzeRun(dir, { ...OPTIONS, ...options }, undefined, undefined, {
      ctx,
      selection: SELECTION,
    });
    const { json } = analysisDocument(result, backend, timeUnit, OPTIONS);
    return JSON.parse(toJsonText(json, 'the analysis')) as Record<string, any>;
  }

  gpuTest('the live analysis equals grsd analyze --json on the same GPU context (grid fixed by --lambda-max)', async (ctx) => {
    const dir = join(root, 'fixed');
    const cps = checkpoints.slice(0, 3);
    writeRun(dir, cps);
    const lambdaMax = gershgorin(cps);
    const doc = await live(ctx, dir, { lambdaMax }, cps.length);
    expect(doc.backend).toMatchObject({ kind: 'gpu', route: gpuBackend, precision: 'float32' });
    expect(doc.intervals[0].resolution.precision).toBe('float32');
    expect(doc.coverage.grid.lambdaMax).toBe(lambdaMax);
    expect(doc).toEqual(await analyzed(ctx, dir, { lambdaMax }));
  });

  gpuTest('the whole-run grid: checkpoints arriving in two steps, λ_max bounded on the GPU, equal to grsd analyze', async (ctx) => {
    const dir = join(root, 'growing');
    const cps = checkpoints.slice(0, 4);
    writeRun(dir, cps, 2);
    const doc = await live(ctx, dir, {}, cps.length, (k) => {
      if (k === 2) writeRun(dir, cps);
    });
    expect(doc.coverage.grid.fromFirstCheckpoint).toBe(false);
    expect(doc).toEqual(await analyzed(ctx, dir, {}));
  });

  test('auto: the backend is chosen by measurement at the first checkpoint and said in the document', async () => {
    const dir = join(root, 'auto');
    const cps = checkpoints.slice(0, 2);
    writeRun(dir, cps);
    const live = await served(dir, { backend: 'auto', lambdaMax: gershgorin(cps) }, cps.length);
    const selection = live.doc.backend.selection;
    expect(selection.mode).toBe('auto');
    // The test adapters are software renderers: both backends are measured on this run's work.
    expect(selection.estimatedSeconds.gpu).toBeGreaterThan(0);
    expect(selection.estimatedSeconds.cpu).toBeGreaterThan(0);
    expect(selection.reason).toMatch(/measured for 2 checkpoints of n = 20, rank 20: .* using (cpu|opengles|swiftshader)$/);
    expect(live.doc.backend.kind).toBe(selection.reason.endsWith('using cpu') ? 'cpu' : 'gpu');
    expect(live.err).toContain(`grsd: backend ${selection.reason}`);
  });
});
