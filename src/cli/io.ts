/**
 * Output and exit-code sinks of the CLI, injectable so that commands can be tested in-process,
 * and the conventions every command follows (docs/cli.md): results on stdout; errors, warnings,
 * notes and progress on stderr; `--quiet` silences notes, warnings and progress, never errors.
 *
 * When the launcher (src/cli/launcher.ts) runs the CLI in a child process to filter Dawn's native
 * diagnostics out of file descriptor 2, grsd's own stderr is the inherited descriptor named by
 * `GRSD_CLI_STDERR_FD` (the user's real stderr, a terminal stays a terminal), and descriptor 2
 * carries only what native code prints.
 * @module
 */
import { fstatSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { isatty, WriteStream } from 'node:tty';

/** Where a command's output goes. Tests pass objects with only the first three members. */
export interface CliIo {
  /** Writes a result to stdout (a newline is added when missing). */
  out(text: string): void;
  /** Writes to stderr: errors always; use {@link note}/{@link warn} for what `--quiet` silences. */
  err(text: string): void;
  setExitCode(code: number): void;
  /** `--quiet`: no notes, warnings or progress. */
  quiet?: boolean;
  /** `--verbose`: more detail in notes (Dawn's own diagnostics are handled by the launcher). */
  verbose?: boolean;
  /** Whether stderr is a terminal (progress bars) rather than a pipe or file (progress lines). */
  readonly stderrIsTTY?: boolean;
  /** The stderr stream, for progress bars on a terminal. */
  readonly stderrStream?: NodeJS.WritableStream;
}

/** A note on stderr (what was chosen, what was written), unless `--quiet`. */
export function note(io: CliIo, text: string): void {
  if (!io.quiet) io.err(text);
}

/** A warning on stderr (`grsd: warning: …`), unless `--quiet`. */
export function warn(io: CliIo, text: string): void {
  if (!io.quiet) io.err(`grsd: warning: ${text}`);
}

/** The environment variable naming grsd's own stderr descriptor in a launcher child. */
export const STDERR_FD_ENV = 'GRSD_CLI_STDERR_FD';

/** A writable stream on an inherited descriptor, made the way Node makes process.stderr. */
function streamOnFd(fd: number): NodeJS.WritableStream & { isTTY?: boolean } {
  if (isatty(fd)) return new WriteStream(fd);
  const stats = fstatSync(fd);
  if (stats.isFIFO() || stats.isSocket()) {
    const socket = new Socket({ fd, readable: false, writable: true });
    // Like process.stderr: do not keep the process alive for it.
    socket.unref?.();
    return socket;
  }
  // A file or a device: synchronous writes, as Node does for process.stderr on files.
  return {
    write(chunk: string | Uint8Array, ...rest: unknown[]) {
      if (typeof chunk === 'string') writeSync(fd, chunk);
      else writeSync(fd, chunk);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    },
  } as unknown as NodeJS.WritableStream;
}

let stderrStream: (NodeJS.WritableStream & { isTTY?: boolean }) | undefined;

/** grsd's own stderr: the launcher's inherited descriptor, else process.stderr. */
export function cliStderr(): NodeJS.WritableStream & { isTTY?: boolean } {
  if (!stderrStream) {
    const fd = Number(process.env[STDERR_FD_ENV]);
    stderrStream = Number.isInteger(fd) && fd > 2 ? streamOnFd(fd) : process.stderr;
  }
  return stderrStream;
}

const line = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);

/** The process's stdout and grsd's stderr. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(line(text)),
  err: (text) => void cliStderr().write(line(text)),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  get stderrIsTTY() {
    return cliStderr().isTTY === true;
  },
  get stderrStream() {
    return cliStderr();
  },
};

/** Resolves once everything written to `stream` so far has been handed to the OS. */
export function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    try {
      if (!stream.write('', () => resolve())) stream.once('drain', () => resolve());
    } catch {
      resolve();
    }
  });
}
