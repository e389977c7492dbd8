/**
 * Launching the `grsd` executable. Dawn (and the Vulkan loader and Mesa under it) print
 * diagnostics straight to file descriptor 2 from native code — "Warning: vkCreateInstance: Found
 * no drivers!", "…artificially reduced from 90 to 16…", "error: XDG_RUNTIME_DIR is invalid…" —
 * with no option to silence them. For the commands that acquire a GPU, the launcher therefore
 * runs the CLI in a child process whose descriptor 2 is a pipe it filters line by line (known
 * noise dropped, anything else passed through: a crash or an unknown message is never hidden),
 * and whose own messages and progress go to descriptor 3, the user's real stderr (a terminal
 * stays a terminal). `--verbose`, `GRSD_CLI_NO_FILTER=1` or Windows run in-process, unfiltered.
 *
 * The launcher imports nothing heavy: `--help` and `--version` stay fast.
 * @module
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { STDERR_FD_ENV } from './io.ts';

/** The commands that may create a Dawn instance. */
const GPU_COMMANDS = new Set(['doctor', 'eig', 'density', 'analyze', 'demo', 'bench']);

/** Whether `argv` runs a GPU command whose native diagnostics should be filtered. */
export function wantsFilteredChild(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (env[STDERR_FD_ENV] !== undefined || env.GRSD_CLI_NO_FILTER === '1' || process.platform === 'win32') return false;
  const command = argv.find((a) => !a.startsWith('-'));
  if (!command || !GPU_COMMANDS.has(command)) return false;
  return !argv.some((a) => a === '--verbose' || a === '--help' || a === '-h' || a === '--');
}

/**
 * Lines of native diagnostics that grsd drops unless `--verbose`: Dawn's log lines (`Warning: …`,
 * with the C++ source locations that follow them and the blank line that ends the block), and
 * Mesa's EGL/loader messages. Node's own warnings read `(node:PID) Warning:` and are kept.
 */
const NOISE: readonly RegExp[] = [
  /^Warning: /,
  /^\s+at \S.* \(.*\.(?:cpp|cc|c|h|mm):\d+\)\s*$/,
  /^error: XDG_RUNTIME_DIR is invalid/,
  /^MESA-LOADER: /,
  /^libEGL warning: /,
];

/**
 * A line filter for native stderr: feed it chunks, it returns what to pass through. Dropped
 * blocks swallow one blank line after them (Dawn ends each message with one).
 */
export function createNoiseFilter(): { push(chunk: string): string; end(): string; readonly dropped: number } {
  let pending = '';
  let dropped = 0;
  let afterNoise = false;
  const filterLine = (lineText: string): string => {
    if (NOISE.some((re) => re.test(lineText))) {
      dropped++;
      afterNoise = true;
      return '';
    }
    if (afterNoise && lineText.trim() === '') {
      afterNoise = false;
      return '';
    }
    afterNoise = false;
    return `${lineText}\n`;
  };
  return {
    push(chunk) {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      return lines.map(filterLine).join('');
    },
    end() {
      const rest = pending;
      pending = '';
      return rest === '' ? '' : filterLine(rest).replace(/\n$/, '');
    },
    get dropped() {
      return dropped;
    },
  };
}

/**
 * Runs the CLI script `script` again in a child process with `argv`, filtering its native stderr
 * (see the module comment). Resolves to the exit code to use: the child's, or 128 + the signal
 * number when a signal ended it.
 */
export function runFilteredChild(script: string, argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
      stdio: ['inherit', 'inherit', 'pipe', process.stderr],
      env: { ...process.env, [STDERR_FD_ENV]: '3' },
    });
    const filter = createNoiseFilter();
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      const kept = filter.push(chunk);
      if (kept) process.stderr.write(kept);
    });
    // The terminal's Ctrl-C reaches the child too; let it finish its cleanup and report.
    const ignore = (): void => {};
    process.on('SIGINT', ignore);
    const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
    const onTerm = forward('SIGTERM');
    const onHup = forward('SIGHUP');
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    let stderrEnded = false;
    let exit: number | undefined;
    const finish = (): void => {
      if (!stderrEnded || exit === undefined) return;
      const rest = filter.end();
      if (rest) process.stderr.write(`${rest}\n`);
      process.off('SIGINT', ignore);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      resolve(exit);
    };
    child.stderr!.on('end', () => {
      stderrEnded = true;
      finish();
    });
    child.on('error', (error) => {
      process.stderr.write(`grsd: could not start the CLI process: ${error.message}\n`);
      exit = 1;
      stderrEnded = true;
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      finish();
    });
  });
}
