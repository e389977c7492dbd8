/**
 * `grsd bench [--quick] [--json [FILE]] [--markdown FILE] [--backend NAME] [--group ID...]`: the
 * benchmark suite (src/bench, docs/benchmarks.md) on one GPU: the measured roofline, the kernel and
 * end-to-end benchmarks with their peers, scaling exponents and goals. Prints the markdown report
 * on stdout (or only the JSON with `--json` / `--json -`).
 * @module
 */
import { Option, type Command } from 'commander';
import { benchGroups, renderMarkdown, runBenchmarks, type BenchProgress } from '../../bench/index.ts';
import { createNodeGpuContext, NODE_BACKENDS, type NodeBackend } from '../../node/dawn.ts';
import { writeFileAtomic } from '../../node/files.ts';
import { EXIT } from '../exitCodes.ts';
import type { CliIo } from '../io.ts';
import { intInRange, OPTION_LIMITS } from '../options.ts';
import { checkJsonDestination, jsonOption, writeJsonOutput, writeTextReport, type JsonOptionValue } from '../output.ts';
import { createProgress } from '../progress.ts';

interface BenchCliOptions {
  quick?: boolean;
  json?: JsonOptionValue;
  markdown?: string;
  backend?: NodeBackend;
  group?: string[];
  python?: string;
  peers: boolean;
  memoryBudget?: number;
  machine?: string;
}

/** Registers `bench` on `program`. */
export function registerBench(program: Command, io: CliIo): void {
  program
    .command('bench')
    .description('benchmark the GPU kernels and algorithms against the device roofline and CPU peers (numpy, scipy, ml-matrix)')
    .option('--quick', 'tiny sizes (about a minute on a software adapter)')
    .addOption(jsonOption('the JSON report (on stdout: instead of the markdown)'))
    .option('--markdown <FILE>', 'write the markdown report to FILE')
    .addOption(new Option('--backend <name>', 'GPU backend (default: $GRSD_BACKEND or auto)').choices(NODE_BACKENDS))
    .option(
      '--group <ID...>',
      `run only these groups (${benchGroups()
        .map((g) => g.id)
        .join(', ')})`,
    )
    .option('--python <PATH>', 'Python interpreter for the numpy/scipy peers (default: $GRSD_PYTHON or python3)')
    .option('--no-peers', 'run no peers (each reported as skipped)')
    .option(
      '--memory-budget <MiB>',
      `GPU memory one case may use, 1 … ${OPTION_LIMITS.memoryBudgetMiB} (default 3072)`,
      intInRange(1, OPTION_LIMITS.memoryBudgetMiB),
    )
    .option('--machine <TEXT>', 'machine description for the report header (default: from the OS and the adapter)')
    .action(async (options: BenchCliOptions) => {
      checkJsonDestination(options.json);
      // GPU-timeline timings where the adapter can give them (see docs/benchmarks.md, Clocks).
      using ctx = await createNodeGpuContext({
        ...(options.backend ? { backend: options.backend } : {}),
        optionalFeatures: ['timestamp-query'],
      });
      const bar = createProgress(io, 'grsd bench');
      let started = false;
      const onProgress = (p: BenchProgress): void => {
        if (!started) {
          bar.start(p.total, p.label);
          started = true;
        }
        if (p.label !== 'done') bar.update(p.done, p.label);
        else bar.update(p.done);
      };
      let report;
      try {
        report = await runBenchmarks(ctx, {
          scale: options.quick ? 'quick' : 'full',
          ...(options.group ? { groups: options.group } : {}),
          peers: {
            ...(options.python ? { python: options.python } : {}),
            ...(options.peers ? {} : { disabledReason: 'peers disabled (--no-peers)' }),
          },
          ...(options.memoryBudget ? { memoryBudgetBytes: options.memoryBudget * 2 ** 20 } : {}),
          ...(options.machine ? { machine: options.machine } : {}),
          onProgress,
        });
      } finally {
        bar.stop();
      }
      const markdown = renderMarkdown(report);
      await writeJsonOutput(io, options.json, report);
      if (options.markdown) await writeFileAtomic(options.markdown, `${markdown}\n`);
      writeTextReport(io, options.json, markdown);
      const failed = report.groups.flatMap((g) => g.failed.map((f) => `${g.id} ${f.label}: ${f.error}`));
      if (failed.length > 0) {
        io.err(`grsd bench: ${failed.length} case(s) failed:\n${failed.map((f) => `  ${f}`).join('\n')}`);
        io.setExitCode(EXIT.FAILURE);
      }
    });
}
