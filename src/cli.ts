/**
 * Entry point of the `grsd` executable (bin). See docs/cli.md.
 * @module
 */
import { runCli } from './cli/program.ts';

const code = await runCli(process.argv.slice(2));
// Exit explicitly: a Dawn instance that is still being torn down must not keep the process alive.
process.exit(code);
