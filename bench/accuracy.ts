/**
 * Measures the accuracy contract of docs/accuracy.md: the GPU eigensolvers (f32) against LAPACK
 * float64 (numpy.linalg.eigh, i.e. dsyevd) on matrices with known spectra. Prints a markdown table
 * and writes JSON. Usage: node bench/accuracy.ts [--backend opengles] [--json out.json] [--n 1000]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { eigsh } from '../src/algorithms/eigsh.ts';
import { eigshJacobian } from '../src/algorithms/golubKahan.ts';
import { denseOperator, jacobianOperator } from '../src/algorithms/operators.ts';
import { createNodeGpuContext, type NodeBackend } from '../src/node/dawn.ts';
import { matrixWithSpectrum, randomOrthogonal } from '../src/reference/linalg.ts';
import { Random } from '../src/util/random.ts';

const { values: args } = parseArgs({
  options: { backend: { type: 'string' }, json: { type: 'string' }, n: { type: 'string', default: '600' } },
});
const n = Number(args.n);

/** LAPACK float64 eigenvalues (ascending) through numpy, for a row-major f32 matrix. */
function lapackEigh(data: Float32Array, size: number): Float64Array {
  const python = process.env.GRSD_PYTHON ?? 'python3';
  const r = spawnSync(
    python,
    [
      '-c',
      'import sys,numpy as np; n=int(sys.argv[1]); a=np.frombuffer(sys.stdin.buffer.read(),dtype="<f4").reshape(n,n).astype(np.float64); sys.stdout.buffer.write(np.linalg.eigvalsh(a).astype("<f8").tobytes())',
      String(size),
    ],
    {
      input: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      maxBuffer: 1 << 30,
    },
  );
  if (r.status !== 0) throw new Error(`numpy failed: ${r.stderr}`);
  return new Float64Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.byteLength));
}

const nearest = (v: number, truth: Float64Array) => truth.reduce((best, t) => Math.min(best, Math.abs(t - v)), Infinity);

interface Row {
  problem: string;
  method: string;
  which: string;
  k: number;
  steps: number;
  maxErrOverLmax: number;
  maxRelErr: number;
  minBoundOverErr: number;
  boundsHold: boolean;
}

const rows: Row[] = [];
using ctx = await createNodeGpuContext(args.backend ? { backend: args.backend as NodeBackend } : {});
const rng = new Random(2026);

const problems: [string, Float64Array][] = [
  ['log-uniform, 6 decades', Float64Array.from({ length: n }, () => 10 ** (-6 * rng.uniform()))],
  ['linear, [1, 2]', Float64Array.from({ length: n }, (_, i) => 1 + i / n)],
  ['clustered top (1 ± 1e-4)', Float64Array.from({ length: n }, (_, i) => (i > n - 10 ? 1 + 1e-4 * (i - n + 10) : rng.uniform() * 0.5))],
];
for (const [name, spectrum] of problems) {
  const a = Float32Array.from(matrixWithSpectrum(spectrum, rng));
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!;
  const truth = lapackEigh(a, n);
  const lmax = Math.max(...truth.map(Math.abs));
  using op = await denseOperator(ctx, { n, data: a });
  for (const which of ['largest', 'smallest'] as const) {
    using sol = await eigsh(op, { k: 10, which });
    const r = sol.results[0]!;
    const errs = Array.from(r.eigenvalues, (v) => nearest(v, truth));
    rows.push({
      problem: name,
      method: 'Lanczos on K (f32)',
      which,
      k: 10,
      steps: r.steps,
      maxErrOverLmax: Math.max(...errs) / lmax,
      maxRelErr: Math.max(...errs.map((e, i) => e / Math.abs(r.eigenvalues[i]!))),
      minBoundOverErr: Math.min(...errs.map((e, i) => r.errorBounds[i]! / Math.max(e, 1e-300))),
      boundsHold: errs.every((e, i) => e <= r.errorBounds[i]!),
    });
  }
}

// Jacobian with σ over 4 decades (λ over 8): Lanczos on K vs Golub–Kahan on J, with as many steps
// as rows so that the small end is reachable at all.
const nJ = Math.min(n, 200);
const p = Math.round(1.5 * nJ);
const sigma = Float64Array.from({ length: nJ }, (_, i) => 10 ** ((-4 * i) / (nJ - 1)));
const U = randomOrthogonal(nJ, rng);
const V = randomOrthogonal(p, rng);
const J = new Float32Array(nJ * p);
for (let i = 0; i < nJ; i++) {
  for (let c = 0; c < p; c++) {
    let s = 0;
    for (let k = 0; k < nJ; k++) s += U[i * nJ + k]! * sigma[k]! * V[c * p + k]!;
    J[i * p + c] = s;
  }
}
const lam = Float64Array.from(sigma, (s) => s * s).sort();
using jop = await jacobianOperator(ctx, { n: nJ, p, data: J });
for (const which of ['largest', 'smallest'] as const) {
  using gkSol = await eigshJacobian(jop, { k: 10, which, steps: nJ });
  const gk = gkSol.results[0]!;
  using lz = await eigsh(jop, { k: 10, which, steps: nJ });
  for (const [method, r] of [
    ['Golub–Kahan on J (f32)', gk],
    ['Lanczos on K = JJᵀ (f32)', lz.results[0]!],
  ] as const) {
    const errs = Array.from(r.eigenvalues, (v) => nearest(v, lam));
    rows.push({
      problem: `JJᵀ (${nJ}×${p} J), λ over 8 decades`,
      method,
      which,
      k: 10,
      steps: r.steps,
      maxErrOverLmax: Math.max(...errs) / lam[nJ - 1]!,
      maxRelErr: Math.max(...errs.map((e, i) => e / Math.abs(r.eigenvalues[i]!))),
      minBoundOverErr: Math.min(...errs.map((e, i) => r.errorBounds[i]! / Math.max(e, 1e-300))),
      boundsHold: errs.every((e, i) => e <= r.errorBounds[i]!),
    });
  }
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : String(x));
console.log(
  `Accuracy against LAPACK float64 (numpy eigh), n = ${n}, adapter: ${ctx.adapter.description || ctx.adapter.device} (${ctx.adapter.mode})\n`,
);
console.log('| problem | method | end | steps | max error / λmax | max relative error | min bound / error | bounds hold |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.problem} | ${r.method} | ${r.which} | ${r.steps} | ${fmt(r.maxErrOverLmax)} | ${fmt(r.maxRelErr)} | ${fmt(r.minBoundOverErr)} | ${r.boundsHold ? 'yes' : 'NO'} |`,
  );
if (args.json) writeFileSync(args.json, JSON.stringify({ n, adapter: ctx.adapter, rows }, null, 2));
