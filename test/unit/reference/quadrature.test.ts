import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { denseApply, lanczosF64 } from '../../../src/reference/lanczos.ts';
import { dot, matrixWithSpectrum, matVec } from '../../../src/reference/linalg.ts';
import {
  cumulativeBrackets,
  densityEdges,
  gaussianSpectralDensity,
  gaussQuadrature,
  normalCdf,
  spectralDensity,
} from '../../../src/reference/quadrature.ts';
import { symmetricEigen } from '../../../src/reference/symmetricEigen.ts';
import { tridiagonalEigen } from '../../../src/reference/tridiagonalEigen.ts';
import { Random } from '../../../src/util/random.ts';

const n = 120;
const rng = new Random(31);
const spectrum = Float64Array.from({ length: n }, (_, i) => (i < 40 ? 10 ** (-3 * rng.uniform()) : 1 + 4 * rng.uniform()));
const a = matrixWithSpectrum(spectrum, rng);

describe('gaussQuadrature', () => {
  test('weights sum to 1; nodes and weights match the tridiagonal eigen-decomposition', () => {
    const run = lanczosF64(denseApply(a, n), n, rng.normals(n), 15);
    const { nodes, weights } = gaussQuadrature(run.alpha, run.beta);
    expect(nodes.length).toBe(15);
    let sum = 0;
    for (const w of weights) {
      expect(w).toBeGreaterThan(0);
      sum += w;
    }
    expect(Math.abs(sum - 1)).toBeLessThan(1e-15);
    for (let i = 1; i < nodes.length; i++) expect(nodes[i]!).toBeGreaterThan(nodes[i - 1]!);
    const { values, first } = tridiagonalEigen(run.alpha, run.beta, { vectors: 'ends' });
    expect(Array.from(nodes)).toEqual(Array.from(values));
    for (let i = 0; i < 15; i++) expect(Math.abs(weights[i]! - first![i]! ** 2)).toBeLessThan(1e-15);
  });

  test('moment exactness: Σ w θ^j = q_1ᵀ A^j q_1 for j ≤ 2m − 1', () => {
    const m = 10;
    const run = lanczosF64(denseApply(a, n), n, rng.normals(n), m);
    const { nodes, weights } = gaussQuadrature(run.alpha, run.beta);
    const q1 = run.basis.slice(0, n);
    let x: Float64Array = q1;
    for (let j = 0; j <= 2 * m - 1; j++) {
      const exact = dot(q1, x);
      let gauss = 0;
      for (let i = 0; i < m; i++) gauss += weights[i]! * nodes[i]! ** j;
      expect(Math.abs(gauss - exact) / exact).toBeLessThan(1e-10);
      x = matVec(a, n, n, x);
    }
  });

  test('small cases', () => {
    const one = gaussQuadrature(new Float64Array([2.5]), new Float64Array(0));
    expect(Array.from(one.nodes)).toEqual([2.5]);
    expect(Array.from(one.weights)).toEqual([1]);
    const two = gaussQuadrature(new Float64Array([0, 0]), new Float64Array([1]));
    expect(two.nodes[0]).toBeCloseTo(-1, 15);
    expect(two.nodes[1]).toBeCloseTo(1, 15);
    expect(two.weights[0]).toBeCloseTo(0.5, 15);
    expect(two.weights[1]).toBeCloseTo(0.5, 15);
    // Decoupled: the second block is invisible from e_1.
    const dec = gaussQuadrature(new Float64Array([1, 5]), new Float64Array([0]));
    expect(Array.from(dec.nodes)).toEqual([1, 5]);
    expect(Array.from(dec.weights)).toEqual([1, 0]);
  });
});

describe('cumulativeBrackets', () => {
  test('Chebyshev–Markov–Stieltjes: the brackets contain the true cumulative measure of q_1 at every node', () => {
    const { values, vectors } = symmetricEigen(a, n, { vectors: true });
    for (const m of [3, 8, 20]) {
      const run = lanczosF64(denseApply(a, n), n, new Random(m).normals(n), m);
      const q1 = run.basis.subarray(0, n);
      // True spectral measure of q_1: mass (q_1ᵀ z_i)² at λ_i.
      const mass = Float64Array.from({ length: n }, (_, i) => dot(q1, vectors!.subarray(i * n, (i + 1) * n)) ** 2);
      const { nodes, weights } = gaussQuadrature(run.alpha, run.beta);
      const { lower, upper } = cumulativeBrackets(nodes, weights);
      for (let i = 0; i < m; i++) {
        let below = 0; // μ((−∞, θ_i))
        let atOrBelow = 0; // μ((−∞, θ_i])
        for (let t = 0; t < n; t++) {
          if (values[t]! < nodes[i]!) below += mass[t]!;
          if (values[t]! <= nodes[i]!) atOrBelow += mass[t]!;
        }
        expect(lower[i]!).toBeLessThanOrEqual(below + 1e-12);
        expect(atOrBelow).toBeLessThanOrEqual(upper[i]! + 1e-12);
        expect(upper[i]! - lower[i]!).toBeCloseTo(weights[i]!, 15);
      }
      expect(upper[m - 1]).toBeCloseTo(1, 14);
    }
  });

  test('validates its arguments', () => {
    expect(() => cumulativeBrackets(new Float64Array([2, 1]), new Float64Array([0.5, 0.5]))).toThrow(/nodes/);
    expect(() => cumulativeBrackets(new Float64Array([1, 2]), new Float64Array([1]))).toThrow(InvalidArgumentError);
    expect(() => cumulativeBrackets(new Float64Array([1, 2]), new Float64Array([-1, 2]))).toThrow(/weights/);
  });
});

describe('spectralDensity', () => {
  test('the total count is n and the histogram approximates the true one', () => {
    const probes = 20;
    const nodesPerProbe: Float64Array[] = [];
    const weightsPerProbe: Float64Array[] = [];
    const r = new Random(77);
    for (let p = 0; p < probes; p++) {
      const run = lanczosF64(denseApply(a, n), n, r.normals(n), 30);
      const q = gaussQuadrature(run.alpha, run.beta);
      nodesPerProbe.push(q.nodes);
      weightsPerProbe.push(q.weights);
    }
    const edges = new Float64Array([-1, 0.01, 1, 3, 6]);
    const counts = spectralDensity(nodesPerProbe, weightsPerProbe, edges, n);
    expect(counts.length).toBe(4);
    expect(Math.abs(counts.reduce((s, c) => s + c, 0) - n)).toBeLessThan(1e-10);
    // True counts: 40 eigenvalues in (0.001, 1), 80 in [1, 5]. Stochastic, so loose bounds.
    const truth = new Float64Array(4);
    for (const l of spectrum) truth[l < 0.01 ? 0 : l < 1 ? 1 : l < 3 ? 2 : 3]! += 1;
    expect(Math.abs(counts[0]! + counts[1]! - 40)).toBeLessThan(12);
    expect(Math.abs(counts[2]! + counts[3]! - 80)).toBeLessThan(12);
    for (let b = 0; b < 4; b++) expect(Math.abs(counts[b]! - truth[b]!)).toBeLessThan(15);
  });

  test('bin edges: half-open bins, the last closed, outside nodes dropped', () => {
    const nodes = [new Float64Array([0, 1, 2, 3])];
    const weights = [new Float64Array([0.1, 0.2, 0.3, 0.4])];
    const counts = spectralDensity(nodes, weights, new Float64Array([0, 1, 2]), 10);
    expect(Array.from(counts).map((c) => Math.round(c * 1e12) / 1e12)).toEqual([1, 5]); // node 3 dropped
    const two = spectralDensity(
      [new Float64Array([0.5]), new Float64Array([1.5])],
      [new Float64Array([1]), new Float64Array([1])],
      new Float64Array([0, 1, 2]),
      4,
    );
    expect(Array.from(two)).toEqual([2, 2]);
  });

  test('validates its arguments', () => {
    const nodes = [new Float64Array([1])];
    const weights = [new Float64Array([1])];
    expect(() => spectralDensity([], [], new Float64Array([0, 1]), 1)).toThrow(/nodesPerProbe/);
    expect(() => spectralDensity(nodes, [], new Float64Array([0, 1]), 1)).toThrow(/weightsPerProbe/);
    expect(() => spectralDensity(nodes, weights, new Float64Array([0]), 1)).toThrow(/edges/);
    expect(() => spectralDensity(nodes, weights, new Float64Array([1, 0]), 1)).toThrow(/edges/);
    expect(() => spectralDensity(nodes, weights, new Float64Array([0, 1]), 0)).toThrow(/n/);
    expect(() => spectralDensity(nodes, [new Float64Array(2)], new Float64Array([0, 2]), 1)).toThrow(InvalidArgumentError);
  });
});

describe('smoothed and log-spaced densities', () => {
  test('normalCdf: symmetric, Φ(0) = ½, both tails accurate', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1) + normalCdf(-1)).toBeCloseTo(1, 14);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(normalCdf(-10) / 7.619853024160527e-24).toBeCloseTo(1, 8);
  });

  test('gaussianSpectralDensity integrates each node’s normal exactly over the bins; σ = 0 is the histogram', () => {
    const nodes = [new Float64Array([1])];
    const weights = [new Float64Array([1])];
    const edges = new Float64Array([0, 1, 2]);
    const g = gaussianSpectralDensity(nodes, weights, edges, 10, 0.5, 'linear');
    const inside = normalCdf(2) - normalCdf(0);
    expect(g.counts[0]!).toBeCloseTo(10 * inside, 12);
    expect(g.counts[1]!).toBeCloseTo(10 * inside, 12);
    expect(g.below + g.above + g.counts[0]! + g.counts[1]!).toBeCloseTo(10, 12);
    const h = gaussianSpectralDensity(nodes, weights, edges, 10, 0, 'linear');
    expect(Array.from(h.counts)).toEqual(Array.from(spectralDensity(nodes, weights, edges, 10)));
  });

  test('log coordinate: widths in log10 λ, nodes ≤ 0 counted below', () => {
    const g = gaussianSpectralDensity(
      [new Float64Array([1e-3, 0, 10])],
      [new Float64Array([0.5, 0.25, 0.25])],
      new Float64Array([1e-4, 1e-2, 1, 100]),
      4,
      0,
      'log',
    );
    expect(Array.from(g.counts)).toEqual([2, 0, 1]);
    expect(g.below).toBe(1);
    expect(() => gaussianSpectralDensity([new Float64Array([1])], [new Float64Array([1])], new Float64Array([0, 1]), 1, 0, 'log')).toThrow(
      InvalidArgumentError,
    );
  });

  test('densityEdges: degenerate ranges (all nodes 0 or equal) give normal widths, hence finite densities', () => {
    for (const [lo, hi] of [
      [0, 0],
      [1e-310, 1e-310],
      [3, 3],
      [-2, 5],
    ] as const) {
      const e = densityEdges(lo, hi, 4, 'linear');
      expect(e).toHaveLength(5);
      for (let i = 0; i < 4; i++) {
        const w = e[i + 1]! - e[i]!;
        expect(w > 0 && Number.isFinite(1 / w), `[${lo}, ${hi}] width ${w}`).toBe(true);
      }
      expect(e[0]!).toBeLessThanOrEqual(lo);
      expect(e[4]!).toBeGreaterThanOrEqual(hi);
    }
    const log = densityEdges(1e-6, 1, 6, 'log');
    expect(log[0]!).toBeCloseTo(1e-6, 12);
    expect(Math.log10(log[1]!) - Math.log10(log[0]!)).toBeCloseTo(1, 6);
    expect(() => densityEdges(0, 1, 4, 'log')).toThrow(InvalidArgumentError);
  });
});
