/**
 * `grsd demo [--quick]`: the first thing a new user runs. Trains residual and plain networks at
 * several depths on the GPU, streams every NTK checkpoint through the GRSD pipeline, prints a
 * summary table (per depth: ξ, a, ε_LSI, the four verdicts; L* per architecture) and writes
 * report.html and report.json. Seeded and reproducible.
 * @module
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { DEMO_CONFIG, DEMO_QUICK_CONFIG, runDepthStudy, type DepthStudyConfig } from '../../experiments/depthStudy.ts';
import { demoJson, demoTable, renderDemoReport } from '../../io/demoReport.ts';
import { join } from 'node:path';
import { writeFileAtomic } from '../../node/files.ts';
import { RunWriter } from '../../node/run.ts';
import type { NodeBackend } from '../../node/dawn.ts';
import { backendOption, describeBackend, gpuContextFor, type ComputeBackend } from '../backend.ts';
import { note, type CliIo } from '../io.ts';
import { seedOption } from '../options.ts';
import { checkJsonDestination, jsonOnStdout, jsonOption, writeJsonOutput, writeTextReport, type JsonOptionValue } from '../output.ts';
import { progressMode } from '../progress.ts';
import { InvalidArgumentError } from '../../errors.ts';

interface DemoOptions {
  quick?: boolean;
  json: JsonOptionValue;
  report: string;
  seed?: number;
  saveRuns?: string;
  backend?: ComputeBackend;
}

/** Registers `demo` on `program`. */
export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'train residual and plain networks at several depths, run the whole GRSD pipeline, print a summary and write report.html / report.json',
    )
    .option('--quick', 'a smaller study (seconds on a software adapter)')
    .addOption(jsonOption('the JSON report', 'report.json'))
    .option('--report <FILE>', 'where to write the HTML report', 'report.html')
    .option('--seed <seed>', 'seed of the task, the initializations and the analysis (0 … 2^32 − 1)', seedOption)
    .option(
      '--save-runs <DIR>',
      "also save every network's checkpoints as a run directory DIR/<architecture>-L<depth> that grsd analyze reads",
    )
    .addOption(backendOption())
    .action(async (options: DemoOptions) => {
      if (options.backend === 'cpu')
        throw new InvalidArgumentError('--backend', 'the demo trains on the GPU; choose a GPU backend (see grsd doctor)');
      const base = options.quick ? DEMO_QUICK_CONFIG : DEMO_CONFIG;
      const config: DepthStudyConfig = options.seed === undefined ? base : { ...base, seed: options.seed };
      checkJsonDestination(options.json);
      // Documented times on llvmpipe, 2 cores (docs/cli.md): the yardstick of the slow-adapter warning.
      const { ctx, selection } = await gpuContextFor(options.backend as NodeBackend | undefined, io, {
        what: `grsd demo${options.quick ? ' --quick' : ''}`,
        llvmpipeSeconds: options.quick ? 12 : 100,
      });
      try {
        const backend = describeBackend(ctx, selection);
        note(
          io,
          `grsd demo${options.quick ? ' --quick' : ''}: ${config.architectures.join(' and ')} networks at depths ${config.depths.join(', ')} on ${String(backend.adapter)} (${String(backend.mode)})`,
        );
        const mode = progressMode(io);
        const bars =
          mode === 'bar'
            ? new cliProgress.MultiBar(
                { format: ' {label} {bar} {value}/{total}', hideCursor: true, clearOnComplete: false, stream: io.stderrStream },
                cliProgress.Presets.shades_classic,
              )
            : null;
        const total = config.architectures.length * config.depths.length;
        const overall = bars?.create(total, 0, { label: 'networks   ' });
        let current: cliProgress.SingleBar | undefined;
        const writers = new Map<string, RunWriter>();
        const study = await runDepthStudy(ctx, config, {
          ...(options.saveRuns === undefined
            ? {}
            : {
                onLabCheckpoint: async (run, cp) => {
                  const dir = join(options.saveRuns!, `${run.architecture}-L${run.depth}`);
                  let writer = writers.get(dir);
                  if (!writer) writers.set(dir, (writer = await RunWriter.create(dir, { timeScale: cp.timeScale, overwrite: true })));
                  await writer.add({ t: cp.step, kernel: cp.kernel, residual: cp.residual, layers: cp.layers });
                },
              }),
          onRunStart: (r) => {
            current?.stop();
            current = bars?.create(config.checkpoints, 0, { label: `${r.architecture.padEnd(8)} L=${String(r.depth).padEnd(2)}` });
            if (mode === 'lines') io.err(`grsd demo: [${r.index}/${total}] ${r.architecture} depth ${r.depth}: training`);
          },
          onCheckpoint: () => current?.increment(),
          onRunDone: () => overall?.increment(),
        });
        bars?.stop();
        if (mode === 'lines') io.err(`grsd demo: [${total}/${total}] done`);
        const jsonFile = await writeJsonOutput(io, options.json, demoJson(study, backend));
        await writeFileAtomic(options.report, await renderDemoReport(study, backend));
        const saved = writers.size > 0 ? `; runs in ${[...writers.keys()].join(', ')}` : '';
        const wrote = `Wrote ${[options.report, jsonFile].filter(Boolean).join(' and ')}${saved}`;
        writeTextReport(io, options.json, `${demoTable(study)}\n${wrote}`);
        if (jsonOnStdout(options.json)) note(io, wrote);
      } finally {
        ctx.dispose();
      }
    });
}
