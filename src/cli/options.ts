/**
 * Parsers of numeric command-line options (docs/cli.md, Options and limits): every value is
 * checked against its documented range, and an error names the option and the range (commander
 * turns it into a usage error, exit 2). Nothing is clamped silently.
 * @module
 */
import { InvalidArgumentError as CommanderArgumentError } from 'commander';

/** Parses an integer in [min, max] (decimal digits only: "1e3" and "2.0" are refused). */
export function intInRange(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
      throw new CommanderArgumentError(`expected ${min === 0 ? 'a non-negative' : 'a positive'} integer, got "${value}"`);
    if (n < min || n > max) throw new CommanderArgumentError(`must be between ${min} and ${max}, got ${value}`);
    return n;
  };
}

/** Parses a finite number in (min, max) or [min, max] (`inclusive`). */
export function numberInRange(min: number, max: number, inclusive = false): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new CommanderArgumentError(`expected a finite number, got "${value}"`);
    const ok = inclusive ? n >= min && n <= max : n > min && n < max;
    if (!ok)
      throw new CommanderArgumentError(
        `must be ${inclusive ? 'in' : 'strictly between'} ${inclusive ? `[${min}, ${max}]` : `${min} and ${max}`}, got ${value}`,
      );
    return n;
  };
}

/** Parses a positive integer option value (1 … 2^53 − 1; bounded options use {@link intInRange}). */
export const positiveInt: (value: string) => number = intInRange(1, Number.MAX_SAFE_INTEGER);

/** Parses a non-negative integer option value. */
export const nonNegativeInt: (value: string) => number = intInRange(0, Number.MAX_SAFE_INTEGER);

/** Parses a finite positive number option value. */
export const positiveNumber: (value: string) => number = numberInRange(0, Number.MAX_VALUE);

/**
 * Seeds: 0 … 2^32 − 1. The generators (src/util/random.ts) use 32 bits of the seed; a larger
 * value would silently give the same stream as a smaller one.
 */
export const seedOption: (value: string) => number = intInRange(0, 2 ** 32 - 1);

/** The documented upper bounds of the numeric options (docs/cli.md, Options and limits). */
export const OPTION_LIMITS = {
  /** `density --bins`: one million bins (three arrays of that length in the JSON). */
  bins: 1_000_000,
  /** `density --probes`: SLQ's error falls as 1/√P; 65536 probes resolve densities to 0.4 %. */
  probes: 65_536,
  /** `analyze --permutations`: the LSI p-value resolves 1/(1 + N); a million gives 1e-6. */
  permutations: 1_000_000,
  /** `bench --memory-budget` in MiB: 1 TiB. */
  memoryBudgetMiB: 1_048_576,
} as const;
