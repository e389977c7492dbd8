/**
 * Entry point of the `grsd` executable (bin). See docs/cli.md.
 * @module
 */
import { EXIT } from './cli/exitCodes.ts';
import { unsupportedNodeMessage } from './node/support.ts';

// Refuse an unsupported Node before the rest of grsd is loaded (docs/platforms.md, "Node versions").
const unsupported = unsupportedNodeMessage();
if (unsupported) {
  process.stderr.write(`${unsupported}\n`);
  process.exit(EXIT.FAILURE);
}
const { runCli } = await import('./cli/program.ts');

const code = await runCli(process.argv.slice(2));
// Exit explicitly: a Dawn instance that is still being torn down must not keep the process alive.
process.exit(code);
