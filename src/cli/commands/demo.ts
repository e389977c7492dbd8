/**
 * `grsd demo [--quick]`: the first thing a new user runs. Trains residual and plain networks at
 * several depths and seeds on the GPU, analyses every checkpoint with the GRSD pipeline, prints
 * the finding in one sentence and the statistics over seeds (ε_LSI mean ± SE per architecture
 * and depth, plain − residual with its p-values, L* with its bootstrap interval), and writes
 * report.html and report.json. Seeded and reproducible.
 * @module
 */
import { InvalidArgumentError as CommanderArgumentError, type Command } from 'commander';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../errors.ts';
import { DEMO_CONFIG, DEMO_QUICK_CONFIG, runDepthStudy, type DepthStudyConfig } from '../../experiments/depthStudy.ts';
import { demoJson, demoTable, renderDemoReport } from '../../io/demoReport.ts';
import type { NodeBackend } from '../../node/dawn.ts';
import { writeFileAtomic } from '../../node/files.ts';
import { RunWriter } from '../../node/run.ts';
import { backendOption, describeBackend, gpuContextFor, type ComputeBackend } from '../backend.ts';
import { note, type CliIo } from '../io.ts';
import { positiveInt, seedOption } from '../options.ts';
import { checkJsonDestination, jsonOnStdout, jsonOption, writeJsonOutput, writeTextReport, type JsonOptionValue } from '../output.ts';
import { createProgress, progressMode } from '../progress.ts';

interface DemoOptions {
  quick?: boolean;
  json: JsonOptionValue;
  report: string;
  seed?: number;
  seeds?: number;
  depths?: number[];
  probePoints?: number;
  checkpointEvery?: number;
  saveRuns?: string;
  backend?: ComputeBackend;
  pretty?: boolean;
  reportData: boolean;
}

/** Parses "2,4,8,16" into distinct positive integers, ascending. */
function depthList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw new CommanderArgumentError(`expected comma-separated positive integers (e.g. 2,4,8,16), got "${value}"`);
  }
  const depths = parts.map(Number);
  if (new Set(depths).size !== depths.length) throw new CommanderArgumentError(`expected distinct depths, got "${value}"`);
  return depths.sort((a, b) => a - b);
}

/** "1 min 05 s" / "42 s". */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

/** The study configuration from the options. */
function demoConfig(options: DemoOptions): DepthStudyConfig {
  const base = options.quick ? DEMO_QUICK_CONFIG : DEMO_CONFIG;
  const config: DepthStudyConfig = {
    ...base,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.seeds === undefined ? {} : { seeds: options.seeds }),
    ...(options.depths === undefined ? {} : { depths: options.depths }),
    ...(options.checkpointEvery === undefined ? {} : { checkpointEvery: options.checkpointEvery }),
    ...(options.probePoints === undefined ? {} : { task: { ...base.task, points: options.probePoints } }),
  };
  if (config.checkpointEvery > config.steps) {
    throw new InvalidArgumentError(
      '--checkpoint-every',
      `must be at most the ${config.steps} training steps, got ${config.checkpointEvery}`,
    );
  }
  if (config.task.points < 2) throw new InvalidArgumentError('--probe-points', `must be at least 2, got ${config.task.points}`);
  return config;
}

/** Registers `demo` on `program`. */
export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'train residual and plain networks at several depths and seeds, run the whole GRSD pipeline, print the finding with its statistics and write report.html / report.json',
    )
    .option('--quick', `a smaller study (${DEMO_QUICK_CONFIG.seeds} seeds, depths ${DEMO_QUICK_CONFIG.depths.join(' and ')})`)
    .addOption(jsonOption('the JSON report', 'report.json'))
    .option('--report <FILE>', 'where to write the HTML report', 'report.html')
    .option('--pretty', 'indent the JSON (default compact)')
    .option(
      '--no-report-data',
      "leave each network's per-interval matrices out of the JSON and the figure data out of the HTML (much smaller files)",
    )
    .option('--seed <seed>', 'first seed of the tasks, the initializations and the analysis (0 … 2^32 − 1)', seedOption)
    .option(
      '--seeds <N>',
      `seeds per architecture and depth (default ${DEMO_CONFIG.seeds}; --quick ${DEMO_QUICK_CONFIG.seeds})`,
      positiveInt,
    )
    .option('--depths <LIST>', `comma-separated depths (default ${DEMO_CONFIG.depths.join(',')})`, depthList)
    .option('--probe-points <N>', `probe (= training) points n (default ${DEMO_CONFIG.task.points})`, positiveInt)
    .option('--checkpoint-every <K>', `at most K steps between checkpoints (default ${DEMO_CONFIG.checkpointEvery})`, positiveInt)
    .option(
      '--save-runs <DIR>',
      "also save every network's checkpoints as a run directory DIR/<architecture>-L<depth>-seed<seed> that grsd analyze reads",
    )
    .addOption(backendOption())
    .action(async (options: DemoOptions) => {
      if (options.backend === 'cpu')
        throw new InvalidArgumentError('--backend', 'the demo trains on the GPU; choose a GPU backend (see grsd doctor)');
      const config = demoConfig(options);
      checkJsonDestination(options.json);
      // Measured times on llvmpipe, 2 cores (docs/lab.md): the yardstick of the slow-adapter warning.
      const { ctx, selection } = await gpuContextFor(options.backend as NodeBackend | undefined, io, {
        what: `grsd demo${options.quick ? ' --quick' : ''}`,
        llvmpipeSeconds: options.quick ? 15 : 240,
      });
      try {
        const backend = describeBackend(ctx, selection);
        const networks = config.architectures.length * config.depths.length * config.seeds;
        note(
          io,
          `grsd demo${options.quick ? ' --quick' : ''}: ${config.architectures.join(' and ')} networks at depths ${config.depths.join(', ')}, ${config.seeds} seeds each (${networks} networks), ${config.task.points} probe points, ${config.steps} steps, on ${String(backend.adapter)} (${String(backend.mode)})`,
        );
        // Percent on a bar; 5% steps as lines (CI logs).
        const total = progressMode(io) === 'lines' ? 20 : 100;
        const progress = createProgress(io, 'grsd demo');
        const writers = new Map<string, RunWriter>();
        const study = await runDepthStudy(ctx, config, {
          onEstimate: (seconds) => {
            note(io, `grsd demo: expected time ≈ ${duration(seconds)} (from a timing probe on this adapter)`);
            progress.start(total, 'training');
          },
          onProgress: (p) => {
            const eta = p.etaSeconds === null ? '' : `, ETA ${duration(p.etaSeconds)}`;
            progress.update(Math.floor(total * p.fraction), `${p.label} (${duration(p.elapsedSeconds)} elapsed${eta})`);
          },
          ...(options.saveRuns === undefined
            ? {}
            : {
                onLabCheckpoint: async (run, cp) => {
                  const dir = join(options.saveRuns!, `${run.architecture}-L${run.depth}-seed${run.seed}`);
                  let writer = writers.get(dir);
                  if (!writer)
                    writers.set(
                      dir,
                      (writer = await RunWriter.create(dir, { timeScale: cp.timeScale, timeUnit: 'steps', overwrite: true })),
                    );
                  await writer.add({ t: cp.step, kernel: cp.kernel, residual: cp.residual, layers: cp.layers });
                },
              }),
        });
        progress.stop();
        const jsonFile = await writeJsonOutput(io, options.json, demoJson(study, backend, { data: options.reportData }), {
          pretty: options.pretty === true,
        });
        await writeFileAtomic(options.report, await renderDemoReport(study, backend, { data: options.reportData }));
        const saved = writers.size > 0 ? `; runs in ${options.saveRuns} (${writers.size} directories)` : '';
        const wrote = `Wrote ${[options.report, jsonFile].filter(Boolean).join(' and ')} in ${duration(study.seconds)}${saved}`;
        writeTextReport(io, options.json, `${demoTable(study)}\n${wrote}`);
        if (jsonOnStdout(options.json)) note(io, wrote);
      } finally {
        ctx.dispose();
      }
    });
}
