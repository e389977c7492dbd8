/**
 * What importing grsd costs (docs/benchmarks.md, "Import cost"): wall time of `import(...)` in a
 * fresh Node process, for each package entry of the built dist (npm run build) and for the
 * dependencies it cannot avoid (typegpu at import; Dawn's `webgpu` and Vega when a device or a
 * report is first needed), plus `require('grsd/node')` from CommonJS. Every figure is the median
 * (and minimum) over `--runs` fresh processes, after one warm-up run that fills the OS file cache.
 *
 *   node bench/importCost.ts [--runs 15] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
if (!existsSync(resolve(ROOT, 'dist/node.js'))) {
  console.error('bench/importCost.ts measures the built package: run `npm run build` first.');
  process.exit(2);
}
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 15;
if (!(Number.isInteger(RUNS) && RUNS >= 1)) {
  console.error(`--runs must be a positive integer, got ${args[runsAt + 1]}`);
  process.exit(2);
}

/** Module code run in a fresh process: prints the milliseconds `body` took. */
interface Case {
  readonly name: string;
  readonly what: string;
  readonly code: string;
  readonly commonjs?: boolean;
}
const timed = (body: string): string => `const t0 = performance.now(); ${body}; console.log(performance.now() - t0);`;
const CASES: Case[] = [
  { name: 'webgpu', what: "Dawn (the webgpu package): loaded on the first createNodeGpuContext()", code: timed("await import('webgpu')") },
  { name: 'vega', what: 'vega + vega-lite: loaded when a report or figure is first written', code: timed("await Promise.all([import('vega'), import('vega-lite')])") },
  { name: 'typegpu', what: 'typegpu (peer dependency, imported by every GPU entry)', code: timed("await import('typegpu')") },
  { name: 'grsd/reference', what: 'the float64 reference entry', code: timed("await import('grsd/reference')") },
  { name: 'grsd', what: 'the core entry (includes typegpu)', code: timed("await import('grsd')") },
  { name: 'grsd/lab', what: 'the lab entry (includes grsd)', code: timed("await import('grsd/lab')") },
  { name: 'grsd/node', what: 'the Node entry (includes grsd; not Dawn, not Vega)', code: timed("await import('grsd/node')") },
  {
    name: 'grsd/node after typegpu',
    what: "grsd/node's own cost: typegpu already loaded in the process",
    code: `await import('typegpu'); ${timed("await import('grsd/node')")}`,
  },
  {
    name: "require('grsd/node')",
    what: 'from CommonJS (require(esm), Node ≥ 22.12)',
    code: `const t0 = performance.now(); require('grsd/node'); console.log(performance.now() - t0);`,
    commonjs: true,
  },
];

function once(c: Case): number {
  const r = spawnSync(process.execPath, [c.commonjs ? '--input-type=commonjs' : '--input-type=module', '-e', c.code], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const ms = Number(r.stdout.trim().split('\n').at(-1));
  if (r.status !== 0 || !Number.isFinite(ms)) throw new Error(`${c.name}: exit ${r.status}\n${r.stderr}`);
  return ms;
}

const results = CASES.map((c) => {
  once(c);
  const times = Array.from({ length: RUNS }, () => once(c)).sort((a, b) => a - b);
  return { name: c.name, what: c.what, medianMs: times[Math.floor(times.length / 2)]!, minMs: times[0]!, runs: RUNS };
});

if (args.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, cpus: (await import('node:os')).cpus().length, results }, null, 2));
} else {
  console.log(`Import cost, Node ${process.version}, ${RUNS} fresh processes per row (median / min, ms)\n`);
  console.log('| import | median | min | what |\n|---|---:|---:|---|');
  for (const r of results) console.log(`| \`${r.name}\` | ${r.medianMs.toFixed(0)} | ${r.minMs.toFixed(0)} | ${r.what} |`);
}
