/**
 * The run manifest read by `grsd analyze RUN` (documented in docs/formats.md): `RUN/manifest.json`
 *
 * ```json
 * { "timeScale": 0.01, "timeUnit": "steps", "probePoints": 256,
 *   "checkpoints": [ { "t": 0, "kernel": "k0.npy", "residual": "e0.npy", "layers": ["k0_l0.npy"] },
 *                    { "t": 10, "jacobian": "j1.npz", "residual": "e1.npy" } ] }
 * ```
 * Browser-safe: validates the parsed JSON; file reading is in src/node/run.ts.
 * @module
 */
import { FileFormatError } from '../errors.ts';

/** One checkpoint entry of a manifest: file names are relative to the run directory. */
export interface ManifestCheckpoint {
  readonly t: number;
  readonly kernel?: string;
  readonly jacobian?: string;
  readonly residual: string;
  readonly layers?: readonly string[];
  /** Tensor name inside .npz/.safetensors files holding several (default: the only one). */
  readonly tensor?: string;
}

/** A validated manifest. */
export interface RunManifest {
  readonly timeScale: number;
  /**
   * Unit of the checkpoint times t, shown on every time axis: "steps" (optimizer steps, with
   * timeScale = η/N) or "gradient-flow time" (t = η·step, timeScale = 1/N), or any other short name.
   */
  readonly timeUnit?: string;
  /** N for the loss ‖e‖²/(2N) (default n). */
  readonly probePoints?: number;
  readonly checkpoints: readonly ManifestCheckpoint[];
}

const fileName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !v.includes('\0');

/** Validates a parsed manifest; every fault names the manifest and the entry. */
export function parseManifest(json: unknown, file: string): RunManifest {
  const fail = (fault: string): never => {
    throw new FileFormatError(file, fault);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('the manifest must be a JSON object');
  const m = json as Record<string, unknown>;
  const timeScale = m.timeScale ?? 1;
  if (typeof timeScale !== 'number' || !(timeScale > 0) || !Number.isFinite(timeScale))
    fail(`"timeScale" must be a positive number, got ${JSON.stringify(m.timeScale)}`);
  if (m.timeUnit !== undefined && !(typeof m.timeUnit === 'string' && m.timeUnit.trim().length > 0 && m.timeUnit.length <= 40))
    fail(`"timeUnit" must be a non-empty string of at most 40 characters (e.g. "steps"), got ${JSON.stringify(m.timeUnit)}`);
  if (m.probePoints !== undefined && !(Number.isInteger(m.probePoints) && (m.probePoints as number) >= 1))
    fail(`"probePoints" must be a positive integer, got ${JSON.stringify(m.probePoints)}`);
  if (!Array.isArray(m.checkpoints) || m.checkpoints.length === 0) fail('"checkpoints" must be a non-empty array');
  const checkpoints = (m.checkpoints as unknown[]).map((entry, i): ManifestCheckpoint => {
    const where = `checkpoints[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return fail(`${where} must be an object`);
    const c = entry as Record<string, unknown>;
    if (typeof c.t !== 'number' || !Number.isFinite(c.t)) fail(`${where}.t must be a finite number, got ${JSON.stringify(c.t)}`);
    const sources = ['kernel', 'jacobian'].filter((k) => c[k] !== undefined);
    if (sources.length !== 1) fail(`${where} must name exactly one of "kernel" and "jacobian"`);
    for (const key of ['kernel', 'jacobian', 'residual', 'tensor'] as const) {
      if (c[key] !== undefined && !fileName(c[key])) fail(`${where}.${key} must be a non-empty string, got ${JSON.stringify(c[key])}`);
    }
    if (!fileName(c.residual)) fail(`${where}.residual is required (a file name)`);
    if (c.layers !== undefined && !(Array.isArray(c.layers) && c.layers.every(fileName)))
      fail(`${where}.layers must be an array of file names`);
    return {
      t: c.t as number,
      residual: c.residual as string,
      ...(c.kernel === undefined ? {} : { kernel: c.kernel as string }),
      ...(c.jacobian === undefined ? {} : { jacobian: c.jacobian as string }),
      ...(c.layers === undefined ? {} : { layers: c.layers as string[] }),
      ...(c.tensor === undefined ? {} : { tensor: c.tensor as string }),
    };
  });
  checkpoints.forEach((c, i) => {
    if (i > 0 && !(c.t > checkpoints[i - 1]!.t))
      fail(
        `checkpoints[${i}].t = ${c.t} does not increase (previous ${checkpoints[i - 1]!.t}); checkpoints must be in strictly increasing time`,
      );
  });
  return {
    timeScale: timeScale as number,
    ...(m.timeUnit === undefined ? {} : { timeUnit: (m.timeUnit as string).trim() }),
    ...(m.probePoints === undefined ? {} : { probePoints: m.probePoints as number }),
    checkpoints,
  };
}
