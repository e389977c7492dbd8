/**
 * Run directories (`manifest.json` + tensor files, docs/formats.md): reading them into checkpoint
 * data for the series pipeline (errors name the checkpoint and the file), and writing them
 * ({@link RunWriter}). Tensors keep their precision: f32 (and f16/bf16) files give Float32Array,
 * f64 and integer files Float64Array, so the float64 backend computes on the file's own values;
 * the GPU backend rounds to f32 at upload.
 * @module
 */
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointData } from '../analysis/series.ts';
import { FileFormatError, FileReadError, InvalidArgumentError } from '../errors.ts';
import { parseManifest, type ManifestCheckpoint, type RunManifest } from '../io/manifest.ts';
import { tensorToFloat64, type Tensor } from '../io/tensor.ts';
import { checkFinite, checkLength } from '../reference/linalg.ts';
import { readSingleTensor, writeJsonFile, writeNpyFile } from './files.ts';

/** Reads and validates `run/manifest.json`. */
export async function readManifest(run: string): Promise<RunManifest> {
  const file = join(run, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new FileReadError(
      file,
      code === 'ENOENT' ? 'no manifest.json in the run directory (see docs/formats.md)' : `cannot read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FileFormatError(file, `not valid JSON: ${(error as Error).message}`);
  }
  return parseManifest(json, file);
}

async function tensor(
  run: string,
  name: string,
  where: string,
  tensorName: string | undefined,
): Promise<{ shape: readonly number[]; data: Float32Array | Float64Array }> {
  const path = join(run, name);
  let t;
  try {
    t = await readSingleTensor(path, tensorName);
  } catch (error) {
    if (error instanceof FileReadError || error instanceof FileFormatError) {
      // Re-raise with the checkpoint in the message, keeping the type and the file.
      const Kind = error.constructor as typeof FileFormatError;
      throw new Kind(path, `${where}: ${error instanceof FileFormatError ? error.fault : error.message.replace(`${path}: `, '')}`);
    }
    throw error;
  }
  // f32/f16/bf16 decode to Float32Array (exact); f64 and integers to Float64Array (exact, never via f32).
  return { shape: t.shape, data: t.data instanceof Float32Array ? t.data : tensorToFloat64(t, `${where} (${path})`) };
}

/**
 * Loads one manifest checkpoint; shapes are checked against each other and against n. With
 * `layers: false` the per-layer kernels are not read (e.g. for a first pass that needs only K).
 */
export async function loadCheckpoint(
  run: string,
  entry: ManifestCheckpoint,
  index: number,
  options: { readonly layers?: boolean } = {},
): Promise<CheckpointData> {
  const where = `checkpoints[${index}]`;
  const residual = await tensor(run, entry.residual, `${where}.residual`, entry.tensor);
  const n = residual.data.length;
  const square = async (name: string, what: string) => {
    const k = await tensor(run, name, `${where}.${what}`, entry.tensor);
    if (!(k.shape.length === 2 && k.shape[0] === n && k.shape[1] === n)) {
      throw new InvalidArgumentError(
        `${where}.${what}`,
        `${join(run, name)} has shape [${k.shape.join(', ')}] but the residual (${entry.residual}) has n = ${n} values: expected [${n}, ${n}]`,
      );
    }
    return k.data;
  };
  const label = `${entry.kernel ?? entry.jacobian}`;
  const base = { t: entry.t, residual: residual.data, label };
  const layers =
    entry.layers && options.layers !== false ? await Promise.all(entry.layers.map((l, i) => square(l, `layers[${i}]`))) : undefined;
  if (entry.kernel) {
    return { ...base, kernel: await square(entry.kernel, 'kernel'), ...(layers ? { layers } : {}) };
  }
  const j = await tensor(run, entry.jacobian!, `${where}.jacobian`, entry.tensor);
  if (!(j.shape.length === 2 && j.shape[0] === n)) {
    throw new InvalidArgumentError(
      `${where}.jacobian`,
      `${join(run, entry.jacobian!)} has shape [${j.shape.join(', ')}] but the residual has n = ${n} values: expected [${n}, P]`,
    );
  }
  return { ...base, jacobian: { p: j.shape[1]!, data: j.data }, ...(layers ? { layers } : {}) };
}

/** Options of {@link RunWriter.create}. */
export interface RunWriterOptions {
  /** The manifest's time scale: M = timeScale·K is the per-step operator (η/N for full-batch GD). */
  readonly timeScale: number;
  /** N of the loss ‖e‖²/(2N), when it is not the residual length. */
  readonly probePoints?: number;
  /** Replace a run already in the directory (default: refuse). */
  readonly overwrite?: boolean;
}

/** One checkpoint given to {@link RunWriter.add}. */
export interface RunCheckpointInput {
  /** Training time (steps); strictly increasing across checkpoints. */
  readonly t: number;
  /** n×n kernel, row-major. */
  readonly kernel: Float32Array | Float64Array;
  /** Residual e, length n. */
  readonly residual: ArrayLike<number>;
  /** Per-layer kernels (n×n each) for the Kato split; the same count at every checkpoint. */
  readonly layers?: readonly (Float32Array | Float64Array)[];
}

/**
 * Writes checkpoints as a run directory that `grsd analyze` and {@link readManifest} read
 * (docs/formats.md): `k<i>.npy`, `e<i>.npy`, `k<i>_l<j>.npy` (float32) and `manifest.json`,
 * rewritten atomically after every checkpoint so that an interrupted run stays readable.
 *
 * @example
 * const writer = await RunWriter.create('runs/resnet-L8', { timeScale: lr / N });
 * await lab.train({ ..., onCheckpoint: (cp) => writer.add({ t: cp.step, kernel: cp.kernel, residual: cp.residual, layers: cp.layers }) });
 */
export class RunWriter {
  readonly dir: string;
  readonly #options: RunWriterOptions;
  readonly #entries: ManifestCheckpoint[] = [];
  #n = -1;
  #layers = -1;

  private constructor(dir: string, options: RunWriterOptions) {
    this.dir = dir;
    this.#options = options;
  }

  /** Creates the directory (and parents); refuses one that already holds a manifest unless `overwrite`. */
  static async create(dir: string, options: RunWriterOptions): Promise<RunWriter> {
    if (!(options.timeScale > 0 && Number.isFinite(options.timeScale)))
      throw new InvalidArgumentError('timeScale', `must be a positive finite number, got ${options.timeScale}`);
    if (options.probePoints !== undefined && !(Number.isInteger(options.probePoints) && options.probePoints > 0))
      throw new InvalidArgumentError('probePoints', `must be a positive integer, got ${options.probePoints}`);
    const manifest = join(dir, 'manifest.json');
    if (
      !options.overwrite &&
      (await access(manifest).then(
        () => true,
        () => false,
      ))
    )
      throw new InvalidArgumentError('dir', `${dir} already holds a run (manifest.json); choose another directory or pass overwrite`);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new FileReadError(dir, `cannot create the run directory: ${(error as Error).message}`, { cause: error });
    }
    return new RunWriter(dir, options);
  }

  /** Checkpoints written so far. */
  get count(): number {
    return this.#entries.length;
  }

  /** Writes one checkpoint's tensors, then the manifest. Validates shapes, order and finiteness first (nothing is written on error). */
  async add(cp: RunCheckpointInput): Promise<void> {
    const i = this.#entries.length;
    const where = `checkpoints[${i}]`;
    const n = cp.residual.length;
    if (n < 1) throw new InvalidArgumentError(`${where}.residual`, 'is empty');
    if (this.#n >= 0 && n !== this.#n)
      throw new InvalidArgumentError(`${where}.residual`, `has ${n} values but earlier checkpoints have n = ${this.#n}`);
    const last = this.#entries.at(-1);
    if (!Number.isFinite(cp.t) || (last && !(cp.t > last.t)))
      throw new InvalidArgumentError(`${where}.t`, `must be finite and greater than the previous t (${last?.t ?? '—'}), got ${cp.t}`);
    const square = (data: Float32Array | Float64Array, what: string): Float32Array => {
      checkLength(`${where}.${what}`, data, n * n, `${n}×${n}`);
      checkFinite(`${where}.${what}`, data);
      return data instanceof Float32Array ? data : Float32Array.from(data);
    };
    const kernel = square(cp.kernel, 'kernel');
    checkFinite(`${where}.residual`, cp.residual);
    const layers = (cp.layers ?? []).map((l, j) => square(l, `layers[${j}]`));
    if (this.#layers >= 0 && layers.length !== this.#layers)
      throw new InvalidArgumentError(`${where}.layers`, `has ${layers.length} kernels but earlier checkpoints have ${this.#layers}`);
    const f32 = (data: Float32Array, shape: number[]): Tensor => ({ dtype: 'f32', shape, data });
    const entry: ManifestCheckpoint = {
      t: cp.t,
      kernel: `k${i}.npy`,
      residual: `e${i}.npy`,
      ...(layers.length > 0 ? { layers: layers.map((_, j) => `k${i}_l${j}.npy`) } : {}),
    };
    await writeNpyFile(join(this.dir, entry.kernel!), f32(kernel, [n, n]));
    await writeNpyFile(join(this.dir, entry.residual), f32(Float32Array.from(cp.residual), [n]));
    for (const [j, layer] of layers.entries()) await writeNpyFile(join(this.dir, entry.layers![j]!), f32(layer, [n, n]));
    this.#entries.push(entry);
    this.#n = n;
    this.#layers = layers.length;
    await writeJsonFile(join(this.dir, 'manifest.json'), this.manifest());
  }

  /** The manifest as written (docs/formats.md). */
  manifest(): RunManifest {
    const { timeScale, probePoints } = this.#options;
    return { timeScale, ...(probePoints === undefined ? {} : { probePoints }), checkpoints: [...this.#entries] };
  }
}
