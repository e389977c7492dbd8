import { describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { EXIT, exitCodeFor } from '../../src/cli/exitCodes.ts';
import { FileFormatError, GpuValidationError, InvalidArgumentError, NoAdapterError } from '../../src/errors.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), setExitCode: () => {} }, out, err };
}

describe('grsd CLI (no GPU needed)', () => {
  test('--help lists the commands and exits 0', async () => {
    const c = capture();
    expect(await runCli(['--help'], c.io)).toBe(EXIT.OK);
    expect(c.out.join('')).toMatch(/doctor/);
  });

  test('every command has --help', async () => {
    for (const command of ['doctor', 'eig', 'density', 'analyze']) {
      const c = capture();
      expect(await runCli([command, '--help'], c.io)).toBe(EXIT.OK);
      expect(c.out.join('')).toMatch(new RegExp(`Usage: grsd ${command}`));
    }
  });

  test('an unknown command or option is a usage error (exit 2) with a message', async () => {
    let c = capture();
    expect(await runCli(['frobnicate'], c.io)).toBe(EXIT.USAGE);
    expect(c.err.join('')).toMatch(/unknown command/);
    c = capture();
    expect(await runCli(['doctor', '--backend', 'nonsense'], c.io)).toBe(EXIT.USAGE);
    expect(c.err.join('')).toMatch(/Allowed choices/);
  });

  test('--version prints the package version', async () => {
    const c = capture();
    expect(await runCli(['--version'], c.io)).toBe(EXIT.OK);
    expect(c.out.join('')).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('errors map to the documented exit codes', () => {
    expect(exitCodeFor(new NoAdapterError([], 'hint'))).toBe(EXIT.NO_ADAPTER);
    expect(exitCodeFor(new InvalidArgumentError('k', 'bad'))).toBe(EXIT.USAGE);
    expect(exitCodeFor(new FileFormatError('a.npy', 'bad magic'))).toBe(EXIT.INPUT);
    expect(exitCodeFor(new GpuValidationError('kernel', 'oops'))).toBe(EXIT.GPU);
    expect(exitCodeFor(new Error('boom'))).toBe(EXIT.FAILURE);
  });
});
