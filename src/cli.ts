/**
 * Entry point of the `grsd` executable (bin). See docs/cli.md.
 *
 * GPU commands run in a child process whose native stderr is filtered (src/cli/launcher.ts);
 * everything else runs here. Either way the process exits only after stdout and stderr have
 * been handed to the OS: a pipe read slowly still gets every byte.
 * @module
 */
import { EXIT } from './cli/exitCodes.ts';
import { cliStderr, drained } from './cli/io.ts';
import { runFilteredChild, wantsFilteredChild } from './cli/launcher.ts';
import { unsupportedNodeMessage } from './node/support.ts';

// Refuse an unsupported Node before the rest of grsd is loaded (docs/platforms.md, "Node versions").
const unsupported = unsupportedNodeMessage();
if (unsupported) {
  process.stderr.write(`${unsupported}\n`);
  process.exit(EXIT.FAILURE);
}

// A reader that goes away early (`grsd eig W.npy --json | head`) is not an error of grsd.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  throw error;
});

const argv = process.argv.slice(2);
let code: number;
if (wantsFilteredChild(argv)) {
  code = await runFilteredChild(process.argv[1]!, argv);
} else {
  const { runCli } = await import('./cli/program.ts');
  code = await runCli(argv);
}
await Promise.all([drained(process.stdout), drained(cliStderr())]);
// Exit explicitly once the output is out: a Dawn instance (kept for the life of the process,
// docs/platforms.md) must not keep the process alive.
process.exit(code);
