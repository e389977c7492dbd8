/**
 * The CLI conventions of docs/cli.md, in-process on the float64 cpu backend (no GPU): exit codes
 * (issue 16 items 8 and 10, issue 14), numeric option bounds, `--json [FILE|-]` with the strict
 * writer, `--quiet`, and line-per-step progress when stderr is not a terminal. Each test failed
 * before the change it guards.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT } from '../../src/cli/exitCodes.ts';
import { runCli } from '../../src/cli/program.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { encodeNpz } from '../../src/io/npz.ts';
import { RunWriter } from '../../src/node/run.ts';
import { Random } from '../../src/util/random.ts';

let dir = '';

async function grsd(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (s) => void out.push(s), err: (s) => void err.push(s), setExitCode: () => {} });
  return { code, out: out.join(''), err: err.join('\n') };
}

const n = 16;
/** A PSD n×n kernel (f32). */
function kernel(seed: number): Float32Array {
  const g = new Random(seed);
  const a = Float64Array.from({ length: n * n }, () => g.normal());
  const k = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < n; q++) s += a[i * n + q]! * a[j * n + q]!;
      k[i * n + j] = s / n;
    }
  return k;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-conv-'));
  writeFileSync(join(dir, 'k.npy'), encodeNpy({ dtype: 'f32', shape: [n, n], data: kernel(1) }));
  writeFileSync(join(dir, 'zero.npy'), encodeNpy({ dtype: 'f32', shape: [4, 4], data: new Float32Array(16) }));
  writeFileSync(join(dir, 'empty.npz'), encodeNpz({}));
  // A gradient-descent run on a fixed kernel: every invariant check passes.
  const good = await RunWriter.create(join(dir, 'good'), { timeScale: 0.1 });
  const k = kernel(2);
  let e = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
  for (let c = 0; c < 3; c++) {
    await good.add({ t: c, kernel: k, residual: e });
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += k[i * n + j]! * e[j]!;
      next[i] = e[i]! - 0.1 * s;
    }
    e = next;
  }
  // A broken export: the kernel is fixed but the residual doubles at every checkpoint, which no
  // gradient flow does (dissipationSign fails: energy grows in a fixed spectral subspace).
  const bad = await RunWriter.create(join(dir, 'bad'), { timeScale: 1 });
  const g = new Random(3);
  const v = Float64Array.from({ length: n }, () => g.normal());
  for (let c = 0; c < 3; c++) await bad.add({ t: c, kernel: kernel(10), residual: v.map((x) => x * 2 ** c) });
  // A run whose kernel file holds no tensors.
  const empty = await RunWriter.create(join(dir, 'emptyrun'), { timeScale: 1 });
  await empty.add({ t: 0, kernel: kernel(4), residual: new Float64Array(n).fill(1) });
  writeFileSync(join(dir, 'emptyrun', 'k0.npy'), readFileSync(join(dir, 'empty.npz')));
  writeFileSync(
    join(dir, 'emptyrun', 'manifest.json'),
    JSON.stringify({ timeScale: 1, checkpoints: [{ t: 0, kernel: 'k0.npz', residual: 'e0.npy' }] }),
  );
  writeFileSync(join(dir, 'emptyrun', 'k0.npz'), encodeNpz({}));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exit codes', () => {
  test('grsd with no arguments prints the usage on stderr and exits 2', async () => {
    const r = await grsd();
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toMatch(/Usage: grsd/);
    expect(r.out).toBe('');
  });

  test('an archive with no tensors exits 4 from every command', async () => {
    for (const args of [
      ['eig', join(dir, 'empty.npz'), '--backend', 'cpu'],
      ['density', join(dir, 'empty.npz'), '--backend', 'cpu'],
      ['analyze', join(dir, 'emptyrun'), '--backend', 'cpu'],
    ]) {
      const r = await grsd(...args);
      expect(r.code, `${args[0]}: ${r.err}`).toBe(EXIT.INPUT);
      expect(r.err).toMatch(/holds no tensors/);
    }
  });

  test('analyze exits 1 when an invariant check fails, and 0 when all pass', async () => {
    const bad = await grsd('analyze', join(dir, 'bad'), '--backend', 'cpu', '--permutations', '10');
    expect(bad.code, bad.err).toBe(EXIT.FAILURE);
    expect(bad.out).toMatch(/Checks failed \(\d+\)/);
    expect(bad.out).toMatch(/dissipationSign/);
    const good = await grsd('analyze', join(dir, 'good'), '--backend', 'cpu', '--permutations', '10');
    expect(good.code, good.err).toBe(EXIT.OK);
    expect(good.out).toMatch(/All invariant checks passed/);
  });
});

describe('numeric options are bounded, with exit 2 everywhere', () => {
  test.each([
    [['density', 'k.npy', '--bins', '1000001'], /--bins.*between 1 and 1000000/],
    [['density', 'k.npy', '--probes', '65537'], /--probes.*between 1 and 65536/],
    [['density', 'k.npy', '--seed', '4294967296'], /--seed.*between 0 and 4294967295/],
    [['eig', 'k.npy', '--tolerance', '1'], /--tolerance.*strictly between 0 and 1/],
    [['eig', 'k.npy', '--k', '1e3'], /--k.*expected a positive integer/],
    [['analyze', 'good', '--permutations', '1000001'], /--permutations.*between 1 and 1000000/],
    [['analyze', 'good', '--steps', '1', '--backend', 'cpu'], /`--steps`: needs a numeric --rank/],
    [['analyze', 'good', '--rank', '8', '--steps', '4', '--backend', 'cpu'], /`--steps`: must be between the rank \(8\) and n = 16, got 4/],
    [['analyze', 'good', '--rank', '17', '--backend', 'cpu'], /`--rank`: cannot exceed n = 16/],
    [['bench', '--memory-budget', '1048577'], /--memory-budget.*between 1 and 1048576/],
    // demo: refused before any adapter is sought, so no GPU is needed here.
    [['demo', '--seeds', '65'], /--seeds.*between 1 and 64, got 65/],
    [['demo', '--seeds', '0'], /--seeds.*between 1 and 64, got 0/],
    [['demo', '--probe-points', '2049'], /--probe-points.*between 2 and 2048, got 2049/],
    [['demo', '--probe-points', '1'], /--probe-points.*between 2 and 2048, got 1/],
    [['demo', '--depths', '2,65'], /--depths.*each depth must be at most 64/],
    [['demo', '--depths', '1,2,3,4,5,6,7,8,9,10,11,12,13'], /--depths.*at most 12 depths, got 13/],
    [['demo', '--depths', '2,x'], /--depths.*comma-separated positive integers/],
    [['demo', '--checkpoint-every', '201'], /--checkpoint-every.*between 1 and 200, got 201/],
    [['demo', '--quick', '--checkpoint-every', '150'], /`--checkpoint-every`: must be at most the 100 training steps, got 150/],
    [['demo', '--checkpoint-growth', '2.5'], /--checkpoint-growth.*must be in \[1, 2\], got 2\.5/],
    [['demo', '--checkpoint-growth', '0.9'], /--checkpoint-growth.*must be in \[1, 2\], got 0\.9/],
    [['demo', '--checkpoint-growth', 'fast'], /--checkpoint-growth.*expected a finite number, got "fast"/],
    [['demo', '--seeds', '64', '--probe-points', '1024'], /`--probe-points`: .* needs 5\.25 GiB of GPU memory .* more than 4\.00 GiB/],
    [
      ['demo', '--seeds', '32', '--probe-points', '1024', '--depths', '2', '--checkpoint-every', '1'],
      /`--checkpoint-every`: with 32 seeds, 201 checkpoints and n = 1024 one batch holds 25\.1 GiB of checkpoint kernels/,
    ],
  ])('%j', async (args, message) => {
    const [command, target, ...rest] = args as string[];
    const r = await grsd(command!, ...(target!.startsWith('-') ? [target!] : [join(dir, target!)]), ...rest);
    expect(r.code, r.err).toBe(EXIT.USAGE);
    expect(r.err).toMatch(message);
  });

  test('density --bins 130000 works (the text histogram scans the counts without spreading them)', async () => {
    const r = await grsd('density', join(dir, 'k.npy'), '--backend', 'cpu', '--bins', '130000', '--probes', '2', '--steps', '8');
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out.split('\n').length).toBeGreaterThan(130000);
  });
});

describe('--json [FILE|-]', () => {
  test('bare --json and --json - print only the JSON on stdout, for eig, density and analyze', async () => {
    for (const args of [
      ['eig', join(dir, 'k.npy'), '--k', '2'],
      ['density', join(dir, 'k.npy'), '--probes', '2', '--steps', '6'],
      ['analyze', join(dir, 'good'), '--permutations', '10'],
    ]) {
      for (const json of [['--json'], ['--json', '-']]) {
        const r = await grsd(...args, '--backend', 'cpu', ...json);
        expect(r.code, `${args[0]} ${json.join(' ')}: ${r.err}`).toBe(EXIT.OK);
        const parsed = JSON.parse(r.out);
        expect(parsed.schemaVersion).toBe(args[0] === 'analyze' ? 2 : 1);
        expect(parsed.backend.kind).toBe('cpu');
      }
    }
  });

  test('--json FILE writes the file and prints the text report; a tensor-file name is refused', async () => {
    const file = join(dir, 'eig.json');
    const r = await grsd('eig', join(dir, 'k.npy'), '--k', '2', '--backend', 'cpu', '--json', file);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(JSON.parse(readFileSync(file, 'utf8')).results).toHaveLength(1);
    expect(r.out).toMatch(/eigenvalue {14}error bound/);
    const refused = await grsd('eig', join(dir, 'k.npy'), '--backend', 'cpu', '--json', join(dir, 'out.npy'));
    expect(refused.code).toBe(EXIT.USAGE);
    expect(refused.err).toMatch(/looks like a tensor file/);
    expect(existsSync(join(dir, 'out.npy'))).toBe(false);
  });

  test('JSON never carries null for a non-finite value: density of a zero matrix is finite, all its mass at 0', async () => {
    // It printed "density":[0,0,null,0] (issue 16, item 7): the degenerate spectrum now gives a finite density.
    const r = await grsd('density', join(dir, 'zero.npy'), '--backend', 'cpu', '--probes', '2', '--steps', '3', '--bins', '4', '--json');
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out).not.toMatch(/null/);
    const [result] = JSON.parse(r.out).results;
    const { edges, counts, density } = result as { edges: number[]; counts: number[]; density: number[] };
    expect(counts.reduce((a, c) => a + c, 0)).toBe(4); // n = 4 eigenvalues, all 0
    const zeroBin = edges.findIndex((e, i) => i < edges.length - 1 && e <= 0 && 0 < edges[i + 1]!);
    expect(counts[zeroBin]).toBe(4);
    // A probability density over the bins: Σ density · width = 1, all of it in the bin holding 0.
    const mass = density.map((d, i) => d * (edges[i + 1]! - edges[i]!));
    expect(mass.reduce((a, m) => a + m, 0)).toBeCloseTo(1, 12);
    expect(mass[zeroBin]).toBeCloseTo(1, 12);
  });
});

describe('progress and --quiet', () => {
  test('analyze prints one progress line per checkpoint and phase when stderr is not a terminal; --quiet prints nothing on stderr', async () => {
    const r = await grsd('analyze', join(dir, 'good'), '--backend', 'cpu', '--permutations', '10');
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.err.split('\n').filter((l) => l.startsWith('grsd analyze: ['))).toEqual([
      'grsd analyze: [0/3] bounding λ_max',
      'grsd analyze: [1/3] bounding λ_max',
      'grsd analyze: [2/3] bounding λ_max',
      'grsd analyze: [3/3] bounding λ_max',
      'grsd analyze: [0/3] checkpoints',
      'grsd analyze: [1/3] checkpoints',
      'grsd analyze: [2/3] checkpoints',
      'grsd analyze: [3/3] checkpoints',
    ]);
    const quiet = await grsd('--quiet', 'analyze', join(dir, 'good'), '--backend', 'cpu', '--permutations', '10');
    expect(quiet.code).toBe(EXIT.OK);
    expect(quiet.err).toBe('');
    expect(quiet.out).toMatch(/All invariant checks passed/);
    const both = await grsd('--quiet', '--verbose', 'eig', join(dir, 'k.npy'), '--backend', 'cpu');
    expect(both.code).toBe(EXIT.USAGE);
  });
});
