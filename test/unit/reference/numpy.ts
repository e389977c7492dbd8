/**
 * Runs a numpy snippet in a python3 subprocess, as an independent oracle for the float64
 * references. The snippet reads `data` (the JSON-decoded input) and assigns `out` (JSON-encodable).
 * Floats cross JSON exactly (shortest round-trip representations on both sides).
 *
 * If numpy cannot be imported the call throws a clear error, unless GRSD_ALLOW_NO_NUMPY=1, in
 * which case it returns null and the caller skips the comparison.
 */
import { spawnSync } from 'node:child_process';

const PYTHONS = [process.env.GRSD_PYTHON ?? 'python3', '/usr/bin/python3'];

let python: string | null | undefined;

function findPython(): string | null {
  if (python !== undefined) return python;
  python = null;
  for (const exe of PYTHONS) {
    const r = spawnSync(exe, ['-c', 'import numpy'], { encoding: 'utf8' });
    if (r.status === 0) {
      python = exe;
      break;
    }
  }
  return python;
}

/** Whether numpy is available (or its absence is allowed); throws otherwise. */
export function numpyAvailable(): boolean {
  if (findPython()) return true;
  if (process.env.GRSD_ALLOW_NO_NUMPY === '1') return false;
  throw new Error(
    `numpy is needed as the oracle of the float64 reference tests, but \`import numpy\` failed with ${PYTHONS.join(' and ')}. ` +
      'Install numpy (pip install numpy), point GRSD_PYTHON at a python that has it, or set GRSD_ALLOW_NO_NUMPY=1 to skip these comparisons.',
  );
}

/** Runs `script` with `data` bound to the decoded input; returns the decoded `out`, or null when numpy is absent and allowed to be. */
export function numpy<T>(script: string, data: unknown): T | null {
  if (!numpyAvailable()) return null;
  const program = `import json, sys\nimport numpy as np\ndata = json.loads(sys.stdin.read())\n${script}\nsys.stdout.write(json.dumps(out))\n`;
  const r = spawnSync(findPython()!, ['-c', program], { input: JSON.stringify(data), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`numpy oracle failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Plain array of a typed array (for JSON). */
export function list(a: ArrayLike<number>): number[] {
  return Array.from(a);
}
