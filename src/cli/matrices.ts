/**
 * Loading a batch of dense symmetric matrices from a tensor file for `grsd eig` / `grsd density`:
 * one n×n tensor, one B×n×n tensor, or several n×n tensors of one file (npz, safetensors) taken
 * as a batch in file order. Errors name the file (and tensor). Everything wrong with the file's
 * content (no tensors, not square, ragged, NaN/Inf, not symmetric) is a {@link FileFormatError},
 * exit 4 like every input fault (docs/cli.md); only `--tensor` naming a tensor the file lacks is
 * a usage error.
 * @module
 */
import { assertFinite, assertSymmetric } from '../algorithms/operators.ts';
import { FileFormatError, InvalidArgumentError } from '../errors.ts';
import { tensorToFloat32, type Tensor } from '../io/tensor.ts';
import { readTensorFile } from '../node/files.ts';

/** A batch of dense symmetric matrices read from a file. */
export interface MatrixBatch {
  readonly n: number;
  readonly batch: number;
  /** [batch][n][n] f32. */
  readonly data: Float32Array;
  /** Tensor names, one per batch member (B×n×n tensors give `name[i]`). */
  readonly names: string[];
}

function squareShape(t: Tensor, label: string): { n: number; batch: number } {
  const s = t.shape;
  if (s.length === 2 && s[0] === s[1]) return { n: s[0]!, batch: 1 };
  if (s.length === 3 && s[1] === s[2]) return { n: s[1]!, batch: s[0]! };
  throw new FileFormatError(label, `has shape [${s.join(', ')}]: expected an n×n matrix or a B×n×n batch (square matrices)`);
}

/** Runs a check that throws InvalidArgumentError about the data, re-raised as a fault of `file`. */
function asFileFault<T>(file: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new FileFormatError(file, error.message.replace(/^Invalid argument `[^`]*`: /, ''));
    throw error;
  }
}

/** Reads `path` (and optionally the tensor `tensorName`) as a validated matrix batch. */
export async function loadMatrixBatch(path: string, tensorName?: string): Promise<MatrixBatch> {
  const tensors = await readTensorFile(path);
  let chosen: [string, Tensor][];
  if (tensorName !== undefined) {
    const t = tensors.get(tensorName);
    if (!t)
      throw new InvalidArgumentError(
        '--tensor',
        `${path} has no tensor "${tensorName}" (it has: ${[...tensors.keys()].join(', ') || 'none'})`,
      );
    chosen = [[tensorName, t]];
  } else {
    chosen = [...tensors.entries()];
    if (chosen.length === 0) throw new FileFormatError(path, 'the file holds no tensors');
  }
  const shapes = chosen.map(([name, t]) => ({ name, ...squareShape(t, `${path}:${name}`) }));
  const n = shapes[0]!.n;
  const ragged = shapes.find((s) => s.n !== n);
  if (ragged) {
    throw new FileFormatError(path, `ragged batch: "${ragged.name}" is ${ragged.n}×${ragged.n} but "${shapes[0]!.name}" is ${n}×${n}`);
  }
  const batch = shapes.reduce((sum, s) => sum + s.batch, 0);
  const data = new Float32Array(batch * n * n);
  const names: string[] = [];
  let offset = 0;
  for (const [name, t] of chosen) {
    const values = asFileFault(`${path}:${name}`, () => tensorToFloat32(t, name));
    data.set(values, offset);
    const count = values.length / (n * n);
    for (let i = 0; i < count; i++) names.push(t.shape.length === 3 ? `${name}[${i}]` : name);
    offset += values.length;
  }
  asFileFault(path, () => assertFinite(data, path, n, n));
  asFileFault(path, () => assertSymmetric(data, n, batch, path));
  return { n, batch, data, names };
}
