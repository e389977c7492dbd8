/**
 * The eigensolver contract the hard-case catalogue (src/bench/eigenCatalogue.ts) is checked
 * against, shared by the GPU and float64 tests.
 */
import { expect } from 'vitest';
import { wantedValues, type EigenCase } from '../../src/bench/eigenCatalogue.ts';
import type { EigenResult } from '../../src/reference/eigsh.ts';

/** What the contract needs of a case: a Hermitian problem's size, request and true eigenvalues (ascending). */
export type ContractCase = Pick<EigenCase, 'name' | 'n' | 'k' | 'which' | 'values'>;

/** ‖A‖ = max |λ| (1 for the zero matrix). */
export const normOf = (c: ContractCase): number => Math.max(Math.abs(c.values[0]!), Math.abs(c.values[c.n - 1]!)) || 1;

/**
 * The catalogue's contract for one result: k finite values; the i-th within `accuracy`·‖A‖ of
 * the i-th wanted eigenvalue (with multiplicity); converged ⇒ within tolerance·‖A‖ of it; every
 * bound holds (an eigenvalue within it, up to `oracle`, the error of the float64 truth itself:
 * 0 for the f32 GPU path, whose bounds are far above it; 8·n·ε·‖A‖ for the float64 path, as
 * tred2 + QL are backward stable to a few n·ε·‖A‖).
 */
export function checkContract(c: ContractCase, r: EigenResult, tolerance: number, accuracy = 1e-5, oracle = 0): void {
  const norm = normOf(c);
  const want = wantedValues(c.values, c.k, c.which);
  expect(r.eigenvalues, `${c.name}: all k values`).toHaveLength(c.k);
  expect(['converged', 'exhausted'], `${c.name}: stop reason`).toContain(r.stopReason);
  for (let i = 0; i < c.k; i++) {
    const v = r.eigenvalues[i]!;
    const bound = r.errorBounds[i]!;
    expect(Number.isFinite(v) && Number.isFinite(bound) && bound >= 0, `${c.name}: value ${i} finite`).toBe(true);
    const err = Math.abs(v - want[i]!);
    expect(err, `${c.name}: value ${i} = ${v}, wanted ${want[i]}`).toBeLessThanOrEqual(accuracy * norm);
    if (r.converged[i]) expect(err, `${c.name}: value ${i} flagged converged`).toBeLessThanOrEqual(tolerance * norm);
    let near = Number.POSITIVE_INFINITY;
    for (const t of c.values) near = Math.min(near, Math.abs(t - v));
    expect(near, `${c.name}: value ${i} (${v}) outside its bound ${bound}`).toBeLessThanOrEqual(bound + oracle);
  }
}

/** The catalogue's tolerance: 1e-5, as the i-th-value check (docs/accuracy.md, "What converged guarantees"). */
export const caseTolerance = (_c: ContractCase): number => 1e-5;

/** The float64 oracle's error allowance for case c: 8·n·ε·‖A‖. */
export const f64Oracle = (c: ContractCase): number => 8 * c.n * 2 ** -53 * normOf(c);
