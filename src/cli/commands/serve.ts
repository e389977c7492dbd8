/**
 * `grsd serve RUN [--port P]`: a live view of a training run. Watches the run directory while a
 * training script writes checkpoints into it, analyses each checkpoint as it lands with the same
 * streaming pipeline and options as `grsd analyze`, and serves a local page (127.0.0.1 by
 * default) with the figures, the verdicts so far and the loss, updated live. `grsd serve
 * ANALYSIS.json` shows a finished analysis. Stops cleanly on SIGINT/SIGTERM.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import {
  checkpointPrecision,
  coarserPrecision,
  GrsdSeries,
  runLambdaMaxBound,
  seriesGrid,
  type CheckpointData,
} from '../../analysis/series.ts';
import type { GpuContext } from '../../gpu/context.ts';
import type { RunManifest } from '../../io/manifest.ts';
import { FileFormatError, FileReadError, invariant } from '../../errors.ts';
import { toJsonText } from '../../io/json.ts';
import { LiveRun, type LiveRunOptions } from '../../node/liveRun.ts';
import { startLiveServer, staticSource, type LiveSource } from '../../node/liveServer.ts';
import { describeBackend, openBackend, settleBackend } from '../backend.ts';
import type { CliIo } from '../io.ts';
import { nonNegativeInt, positiveInt } from '../options.ts';
import { addRunAnalysisOptions, analysisDocument, runSeriesOptions, runWork, type RunAnalysisOptions } from './analyze.ts';

interface ServeOptions extends RunAnalysisOptions {
  port: number;
  host: string;
  poll: number;
}

/** Reads a finished analysis (`grsd analyze --json`), checking that it is one. */
async function readAnalysis(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FileReadError(file, `cannot read: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FileFormatError(file, `not valid JSON: ${(error as Error).message}`);
  }
  const j = json as Record<string, unknown>;
  if (
    typeof j !== 'object' ||
    j === null ||
    !j.grid ||
    !Array.isArray(j.checkpoints) ||
    j.checkpoints.length === 0 ||
    !Array.isArray(j.intervals)
  )
    throw new FileFormatError(
      file,
      'not a grsd analysis (expected the JSON of grsd analyze --json: grid, checkpoints, intervals; docs/formats.md)',
    );
  return j;
}

/** Where a live analysis runs, and its description for the JSON's `backend`. */
export interface LiveBackend {
  readonly backend: GpuContext | 'cpu';
  readonly description: Record<string, unknown>;
}

/**
 * How `grsd serve` analyses a run as it grows: the series options, the whole-run grid (λ_max bound
 * per checkpoint, as the first pass of `grsd analyze`; none when --lambda-max fixes it) and the
 * analysis document, all as `grsd analyze` computes them, so that the live analysis of the run so
 * far equals `grsd analyze` on it. The backend is a fixed one or is chosen from the run's first
 * checkpoint (`choose`, called once before anything is computed: `grsd serve`'s measured auto
 * choice needs the run's n). Exported for tests.
 */
export function liveAnalysis(
  backend: LiveBackend | ((first: CheckpointData, manifest: RunManifest) => Promise<LiveBackend>),
  options: RunAnalysisOptions,
): Pick<LiveRunOptions, 'prepare' | 'createSeries' | 'grid' | 'analyze' | 'read'> {
  let chosen: LiveBackend | null = typeof backend === 'function' ? null : backend;
  const current = (): LiveBackend => {
    invariant(chosen, 'the live backend is chosen (prepare) before the first checkpoint is analysed');
    return chosen;
  };
  // The grid a series builds for a λ_max bound (same function as GrsdSeries; the default floor
  // depends on the precision of the backend and of the data, and on n, the residual length).
  // As in GrsdSeries, the data precision is the first checkpoint's.
  let dataPrecision: 'float32' | 'float64' | undefined;
  const grid = (m: RunManifest, lambdaMax: number, n: number) =>
    seriesGrid(
      runSeriesOptions(m, options, lambdaMax).gridOptions!,
      lambdaMax,
      coarserPrecision(current().backend === 'cpu' ? 'float64' : 'float32', dataPrecision ?? 'float64'),
      n,
    );
  return {
    ...(typeof backend === 'function'
      ? {
          prepare: async (first, manifest) => {
            chosen ??= await backend(first, manifest);
          },
        }
      : {}),
    createSeries: (manifest, lambdaMax) =>
      new GrsdSeries(current().backend, runSeriesOptions(manifest, options, options.lambdaMax ?? lambdaMax!)),
    ...(options.lambdaMax === undefined
      ? {
          grid: {
            bound: (data, m) => {
              dataPrecision ??= checkpointPrecision(data);
              return runLambdaMaxBound(current().backend, [data], { timeScale: m.timeScale, seed: options.seed });
            },
            sameGrid: (m, a, b, n) => {
              const [g, h] = [grid(m, a, n), grid(m, b, n)];
              return g.lambdaRef === h.lambdaRef && g.width === h.width && g.alphaMin === h.alphaMin && g.count === h.count;
            },
          },
        }
      : {}),
    // As plain JSON, exactly what `grsd analyze --json` writes (typed arrays become arrays, NaN is refused).
    analyze: async (result, manifest) =>
      JSON.parse(
        toJsonText((await analysisDocument(result, current().description, manifest.timeUnit, options)).json, 'the analysis'),
      ) as Record<string, unknown>,
    ...(options.root === undefined ? {} : { read: { root: options.root } }),
  };
}

/**
 * Serves `target` (a run directory, watched live, or an analysis JSON file) until `signal` aborts.
 * Exported for tests; the command wires the signal to SIGINT/SIGTERM.
 */
export async function serve(target: string, options: ServeOptions, io: CliIo, signal: AbortSignal): Promise<void> {
  // A run directory may not exist yet (the training script creates it): it is then waited for.
  const info = await stat(target).catch((error: unknown) => {
    if (target.endsWith('.json')) throw new FileReadError(target, 'no such analysis file', { cause: error });
    return null;
  });
  const watch = info === null || info.isDirectory();
  let source: LiveSource;
  let live: LiveRun | null = null;
  // The backend as named, or for auto the adapter found (a missing one fails now); auto then
  // chooses by measurement, as grsd analyze does, once the first checkpoint gives the work's size.
  const opened = watch ? await openBackend(options.backend) : null;
  let ctx = opened?.ctx ?? null;
  try {
    if (watch) {
      const choose = async (first: CheckpointData, manifest: RunManifest): Promise<LiveBackend> => {
        const choice = await settleBackend(opened!, io, runWork(first, manifest.checkpoints.length, options)).catch((error: unknown) => {
          ctx = null; // settleBackend disposed it
          throw error;
        });
        ctx = choice.ctx;
        return { backend: choice.ctx ?? 'cpu', description: describeBackend(choice.ctx, choice.selection) };
      };
      live = new LiveRun(target, { ...liveAnalysis(choose, options), pollMs: options.poll });
      source = live;
    } else {
      source = staticSource(await readAnalysis(target), `finished analysis ${basename(target)}`);
    }
    const server = await startLiveServer(source, {
      title: `grsd serve: ${basename(target) || target}`,
      host: options.host,
      port: options.port,
    });
    try {
      io.out(`grsd serve: ${server.url} — ${live ? `watching ${target}` : `showing ${target}`} (Ctrl+C to stop)`);
      if (!['127.0.0.1', 'localhost', '::1'].includes(options.host))
        io.err(`grsd serve: listening on ${options.host}: other machines on the network can open this page`);
      if (live) {
        let shown = 0;
        live.subscribe((s) => {
          if (s.status.phase === 'error') io.err(`grsd serve: ${s.status.message}`);
          if (s.document && s.status.analysed !== shown) {
            shown = s.status.analysed;
            io.err(`grsd serve: ${shown} checkpoint${shown === 1 ? '' : 's'} analysed`);
          }
        });
        live.start();
      }
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      await live?.stop();
      await server.close();
    }
    io.out('grsd serve: stopped');
  } finally {
    ctx?.dispose();
  }
}

/** Registers `serve` on `program`. */
export function registerServe(program: Command, io: CliIo): void {
  const command = program
    .command('serve')
    .description(
      'live view of a training run: watch RUN while checkpoints are written, analyse each as it lands (as grsd analyze does) and serve the figures and verdicts on a local page; or show a finished ANALYSIS.json',
    )
    .argument('<RUN|ANALYSIS.json>', 'a run directory (docs/formats.md), possibly still being written, or the JSON of grsd analyze --json')
    .option('--port <P>', 'port to listen on (0 picks a free one)', nonNegativeInt, 6070)
    .option('--host <ADDR>', 'interface to bind; the default serves this machine only', '127.0.0.1')
    .option('--poll <ms>', 'how often to look for new checkpoints', positiveInt, 400);
  addRunAnalysisOptions(command).action(async (target: string, options: ServeOptions) => {
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await serve(target, options, io, controller.signal);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}
