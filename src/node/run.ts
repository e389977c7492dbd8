/**
 * Run directories (`manifest.json` + tensor files, docs/formats.md): reading them into checkpoint
 * data for the series pipeline (errors name the checkpoint and the file), and writing them
 * ({@link RunWriter}). Every path a manifest names must resolve, symbolic links included, inside
 * the run directory or an explicit `root` above it (docs/formats.md, Security and limits).
 * @module
 */
import { access, mkdir, realpath } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { validateCheckpoint, type JacobianInput, type KernelInput } from '../analysis/checkpointData.ts';
import type { FlatCheckpointData } from '../analysis/series.ts';
import { FileFormatError, FileReadError, InvalidArgumentError, PathOutsideRootError } from '../errors.ts';
import { parseManifest, type ManifestCheckpoint, type RunManifest } from '../io/manifest.ts';
import { tensorToFloat64, type Tensor } from '../io/tensor.ts';
import { describeFsError, readFileBounded, readTensorFile, writeJsonFile, writeNpyFile, type ReadLimits } from './files.ts';

/** The largest `manifest.json` read: 64 MiB (about half a million checkpoint entries). */
export const MAX_MANIFEST_BYTES = 64 * 2 ** 20;

/** Reads and validates `run/manifest.json` (a regular file of at most {@link MAX_MANIFEST_BYTES}). */
export async function readManifest(run: string): Promise<RunManifest> {
  const file = join(run, 'manifest.json');
  let text: string;
  try {
    text = new TextDecoder().decode(await readFileBounded(file, MAX_MANIFEST_BYTES));
  } catch (error) {
    const code = ((error as { cause?: { code?: string } }).cause ?? {}).code;
    if (code === 'ENOENT') throw new FileReadError(file, 'no manifest.json in the run directory (see docs/formats.md)', { cause: error });
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FileFormatError(file, `not valid JSON: ${(error as Error).message}`);
  }
  return parseManifest(json, file);
}

/** Options of {@link loadCheckpoint}. */
export interface RunReadOptions {
  /**
   * The directory every file the manifest names must lie in, after resolving symbolic links.
   * Default: the run directory. Set it to a directory above the run for manifests that share
   * data files (e.g. several runs over one `data/`); it must contain the run directory.
   */
  readonly root?: string;
  /** Limits on each file read (see `readTensorFile`). */
  readonly limits?: ReadLimits;
  /** Read the per-layer kernels (default true; false e.g. for a first pass that needs only K). */
  readonly layers?: boolean;
}

/** Whether `path` is `dir` or lies under it (both absolute and normalized). */
function isInside(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** The confinement directory, lexically and with symbolic links resolved. */
async function confinement(run: string, root: string | undefined): Promise<{ lexical: string; real: string }> {
  const lexical = resolve(root ?? run);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (error) {
    if (root === undefined) throw new FileReadError(run, `the run directory: ${describeFsError(error)}`, { cause: error });
    throw new InvalidArgumentError('root', `${root}: ${describeFsError(error)}`);
  }
  if (root !== undefined && !isInside(real, await realpath(resolve(run)).catch(() => resolve(run))))
    throw new InvalidArgumentError('root', `${root} must contain the run directory ${run}`);
  return { lexical, real };
}

/**
 * The real path of the file a manifest field names, refused with {@link PathOutsideRootError}
 * when it lies outside the confinement directory: first by its name (nothing is touched), then
 * with every symbolic link resolved (a link pointing outside is refused before it is read).
 */
async function confinedPath(
  run: string,
  name: string,
  field: string,
  root: { lexical: string; real: string },
  rootGiven: boolean,
): Promise<string> {
  const shown = join(run, name);
  const where = rootGiven ? `the root directory ${root.lexical}` : `the run directory ${run}`;
  const hint = rootGiven
    ? ''
    : '; if the run shares data files in a directory above it, allow that directory with --root DIR (option `root`)';
  if (!isInside(root.lexical, resolve(run, name)))
    throw new PathOutsideRootError(shown, field, root.lexical, `"${name}" lies outside ${where}${hint}`);
  let real: string;
  try {
    real = await realpath(resolve(run, name));
  } catch (error) {
    throw new FileReadError(shown, `${field}: ${describeFsError(error)}`, { cause: error });
  }
  if (!isInside(root.real, real))
    throw new PathOutsideRootError(shown, field, root.lexical, `"${name}" is a symbolic link that leads outside ${where}${hint}`);
  return real;
}

/**
 * Reads the tensor a manifest field names. A file holding one tensor gives it; a file holding
 * several (an `.npz` or `.safetensors`) gives the one the entry's `tensor` field names.
 */
async function readField(
  run: string,
  name: string,
  field: string,
  tensorName: string | undefined,
  root: { lexical: string; real: string },
  options: RunReadOptions,
): Promise<{ shape: readonly number[]; data: Float32Array | Float64Array }> {
  const path = join(run, name);
  const real = await confinedPath(run, name, field, root, options.root !== undefined);
  let tensors: Map<string, Tensor>;
  try {
    tensors = await readTensorFile(real, options.limits);
  } catch (error) {
    // Re-raise naming the manifest's path and the field, keeping the type.
    if (error instanceof FileFormatError) throw new FileFormatError(path + error.file.slice(real.length), `${field}: ${error.fault}`);
    if (error instanceof FileReadError)
      throw new FileReadError(path, `${field}: ${error.message.slice(real.length + 2)}`, { cause: error });
    throw error;
  }
  let t: Tensor | undefined;
  if (tensors.size === 1) t = tensors.values().next().value;
  else if (tensors.size === 0) throw new FileFormatError(path, `${field}: the file holds no tensors`);
  else if (tensorName === undefined)
    throw new FileFormatError(
      path,
      `${field}: the file holds ${tensors.size} tensors (${[...tensors.keys()].slice(0, 20).join(', ')}); name one with the entry's "tensor" field`,
    );
  else if (!(t = tensors.get(tensorName)))
    throw new FileFormatError(
      path,
      `${field}: no tensor "${tensorName}" (the entry's "tensor" field); the file holds ${[...tensors.keys()].slice(0, 20).join(', ')}`,
    );
  // f32/f16/bf16 decode to Float32Array (exact); f64 and integers to Float64Array (exact, never via f32).
  if (t!.data instanceof Float32Array) return { shape: t!.shape, data: t!.data };
  try {
    return { shape: t!.shape, data: tensorToFloat64(t!, field) };
  } catch (error) {
    // A value that float64 cannot hold exactly (a 64-bit integer beyond ±2^53) is a fault of the file.
    if (error instanceof InvalidArgumentError)
      throw new FileFormatError(path, error.message.replace(/^Invalid argument `[^`]*`: /, `${field}: `));
    throw error;
  }
}

/**
 * Loads one manifest checkpoint, its matrices in the flat form; shapes are checked against each
 * other and against n.
 *
 * @param options - the confinement directory (`root`, default the run directory) and read limits.
 * @throws {@link PathOutsideRootError} when a field names a file outside the confinement directory
 *   (by name or through a symbolic link); {@link FileReadError} / {@link FileFormatError} naming the
 *   file and the field; {@link InvalidArgumentError} (`root`) for a root that does not contain the run.
 */
export async function loadCheckpoint(
  run: string,
  entry: ManifestCheckpoint,
  index: number,
  options: RunReadOptions = {},
): Promise<FlatCheckpointData> {
  const where = `checkpoints[${index}]`;
  const root = await confinement(run, options.root);
  const read = (name: string, what: string) => readField(run, name, `${where}.${what}`, entry.tensor, root, options);
  const residual = await read(entry.residual, 'residual');
  const n = residual.data.length;
  const square = async (name: string, what: string) => {
    const k = await read(name, what);
    if (!(k.shape.length === 2 && k.shape[0] === n && k.shape[1] === n)) {
      throw new FileFormatError(
        join(run, name),
        `${where}.${what} has shape [${k.shape.join(', ')}] but the residual (${entry.residual}) has n = ${n} values: expected [${n}, ${n}]`,
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
  const j = await read(entry.jacobian!, 'jacobian');
  if (!(j.shape.length === 2 && j.shape[0] === n)) {
    throw new FileFormatError(
      join(run, entry.jacobian!),
      `${where}.jacobian has shape [${j.shape.join(', ')}] but the residual has n = ${n} values: expected [${n}, P]` +
        (j.shape.length === 2 && j.shape[1] === n ? ' (it looks transposed: save J, not Jᵀ)' : ''),
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
  /** Unit of t written to the manifest (docs/formats.md), e.g. "steps". */
  readonly timeUnit?: string;
  /** Replace a run already in the directory (default: refuse). */
  readonly overwrite?: boolean;
  /**
   * Precision of the tensor files: `float32` (default; what the GPU computes in, half the bytes) or
   * `float64` (keeps float64 data exact, for the float64 `cpu` backend: docs/accuracy.md).
   */
  readonly precision?: 'float32' | 'float64';
}

/**
 * One checkpoint given to {@link RunWriter.add}: the host forms of what `analyzeSeries` takes
 * (docs/formats.md), a kernel or a Jacobian, flat or as `{ data, shape }`, validated the same way.
 */
export interface RunCheckpointInput {
  /** Training time (steps); strictly increasing across checkpoints. */
  readonly t: number;
  /** Kernel K (n×n, symmetric): `{ data, shape: [n, n] }` or the n² values, row-major. Exactly one of `kernel` and `jacobian`. */
  readonly kernel?: KernelInput;
  /** Jacobian J (n×p): `{ data, shape: [n, p] }` or `{ p, data }`, row-major; written as `j<i>.npy`. */
  readonly jacobian?: JacobianInput;
  /** Residual e, length n. */
  readonly residual: ArrayLike<number>;
  /** Per-layer kernels (n×n each) for the Kato split; the same count at every checkpoint. */
  readonly layers?: readonly KernelInput[];
  /** Name used in error messages (default `checkpoint <i>`); not written to the run. */
  readonly label?: string;
}

/**
 * Writes checkpoints as a run directory that `grsd analyze` and {@link readManifest} read
 * (docs/formats.md): `k<i>.npy` (or `j<i>.npy` for a Jacobian), `e<i>.npy`, `k<i>_l<j>.npy` in
 * the chosen precision (float32 by default) and `manifest.json`, rewritten atomically after every
 * checkpoint so that an interrupted run stays readable.
 *
 * @example
 * const writer = await RunWriter.create('runs/resnet-L8', { timeScale: lr / N });
 * await lab.train({ ..., onCheckpoint: (cp) => writer.add({ t: cp.step, kernel: cp.kernel, residual: cp.residual, layers: cp.layers }) });
 */
export class RunWriter {
  /** The run directory (manifest.json and the tensor files). */
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
    if (options.precision !== undefined && options.precision !== 'float32' && options.precision !== 'float64')
      throw new InvalidArgumentError('precision', `must be "float32" or "float64", got ${JSON.stringify(options.precision)}`);
    if (options.timeUnit !== undefined && !(options.timeUnit.trim().length > 0 && options.timeUnit.length <= 40))
      throw new InvalidArgumentError(
        'timeUnit',
        `must be a non-empty string of at most 40 characters, got ${JSON.stringify(options.timeUnit)}`,
      );
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
    const { n, checkpoint } = validateCheckpoint(cp, {
      index: i,
      cpu: true,
      ...(i > 0 ? { previousT: this.#entries[i - 1]!.t, n: this.#n, layers: this.#layers } : {}),
    });
    const f64 = this.#options.precision === 'float64';
    const where = `checkpoints[${i}] (${cp.label ?? `checkpoint ${i}`})`;
    // Converted (and range-checked) before anything is written: a float64 value beyond the f32
    // range would become ±Infinity in a float32 file, which no reader accepts.
    const tensor = (data: ArrayLike<number>, shape: number[], field: string): Tensor => {
      if (f64) return { dtype: 'f64', shape, data: data instanceof Float64Array ? data : Float64Array.from(data) };
      const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
      const bad = f32.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        throw new InvalidArgumentError(
          `${where}.${field}`,
          `element ${bad} is ${data[bad]}, beyond the float32 range (±3.4e38): scale the data or write it with precision: 'float64'`,
        );
      return { dtype: 'f32', shape, data: f32 };
    };
    const layers = checkpoint.layers ?? [];
    const { jacobian } = checkpoint;
    const entry: ManifestCheckpoint = {
      t: cp.t,
      ...(jacobian ? { jacobian: `j${i}.npy` } : { kernel: `k${i}.npy` }),
      residual: `e${i}.npy`,
      ...(layers.length > 0 ? { layers: layers.map((_, j) => `k${i}_l${j}.npy`) } : {}),
    };
    const files: [string, Tensor][] = [
      jacobian
        ? [entry.jacobian!, tensor(jacobian.data, [n, jacobian.p], 'jacobian')]
        : [entry.kernel!, tensor(checkpoint.kernel!, [n, n], 'kernel')],
      [entry.residual, tensor(checkpoint.residual, [n], 'residual')],
      ...layers.map((layer, j): [string, Tensor] => [entry.layers![j]!, tensor(layer, [n, n], `layers[${j}]`)]),
    ];
    for (const [file, data] of files) await writeNpyFile(join(this.dir, file), data);
    this.#entries.push(entry);
    this.#n = n;
    this.#layers = layers.length;
    await writeJsonFile(join(this.dir, 'manifest.json'), this.manifest());
  }

  /** The manifest as written (docs/formats.md). */
  manifest(): RunManifest {
    const { timeScale, timeUnit, probePoints } = this.#options;
    return {
      timeScale,
      ...(timeUnit === undefined ? {} : { timeUnit }),
      ...(probePoints === undefined ? {} : { probePoints }),
      checkpoints: [...this.#entries],
    };
  }
}
