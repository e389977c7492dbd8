/**
 * The `grsd` command: a commander program with one subcommand per file in `commands/`, and the
 * global options `--quiet` and `--verbose` (docs/cli.md). `runCli` maps errors to the documented
 * exit codes (src/cli/exitCodes.ts) and prints a clear message, never a stack trace, for errors
 * grsd raises on purpose.
 * @module
 */
import { Command, CommanderError } from 'commander';
import { GrsdError, InvalidArgumentError } from '../errors.ts';
import { registerAnalyze } from './commands/analyze.ts';
import { registerBench } from './commands/bench.ts';
import { registerDemo } from './commands/demo.ts';
import { registerDensity } from './commands/density.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerEig } from './commands/eig.ts';
import { registerServe } from './commands/serve.ts';
import { registerExportSnippet } from './commands/exportSnippet.ts';
import { EXIT, exitCodeFor } from './exitCodes.ts';
import { processIo, type CliIo } from './io.ts';
import { GRSD_VERSION } from '../version.ts';

/** Builds the commander program. */
export function createProgram(io: CliIo = processIo): Command {
  const program = new Command('grsd')
    .description(
      'Generalized Resolution-Shell Dynamics on WebGPU: spectral energy transport across log-eigenvalue shells of the empirical NTK',
    )
    .version(GRSD_VERSION)
    .option('-q, --quiet', 'print only results and errors: no notes, warnings or progress')
    .option('--verbose', "more detail, and Dawn's own diagnostics (hidden by default)")
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  program.hook('preAction', (_root, action) => {
    const globals = action.optsWithGlobals<{ quiet?: boolean; verbose?: boolean }>();
    if (globals.quiet && globals.verbose) throw new InvalidArgumentError('--quiet', 'cannot be combined with --verbose');
    io.quiet = Boolean(globals.quiet);
    io.verbose = Boolean(globals.verbose);
  });
  registerDoctor(program, io);
  registerEig(program, io);
  registerDensity(program, io);
  registerAnalyze(program, io);
  registerDemo(program, io);
  registerBench(program, io);
  registerServe(program, io);
  registerExportSnippet(program, io);
  for (const command of program.commands) {
    command.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  }
  return program;
}

/** Runs the CLI with `argv` (excluding `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: number = EXIT.OK;
  const sink: CliIo = {
    out: (t) => io.out(t),
    err: (t) => io.err(t),
    setExitCode: (c) => (code = c),
    ...(io.stderrIsTTY === undefined ? {} : { stderrIsTTY: io.stderrIsTTY }),
    ...(io.stderrStream === undefined ? {} : { stderrStream: io.stderrStream }),
  };
  const program = createProgram(sink);
  if (argv.length === 0) {
    // `grsd` alone is a usage error, not a silent success.
    io.err(program.helpInformation());
    io.err('grsd: a command is required (see above)');
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; everything else commander refuses is a usage error.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (error instanceof GrsdError) {
      io.err(`grsd: ${error.message}`);
      return exitCodeFor(error);
    }
    io.err(`grsd: unexpected error (please report): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.FAILURE;
  }
  return code;
}
