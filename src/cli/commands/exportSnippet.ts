/**
 * `grsd export-snippet [--path]`: prints the PyTorch exporter shipped with grsd
 * (python/grsd_export.py: a training-loop hook that writes a run directory, docs/formats.md), or
 * with `--path` where it is installed. `npx grsd export-snippet > grsd_export.py` copies it next to
 * a training script.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { FileReadError } from '../../errors.ts';
import type { CliIo } from '../io.ts';

const EXPORTER = join('python', 'grsd_export.py');

/** The exporter's path: python/grsd_export.py in the package (found upward from this module, in src/ and in dist/). */
export function exporterPath(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, EXPORTER);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new FileReadError(EXPORTER, `not found above ${from}: the grsd package is incomplete (reinstall it)`);
  }
}

/** Registers `export-snippet` on `program`. */
export function registerExportSnippet(program: Command, io: CliIo): void {
  program
    .command('export-snippet')
    .description('print the PyTorch exporter (grsd_export.py) that writes a run for `grsd analyze` (docs/formats.md)')
    .option('--path', 'print where the installed file is instead of its content')
    .action((options: { path?: boolean }) => {
      const path = exporterPath();
      if (options.path) io.out(path);
      else io.out(readFileSync(path, 'utf8'));
    });
}
