/** Parsers for numeric command-line options, with errors naming the option. */
import { InvalidArgumentError as CommanderArgumentError } from 'commander';

/** Parses a positive integer option value. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new CommanderArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

/** Parses a non-negative integer option value. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new CommanderArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

/** Parses a finite positive number option value. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CommanderArgumentError(`expected a positive number, got "${value}"`);
  return n;
}
