/**
 * Exit codes of the `grsd` command (documented in docs/cli.md). Stable across versions.
 * @module
 */
import { GrsdError } from '../errors.ts';

export const EXIT = {
  /** Success. */
  OK: 0,
  /** A check failed (e.g. the doctor self-test), or an unexpected internal error. */
  FAILURE: 1,
  /** Invalid command-line usage or argument. */
  USAGE: 2,
  /** No WebGPU adapter could be obtained. */
  NO_ADAPTER: 3,
  /** An input file is missing, unreadable or malformed. */
  INPUT: 4,
  /** The GPU failed: validation error, out of memory, device lost, or a limit that cannot be split. */
  GPU: 5,
} as const;

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (!(error instanceof GrsdError)) return EXIT.FAILURE;
  switch (error.code) {
    case 'GRSD_NO_ADAPTER':
      return EXIT.NO_ADAPTER;
    case 'GRSD_INVALID_ARGUMENT':
      return EXIT.USAGE;
    case 'GRSD_FILE_FORMAT':
    case 'GRSD_FILE_READ':
      return EXIT.INPUT;
    case 'GRSD_GPU_VALIDATION':
    case 'GRSD_GPU_OUT_OF_MEMORY':
    case 'GRSD_DEVICE_LOST':
    case 'GRSD_LIMIT_EXCEEDED':
      return EXIT.GPU;
    default:
      return EXIT.FAILURE;
  }
}
