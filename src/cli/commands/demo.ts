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
import {
  checkpointSchedule,
  DEMO_CONFIG,
  describeCheckpointSchedule,
  DEMO_QUICK_CONFIG,
  runDepthStudy,
  type DepthStudyConfig,
} from '../../experiments/depthStudy.ts';
import { demoJson, demoTable, renderDemoReport } from '../../io/demoReport.ts';
import type { NodeBackend } from '../../node/dawn.ts';
import { writeFileAtomic } from '../../node/files.ts';
import { RunWriter } from '../../node/run.ts';
import { backendOption, describeBackend, gpuContextFor, type ComputeBackend } from '../backend.ts';
import { note, type CliIo } from '../io.ts';
import { intInRange, numberInRange, seedOption } from '../options.ts';
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
  checkpointGrowth?: number;
  saveRuns?: string;
  backend?: ComputeBackend;
  pretty?: boolean;
  reportData: boolean;
}

/**
 * The bounds of the study options (docs/cli.md, Options and limits). What a study costs grows
 * with them: the seeds of one (architecture, depth) train together as one lab batch whose
 * (depth + 5) kernel buffers hold seeds·n² floats each on the GPU, and whose checkpoint kernels
 * (seeds·checkpoints·n² floats) wait on the host until they are analysed; the float64 analysis
 * of a checkpoint is a dense O(n³) eigendecomposition (0.064 s at n = 192 on 2 cores,
 * docs/lab.md), training time grows ∝ depth. Each bound is far above a useful demo and below
 * what cannot finish; {@link STUDY_MEMORY_LIMIT_BYTES} bounds the combinations.
 */
export const DEMO_LIMITS = {
  /** Standard errors fall as 1/√seeds: 64 seeds resolve ε_LSI to 1/8 of one seed's spread. */
  seeds: 64,
  /** n = 2048: one kernel is 16 MiB of f32 and its float64 analysis ≈ 0.064 s·(2048/192)³ ≈ 80 s per checkpoint (≈ 43 min per 32-checkpoint run). */
  probePoints: 2048,
  /** Depth 64: 4× the default's deepest network (time and memory ∝ depth). */
  depth: 64,
  /** Depths per study: 12 (every depth adds a batch per architecture; 2…64 in doublings is 6). */
  depthCount: 12,
  /**
   * Checkpoint-spacing growth: 1 (uniform) … 2 (Δt ≈ t, log-spaced checkpoints: the sparsest
   * schedule that still has one in every doubling of the training time).
   */
  checkpointGrowth: 2,
} as const;

/**
 * The most memory a study may need, on the GPU (one batch's kernel buffers) or on the host (one
 * batch's checkpoint kernels): 4 GiB, twice the largest buffer the software adapters allow
 * (docs/platforms.md) and a share of a workstation's memory a demo may take.
 */
export const STUDY_MEMORY_LIMIT_BYTES = 4 * 2 ** 30;

/** Parses "2,4,8,16" into distinct integers in 1…{@link DEMO_LIMITS}.depth, ascending, at most depthCount of them. */
function depthList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw new CommanderArgumentError(`expected comma-separated positive integers (e.g. 2,4,8,16), got "${value}"`);
  }
  const depths = parts.map(Number);
  if (depths.some((d) => d > DEMO_LIMITS.depth))
    throw new CommanderArgumentError(`each depth must be at most ${DEMO_LIMITS.depth}, got "${value}"`);
  if (depths.length > DEMO_LIMITS.depthCount)
    throw new CommanderArgumentError(`at most ${DEMO_LIMITS.depthCount} depths, got ${depths.length}`);
  if (new Set(depths).size !== depths.length) throw new CommanderArgumentError(`expected distinct depths, got "${value}"`);
  return depths.sort((a, b) => a - b);
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toPrecision(3)} GiB`;

/** Refuses a study whose largest batch needs more than {@link STUDY_MEMORY_LIMIT_BYTES} on the GPU or the host. */
function checkStudyMemory(config: DepthStudyConfig): void {
  const n = config.task.points;
  const kernel = n * n * 4;
  const checkpoints = checkpointSchedule(config.steps, config.checkpointEvery, config.checkpointGrowth).length;
  const gpu = config.seeds * (Math.max(...config.depths) + 5) * kernel;
  const host = config.seeds * checkpoints * kernel;
  const limit = gib(STUDY_MEMORY_LIMIT_BYTES);
  if (gpu > STUDY_MEMORY_LIMIT_BYTES)
    throw new InvalidArgumentError(
      '--probe-points',
      `with ${config.seeds} seeds, depth ${Math.max(...config.depths)} and n = ${n} the lab needs ${gib(gpu)} of GPU memory (seeds × (depth + 5) × n² floats), more than ${limit}: use fewer probe points, seeds or a smaller depth`,
    );
  if (host > STUDY_MEMORY_LIMIT_BYTES)
    throw new InvalidArgumentError(
      '--checkpoint-every',
      `with ${config.seeds} seeds, ${checkpoints} checkpoints and n = ${n} one batch holds ${gib(host)} of checkpoint kernels (seeds × checkpoints × n² floats), more than ${limit}: use a larger --checkpoint-every or --checkpoint-growth, fewer probe points or fewer seeds`,
    );
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
    ...(options.checkpointGrowth === undefined ? {} : { checkpointGrowth: options.checkpointGrowth }),
    ...(options.probePoints === undefined ? {} : { task: { ...base.task, points: options.probePoints } }),
  };
  if (config.checkpointEvery > config.steps) {
    throw new InvalidArgumentError(
      '--checkpoint-every',
      `must be at most the ${config.steps} training steps, got ${config.checkpointEvery}`,
    );
  }
  checkStudyMemory(config);
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
      `seeds per architecture and depth, 1…${DEMO_LIMITS.seeds} (default ${DEMO_CONFIG.seeds}; --quick ${DEMO_QUICK_CONFIG.seeds})`,
      intInRange(1, DEMO_LIMITS.seeds),
    )
    .option(
      '--depths <LIST>',
      `comma-separated depths, each 1…${DEMO_LIMITS.depth}, at most ${DEMO_LIMITS.depthCount} (default ${DEMO_CONFIG.depths.join(',')})`,
      depthList,
    )
    .option(
      '--probe-points <N>',
      `probe (= training) points n, 2…${DEMO_LIMITS.probePoints} (default ${DEMO_CONFIG.task.points})`,
      intInRange(2, DEMO_LIMITS.probePoints),
    )
    .option(
      '--checkpoint-every <K>',
      `at most K steps between checkpoints, 1…the training steps (${DEMO_CONFIG.steps}; --quick ${DEMO_QUICK_CONFIG.steps}) (default ${DEMO_CONFIG.checkpointEvery})`,
      intInRange(1, DEMO_CONFIG.steps),
    )
    .option(
      '--checkpoint-growth <G>',
      `growth of the checkpoint spacing, 1…${DEMO_LIMITS.checkpointGrowth}: each next checkpoint Δt ≈ (G − 1)·t steps later, at least 1 and at most --checkpoint-every (1: uniform; default ${DEMO_CONFIG.checkpointGrowth ?? 1}; --quick ${DEMO_QUICK_CONFIG.checkpointGrowth ?? 1})`,
      numberInRange(1, DEMO_LIMITS.checkpointGrowth, true),
    )
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
      // Measured wall times on llvmpipe, 2 cores, quiet machine (docs/lab.md): the yardstick of the slow-adapter warning.
      const { ctx, selection } = await gpuContextFor(options.backend as NodeBackend | undefined, io, {
        what: `grsd demo${options.quick ? ' --quick' : ''}`,
        llvmpipeSeconds: options.quick ? 12 : 165,
      });
      try {
        const backend = describeBackend(ctx, selection);
        const networks = config.architectures.length * config.depths.length * config.seeds;
        note(
          io,
          `grsd demo${options.quick ? ' --quick' : ''}: ${config.architectures.join(' and ')} networks at depths ${config.depths.join(', ')}, ${config.seeds} seeds each (${networks} networks), ${config.task.points} probe points, ${config.steps} steps (${describeCheckpointSchedule(config)}), on ${String(backend.adapter)} (${String(backend.mode)})`,
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
