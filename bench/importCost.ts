/**
 * What importing grsd costs (docs/benchmarks.md, "Import cost"): wall time of `import(...)` in a
 * fresh Node process, for each package entry of the built dist (npm run build) and for the
 * dependencies it loads when they are first needed (TypeGPU and Dawn's `webgpu` with the first GPU
 * context, Vega with the first report), plus `require('grsd/node')` from CommonJS: wall time (median, minimum)
 * and CPU time (user + system, median; steadier than wall time on a shared machine) over `--runs`
 * fresh processes, after one warm-up run that fills the OS file cache.
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
/** Prints the wall and CPU (user + system) milliseconds of `body`; CPU time is steadier on a shared machine. */
const timed = (body: string): string =>
  `const t0 = performance.now(), c0 = process.cpuUsage(); ${body}; const c = process.cpuUsage(c0); console.log(JSON.stringify([performance.now() - t0, (c.user + c.system) / 1000]));`;
const CASES: Case[] = [
  { name: 'webgpu', what: 'Dawn (the webgpu package): loaded on the first createNodeGpuContext()', code: timed("await import('webgpu')") },
  {
    name: 'vega',
    what: 'vega + vega-lite: loaded when a report or figure is first written',
    code: timed("await Promise.all([import('vega'), import('vega-lite')])"),
  },
  { name: 'typegpu', what: 'typegpu (peer dependency): loaded on the first GPU context', code: timed("await import('typegpu')") },
  { name: 'grsd/reference', what: 'the float64 reference entry', code: timed("await import('grsd/reference')") },
  { name: 'grsd', what: 'the core entry (not TypeGPU)', code: timed("await import('grsd')") },
  { name: 'grsd/lab', what: 'the lab entry (includes grsd)', code: timed("await import('grsd/lab')") },
  { name: 'grsd/node', what: 'the Node entry (includes grsd; not TypeGPU, Dawn or Vega)', code: timed("await import('grsd/node')") },
  {
    name: 'grsd/node, then typegpu',
    what: 'grsd/node and the TypeGPU that the first GPU context loads (not Dawn)',
    code: timed("await import('grsd/node'); await import('typegpu')"),
  },
  {
    name: "require('grsd/node')",
    what: 'from CommonJS (require(esm), Node ≥ 22.12)',
    code: timed("require('grsd/node')"),
    commonjs: true,
  },
];

/** [wall ms, CPU ms] of one fresh process. */
function once(c: Case): [number, number] {
  const r = spawnSync(process.execPath, [c.commonjs ? '--input-type=commonjs' : '--input-type=module', '-e', c.code], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  const ms = last.startsWith('[') ? (JSON.parse(last) as [number, number]) : null;
  if (r.status !== 0 || !ms) throw new Error(`${c.name}: exit ${r.status}\n${r.stderr}`);
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = CASES.map((c) => {
  once(c);
  const runs = Array.from({ length: RUNS }, () => once(c));
  const wall = runs.map((r) => r[0]);
  const cpu = runs.map((r) => r[1]);
  return { name: c.name, what: c.what, wallMedianMs: median(wall), wallMinMs: Math.min(...wall), cpuMedianMs: median(cpu), runs: RUNS };
});

if (args.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, cpus: (await import('node:os')).cpus().length, results }, null, 2));
} else {
  console.log(`Import cost, Node ${process.version}, ${RUNS} fresh processes per row (ms)\n`);
  console.log('| import | wall, median | wall, min | CPU, median | what |\n|---|---:|---:|---:|---|');
  for (const r of results) {
    console.log(`| \`${r.name}\` | ${r.wallMedianMs.toFixed(0)} | ${r.wallMinMs.toFixed(0)} | ${r.cpuMedianMs.toFixed(0)} | ${r.what} |`);
  }
}
