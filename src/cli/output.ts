/**
 * The `--json [FILE|-]` convention of every command (docs/cli.md): `--json` or `--json -` prints
 * the JSON on stdout and nothing else there; `--json FILE` writes it to FILE atomically and the
 * command prints its text report as usual. Every JSON output goes through the strict writer
 * (`toJsonText`: NaN and ±Infinity are refused, never written as `null`); a refusal is a bug in
 * grsd (exit 1), not a usage error.
 * @module
 */
import { extname } from 'node:path';
import { Option } from 'commander';
import { InternalError, InvalidArgumentError } from '../errors.ts';
import { toJsonText } from '../io/json.ts';
import { writeFileAtomic } from '../node/files.ts';
import type { CliIo } from './io.ts';

/** The value of a parsed `--json [FILE]` option: true for the bare flag. */
export type JsonOptionValue = string | boolean | undefined;

/** The `--json [FILE]` option, described for `what`; `defaultFile` for commands that always write JSON. */
export function jsonOption(what: string, defaultFile?: string): Option {
  const option = new Option('--json [FILE]', `${what}: to FILE, or on stdout with "-" or no FILE (then stdout holds only the JSON)`);
  return defaultFile === undefined ? option : option.default(defaultFile);
}

/** Where JSON goes: `'-'` for stdout, a path, or undefined for none. */
export function jsonTarget(value: JsonOptionValue): string | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true || value === '-') return '-';
  return value;
}

/** Whether the JSON takes stdout (so the text report must not be printed there). */
export function jsonOnStdout(value: JsonOptionValue): boolean {
  return jsonTarget(value) === '-';
}

const TENSOR_EXTENSIONS = new Set(['.npy', '.npz', '.safetensors']);

/** Refuses a JSON destination that looks like a tensor file (`grsd eig A.npy --json B.npy` would overwrite data). */
export function checkJsonDestination(value: JsonOptionValue, option = '--json'): void {
  const target = jsonTarget(value);
  if (target && target !== '-' && TENSOR_EXTENSIONS.has(extname(target).toLowerCase()))
    throw new InvalidArgumentError(option, `"${target}" looks like a tensor file; JSON is not written over .npy/.npz/.safetensors files`);
}

/** Serializes `value` strictly (indented unless `pretty: false`); a value JSON cannot hold (NaN, ±Infinity) is an internal error. */
export function strictJson(value: unknown, destination: string, options: { readonly pretty?: boolean } = {}): string {
  try {
    return toJsonText(value, destination, options);
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new InternalError(`a result cannot be written as JSON: ${error.message.replace(/^Invalid argument `value`: /, '')}`);
    throw error;
  }
}

/** Writes `value` as JSON where `option` says (compact with `pretty: false`); returns the file written (undefined for stdout or none). */
export async function writeJsonOutput(
  io: CliIo,
  option: JsonOptionValue,
  value: unknown,
  options: { readonly pretty?: boolean } = {},
): Promise<string | undefined> {
  const target = jsonTarget(option);
  if (target === undefined) return undefined;
  checkJsonDestination(option);
  const text = strictJson(value, target === '-' ? 'stdout' : target, options);
  if (target === '-') {
    io.out(text);
    return undefined;
  }
  await writeFileAtomic(target, text);
  return target;
}

/** Prints the text report unless the JSON has stdout; then only a note says where it went. */
export function writeTextReport(io: CliIo, option: JsonOptionValue, text: string): void {
  if (!jsonOnStdout(option)) io.out(text);
}
