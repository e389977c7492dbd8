/**
 * The analyze summary's eigensolver lines (src/cli/commands/analyze.ts, `eigensolverLines`): the
 * method, whether every checkpoint got the pairs asked for and all converged, why each stopped,
 * and a WARNING naming the checkpoints that did not (positive and negative controls).
 */
import { describe, expect, test } from 'vitest';
import type { LanczosDiagnostics } from '../../src/algorithms/spectralCheckpoint.ts';
import { eigensolverLines } from '../../src/cli/commands/analyze.ts';

const checkpoint = (index: number, lanczos: LanczosDiagnostics | null, returned = 64, unconverged = 0, requested = 64) => ({
  index,
  t: 10 * index,
  lanczos,
  capture: { requested, returned, shortfall: null, unconverged, complementShare: 0, floorShare: 0 },
});
const ok = (stopReason: LanczosDiagnostics['stopReason'], breakdown = false): LanczosDiagnostics => ({
  method: 'golubKahan',
  steps: 64,
  breakdown,
  converged: 64,
  stopReason,
});

describe('eigensolverLines', () => {
  test('every checkpoint complete and converged: one line with the method and the stop reasons, no warning', () => {
    const lines = eigensolverLines([checkpoint(0, ok('converged')), checkpoint(1, ok('exhausted', true)), checkpoint(2, ok('converged'))]);
    expect(lines).toEqual([
      'Eigensolver (Golub–Kahan on J): every checkpoint got all the pairs asked for, all converged; stopped: converged at 2, exhausted at 1; an invariant subspace met and continued from at 1.',
    ]);
  });

  test('unconverged pairs or fewer pairs than asked for: counted, and a WARNING names each checkpoint with its reason', () => {
    const lanczos = (stopReason: LanczosDiagnostics['stopReason'], converged: number): LanczosDiagnostics => ({
      method: 'lanczos',
      steps: 500,
      breakdown: false,
      converged,
      stopReason,
    });
    const lines = eigensolverLines([
      checkpoint(0, lanczos('converged', 64)),
      checkpoint(1, lanczos('maxApplies', 61), 64, 3),
      checkpoint(2, lanczos('steps', 40), 40, 0, 64),
    ]);
    expect(lines[0]).toBe(
      'Eigensolver (Lanczos on K): 2 of 3 checkpoint(s) got fewer pairs than asked for or unconverged ones; stopped: converged at 1, maxApplies at 1, steps at 1.',
    );
    expect(lines[1]).toMatch(
      /^WARNING: eigensolver: checkpoints 1 \(t = 10: 64 of 64 pairs, 3 unconverged; maxApplies: the operator-application limit/,
    );
    expect(lines[1]).toMatch(/, 2 \(t = 20: 40 of 64 pairs, 0 unconverged; steps: the fixed --steps were taken\)/);
    expect(lines).toHaveLength(2);
  });

  test('the float64 backend (a dense decomposition, no diagnostics): no eigensolver line', () => {
    expect(eigensolverLines([checkpoint(0, null), checkpoint(1, null)])).toEqual([]);
  });
});
