/**
 * `npm run bench`: the whole benchmark suite, through the same code as `grsd bench` (Node 24 runs
 * this TypeScript directly). Arguments are passed on, e.g.
 *   npm run bench -- --quick
 *   npm run bench -- --json bench.json --markdown bench.md --backend opengles
 * See docs/benchmarks.md.
 */
import { runCli } from '../src/cli/program.ts';

const code = await runCli(['bench', ...process.argv.slice(2)]);
// Exit explicitly: a Dawn instance that is still being torn down must not keep the process alive.
process.exit(code);
