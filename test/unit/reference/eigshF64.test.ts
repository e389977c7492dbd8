/**
 * The float64 eigensolver (eigshF64: block thick-restart Lanczos, src/reference/krylov.ts with the
 * float64 backend) on the hard-case catalogue — the same contract as the GPU path — plus the
 * driver's behaviour: verification finds the copies a single vector misses (negative control
 * without it), memory budget and restarts, stop reasons, option errors, batches, and the random
 * restart vectors shared with the GPU kernel.
 */
import { describe, expect, test } from 'vitest';
import { eigenCatalogue, mixedBatch, wantedValues } from '../../../src/bench/eigenCatalogue.ts';
import { InvalidArgumentError } from '../../../src/errors.ts';
import {
  defaultMaxVectors,
  denseCpuOperator,
  eigshF64,
  F64_ROUNDOFF,
  krylovSettings,
  MIN_F64_TOLERANCE,
  probeVector,
  resolveEigenOptions,
  type EigenOptions,
} from '../../../src/reference/eigsh.ts';
import {
  krylovEigen,
  krylovRandom,
  ritzOrder,
  runKrylovSync,
  type KrylovItemResult,
  type KrylovResponse,
} from '../../../src/reference/krylov.ts';
import { symmetricEigen } from '../../../src/reference/symmetricEigen.ts';
import { F64_HOLE_TOLERANCE, KrylovF64Backend } from '../../../src/reference/krylovF64.ts';
import { caseTolerance, checkContract, f64Oracle, normOf } from '../../helpers/eigenContract.ts';

const solve = (data: Float32Array, n: number, options: EigenOptions, batch = 1) => eigshF64(denseCpuOperator(n, batch, data), options);

/** The driver's own result for one matrix (verification rounds and how the last one ended). */
function driverResult(data: Float32Array, n: number, options: EigenOptions): KrylovItemResult {
  return driverResults(data, n, 1, options)[0]!;
}

/** The driver's own results for a batch of matrices. */
function driverResults(
  data: Float32Array,
  n: number,
  batch: number,
  options: EigenOptions,
  holeTolerance = F64_HOLE_TOLERANCE,
): KrylovItemResult[] {
  const o = resolveEigenOptions(options, n, MIN_F64_TOLERANCE);
  const backend = new KrylovF64Backend(denseCpuOperator(n, batch, data), {
    block: o.blockSize,
    capacity: o.maxVectors,
    startVector: (v) => probeVector(o.seed, v, n),
    seed: o.seed,
    holeTolerance,
  });
  return runKrylovSync(krylovSettings('symmetric', n, batch, o, false, F64_ROUNDOFF, holeTolerance), backend).results;
}

describe('eigshF64 on the hard-case catalogue', () => {
  for (const c of eigenCatalogue('test')) {
    test(`${c.name} (n = ${c.n}, ${c.which} ${c.k})`, () => {
      const r = solve(c.data, c.n, { k: c.k, which: c.which, tolerance: caseTolerance(c) })[0]!;
      checkContract(c, r, caseTolerance(c), 1e-5, f64Oracle(c));
    });
  }

  test('a batch mixing easy and hard members: every member meets the contract, easy members take fewer applies', () => {
    const ms = mixedBatch(64);
    const data = new Float32Array(ms.length * 64 * 64);
    ms.forEach((m, b) => data.set(m.data, b * 64 * 64));
    const rs = solve(data, 64, { k: 10, tolerance: 1e-5 }, ms.length);
    ms.forEach((m, b) => checkContract(m, rs[b]!, 1e-5, 1e-5, f64Oracle(m)));
    expect(rs[1]!.applies).toBeLessThan(rs[2]!.applies);
  });
});

describe('eigshF64: multiplicity, verification, restarts, stop reasons', () => {
  test('negative control: without verification a single vector misses copies of multiple eigenvalues; with it, none', () => {
    for (const name of ['multiplicity 8 at the top, rotated', 'graph Laplacian, 6 components of 20']) {
      const c = eigenCatalogue('test').find((x) => x.name === name)!;
      const want = wantedValues(c.values, c.k, c.which);
      const wrong = (verify: boolean) => {
        const r = solve(c.data, c.n, { k: c.k, which: c.which, verify, tolerance: 1e-5 })[0]!;
        return Array.from(r.eigenvalues).filter((v, i) => Math.abs(v - want[i]!) > 1e-5 * normOf(c)).length;
      };
      expect(wrong(false), name).toBeGreaterThan(0);
      expect(wrong(true), name).toBe(0);
    }
  });

  test('negative control for the deflated round: the Krylov run alone misses a copy, the first verification round (unconverged vectors kept, lane on their complement) detects it, a later round accepts the right set', () => {
    for (const name of ['multiplicity 3 at the top, diagonal', '2-D Laplacian 16²']) {
      const c = eigenCatalogue('test').find((x) => x.name === name)!;
      const want = wantedValues(c.values, c.k, c.which);
      const options = { k: c.k, which: c.which, tolerance: 1e-5 };
      const wrong = (r: KrylovItemResult) =>
        Array.from(r.eigenvalues).filter((v, i) => r.converged[i] && Math.abs(v - want[i]!) > 1e-5 * normOf(c)).length;
      const alone = driverResult(c.data, c.n, { ...options, verify: false });
      expect(alone.verifications, name).toBe(0);
      expect(wrong(alone), `${name}: a copy missed, flagged converged`).toBeGreaterThan(0);
      const verified = driverResult(c.data, c.n, options);
      // The first round ran on the same Krylov run (same start) and found the copy: a second round followed.
      expect(verified.verifications, name).toBeGreaterThanOrEqual(2);
      expect(wrong(verified), name).toBe(0);
      expect(verified.eigenvalues).toHaveLength(c.k);
    }
  });

  test('the deflated round ends on its certificate where the complement has a gap (2-fold top, rotated; identity: an exact lane)', () => {
    for (const name of ['multiplicity 2 at the top, rotated', 'identity']) {
      const c = eigenCatalogue('test').find((x) => x.name === name)!;
      const r = driverResult(c.data, c.n, { k: c.k, which: c.which, tolerance: 1e-5 });
      expect(r.verifications, name).toBe(1);
      expect(r.certified, name).toBe(true);
      const result = eigshF64(denseCpuOperator(c.n, 1, c.data), { k: c.k, which: c.which, tolerance: 1e-5 })[0]!;
      // The public result reports the round and how it ended.
      expect([result.verifications, result.certified], name).toEqual([1, true]);
      checkContract(c, result, 1e-5, 1e-5, f64Oracle(c));
    }
  });

  test('a batch whose members converge at different steps: every member’s round ends on its certificate (no lane is restarted by another member’s verification)', () => {
    const c = eigenCatalogue('test').find((x) => x.name === 'multiplicity 2 at the top, rotated')!;
    const n = c.n;
    // A diagonally perturbed copy converges a few steps later than the original.
    const perturbed = Float32Array.from(c.data);
    for (let i = 0; i < n; i++) perturbed[i * n + i] = perturbed[i * n + i]! + 0.04 * Math.sin(7 * i + 1);
    const options = { k: c.k, which: c.which, tolerance: 1e-5 };
    const alone = [c.data, perturbed].map((d) => driverResult(d, n, options));
    expect(alone.map((r) => r.certified)).toEqual([true, true]);
    const data = new Float32Array(2 * n * n);
    data.set(c.data, 0);
    data.set(perturbed, n * n);
    const batch = driverResults(data, n, 2, options);
    expect(batch[0]!.applies).not.toBe(batch[1]!.applies);
    expect(batch.map((r) => r.certified)).toEqual([true, true]);
  });

  test('right after a deflated verification restart, the kept block’s coupling bound holds: gram − CᵀC ⪰ 0 for the true C = (I − YYᵀ)AY of the backend’s basis', () => {
    for (const name of ['multiplicity 3 at the top, diagonal', '2-D Laplacian 16²']) {
      const c = eigenCatalogue('test').find((x) => x.name === name)!;
      const n = c.n;
      const o = resolveEigenOptions({ k: c.k, which: c.which, tolerance: 1e-5 }, n, MIN_F64_TOLERANCE);
      const backend = new KrylovF64Backend(denseCpuOperator(n, 1, c.data), {
        block: o.blockSize,
        capacity: o.maxVectors,
        startVector: (v) => probeVector(o.seed, v, n),
        seed: o.seed,
        holeTolerance: F64_HOLE_TOLERANCE,
      });
      const gen = krylovEigen(krylovSettings('symmetric', n, 1, o, false, F64_ROUNDOFF, F64_HOLE_TOLERANCE));
      let next = gen.next(null as unknown as KrylovResponse);
      let checked = 0;
      let largestCoupling = 0;
      while (!next.done) {
        const request = next.value;
        const response = backend.handle(request);
        const block = request.kind === 'restart' ? request.locked[0] : null;
        // Every verification restart (symmetric) carries its coupling bound, rounds after a failed deflation included.
        if (request.kind === 'restart' && request.clear[0]) expect(block, name).not.toBeNull();
        if (request.kind === 'restart' && block) {
          // Y: the kept (non-hole) rows of the new basis, in order; the block's values and gram follow them.
          const q = backend.basis(0);
          const y: Float64Array[] = [];
          for (let r = 0; r < request.keep; r++) {
            const row = q.subarray(r * n, (r + 1) * n);
            if (row.some((v) => v !== 0)) y.push(row);
          }
          const m = y.length;
          expect(block.values).toHaveLength(m);
          // C = (I − YYᵀ) A Y, column by column.
          const cols = y.map((yj) => {
            const ay = new Float64Array(n);
            for (let i = 0; i < n; i++) for (let t = 0; t < n; t++) ay[i] = ay[i]! + c.data[i * n + t]! * yj[t]!;
            for (const yi of y) {
              let d = 0;
              for (let t = 0; t < n; t++) d += yi[t]! * ay[t]!;
              for (let t = 0; t < n; t++) ay[t] = ay[t]! - d * yi[t]!;
            }
            return ay;
          });
          const diff = new Float64Array(m * m);
          let ctc = 0;
          for (let a = 0; a < m; a++)
            for (let b = 0; b < m; b++) {
              let d = 0;
              for (let t = 0; t < n; t++) d += cols[a]![t]! * cols[b]![t]!;
              diff[a * m + b] = block.gram[a * m + b]! - d;
              if (a === b) ctc = Math.max(ctc, d);
            }
          largestCoupling = Math.max(largestCoupling, ctc);
          const least = Math.min(...symmetricEigen(diff, m).values);
          expect(least, name).toBeGreaterThanOrEqual(-1e-10 * normOf(c) ** 2);
          checked++;
        }
        next = gen.next(response);
      }
      // The first (deflated) round fails on these cases: a later round keeps the converged vectors only.
      expect(checked, name).toBeGreaterThanOrEqual(2);
      // The kept unconverged vectors are coupled: the check is not vacuous.
      expect(largestCoupling, name).toBeGreaterThan(1e-6 * normOf(c) ** 2);
    }
  });

  test('a memory budget too small for the lane restarts inside the round: the round ends on its step count, not certified', () => {
    // 7-decade largest, maxVectors 19: the compressed lane would pass the certificate's test (it
    // did when the driver did not track the lane's integrity), but its rows are no longer a Krylov basis.
    const c = eigenCatalogue('test').find((x) => x.name === '7-decade spectrum, largest')!;
    const r = driverResult(c.data, c.n, { k: c.k, which: c.which, tolerance: 1e-5, maxVectors: c.k + 9 });
    expect(r.verifications).toBeGreaterThan(0);
    expect(r.restarts).toBeGreaterThan(r.verifications);
    expect(r.certified).toBe(false);
  });

  test('an invariant lane is exact only down to the hole tolerance: the identity certifies on its exact lane in float64, not with the f32 tolerance 64u√n of n = 4096 (τ² > t_δ: a hidden eigenvector with weight below τ² would leave the same hole)', () => {
    const c = eigenCatalogue('test').find((x) => x.name === 'identity')!;
    const options = { k: c.k, which: c.which, tolerance: 1e-5 };
    const f64 = driverResults(c.data, c.n, 1, options)[0]!;
    expect(f64.certified).toBe(true);
    expect(f64.applies).toBeLessThanOrEqual(8);
    // 64u√4096 = 2.4e-4: τ² = 6e-8 against t_{δ/2} ≈ 4e-9 at N = 94, p = 1.
    const f32Tolerance = 64 * 2 ** -24 * Math.sqrt(4096);
    const coarse = driverResults(c.data, c.n, 1, options, f32Tolerance)[0]!;
    expect(coarse.certified).toBe(false);
    checkContract(
      c,
      eigshF64(denseCpuOperator(c.n, 1, c.data), { ...options, breakdownTolerance: f32Tolerance })[0]!,
      1e-5,
      1e-5,
      f64Oracle(c),
    );
  });

  test('block size p = 3 finds a 3-fold eigenvalue without verification', () => {
    const c = eigenCatalogue('test').find((x) => x.name === 'multiplicity 3 at the top, diagonal')!;
    checkContract(c, solve(c.data, c.n, { k: c.k, blockSize: 3, verify: false, tolerance: 1e-5 })[0]!, 1e-5, 1e-5, f64Oracle(c));
  });

  test('a small memory budget restarts (thick restart keeps the wanted pairs) and still converges', () => {
    const c = eigenCatalogue('test').find((x) => x.name === 'Wishart 200×400, smallest')!;
    const r = solve(c.data, c.n, { k: c.k, which: c.which, maxVectors: 2 * c.k + 20, tolerance: 1e-5 })[0]!;
    expect(r.restarts).toBeGreaterThan(1);
    checkContract(c, r, 1e-5, 1e-5, f64Oracle(c));
  });

  test('maxApplies stops an item with honest bounds and stopReason "maxApplies"', () => {
    const c = eigenCatalogue('test').find((x) => x.name === 'Wishart 200×400, smallest')!;
    const r = solve(c.data, c.n, { k: c.k, which: c.which, maxApplies: 30, tolerance: 1e-5 })[0]!;
    expect(r.stopReason).toBe('maxApplies');
    expect(r.converged.some((x) => !x)).toBe(true);
    for (let i = 0; i < c.k; i++) {
      let near = Infinity;
      for (const t of c.values) near = Math.min(near, Math.abs(t - r.eigenvalues[i]!));
      expect(near).toBeLessThanOrEqual(r.errorBounds[i]!);
    }
  });

  test('exhaustion: k = n gives every eigenvalue, stopReason "exhausted"', () => {
    const c = eigenCatalogue('test').find((x) => x.name === 'rank-1 uuᵀ, smallest')!;
    const r = solve(c.data, c.n, { k: c.n, tolerance: 1e-5 })[0]!;
    checkContract({ ...c, k: c.n, which: 'largest' }, r, 1e-5, 1e-5, f64Oracle(c));
  });

  test('vectors: Ritz vectors with ‖Au − θu‖ within the bound', () => {
    const c = eigenCatalogue('test').find((x) => x.name === '1e-6 cluster at the top')!;
    const r = solve(c.data, c.n, { k: c.k, tolerance: 1e-6, vectors: true } as EigenOptions)[0]!;
    for (let v = 0; v < c.k; v++) {
      let res = 0;
      for (let i = 0; i < c.n; i++) {
        let s = 0;
        for (let j = 0; j < c.n; j++) s += c.data[i * c.n + j]! * r.vectors![v * c.n + j]!;
        res += (s - r.eigenvalues[v]! * r.vectors![v * c.n + i]!) ** 2;
      }
      expect(Math.sqrt(res)).toBeLessThanOrEqual(r.errorBounds[v]! + 1e-12);
    }
  });

  test('bad options → InvalidArgumentError naming the argument', () => {
    const c = mixedBatch(16)[0]!;
    const cases: [EigenOptions, string][] = [
      [{ k: 17 }, 'k'],
      [{ k: 2, tolerance: MIN_F64_TOLERANCE / 2 }, 'tolerance'],
      [{ k: 2, blockSize: 0 }, 'blockSize'],
      [{ k: 4, maxVectors: 5 }, 'maxVectors'],
      [{ k: 2, maxApplies: 0 }, 'maxApplies'],
      [{ k: 2, verify: 'yes' as never }, 'verify'],
      [{ k: 4, steps: 2, blockSize: 1 }, 'steps'],
    ];
    for (const [options, argument] of cases) {
      let error: unknown;
      try {
        solve(c.data, 16, options);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(options)).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
    }
    expect(defaultMaxVectors(1000, 10, 1)).toBe(128);
    expect(defaultMaxVectors(1000, 100, 2)).toBe(222);
    expect(defaultMaxVectors(30, 10, 1)).toBe(32);
    expect(defaultMaxVectors(256, 256, 1)).toBe(258);
  });

  test('ritzOrder: descending for largest, ascending for smallest, top then bottom for both', () => {
    expect(ritzOrder(5, 3, 'largest')).toEqual([4, 3, 2]);
    expect(ritzOrder(5, 3, 'smallest')).toEqual([0, 1, 2]);
    expect(ritzOrder(5, 3, 'both')).toEqual([4, 3, 0]);
    expect(ritzOrder(2, 3, 'largest')).toEqual([1, 0]);
  });

  test('the random restart vectors: deterministic, f32-exact, in (−1, 1), mean ≈ 0, distinct per block member and step', () => {
    const a = Array.from({ length: 4000 }, (_, i) => krylovRandom(3, 0, 9, i));
    expect(a.every((v) => Math.fround(v) === v && v > -1 && v < 1)).toBe(true);
    expect(Math.abs(a.reduce((s, v) => s + v, 0) / a.length)).toBeLessThan(0.03);
    expect(krylovRandom(3, 0, 9, 5)).toBe(a[5]);
    expect(krylovRandom(3, 1, 9, 5)).not.toBe(a[5]);
    expect(krylovRandom(3, 0, 10, 5)).not.toBe(a[5]);
  });
});
