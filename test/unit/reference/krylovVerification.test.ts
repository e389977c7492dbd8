/**
 * The verification certificate of the Krylov driver (src/reference/krylovVerification.ts) and the
 * SVD of its Golub–Kahan Rayleigh–Ritz step (src/reference/svd.ts), on closed-form cases: the Beta
 * tail against its exact form, the Christoffel function against a brute-force least-squares
 * minimum, and a Monte Carlo calibration of the certificate's failure probability with a hidden
 * eigenvalue (negative control) and without (positive control); the same for the deflated
 * certificate (kept block + Haynsworth bound), checked against the full matrix's eigenvalues.
 */
import { describe, expect, test } from 'vitest';
import { lanczosF64 } from '../../../src/reference/lanczos.ts';
import { gaussQuadrature } from '../../../src/reference/quadrature.ts';
import { certifiedEdge, certifies, certifiesDeflated, christoffel, weightThreshold } from '../../../src/reference/krylovVerification.ts';
import { symmetricEigen } from '../../../src/reference/symmetricEigen.ts';
import { logGamma } from '../../../src/reference/powerLawTail.ts';
import { leftSingularDecomposition } from '../../../src/reference/svd.ts';
import { Random } from '../../../src/util/random.ts';
import { numpy } from './numpy.ts';

describe('krylovVerification', () => {
  test('logGamma: Γ(n) = (n−1)!, Γ(1/2) = √π, Γ(1/2 + n) by the duplication formula', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(100.5)).toBeCloseTo(logGamma(201) - logGamma(101) - 200 * Math.log(2) + 0.5 * Math.log(Math.PI), 8);
  });

  test('weightThreshold: P(Beta(p/2, (N−p)/2) ≤ t_δ) ≤ δ·(3/π)^{p/2} (room for the uniform probes’ small-ball inflation), not loose (exact tails for p = 1, 2); 0 when N − p < 2', () => {
    expect(weightThreshold(1e-3, 1, 2)).toBe(0);
    expect(weightThreshold(1e-3, 3, 4)).toBe(0);
    expect(weightThreshold(1e-3, 3, 5)).toBeGreaterThan(0);
    for (const N of [10, 100, 1000]) {
      for (const delta of [1e-1, 1e-3]) {
        const gaussian = (p: number) => delta * (3 / Math.PI) ** (p / 2);
        // p = 2: Beta(1, b) has CDF 1 − (1 − t)^b.
        const t2 = weightThreshold(delta, 2, N);
        const cdf2 = 1 - (1 - t2) ** ((N - 2) / 2);
        expect(cdf2).toBeLessThanOrEqual(gaussian(2));
        expect(cdf2).toBeGreaterThan(0.5 * gaussian(2));
        // p = 1: Beta(1/2, b), CDF by quadrature of its density with x = y² (smooth integrand).
        const t1 = weightThreshold(delta, 1, N);
        const b = (N - 1) / 2;
        const logB = logGamma(0.5) + logGamma(b) - logGamma(0.5 + b);
        const steps = 2000;
        const ymax = Math.sqrt(t1);
        let cdf1 = 0;
        for (let i = 0; i < steps; i++) {
          const y = ((i + 0.5) / steps) * ymax;
          cdf1 += 2 * (1 - y * y) ** (b - 1) * (ymax / steps);
        }
        cdf1 /= Math.exp(logB);
        expect(cdf1).toBeLessThanOrEqual(gaussian(1) * (1 + 1e-6));
        expect(cdf1).toBeGreaterThan(0.5 * gaussian(1));
      }
    }
  });

  test('christoffel: equals the least-squares minimum of ∫π² over polynomials with π(x) = 1; 0 off a measure with fewer nodes', () => {
    const rng = new Random(5);
    const nodes = Float64Array.from({ length: 12 }, () => rng.uniform() * 2 - 1);
    const weights = Float64Array.from({ length: 12 }, () => 0.1 + rng.uniform());
    for (const s of [1, 2, 4]) {
      for (const x of [1.2, 1.5, -1.3]) {
        // Brute force: π(y) = 1 + Σ_{j=1}^{s−1} c_j (y − x)^j, normal equations in float64.
        const m = s - 1;
        const g = new Float64Array(m * m);
        const r = new Float64Array(m);
        nodes.forEach((y, t) => {
          const phi = Array.from({ length: m }, (_, j) => (y - x) ** (j + 1));
          for (let a = 0; a < m; a++) {
            r[a] = r[a]! - weights[t]! * phi[a]!;
            for (let c = 0; c < m; c++) g[a * m + c] = g[a * m + c]! + weights[t]! * phi[a]! * phi[c]!;
          }
        });
        const coef = solve(g, r, m);
        let brute = 0;
        nodes.forEach((y, t) => {
          let pi = 1;
          for (let j = 0; j < m; j++) pi += coef[j]! * (y - x) ** (j + 1);
          brute += weights[t]! * pi * pi;
        });
        expect(christoffel({ nodes, weights }, s, x)).toBeCloseTo(brute, 10);
      }
    }
    // Two nodes, degree < 3: a quadratic vanishes on both.
    expect(christoffel({ nodes: new Float64Array([0, 1]), weights: new Float64Array([0.5, 0.5]) }, 3, 2)).toBe(0);
  });

  test('certificate calibration (Monte Carlo): a hidden eigenvalue beyond the cut is certified away with frequency ≤ δ; without it, certified', () => {
    const N = 300;
    const rng = new Random(17);
    const spectrum = Float64Array.from({ length: N }, () => 0.8 * rng.uniform());
    const hidden = Float64Array.from(spectrum);
    hidden[0] = 1; // one eigenvalue beyond the cut 0.9
    const delta = 0.1;
    const trials = 400;
    const rate = (values: Float64Array, steps: number): number => {
      let certified = 0;
      for (let trial = 0; trial < trials; trial++) {
        const r = rng.normals(N);
        const run = lanczosF64((x, y) => x.forEach((v, i) => (y[i] = values[i]! * v)), N, r, steps);
        const q = gaussQuadrature(run.alpha, run.beta);
        const lane = { nodes: q.nodes, weights: q.weights, steps: run.steps, exact: run.breakdown };
        if (certifies(lane, { top: 0.9, bottom: null }, 1, N, delta)) certified++;
      }
      return certified / trials;
    };
    // Negative control: the Lanczos Ritz values approach 1 unless r is nearly orthogonal to e_0.
    for (const steps of [2, 4, 8]) expect(rate(hidden, steps), `steps ${steps}`).toBeLessThanOrEqual(delta);
    // Positive control: nothing beyond 0.9, so enough steps certify (almost) always.
    expect(rate(spectrum, 30)).toBeGreaterThan(0.95);
  });

  test('certifiedEdge: the nearest x beyond the nodes with Λ_s(x) ≤ t (bisection), null when the limit does not certify, the edge itself for an exact lane', () => {
    const rng = new Random(9);
    const N = 200;
    const values = Float64Array.from({ length: N }, () => 0.8 * rng.uniform());
    const run = lanczosF64((x, y) => x.forEach((v, i) => (y[i] = values[i]! * v)), N, rng.normals(N), 12);
    const q = gaussQuadrature(run.alpha, run.beta);
    const lane = { nodes: q.nodes, weights: q.weights, steps: run.steps, exact: false };
    const top = Math.max(...q.nodes);
    const t = 1e-6;
    const x = certifiedEdge(lane, t, 2, 1)!;
    expect(x).toBeGreaterThan(top);
    expect(christoffel(lane, lane.steps, x)).toBeLessThanOrEqual(t);
    expect(christoffel(lane, lane.steps, x - 1e-9 * Math.abs(x) - 1e-12)).toBeGreaterThan(t * 0.999);
    expect(certifiedEdge(lane, t, top + 1e-9, 1)).toBeNull();
    // The bottom side mirrors it.
    const y = certifiedEdge(lane, t, -2, -1)!;
    expect(y).toBeLessThan(Math.min(...q.nodes));
    expect(christoffel(lane, lane.steps, y)).toBeLessThanOrEqual(t);
    expect(certifiedEdge({ ...lane, exact: true }, t, 2, 1)).toBe(top);
    expect(certifiedEdge({ ...lane, exact: true }, t, top - 1e-3, 1)).toBeNull();
  });

  test('deflated certificate (Monte Carlo): whenever it certifies, λ_i(A) ≤ c_i for the full matrix; a hidden eigenvalue of the complement beyond the cut is certified away with frequency ≤ δ', () => {
    // A = [[Θ, ρfᵀ], [fρᵀ, B]]: kept block Θ (3 converged wanted values with tiny coupling, 3
    // unconverged ones below with a large one), coupling through one fixed unit vector f of the
    // complement (the cleared frontier), complement B = diag(spectrum); the lane is Lanczos on B
    // from a random vector, as the driver's random block after a verification restart.
    const N = 160;
    const rng = new Random(23);
    const theta = [1, 0.95, 0.9, 0.86, 0.83, 0.8];
    const tol = 1e-3;
    const cuts = { top: theta.slice(0, 3).map((v) => v + tol), bottom: [] as number[] };
    const f = rng.normals(N);
    const fn = Math.hypot(...f);
    f.forEach((v, i) => (f[i] = v / fn));
    const blockOf = (rho: readonly number[]) => {
      const gram = new Float64Array(36);
      for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) gram[a * 6 + b] = rho[a]! * rho[b]!;
      return { values: Float64Array.from(theta), gram };
    };
    /** Whether the full matrix meets the claim λ_i ≤ c_i (i ≤ 3). */
    const claimHolds = (rho: readonly number[], spectrum: Float64Array): boolean => {
      const m = 6 + N;
      const a = new Float64Array(m * m);
      theta.forEach((v, i) => (a[i * m + i] = v));
      for (let i = 0; i < N; i++) a[(6 + i) * m + 6 + i] = spectrum[i]!;
      for (let u = 0; u < 6; u++)
        for (let i = 0; i < N; i++) {
          a[u * m + 6 + i] = rho[u]! * f[i]!;
          a[(6 + i) * m + u] = rho[u]! * f[i]!;
        }
      const top = symmetricEigen(a, m)
        .values.slice(m - 3)
        .reverse();
      return top.every((v, i) => v <= cuts.top[i]!);
    };
    const delta = 0.1;
    const trials = 200;
    const certifiedRate = (rho: readonly number[], spectrum: Float64Array, steps: number): number => {
      const block = blockOf(rho);
      let certified = 0;
      for (let trial = 0; trial < trials; trial++) {
        const run = lanczosF64((x, y) => x.forEach((v, i) => (y[i] = spectrum[i]! * v)), N, rng.normals(N), steps);
        const q = gaussQuadrature(run.alpha, run.beta);
        const lane = { nodes: q.nodes, weights: q.weights, steps: run.steps, exact: run.breakdown };
        if (certifiesDeflated(lane, block, cuts, 1, N, delta)) certified++;
      }
      return certified / trials;
    };
    const rho = [1e-6, 2e-6, 1e-6, 0.04, 0.05, 0.08];
    const clean = Float64Array.from({ length: N }, () => 0.6 * rng.uniform());
    // Positive control: the complement lies below 0.6, well under the cut; the unconverged kept
    // values (0.8–0.86, coupling up to 0.08) stay below the cuts after the Schur complement.
    expect(claimHolds(rho, clean)).toBe(true);
    expect(certifiedRate(rho, clean, 30)).toBeGreaterThan(0.95);
    // Negative control: one eigenvalue of the complement at 0.97 > c_3 = 0.901 (a missed copy):
    // the claim is false, and the certificate holds with frequency ≤ δ.
    const hidden = Float64Array.from(clean);
    hidden[0] = 0.97;
    expect(claimHolds(rho, hidden)).toBe(false);
    for (const steps of [2, 4, 8, 16]) expect(certifiedRate(rho, hidden, steps), `steps ${steps}`).toBeLessThanOrEqual(delta);
    // Negative control on the Schur part: an unconverged kept value whose coupling pushes an
    // eigenvalue of A over the cuts (the complement is clean) is never certified.
    const strong = [...rho.slice(0, 5), 0.45];
    expect(claimHolds(strong, clean)).toBe(false);
    expect(certifiedRate(strong, clean, 30)).toBe(0);
  });

  test('leftSingularDecomposition: σ and a full left basis match numpy; σ² of tiny values accurate to ε·σ_max·σ', () => {
    const rng = new Random(3);
    for (const [rows, cols] of [
      [6, 6],
      [9, 5],
      [5, 9],
    ] as const) {
      // M = U diag(σ) Vᵀ with σ over 12 decades: eig(M Mᵀ) alone would lose the small ones.
      const sigma = Array.from({ length: Math.min(rows, cols) }, (_, i) => 10 ** (-12 * (i / (Math.min(rows, cols) - 1))));
      const u = orthonormal(rows, rng);
      const v = orthonormal(cols, rng);
      const m = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++)
          for (let t = 0; t < sigma.length; t++) m[i * cols + j]! += u[i * rows + t]! * sigma[t]! * v[j * cols + t]!;
      const dec = leftSingularDecomposition(m, rows, cols);
      const ref = numpy<number[]>(
        'out = np.sort(np.linalg.svd(np.array(data["m"]).reshape(data["r"], data["c"]), compute_uv=False)).tolist()',
        {
          m: Array.from(m),
          r: rows,
          c: cols,
        },
      );
      const nonNull = Array.from(dec.sigma).slice(rows - sigma.length);
      if (ref) nonNull.forEach((s, i) => expect(Math.abs(s - ref[i]!), `σ${i}`).toBeLessThanOrEqual(16 * 2 ** -53 * 1));
      // Left vectors orthonormal; g_t = s_tᵀ M with ‖g_t‖ = σ_t.
      for (let a = 0; a < rows; a++)
        for (let b = 0; b < rows; b++) {
          let d = 0;
          for (let t = 0; t < rows; t++) d += dec.left[a * rows + t]! * dec.left[b * rows + t]!;
          expect(Math.abs(d - (a === b ? 1 : 0))).toBeLessThan(1e-13);
        }
      // The null directions (rows > cols) have σ at the rounding level.
      for (let t = 0; t < rows - sigma.length; t++) expect(dec.sigma[t]!).toBeLessThan(1e-14);
    }
  });
});

/** Solves the m×m system g x = r (Gaussian elimination with partial pivoting). */
function solve(g: Float64Array, r: Float64Array, m: number): Float64Array {
  const a = Float64Array.from(g);
  const x = Float64Array.from(r);
  for (let c = 0; c < m; c++) {
    let piv = c;
    for (let i = c + 1; i < m; i++) if (Math.abs(a[i * m + c]!) > Math.abs(a[piv * m + c]!)) piv = i;
    for (let j = 0; j < m; j++) [a[c * m + j], a[piv * m + j]] = [a[piv * m + j]!, a[c * m + j]!];
    [x[c], x[piv]] = [x[piv]!, x[c]!];
    for (let i = c + 1; i < m; i++) {
      const f = a[i * m + c]! / a[c * m + c]!;
      for (let j = c; j < m; j++) a[i * m + j]! -= f * a[c * m + j]!;
      x[i]! -= f * x[c]!;
    }
  }
  for (let c = m - 1; c >= 0; c--) {
    let s = x[c]!;
    for (let j = c + 1; j < m; j++) s -= a[c * m + j]! * x[j]!;
    x[c] = s / a[c * m + c]!;
  }
  return x;
}

/** A random orthogonal n×n matrix (columns), by Gram–Schmidt twice. */
function orthonormal(n: number, rng: Random): Float64Array {
  const q = Float64Array.from(rng.normals(n * n));
  for (let c = 0; c < n; c++) {
    for (let pass = 0; pass < 2; pass++)
      for (let d = 0; d < c; d++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i * n + c]! * q[i * n + d]!;
        for (let i = 0; i < n; i++) q[i * n + c]! -= dot * q[i * n + d]!;
      }
    let nrm = 0;
    for (let i = 0; i < n; i++) nrm += q[i * n + c]! ** 2;
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < n; i++) q[i * n + c]! /= nrm;
  }
  return q;
}
