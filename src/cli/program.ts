/**
 * The `grsd` command: a commander program with one subcommand per file in `commands/`.
 * `runCli` maps errors to the documented exit codes (src/cli/exitCodes.ts) and prints a clear
 * message, never a stack trace, for errors grsd raises on purpose.
 * @module
 */
import { Command, CommanderError } from 'commander';
import { GrsdError } from '../errors.ts';
import { registerAnalyze } from './commands/analyze.ts';
import { registerBench } from './commands/bench.ts';
import { registerDemo } from './commands/demo.ts';
import { registerDensity } from './commands/density.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerEig } from './commands/eig.ts';
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
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  registerDoctor(program, io);
  registerEig(program, io);
  registerDensity(program, io);
    registerAnalyze(program, io);
  registerDemo(program, io);
  registerBench(program, io);
  registerExportSnippet(program, io);
  for (const command of program.commands) {
    command.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  }
  return program;
}

/** Runs the CLI with `argv` (excluding `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: number = EXIT.OK;
  const sink: CliIo = { ...io, setExitCode: (c) => (code = c) };
  const program = createProgram(sink);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      const benign = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      return benign ? EXIT.OK : EXIT.USAGE;
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
