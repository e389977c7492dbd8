/**
 * Reading a run directory (`manifest.json` + tensor files) into checkpoint data for the series
 * pipeline. Errors name the checkpoint and the file.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointData } from '../analysis/series.ts';
import { FileFormatError, FileReadError, InvalidArgumentError } from '../errors.ts';
import { parseManifest, type ManifestCheckpoint, type RunManifest } from '../io/manifest.ts';
import { tensorToFloat32 } from '../io/tensor.ts';
import { readSingleTensor } from './files.ts';

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
): Promise<{ shape: readonly number[]; data: Float32Array }> {
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
  return { shape: t.shape, data: tensorToFloat32(t, `${where} (${path})`) };
}

/** Loads one manifest checkpoint; shapes are checked against each other and against n. */
export async function loadCheckpoint(run: string, entry: ManifestCheckpoint, index: number): Promise<CheckpointData> {
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
  const layers = entry.layers ? await Promise.all(entry.layers.map((l, i) => square(l, `layers[${i}]`))) : undefined;
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
