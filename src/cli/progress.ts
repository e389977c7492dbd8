/** A progress bar on stderr (cli-progress) when stderr is a terminal; silent otherwise (CI, pipes, tests). */
import cliProgress from 'cli-progress';

/** A minimal progress interface. */
export interface Progress {
  start(total: number, label: string): void;
  update(value: number, label?: string): void;
  stop(): void;
}

/** A cli-progress bar, or a no-op when stderr is not a TTY (or GRSD_NO_PROGRESS=1). */
export function createProgress(): Progress {
  if (!process.stderr.isTTY || process.env.GRSD_NO_PROGRESS === '1') return { start() {}, update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {value}/{total} {label}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total, label) => bar.start(total, 0, { label }),
    update: (value, label) => bar.update(value, label === undefined ? {} : { label }),
    stop: () => bar.stop(),
  };
}
