import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeSeries } from '../../../src/analysis/series.ts';
import { FileFormatError, InvalidArgumentError } from '../../../src/errors.ts';
import { writeNpyFile } from '../../../src/node/files.ts';
import { loadCheckpoint, readManifest, RunWriter } from '../../../src/node/run.ts';
import { rng } from '../../helpers/data.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'grsd-run-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A small PSD kernel n×n (f32-exact entries) and its two "layers" summing to it. */
function checkpoint(n: number, t: number) {
  const g = rng(`run writer ${t}`);
  const a = Float32Array.from(g.normals(n * n));
  const half = (scale: number) => {
    const k = new Float32Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < n; q++) s += a[i * n + q]! * a[j * n + q]!;
        k[i * n + j] = Math.fround((scale * s) / n);
      }
    return k;
  };
  const l0 = half(0.25);
  const l1 = half(0.75);
  return {
    t,
    kernel: Float32Array.from(l0, (x, i) => x + l1[i]!),
    layers: [l0, l1],
    residual: Float32Array.from(g.normals(n), (x) => x * Math.exp(-t / 4)),
  };
}

describe('RunWriter', () => {
  it('writes a run that readManifest/loadCheckpoint read back exactly, and the same analysis as the data it was given', async () => {
    const n = 12;
    const cps = [0, 2, 5].map((t) => checkpoint(n, t));
    const run = join(dir, 'nested', 'run');
    const writer = await RunWriter.create(run, { timeScale: 0.01 });
    for (const cp of cps) await writer.add(cp);
    expect(writer.count).toBe(3);
    expect(readdirSync(run).sort()).toEqual(
      [
        'e0.npy',
        'e1.npy',
        'e2.npy',
        'k0.npy',
        'k0_l0.npy',
        'k0_l1.npy',
        'k1.npy',
        'k1_l0.npy',
        'k1_l1.npy',
        'k2.npy',
        'k2_l0.npy',
        'k2_l1.npy',
        'manifest.json',
      ].sort(),
    );
    const manifest = await readManifest(run);
    expect(manifest).toEqual(writer.manifest());
    expect(manifest.timeScale).toBe(0.01);
    const loaded = await Promise.all(manifest.checkpoints.map((e, i) => loadCheckpoint(run, e, i)));
    loaded.forEach((l, i) => {
      expect(l.t).toBe(cps[i]!.t);
      expect(Array.from(l.kernel as Float32Array)).toEqual(Array.from(cps[i]!.kernel));
      expect(Array.from(l.residual)).toEqual(Array.from(cps[i]!.residual));
      expect(l.layers!.map((x) => Array.from(x as Float32Array))).toEqual(cps[i]!.layers.map((x) => Array.from(x)));
    });
    const direct = await analyzeSeries('cpu', cps, { timeScale: 0.01 });
    const fromFiles = await analyzeSeries('cpu', loaded, { timeScale: manifest.timeScale });
    expect(fromFiles.checkpoints.map((c) => Array.from(c.energy))).toEqual(direct.checkpoints.map((c) => Array.from(c.energy)));
    expect(fromFiles.intervals.map((v) => Array.from(v.transport))).toEqual(direct.intervals.map((v) => Array.from(v.transport)));
  });

  it('a run interrupted after some checkpoints is readable (the manifest is rewritten after each)', async () => {
    const writer = await RunWriter.create(dir, { timeScale: 1, probePoints: 6 });
    await writer.add(checkpoint(6, 0));
    const manifest = await readManifest(dir);
    expect(manifest.checkpoints).toHaveLength(1);
    expect(manifest.probePoints).toBe(6);
  });

  it('bad input: typed errors naming the argument, nothing written for the refused checkpoint', async () => {
    await expect(RunWriter.create(dir, { timeScale: 0 })).rejects.toThrow(/timeScale/);
    await expect(RunWriter.create(dir, { timeScale: 1, probePoints: 2.5 })).rejects.toThrow(/probePoints/);
    const writer = await RunWriter.create(dir, { timeScale: 1 });
    await writer.add(checkpoint(5, 1));
    const errorOf = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e as InvalidArgumentError,
      );
    const wrongN = await errorOf(writer.add(checkpoint(6, 2)));
    expect(wrongN).toBeInstanceOf(InvalidArgumentError);
    expect(wrongN!.argument).toBe('checkpoints[1] (checkpoint 1).residual');
    expect((await errorOf(writer.add(checkpoint(5, 1))))!.argument).toBe('checkpoints[1] (checkpoint 1).t');
    const nan = checkpoint(5, 3);
    nan.kernel[7] = Number.NaN;
    expect((await errorOf(writer.add(nan)))!.message).toMatch(/checkpoints\[1\] \(checkpoint 1\)\.kernel.*\(1, 2\).*NaN/);
    const oneLayer = { ...checkpoint(5, 3), layers: [checkpoint(5, 3).layers[0]!] };
    expect((await errorOf(writer.add(oneLayer)))!.argument).toBe('checkpoints[1] (checkpoint 1).layers');
    // The same validation as analyzeSeries: an asymmetric kernel, a transposed Jacobian, two sources.
    const asymmetric = checkpoint(5, 3);
    asymmetric.kernel[1] = asymmetric.kernel[1]! + 1;
    expect((await errorOf(writer.add(asymmetric)))!.message).toMatch(/kernel.*symmetric/);
    const both = { ...checkpoint(5, 3), jacobian: { p: 1, data: new Float32Array(5) } };
    expect((await errorOf(writer.add(both)))!.message).toMatch(/exactly one of `kernel`, `operator` and `jacobian`/);
    await expect(RunWriter.create(join(dir, 'p'), { timeScale: 1, precision: 'f16' as 'float32' })).rejects.toThrow(/precision.*"f16"/);
    // Beyond the float32 range: refused in a float32 run (it would be written as Infinity), kept in a float64 one.
    const huge = { t: 3, kernel: { data: new Float64Array(25).fill(1e39), shape: [5, 5] }, residual: new Float64Array(5) };
    const narrow = await RunWriter.create(join(dir, 'f32'), { timeScale: 1 });
    const range = await errorOf(narrow.add(huge));
    expect(range!.argument).toBe('checkpoints[0] (checkpoint 0).kernel');
    expect(readdirSync(join(dir, 'f32'))).toEqual([]);
    expect(range!.message).toMatch(/element 0 is 1e\+39, beyond the float32 range.*precision: 'float64'/);
    const wide = await RunWriter.create(join(dir, 'f64'), { timeScale: 1, precision: 'float64' });
    await expect(wide.add(huge)).resolves.toBeUndefined();
    expect(readdirSync(dir).filter((f) => f.startsWith('k1') || f.startsWith('e1'))).toEqual([]);
    // A directory that already holds a run is refused unless overwrite is asked for.
    await expect(RunWriter.create(dir, { timeScale: 1 })).rejects.toThrow(/already holds a run/);
    await expect(RunWriter.create(dir, { timeScale: 1, overwrite: true })).resolves.toBeInstanceOf(RunWriter);
  });
});

describe('RunWriter: Jacobians, shaped matrices, float64', () => {
  it('a Jacobian run ({ data, shape }) is written as j<i>.npy and read back exactly; float64 keeps float64 values', async () => {
    const n = 6;
    const p = 9;
    const g = rng('run writer jacobian');
    const cps = [0, 1].map((t) => ({
      t,
      jacobian: { data: Float64Array.from(g.normals(n * p)), shape: [n, p] },
      residual: Float64Array.from(g.normals(n)),
    }));
    for (const precision of ['float32', 'float64'] as const) {
      const run = join(dir, precision);
      const writer = await RunWriter.create(run, { timeScale: 1, precision });
      for (const cp of cps) await writer.add(cp);
      expect(readdirSync(run).sort()).toEqual(['e0.npy', 'e1.npy', 'j0.npy', 'j1.npy', 'manifest.json']);
      const manifest = await readManifest(run);
      const loaded = await Promise.all(manifest.checkpoints.map((e, i) => loadCheckpoint(run, e, i)));
      loaded.forEach((l, i) => {
        const round = precision === 'float64' ? (x: number) => x : Math.fround;
        expect(l.jacobian!.p).toBe(p);
        expect(l.jacobian!.data).toBeInstanceOf(precision === 'float64' ? Float64Array : Float32Array);
        expect(Array.from(l.jacobian!.data)).toEqual(Array.from(cps[i]!.jacobian.data, round));
        expect(Array.from(l.residual)).toEqual(Array.from(cps[i]!.residual, round));
      });
    }
  });

  it('a shaped kernel is written as its flat values', async () => {
    const cp = checkpoint(4, 0);
    const writer = await RunWriter.create(dir, { timeScale: 1 });
    await writer.add({ t: 0, kernel: { data: cp.kernel, shape: [4, 4] }, residual: cp.residual });
    const [entry] = (await readManifest(dir)).checkpoints;
    expect(Array.from((await loadCheckpoint(dir, entry!, 0)).kernel as Float32Array)).toEqual(Array.from(cp.kernel));
  });
});

describe('loadCheckpoint: Jacobian files', () => {
  it('a Jacobian saved as Jᵀ (P×n) is refused as transposed, naming the file; one with the wrong n is refused without that hint', async () => {
    const n = 3;
    const p = 5;
    await writeNpyFile(join(dir, 'e0.npy'), { dtype: 'f32', shape: [n], data: new Float32Array(n).fill(1) });
    await writeNpyFile(join(dir, 'jt.npy'), { dtype: 'f32', shape: [p, n], data: new Float32Array(p * n).fill(1) });
    await writeNpyFile(join(dir, 'j4.npy'), { dtype: 'f32', shape: [4, p], data: new Float32Array(4 * p).fill(1) });
    const refusal = (jacobian: string) =>
      loadCheckpoint(dir, { t: 0, jacobian, residual: 'e0.npy' }, 0).then(
        () => new Error('accepted'),
        (e: unknown) => e as Error,
      );
    const transposed = await refusal('jt.npy');
    expect(transposed).toBeInstanceOf(FileFormatError);
    expect(transposed.message).toMatch(
      /jt\.npy.*shape \[5, 3\] but the residual has n = 3 values: expected \[3, P\] \(it looks transposed: save J, not Jᵀ\)/,
    );
    const wrong = await refusal('j4.npy');
    expect(wrong).toBeInstanceOf(FileFormatError);
    expect(wrong.message).toMatch(/j4\.npy.*shape \[4, 5\] .*expected \[3, P\]$/);
  });
});
