/**
 * `grsd serve`: the live analysis of a run directory being written (LiveRun) and the command as a
 * process. A test writer fills a run checkpoint by checkpoint — with a half-written tensor file, a
 * manifest caught mid-write and a manifest rewritten with different earlier entries — and the
 * live document ends equal to `grsd analyze --json` on the finished run. The server binds
 * 127.0.0.1 only, refuses foreign Host headers, serves the vega runtime from the installed
 * package, and stops cleanly on SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeBackend } from '../../src/cli/backend.ts';
import { liveAnalysis } from '../../src/cli/commands/serve.ts';
import { runCli } from '../../src/cli/program.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import type { ManifestCheckpoint } from '../../src/io/manifest.ts';
import { LiveRun } from '../../src/node/liveRun.ts';
import { trainingRun, type TrainingCheckpoint } from '../helpers/trainingRun.ts';

const OPTIONS = { permutations: 100, seed: 0, backend: 'cpu' as const, fitWindow: 'auto' as const };
const run = trainingRun({ steps: 60, checkpoints: 6, layers: false });
const checkpoints: TrainingCheckpoint[] = [...run.checkpoints()];
let root = '';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'grsd-serve-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const npy = (data: Float64Array, shape: number[]) => encodeNpy({ dtype: 'f32', shape, data: Float32Array.from(data) });
const entry = (i: number, cp: TrainingCheckpoint): ManifestCheckpoint => ({ t: cp.t, kernel: `k${i}.npy`, residual: `e${i}.npy` });
function writeTensors(dir: string, i: number, cp: TrainingCheckpoint): void {
  const n = cp.residual.length;
  writeFileSync(join(dir, `k${i}.npy`), npy(cp.kernel, [n, n]));
  writeFileSync(join(dir, `e${i}.npy`), npy(cp.residual, [n]));
}
const manifestText = (entries: ManifestCheckpoint[]) =>
  JSON.stringify({ timeScale: run.timeScale, timeUnit: 'steps', probePoints: run.probePoints, checkpoints: entries });

/** `grsd analyze --json` on a finished run, as parsed JSON. */
async function analyzeJson(dir: string): Promise<unknown> {
  const out = join(dir, '..', `${Math.random().toString(36).slice(2)}.json`);
  const err: string[] = [];
  const code = await runCli(['analyze', dir, '--json', out, '--permutations', String(OPTIONS.permutations), '--backend', 'cpu'], {
    out: () => {},
    err: (s) => void err.push(s),
    setExitCode: () => {},
  });
  expect(code, err.join('')).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8'));
}

function liveRun(dir: string, settleMs: number): LiveRun {
  return new LiveRun(dir, {
    ...liveAnalysis({ backend: 'cpu', description: describeBackend(null, { mode: 'requested', reason: '--backend cpu' }) }, OPTIONS),
    settleMs,
  });
}

describe('LiveRun: a run directory analysed while it is written', () => {
  test('waits for the manifest, half-written files and a manifest mid-write; ends equal to grsd analyze', async () => {
    const dir = join(root, 'grow');
    mkdirSync(dir);
    const live = liveRun(dir, 60_000);
    const versions: number[] = [];
    const messages: string[] = [];
    live.subscribe((s) => {
      versions.push(s.version);
      messages.push(s.status.message);
    });
    try {
      await live.poll();
      expect(live.state.status).toMatchObject({ phase: 'waiting', analysed: 0 });
      expect(live.state.status.message).toMatch(/waiting for .*manifest\.json/);

      // Checkpoint 0: just written, so it must first settle (its size and mtime unchanged over one poll).
      writeTensors(dir, 0, checkpoints[0]!);
      writeFileSync(join(dir, 'manifest.json'), manifestText([entry(0, checkpoints[0]!)]));
      await live.poll();
      expect(live.state.status.message).toMatch(/still being written/);
      expect(live.state.document).toBeNull();
      await live.poll();
      expect(live.state.status).toMatchObject({ phase: 'up to date', analysed: 1 });
      expect(live.state.document!.checkpoints).toHaveLength(1);

      // Checkpoint 1 listed, its residual half-written: waited for, not retried until it changes, never fatal.
      writeFileSync(join(dir, 'k1.npy'), npy(checkpoints[1]!.kernel, [20, 20]));
      const full = npy(checkpoints[1]!.residual, [20]);
      writeFileSync(join(dir, 'e1.npy'), full.subarray(0, full.length - 37));
      writeFileSync(join(dir, 'manifest.json'), manifestText([0, 1].map((i) => entry(i, checkpoints[i]!))));
      await live.poll();
      await live.poll();
      expect(live.state.status.phase).toBe('waiting');
      expect(live.state.status.message).toMatch(/checkpoint 1: .*e1\.npy.*waiting for its files to change/);
      const before = live.state.version;
      await live.poll();
      expect(live.state.version).toBe(before);
      expect(live.state.status.analysed).toBe(1);
      writeFileSync(join(dir, 'e1.npy'), full);
      await live.poll();
      await live.poll();
      expect(live.state.status.analysed).toBe(2);

      // The manifest caught mid-write (truncated JSON) while checkpoints 2–3 land: the analysis so far stands.
      for (const i of [2, 3]) writeTensors(dir, i, checkpoints[i]!);
      const next = manifestText([0, 1, 2, 3].map((i) => entry(i, checkpoints[i]!)));
      writeFileSync(join(dir, 'manifest.json'), next.slice(0, next.length / 2));
      await live.poll();
      expect(live.state.status.message).toMatch(/manifest\.json is being written or is invalid/);
      expect(live.state.status.analysed).toBe(2);
      writeFileSync(join(dir, 'manifest.json'), next);
      await live.poll();
      await live.poll();
      expect(live.state.status.analysed).toBe(4);

      // The rest, then the finished run equals grsd analyze on it.
      for (const i of [4, 5]) writeTensors(dir, i, checkpoints[i]!);
      writeFileSync(join(dir, 'manifest.json'), manifestText(checkpoints.map((cp, i) => entry(i, cp))));
      await live.poll();
      await live.poll();
      expect(live.state.status).toMatchObject({ phase: 'up to date', analysed: 6, listed: 6 });
      expect(live.state.document).toEqual(await analyzeJson(dir));
      // λ_max grew during training past what the first checkpoints' grid holds: analysed again on the whole-run grid.
      expect(messages.some((m) => /λ_max grew to .* changes the shell grid/.test(m))).toBe(true);
      // The document grew one step at a time (versions strictly increasing).
      const docs = [...new Set(versions)];
      expect(docs).toEqual([...docs].sort((a, b) => a - b));
      expect(live.state.version).toBeGreaterThanOrEqual(4);
    } finally {
      await live.stop();
    }
  });

  test('a manifest rewritten with different earlier checkpoints restarts the analysis from the first', async () => {
    const dir = join(root, 'rewrite');
    mkdirSync(dir);
    const live = liveRun(dir, 0);
    try {
      for (const i of [0, 1, 2]) writeTensors(dir, i, checkpoints[i]!);
      writeFileSync(join(dir, 'manifest.json'), manifestText([0, 1, 2].map((i) => entry(i, checkpoints[i]!))));
      await live.poll();
      expect(live.state.status.analysed).toBe(3);
      // The training script restarted and now saves every other checkpoint under new names.
      const kept = [0, 2, 4];
      kept.forEach((i) => {
        const n = checkpoints[i]!.residual.length;
        writeFileSync(join(dir, `k${i}b.npy`), npy(checkpoints[i]!.kernel, [n, n]));
        writeFileSync(join(dir, `e${i}b.npy`), npy(checkpoints[i]!.residual, [n]));
      });
      writeFileSync(
        join(dir, 'manifest.json'),
        manifestText(kept.map((i) => ({ t: checkpoints[i]!.t, kernel: `k${i}b.npy`, residual: `e${i}b.npy` }))),
      );
      await live.poll();
      expect(live.state.status.analysed).toBe(3);
      expect((live.state.document!.checkpoints as { t: number }[]).map((c) => c.t)).toEqual(kept.map((i) => checkpoints[i]!.t));
      expect(live.state.document).toEqual(await analyzeJson(dir));
    } finally {
      await live.stop();
    }
  });

  test('a checkpoint that cannot join the series (other n) is an error on the page, not a crash', async () => {
    const dir = join(root, 'bad');
    mkdirSync(dir);
    const live = liveRun(dir, 0);
    try {
      writeTensors(dir, 0, checkpoints[0]!);
      writeFileSync(join(dir, 'k1.npy'), npy(new Float64Array(9).fill(1), [3, 3]));
      writeFileSync(join(dir, 'e1.npy'), npy(new Float64Array(3).fill(1), [3]));
      writeFileSync(join(dir, 'manifest.json'), manifestText([entry(0, checkpoints[0]!), { t: 5, kernel: 'k1.npy', residual: 'e1.npy' }]));
      await live.poll();
      expect(live.state.status.phase).toBe('error');
      expect(live.state.status.message).toMatch(/checkpoint 1 cannot be analysed: .*n = 20/);
      expect(live.state.status.analysed).toBe(1);
      await live.poll();
      expect(live.state.status.phase).toBe('error');
    } finally {
      await live.stop();
    }
  });
});

// ── the command as a process ──────────────────────────────────────────────────────────────────

const CLI = resolve(import.meta.dirname, '../../src/cli.ts');

/** Starts `grsd serve ...args` and resolves with the process and the URL it prints. */
function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; out: string[]; err: string[] }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args, '--port', '0', '--poll', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  child.stderr!.on('data', (d) => err.push(String(d)));
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (d) => {
      out.push(String(d));
      const m = out.join('').match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) ok({ child, url: m[0], out, err });
    });
    child.on('exit', (code) => fail(new Error(`grsd serve exited with ${code}: ${err.join('')}`)));
  });
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  return new Promise((ok, fail) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        ok({ status: res.statusCode!, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }),
      );
    })
      .on('error', fail)
      .end();
  });
}

const refused = (host: string, port: number) =>
  new Promise<boolean>((ok) => {
    const s = connect({ host, port });
    s.on('connect', () => (s.destroy(), ok(false)));
    s.on('error', () => ok(true));
  });

describe('grsd serve (process)', () => {
  test('serves the live page and the analysis so far; 127.0.0.1 only; Host checked; stops on SIGINT', async () => {
    const dir = join(root, 'process');
    const { child, url, out } = await startServe([dir, '--backend', 'cpu', '--permutations', String(OPTIONS.permutations)]);
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    try {
      const port = Number(new URL(url).port);
      expect((await get(`${url}api/analysis.json`)).status).toBe(404);
      mkdirSync(dir);
      for (const [i, cp] of checkpoints.entries()) {
        if (i === 3) {
          // A half-written residual, listed in the manifest, for a few polls.
          const n = cp.residual.length;
          writeFileSync(join(dir, `k${i}.npy`), npy(cp.kernel, [n, n]));
          writeFileSync(join(dir, `e${i}.npy`), npy(cp.residual, [n]).subarray(0, 100));
          writeFileSync(join(dir, 'manifest.json'), manifestText(checkpoints.slice(0, i + 1).map((c, j) => entry(j, c))));
          await new Promise((w) => setTimeout(w, 500));
        }
        writeTensors(dir, i, cp);
        writeFileSync(join(dir, 'manifest.json'), manifestText(checkpoints.slice(0, i + 1).map((c, j) => entry(j, c))));
        if (i === 2) {
          // Wait until the page's data has grown to three checkpoints.
          for (let k = 0; k < 200; k++) {
            const r = await get(`${url}api/analysis.json`);
            if (r.status === 200 && JSON.parse(r.body).checkpoints.length === 3) break;
            await new Promise((w) => setTimeout(w, 100));
          }
          expect(JSON.parse((await get(`${url}api/analysis.json`)).body).checkpoints).toHaveLength(3);
        }
      }
      let doc: unknown = null;
      for (let k = 0; k < 300; k++) {
        const r = await get(`${url}api/analysis.json`);
        if (r.status === 200 && (doc = JSON.parse(r.body)) && (doc as { checkpoints: unknown[] }).checkpoints.length === 6) break;
        await new Promise((w) => setTimeout(w, 100));
      }
      expect(doc).toEqual(await analyzeJson(dir));

      const state = JSON.parse((await get(`${url}api/state`)).body);
      expect(state.status).toMatchObject({ phase: 'up to date', analysed: 6 });
      expect(state.figures.map((f: { id: string }) => f.id)).toEqual(expect.arrayContaining(['energy', 'loss', 'flux', 'velocity']));
      expect(state.summaryHtml).toContain('t in optimizer steps');
      const page = await get(url);
      expect(page.type).toMatch(/text\/html/);
      expect(page.body).toContain('<script src="assets/vega.min.js"></script>');
      expect(page.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
      const vega = await get(`${url}assets/vega.min.js`);
      expect(vega.status).toBe(200);
      expect(vega.body.length).toBeGreaterThan(100_000);
      expect((await get(url, { host: `evil.example:${port}` })).status).toBe(403);
      expect((await get(`${url}nothing`)).status).toBe(404);
      // Bound to the loopback interface only.
      const external = Object.values(networkInterfaces())
        .flat()
        .find((a) => a && a.family === 'IPv4' && !a.internal);
      if (external) expect(await refused(external.address, port)).toBe(true);
      expect(await refused('::1', port)).toBe(true);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out.join('')).toMatch(/grsd serve: stopped/);
  }, 120_000);

  test('serves a finished ANALYSIS.json; a missing or foreign file is an input error', async () => {
    const dir = join(root, 'finished');
    mkdirSync(dir);
    checkpoints.forEach((cp, i) => writeTensors(dir, i, cp));
    writeFileSync(join(dir, 'manifest.json'), manifestText(checkpoints.map((cp, i) => entry(i, cp))));
    const file = join(root, 'finished.json');
    writeFileSync(file, JSON.stringify(await analyzeJson(dir)));
    const { child, url } = await startServe([file]);
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    try {
      const state = JSON.parse((await get(`${url}api/state`)).body);
      expect(state.status).toMatchObject({ phase: 'up to date', analysed: 6 });
      expect(state.status.message).toMatch(/finished analysis finished\.json/);
      expect(state.figures.length).toBeGreaterThanOrEqual(6);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const io = { out: () => {}, err: () => {}, setExitCode: () => {} };
    expect(await runCli(['serve', join(root, 'missing.json')], io)).toBe(4);
    writeFileSync(join(root, 'other.json'), '{"hello": 1}');
    expect(await runCli(['serve', join(root, 'other.json')], io)).toBe(4);
  }, 60_000);
});
