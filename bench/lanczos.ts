/**
 * The Lanczos benchmark alone (issue 3): the roofline, then batched CGS2 Lanczos for n ∈ {1024,
 * 2048, 4096} × batch ∈ {1, 8, 32} × 50 steps (`--quick`: n ∈ {256, 512} × batch ∈ {1, 4} × 20),
 * timed whole and against its operator applies alone. Same options as `grsd bench`, e.g.
 *   node bench/lanczos.ts --quick --json lanczos.json
 * See docs/benchmarks.md.
 */
import { runCli } from '../src/cli/program.ts';

const code = await runCli(['bench', ...process.argv.slice(2), '--group', 'lanczos']);
process.exit(code);
