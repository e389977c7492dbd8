/** Output and exit-code sinks of the CLI, injectable so that commands can be tested in-process. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
}

/** The process's stdout/stderr. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};
