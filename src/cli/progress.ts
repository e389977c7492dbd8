/**
 * Progress of long commands on stderr (docs/cli.md): a bar (cli-progress) when stderr is a
 * terminal; one line per step when it is a pipe or a file (CI logs, `2> log`), so that a
 * 20-minute run shows where it is; nothing with `--quiet` or `GRSD_NO_PROGRESS=1`.
 * @module
 */
import cliProgress from 'cli-progress';
import type { CliIo } from './io.ts';

/** A minimal progress interface. */
export interface Progress {
  start(total: number, label: string): void;
  update(value: number, label?: string): void;
  stop(): void;
}

const SILENT: Progress = { start() {}, update() {}, stop() {} };

/** How a command's progress is shown on `io`: `'bar'`, `'lines'` or `'none'`. */
export function progressMode(io: CliIo): 'bar' | 'lines' | 'none' {
  if (io.quiet || process.env.GRSD_NO_PROGRESS === '1') return 'none';
  return io.stderrIsTTY && io.stderrStream ? 'bar' : 'lines';
}

/**
 * Progress for `command` (e.g. `"grsd analyze"`): a bar on a terminal, else lines like
 * `grsd analyze: [3/16] checkpoints` (one per update, the same value never twice).
 */
export function createProgress(io: CliIo, command: string): Progress {
  const mode = progressMode(io);
  if (mode === 'none') return SILENT;
  if (mode === 'lines') {
    let total = 0;
    let label = '';
    let last = -1;
    const print = (value: number): void => {
      if (value === last) return;
      last = value;
      io.err(`${command}: [${value}/${total}] ${label}`);
    };
    return {
      start: (t, l) => {
        total = t;
        label = l;
        last = -1;
        print(0);
      },
      update: (value, l) => {
        if (l !== undefined) label = l;
        print(value);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {value}/{total} {label}', hideCursor: true, clearOnComplete: true, stream: io.stderrStream },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    start: (total, label) => {
      running = true;
      bar.start(total, 0, { label });
    },
    update: (value, label) => bar.update(value, label === undefined ? {} : { label }),
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}
