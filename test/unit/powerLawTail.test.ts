/**
 * Power-law tail fits (Clauset–Shalizi–Newman 2009) on the float64 CPU path: exponent recovery on
 * seeded Pareto data with a non-power-law body, the vectorized x_min scan against a plain
 * re-sort-and-refit brute force, the MLE/KS against numpy, the special functions and the
 * truncated-power-law normalization against scipy, the truncated power law and lognormal MLEs
 * against scipy.optimize, the bootstrap p-value and the likelihood-ratio tests, and bad input.
 *
 * The Python `powerlaw` package is used when importable (it usually is not: no PyPI here);
 * otherwise the same quantities are checked against short numpy/scipy computations.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { fitPowerLawTail, type PowerLawTailFit, type PowerLawTailResult } from '../../src/analysis/powerLawTail.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import {
  argminKs,
  fitLognormal,
  fitTruncatedPowerLaw,
  logErfc,
  logUpperIncompleteGamma,
  nestedBoundaryP,
  powerLawAt,
  powerLawCandidates,
  powerLawScan,
  powerLawScanMin,
  sortPositiveData,
  tailStatistics,
  truncatedPowerLawLogNormalizer,
  truncatedPowerLawLogPdf,
  lognormalLogPdf,
  vuongTest,
} from '../../src/reference/powerLawTail.ts';
import type { Random } from '../../src/util/random.ts';
import { rng } from '../helpers/data.ts';
import { list, numpy } from './reference/numpy.ts';

// ------------------------------------------------------------------------------------------------
// Data
// ------------------------------------------------------------------------------------------------

const pareto = (r: Random, xmin: number, alpha: number): number => xmin * Math.pow(1 - r.uniform(), -1 / (alpha - 1));

/** N points: a fraction `tailFraction` Pareto(x_min = 1, α), the rest a lognormal-ish body below 1. */
function paretoWithBody(n: number, alpha: number, tailFraction: number, label: string): Float64Array {
  const r = rng(label);
  return Float64Array.from({ length: n }, () => {
    if (r.uniform() < tailFraction) return pareto(r, 1, alpha);
    for (;;) {
      const v = Math.exp(-0.3 + 0.5 * r.normal());
      if (v < 1) return v;
    }
  });
}

const lognormalSample = (n: number, label: string, sigma = 1): Float64Array => {
  const r = rng(label);
  return Float64Array.from({ length: n }, () => Math.exp(sigma * r.normal()));
};

/** Every number reachable in a result (typed arrays included). */
function numbersIn(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (ArrayBuffer.isView(value)) out.push(...Array.from(value as unknown as ArrayLike<number>));
  else if (value && typeof value === 'object') for (const v of Object.values(value)) numbersIn(v, out);
  return out;
}

function expectOk(r: PowerLawTailResult): PowerLawTailFit {
  if (!r.ok) throw new Error(`fit failed: ${r.reason}`);
  expect(numbersIn(r).filter((v) => !Number.isFinite(v))).toEqual([]);
  return r;
}

// ------------------------------------------------------------------------------------------------
// Python oracles
// ------------------------------------------------------------------------------------------------

const PYTHON = process.env.GRSD_PYTHON ?? 'python3';
function pythonHas(module: string): { ok: boolean; why: string } {
  const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `${PYTHON} could not be run: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, why: `${PYTHON} cannot import ${module}: ${r.stderr.trim().split('\n').at(-1) ?? ''}` };
  return { ok: true, why: '' };
}
const scipy = pythonHas('scipy');
const powerlawPkg = pythonHas('powerlaw');
if (!scipy.ok) console.warn(`SKIPPING the scipy comparisons of the power-law tail tests: ${scipy.why}`);

/** Runs `script` (numpy as np, scipy imported) with `data`; returns `out`. */
function python<T>(script: string, data: unknown): T {
  const program = `import json, sys\nimport numpy as np\nimport scipy.special as sp\nfrom scipy import integrate, optimize\ndata = json.loads(sys.stdin.read())\n${script}\nsys.stdout.write(json.dumps(out))\n`;
  const r = spawnSync(PYTHON, ['-c', program], { input: JSON.stringify(data), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python oracle failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

// ------------------------------------------------------------------------------------------------
// Brute force: re-sort and refit per candidate, written plainly.
// ------------------------------------------------------------------------------------------------

function bruteForceScan(data: ArrayLike<number>, minTail: number): { xmin: number; alpha: number; ks: number }[] {
  const values = Array.from(data);
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  const rows: { xmin: number; alpha: number; ks: number }[] = [];
  for (const xmin of distinct) {
    const tail = values.filter((v) => v >= xmin).sort((a, b) => a - b);
    const n = tail.length;
    if (n < minTail) continue;
    let s = 0;
    for (const v of tail) s += Math.log(v / xmin);
    if (s === 0) continue;
    const alpha = 1 + n / s;
    let ks = 0;
    tail.forEach((v, i) => {
      const cdf = 1 - Math.pow(v / xmin, 1 - alpha);
      ks = Math.max(ks, Math.abs(i / n - cdf));
    });
    rows.push({ xmin, alpha, ks });
  }
  return rows;
}

describe('power-law tail fits (float64 CPU path)', () => {
  test.each([
    [2.5, 'pareto-2.5'],
    [1.8, 'pareto-1.8'],
  ])('recovers α = %s from 10⁴ seeded points with a lognormal body below x_min = 1', async (alpha, label) => {
    const data = paretoWithBody(10_000, alpha, 0.7, label);
    const fit = expectOk(await fitPowerLawTail(data, { bootstrap: 0, compare: false }));
    expect(fit.backend).toBe('cpu');
    expect(Math.abs(fit.alpha - alpha)).toBeLessThan(0.05);
    expect(fit.xmin).toBeGreaterThan(0.9);
    // x̂_min by KS minimization is right-skewed: anywhere on the power-law part is fair.
    expect(fit.xmin).toBeLessThan(3);
    expect(fit.nTail).toBeGreaterThan(0.25 * data.length);
    expect(fit.alphaStdErr).toBeCloseTo((fit.alpha - 1) / Math.sqrt(fit.nTail), 12);
    // The scan matters: fixing x_min at the smallest value (the body included) gives a badly wrong α.
    const sorted = sortPositiveData(data);
    expect(Math.abs(powerLawAt(sorted, 0)!.alpha - alpha)).toBeGreaterThan(0.3);
    expect(fit.scan.ks[argminKs(fit.scan.ks)]).toBe(fit.ks);
  });

  test('the vectorized scan equals a brute-force re-sort and refit per candidate (with ties)', () => {
    const r = rng('brute');
    const data = Float64Array.from({ length: 600 }, (_, i) =>
      i % 7 === 0 ? 2 : i % 11 === 0 ? 3.5 : pareto(r, 0.5, 2.2) * (0.5 + r.uniform()),
    );
    const minTail = 20;
    const sorted = sortPositiveData(data);
    const cand = powerLawCandidates(sorted, { minTail });
    const scan = powerLawScan(sorted, cand);
    const brute = bruteForceScan(data, minTail);
    expect(scan.xmins.length).toBe(brute.length);
    brute.forEach((row, c) => {
      expect(scan.xmins[c]).toBe(row.xmin);
      expect(Math.abs(scan.alphas[c]! - row.alpha)).toBeLessThanOrEqual(1e-11 * row.alpha);
      expect(Math.abs(scan.ks[c]! - row.ks)).toBeLessThanOrEqual(1e-12);
    });
    // The pruned minimum (used by the bootstrap) is the same candidate and value.
    const best = argminKs(scan.ks);
    for (const hint of [0, best, cand.start.length - 1])
      expect(powerLawScanMin(sorted, cand, hint)).toEqual({ candidate: best, ks: scan.ks[best] });
  });

  test('candidates: a number keeps at most that many, evenly spaced in rank, first and last included', () => {
    const sorted = sortPositiveData(paretoWithBody(2000, 2.5, 0.7, 'subsample'));
    const all = powerLawCandidates(sorted, { minTail: 50 });
    const some = powerLawCandidates(sorted, { minTail: 50, candidates: 25 });
    expect(all.start.length).toBe(2000 - 50 + 1);
    expect(some.start.length).toBe(25);
    expect(some.start[0]).toBe(all.start[0]);
    expect(some.start[24]).toBe(all.start.at(-1));
    const gaps = Array.from(some.start.subarray(1), (k, i) => k - some.start[i]!);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
  });

  test('MLE and KS at fixed x_min, and the whole scan, agree with numpy', () => {
    const data = paretoWithBody(3000, 2.2, 0.6, 'numpy');
    const sorted = sortPositiveData(data);
    const cand = powerLawCandidates(sorted, { minTail: 50, candidates: 40 });
    const scan = powerLawScan(sorted, cand);
    const ref = numpy<number[][]>(
      `x = np.sort(np.array(data['x']))
out = []
for xmin in data['xmins']:
    t = x[x >= xmin]
    n = len(t)
    a = 1 + n / np.sum(np.log(t / xmin))
    cf = 1 - (t / xmin) ** (1 - a)
    out.append([a, (a - 1) / np.sqrt(n), float(np.max(np.abs(np.arange(n) / n - cf))), n])`,
      { x: list(data), xmins: list(scan.xmins) },
    );
    if (!ref) return;
    ref.forEach(([alpha, se, ks, n], c) => {
      const at = powerLawAt(sorted, cand.start[c]!)!;
      expect(at.nTail).toBe(n);
      expect(Math.abs(at.alpha - alpha!)).toBeLessThanOrEqual(1e-12 * alpha!);
      expect(Math.abs(at.alphaStdErr - se!)).toBeLessThanOrEqual(1e-12 * se!);
      expect(Math.abs(at.ks - ks!)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(scan.alphas[c]! - alpha!)).toBeLessThanOrEqual(1e-11 * alpha!);
      expect(Math.abs(scan.ks[c]! - ks!)).toBeLessThanOrEqual(1e-12);
    });
  });

  test.skipIf(!powerlawPkg.ok)('agrees with the Python powerlaw package (x̂_min, α̂, D)', async () => {
    const data = paretoWithBody(3000, 2.5, 0.7, 'powerlaw-pkg');
    // powerlaw.Fit scans every distinct value but the largest: minTail = 2 here.
    const fit = expectOk(await fitPowerLawTail(data, { bootstrap: 0, compare: false, minTail: 2 }));
    const ref = python<number[]>(
      `import powerlaw
f = powerlaw.Fit(np.array(data['x']), verbose=False)
out = [float(f.xmin), float(f.alpha), float(f.D)]`,
      { x: list(data) },
    );
    expect(ref[0]).toBeCloseTo(fit.xmin, 10);
    expect(ref[1]).toBeCloseTo(fit.alpha, 8);
    expect(ref[2]).toBeCloseTo(fit.ks, 8);
  });

  describe.skipIf(!scipy.ok)(`special functions and model fits vs scipy${scipy.ok ? '' : ` (SKIPPED: ${scipy.why})`}`, () => {
    test('ln Γ(a, x) for positive, zero and negative a (gammaincc·gamma, expn, quad), and ln erfc', () => {
      const as = [-6.5, -3, -2.5, -1, -0.5, -1e-9, 0, 1e-9, 0.3, 0.5, 1, 2.5, 7, 30.5];
      const xs = [1e-10, 1e-4, 0.05, 0.5, 0.99, 1, 1.7, 4, 25, 120];
      const pairs = as.flatMap((a) => xs.map((x) => [a, x] as const));
      const ref = python<number[]>(
        `out = []
for a, x in data['pairs']:
    if a > 0:
        v = sp.gammaincc(a, x) * sp.gamma(a)
        if v > 1e-280 and np.isfinite(v):
            out.append(float(np.log(v))); continue
    if a <= 0 and float(a).is_integer():
        m = int(-a)   # Γ(−m, x) = x^{−m} E_{m+1}(x)
        v = sp.expn(m + 1, x)
        if v > 1e-280:
            out.append(float(np.log(v) - m * np.log(x))); continue
    # ∫_x^∞ t^{a−1} e^{−t} dt with t = x e^u, relative to its value at u = 0 (no under/overflow)
    f = lambda u: np.exp(a * u - x * np.expm1(u))
    v = integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-13, limit=500)[0]
    out.append(float(np.log(v) + a * np.log(x) - x))`,
        { pairs },
      );
      pairs.forEach(([a, x], i) => {
        const got = logUpperIncompleteGamma(a, x);
        expect(Math.abs(got - ref[i]!), `a=${a} x=${x}`).toBeLessThanOrEqual(1e-11 * Math.max(1, Math.abs(ref[i]!)));
      });
      const zs = [-8, -3, -0.7, -1e-6, 1e-9, 0.3, 1, 2.5, 6, 20, 80];
      const erfc = python<number[]>(`out = [float(np.log(2) + sp.log_ndtr(-z * np.sqrt(2))) for z in data]`, zs);
      zs.forEach((z, i) => expect(Math.abs(logErfc(z) - erfc[i]!), `z=${z}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(erfc[i]!))));
    });

    test('truncated power-law normalization ∫_{x_min}^∞ x^{−α}e^{−λx}dx = λ^{α−1}Γ(1−α, λx_min)', () => {
      const cases = [
        [2.5, 0.01, 1],
        [2.5, 3, 1],
        [1.8, 1e-6, 0.2],
        [2, 0.5, 2], // integer α: x_min^{1−α} E_α(λ x_min)
        [3, 1e-3, 5],
        [0.5, 2, 1], // α < 1: 1−α > 0, gammaincc·gamma
        [-1.5, 0.7, 3],
        [1, 0.05, 1e-3],
        [4.2, 40, 10],
      ];
      const ref = python<number[]>(
        `out = []
for a, lam, xmin in data:
    if float(a).is_integer() and a >= 1:
        v = xmin ** (1 - a) * sp.expn(int(a), lam * xmin)
    elif a < 1:
        v = lam ** (a - 1) * sp.gammaincc(1 - a, lam * xmin) * sp.gamma(1 - a)
    else:
        v = None
    # quad in u = ln(x / x_min), scaled by the integrand at x_min
    f = lambda u: np.exp((1 - a) * u - lam * xmin * np.expm1(u))
    q = integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-13, limit=500)[0]
    lq = np.log(q) + (1 - a) * np.log(xmin) - lam * xmin
    out.append([float(lq), None if v is None else float(np.log(v))])`,
        cases,
      ) as unknown as [number, number | null][];
      cases.forEach(([a, lam, xmin], i) => {
        const got = truncatedPowerLawLogNormalizer(a!, lam!, xmin!);
        const [quad, closed] = ref[i]!;
        expect(Math.abs(got - quad), `quad α=${a} λ=${lam}`).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(quad)));
        if (closed !== null)
          expect(Math.abs(got - closed), `closed α=${a} λ=${lam}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(closed)));
      });
      // λ → 0 tends to the power-law normalization x_min^{1−α}/(α−1).
      expect(truncatedPowerLawLogNormalizer(2.5, 1e-12, 2)).toBeCloseTo(truncatedPowerLawLogNormalizer(2.5, 0, 2), 8);
    });

    test('truncated power-law and lognormal MLEs match scipy.optimize; the densities integrate to 1', () => {
      const sorted = sortPositiveData(lognormalSample(3000, 'mle'));
      const k = Math.floor(0.55 * sorted.length);
      const xmin = sorted[k]!;
      const tail = sorted.subarray(k);
      const tpl = fitTruncatedPowerLaw(tail, xmin);
      const ln = fitLognormal(tail, xmin);
      expect(tpl.lambda).toBeGreaterThan(0);
      const ref = python<{ tpl: number[]; ln: number[]; tplAt: number; lnAt: number; tplMass: number; lnMass: number }>(
        `t = np.array(data['tail']); xmin = data['xmin']; n = len(t); z = t / xmin; lz = np.log(z)
def lnZ(a, lam):  # ln ∫_{xmin}^∞ x^{-a} e^{-lam x} dx by quad in u = ln(x/xmin)
    f = lambda u: np.exp((1 - a) * u - lam * xmin * np.expm1(u))
    return np.log(integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-12, limit=500)[0]) + (1 - a) * np.log(xmin) - lam * xmin
def tpl_ll(p):
    a, lam = p[0], np.exp(p[1]) / xmin
    return float(-a * np.sum(np.log(t)) - lam * np.sum(t) - n * lnZ(a, lam))
def ln_ll(p):
    mu, s = p[0], np.exp(p[1])
    lq = sp.log_ndtr((mu - np.log(xmin)) / s)
    return float(np.sum(-np.log(t) - np.log(s) - 0.5 * np.log(2 * np.pi) - (np.log(t) - mu) ** 2 / (2 * s * s)) - n * lq)
a0 = 1 + n / np.sum(lz)
r1 = optimize.minimize(lambda p: -tpl_ll(p), [a0, np.log(1 / np.mean(z))], method='Nelder-Mead', options=dict(xatol=1e-9, fatol=1e-11, maxiter=5000))
r2 = optimize.minimize(lambda p: -ln_ll(p), [np.mean(np.log(t)), np.log(np.std(np.log(t)))], method='Nelder-Mead', options=dict(xatol=1e-9, fatol=1e-11, maxiter=5000))
T = data['tpl']; L = data['ln']
tm = integrate.quad(lambda x: np.exp(-T[0] * np.log(x) - T[1] * x - lnZ(T[0], T[1])), xmin, np.inf, epsrel=1e-10, limit=500)[0]
lm = integrate.quad(lambda x: np.exp(-np.log(x) - np.log(L[1]) - 0.5 * np.log(2 * np.pi) - (np.log(x) - L[0]) ** 2 / (2 * L[1] ** 2) - sp.log_ndtr((L[0] - np.log(xmin)) / L[1])), xmin, np.inf, epsrel=1e-10, limit=500)[0]
out = dict(tpl=[float(r1.x[0]), float(np.exp(r1.x[1]) / xmin), -float(r1.fun)], ln=[float(r2.x[0]), float(np.exp(r2.x[1])), -float(r2.fun)],
           tplAt=tpl_ll([T[0], np.log(T[1] * xmin)]), lnAt=ln_ll([L[0], np.log(L[1])]), tplMass=tm, lnMass=lm)`,
        { tail: list(tail), xmin, tpl: [tpl.alpha, tpl.lambda], ln: [ln.mu, ln.sigma] },
      );
      // Our log-likelihoods equal scipy's at our parameters (the normalizations agree) ...
      expect(Math.abs(ref.tplAt - tpl.logLikelihood)).toBeLessThan(1e-7 * Math.abs(tpl.logLikelihood));
      expect(Math.abs(ref.lnAt - ln.logLikelihood)).toBeLessThan(1e-7 * Math.abs(ln.logLikelihood));
      // ... and are maxima at least as high as scipy's, at the same parameters.
      expect(tpl.logLikelihood).toBeGreaterThanOrEqual(ref.tpl[2]! - 1e-6);
      expect(ln.logLikelihood).toBeGreaterThanOrEqual(ref.ln[2]! - 1e-6);
      expect(Math.abs(tpl.alpha - ref.tpl[0]!)).toBeLessThan(1e-3);
      expect(Math.abs(tpl.lambda - ref.tpl[1]!)).toBeLessThan(1e-3 * ref.tpl[1]!);
      expect(Math.abs(ln.mu - ref.ln[0]!)).toBeLessThan(1e-3);
      expect(Math.abs(ln.sigma - ref.ln[1]!)).toBeLessThan(1e-3);
      expect(ref.tplMass).toBeCloseTo(1, 8);
      expect(ref.lnMass).toBeCloseTo(1, 8);
      // The pointwise densities sum to the reported log-likelihoods.
      const sum = (a: Float64Array): number => a.reduce((s, v) => s + v, 0);
      expect(sum(truncatedPowerLawLogPdf(tail, xmin, tpl.alpha, tpl.lambda))).toBeCloseTo(tpl.logLikelihood, 6);
      expect(sum(lognormalLogPdf(tail, xmin, ln.mu, ln.sigma))).toBeCloseTo(ln.logLikelihood, 6);
    });

    test("Vuong's R and p, and the nested boundary p-value, match their closed forms", () => {
      const r = rng('vuong');
      const a = Float64Array.from({ length: 500 }, () => r.normal());
      const b = Float64Array.from(a, (v) => v + 0.05 + 0.3 * r.normal());
      const v = vuongTest(a, b);
      const ref = python<number[]>(
        `d = np.array(data['a']) - np.array(data['b']); n = len(d); R = d.sum(); s2 = np.mean((d - d.mean()) ** 2)
from scipy.stats import chi2
out = [float(R / np.sqrt(n * s2)), float(R), float(sp.erfc(abs(R) / np.sqrt(2 * n * s2))), float(0.5 * chi2.sf(2 * 1.7, 1))]`,
        { a: list(a), b: list(b) },
      );
      expect(v.R).toBeCloseTo(ref[0]!, 10);
      expect(v.logLikelihoodRatio).toBeCloseTo(ref[1]!, 9);
      expect(v.p).toBeCloseTo(ref[2]!, 12);
      expect(nestedBoundaryP(1.7)).toBeCloseTo(ref[3]!, 14);
      expect(nestedBoundaryP(0)).toBe(1);
      expect(vuongTest(a, a)).toEqual({ R: 0, logLikelihoodRatio: 0, p: 1 });
    });
  });

  test('goodness of fit: a seeded power law gives p > 0.1; a lognormal gives p < 0.1; same seed, same p', async () => {
    const r = rng('gof-pl');
    const pl = Float64Array.from({ length: 2000 }, () => pareto(r, 1, 2.5));
    const fitPl = expectOk(await fitPowerLawTail(pl, { bootstrap: 60, seed: 3 }));
    expect(fitPl.pValue).toBeGreaterThan(0.1);
    expect(fitPl.bootstrap!.count).toBe(60);
    expect(fitPl.bootstrap!.ks.length).toBe(60);
    expect(fitPl.pValue).toBe(fitPl.bootstrap!.exceed / 60);
    const again = expectOk(await fitPowerLawTail(pl, { bootstrap: 60, seed: 3, compare: false }));
    expect(again.pValue).toBe(fitPl.pValue);
    // Likelihood ratios on power-law data: neither alternative is significantly better.
    const c = fitPl.comparisons!;
    for (const alt of [c.truncatedPowerLaw, c.lognormal]) expect(alt.R > 0 || alt.p > 0.1).toBe(true);
    expect(c.truncatedPowerLaw.nestedP).toBeGreaterThan(0.1);

    // A lognormal whose tail must hold a fifth of the points (x_min cannot retreat into the far,
    // power-law-looking tail): the power law is rejected.
    const ln = lognormalSample(5000, 'gof-ln');
    const fitLn = expectOk(await fitPowerLawTail(ln, { bootstrap: 60, seed: 3, minTail: 1000 }));
    expect(fitLn.pValue).toBeLessThan(0.1);
    // The likelihood-ratio test prefers the lognormal (R < 0, significant), and the truncated power law.
    const l = fitLn.comparisons!.lognormal;
    expect(l.R).toBeLessThan(0);
    expect(l.p).toBeLessThan(0.1);
    // The lognormal MLE beats the true parameters (μ = 0, σ = 1) on the tail it was fitted to.
    const tail = sortPositiveData(ln).subarray(fitLn.n - fitLn.nTail);
    const atTruth = lognormalLogPdf(tail, fitLn.xmin, 0, 1).reduce((s, v) => s + v, 0);
    expect(l.logLikelihood).toBeGreaterThanOrEqual(atTruth);
    expect(fitLn.comparisons!.truncatedPowerLaw.nestedP).toBeLessThan(0.1);
  });

  test('bad input: NaN, ±∞, negative, zero, empty → InvalidArgumentError naming data; bad options name themselves', async () => {
    for (const bad of [[1, 2, NaN], [1, Infinity], [3, -1, 2], [0, 1, 2], []]) {
      const error = await fitPowerLawTail(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('data');
    }
    const data = paretoWithBody(200, 2.5, 0.7, 'options');
    for (const [options, name] of [
      [{ minTail: 1 }, 'minTail'],
      [{ minTail: 2.5 }, 'minTail'],
      [{ candidates: 0 }, 'candidates'],
      [{ bootstrap: -1 }, 'bootstrap'],
      [{ seed: NaN }, 'seed'],
    ] as const) {
      const error = await fitPowerLawTail(data, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(name);
    }
  });

  test('too few points or a constant tail → { ok: false, code, reason } without NaN', async () => {
    const few = await fitPowerLawTail([1, 2, 3], { minTail: 10 });
    expect(few).toEqual({ ok: false, code: 'too-few-points', reason: expect.stringContaining('minTail'), n: 3, minTail: 10 });
    const flat = await fitPowerLawTail(new Float64Array(100).fill(2.5));
    expect(flat.ok).toBe(false);
    if (!flat.ok) expect(flat.code).toBe('no-candidate');
    expect(numbersIn(flat).every(Number.isFinite)).toBe(true);
    // The default minTail is 50.
    expect((await fitPowerLawTail(paretoWithBody(49, 2, 1, 'forty-nine'))).ok).toBe(false);
    const fit = expectOk(await fitPowerLawTail(paretoWithBody(50, 2, 1, 'fifty'), { bootstrap: 5 }));
    expect(fit.nTail).toBe(50);
    expect(tailStatistics(sortPositiveData([1, 2]), 1).n).toBe(2);
  });
});
