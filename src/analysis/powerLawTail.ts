/**
 * Power-law tail fits of eigenvalue distributions after Clauset, Shalizi & Newman (2009), "Power-law
 * distributions in empirical data", SIAM Review 51:661–703 (CSN): the x_min that minimizes the KS
 * distance, the MLE exponent and its standard error, the semi-parametric bootstrap goodness-of-fit
 * p-value, and likelihood-ratio comparisons with the exponentially truncated power law and the
 * lognormal.
 *
 * The x_min scan is vectorized: the data are sorted once, Σ ln(x_j/x_min) for every candidate comes
 * from one float64 recurrence (O(1) per candidate), and the KS distances of all candidates — O(N)
 * each, O(N·C) in all — run in one GPU dispatch (shaders/analysis/powerLawScan.wgsl) when a
 * context is given and the work is large enough, or in float64 on the CPU
 * (src/reference/powerLawTail.ts). The bootstrap refits every synthetic data set with the same
 * scan (batched into few dispatches on the GPU; with exact pruning on the CPU).
 *
 * Precision contract of the GPU path: scan.alphas are float64 always; scan.ks are f32 GPU values
 * (≲ 1e-6 absolute from the float64 D); x̂_min is the GPU argmin, so its float64 D is within about
 * 2e-6 of the true minimum; `alpha`, `alphaStdErr` and `ks` of the result are recomputed in
 * float64 at x̂_min, and so is each bootstrap replicate's D at its own GPU-chosen x_min.
 *
 * Degenerate data: non-finite, non-positive or no values throw {@link InvalidArgumentError}
 * naming `data`; too few points (N < minTail) or no usable candidate return
 * `{ ok: false, code, reason }` ({@link PowerLawTailFailure}). No field of a result is ever NaN.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { powerLawScanGpu, powerLawScanSegments } from '../kernels/powerLawScan.ts';
import {
  argminKs,
  candidateAlphas,
  fitLognormal,
  fitPowerLawTailMle,
  fitTruncatedPowerLaw,
  lognormalLogPdf,
  nestedBoundaryP,
  powerLawCandidates,
  powerLawKs,
  powerLawLogPdf,
  powerLawScan,
  powerLawScanMin,
  resolveCandidateOptions,
  semiParametricSample,
  sortPositiveData,
  tailStatistics,
  truncatedPowerLawLogPdf,
  vuongTest,
  type CandidateOptions,
  type LognormalFit,
  type PowerLawCandidates,
  type PowerLawScan,
  type TruncatedPowerLawFit,
  type VuongTest,
} from '../reference/powerLawTail.ts';
import { Random } from '../util/random.ts';

/** Options of {@link fitPowerLawTail}. */
export interface PowerLawTailOptions extends CandidateOptions {
  /** A GPU context to run the KS scans on, or `'cpu'` (default) for float64 on the host. */
  readonly context?: GpuContext | 'cpu';
  /**
   * Synthetic data sets for the goodness-of-fit p-value (CSN §4.1). Default 100; 0 skips it. The
   * p-value's standard error is √(p(1−p)/B): CSN recommend B ≥ 2500 for ±0.01 precision.
   */
  readonly bootstrap?: number;
  /** Seed of the bootstrap. Default 0. */
  readonly seed?: number;
  /** Fit the truncated power law and the lognormal on the tail and compare. Default true. */
  readonly compare?: boolean;
  /**
   * With a GPU context, scans with fewer than this many point evaluations (Σ over candidates of
   * their tail sizes) stay on the CPU, where a dispatch would cost more than it saves. Default 2²⁰.
   */
  readonly gpuMinWork?: number;
}

/** A likelihood-ratio comparison of the power law (first) with an alternative (second) on the tail. */
export type LikelihoodRatioComparison = VuongTest;

/** The truncated power law fitted on the tail, and Vuong's test and the nested test against it. */
export interface TruncatedPowerLawComparison extends TruncatedPowerLawFit, LikelihoodRatioComparison {
  /**
   * p-value of the nested likelihood-ratio test (power law = truncated power law at λ = 0) with the
   * boundary correction: ½·P(χ²₁ ≥ 2Δℓ). Small values favour the truncated power law. (The
   * `powerlaw` package reports the uncorrected P(χ²₁ ≥ 2Δℓ), twice this.)
   */
  readonly nestedP: number;
}

/** The lognormal fitted on the tail (conditioned on y ≥ x_min) and Vuong's test against it. */
export interface LognormalComparison extends LognormalFit, LikelihoodRatioComparison {}

/** Likelihood-ratio comparisons on the tail y ≥ x̂_min. R > 0 favours the power law; p < 0.1 makes the sign significant (CSN). */
export interface PowerLawComparisons {
  /** Log-likelihood of the power-law fit on the tail. */
  readonly powerLawLogLikelihood: number;
  /** The exponentially truncated power law: its fit, Vuong's test and the nested test. */
  readonly truncatedPowerLaw: TruncatedPowerLawComparison;
  /** The lognormal (conditioned on y ≥ x̂_min): its fit and Vuong's test. */
  readonly lognormal: LognormalComparison;
}

/** The semi-parametric bootstrap behind `pValue`. */
export interface PowerLawBootstrap {
  /** Synthetic data sets that were fitted (the p-value's denominator). */
  readonly count: number;
  /** Of those, how many had D ≥ the observed D. */
  readonly exceed: number;
  /** Synthetic data sets with no usable candidate (left out of count; practically never). */
  readonly failed: number;
  /** D of each fitted synthetic data set at its own x̂_min. */
  readonly ks: Float64Array;
}

/** A power-law tail fit. */
export interface PowerLawTailFit {
  /** Always true: a tail was fitted. */
  readonly ok: true;
  /** x̂_min: the candidate with the smallest KS distance. */
  readonly xmin: number;
  /** MLE α̂ = 1 + n/Σ ln(x_i/x̂_min) over the tail. */
  readonly alpha: number;
  /** (α̂ − 1)/√n. */
  readonly alphaStdErr: number;
  /** KS distance D at x̂_min (float64). */
  readonly ks: number;
  /** Points ≥ x̂_min. */
  readonly nTail: number;
  /** All points. */
  readonly n: number;
  /** Fraction of synthetic data sets with D ≥ D_obs (present when `bootstrap` > 0). CSN rule: p ≤ 0.1 rules the power law out. */
  readonly pValue?: number;
  /** The bootstrap behind `pValue` (present when `bootstrap` > 0). */
  readonly bootstrap?: PowerLawBootstrap;
  /** Present unless `compare: false`. */
  readonly comparisons?: PowerLawComparisons;
  /** α̂ and D for every candidate x_min (the curve whose minimum is x̂_min). */
  readonly scan: PowerLawScan;
  /** Where the KS scans ran. */
  readonly backend: 'gpu' | 'cpu';
}

/** A fit that could not be made (too few points): why. No numbers that would be NaN. */
export interface PowerLawTailFailure {
  /** Always false: no fit. */
  readonly ok: false;
  /** `'too-few-points'`: N < minTail; `'no-candidate'`: every tail of ≥ minTail points is a single repeated value. */
  readonly code: 'too-few-points' | 'no-candidate';
  /** Why, in words. */
  readonly reason: string;
  /** Points given. */
  readonly n: number;
  /** Fewest points a tail may have. */
  readonly minTail: number;
}

/** Result of {@link fitPowerLawTail}: branch on `ok`. */
export type PowerLawTailResult = PowerLawTailFit | PowerLawTailFailure;

const DEFAULT_BOOTSTRAP = 100;
const DEFAULT_GPU_MIN_WORK = 2 ** 20;
/** Largest x_max/x_min a data set may span on the GPU (scaled f32 values stay within 1e±30). */
const GPU_MAX_RANGE = 1e60;
/** Most data points (and candidates) batched into one dispatch. */
const GPU_BATCH_ELEMENTS = 2 ** 22;
/** Most point evaluations batched into one dispatch (≈ 0.1 s on a discrete GPU; keeps clear of driver watchdogs). */
const GPU_BATCH_WORK = 2 ** 30;

interface DataSet {
  readonly sorted: Float64Array;
  readonly cand: PowerLawCandidates;
}

/** Σ over candidates of their tail sizes: point evaluations of one scan. */
function scanWork(set: DataSet): number {
  let w = 0;
  for (const k of set.cand.start) w += set.sorted.length - k;
  return w;
}

/** Whether the GPU scan can take this data set (f32 range, one binding, u32 thread indices). */
function gpuCanScan(ctx: GpuContext, set: DataSet): boolean {
  const { sorted, cand } = set;
  const first = cand.start[0]!;
  const span = sorted.length - first;
  const maxElements = Math.floor(ctx.limits.maxStorageBufferBindingSize / 4);
  return (
    sorted[sorted.length - 1]! / sorted[first]! <= GPU_MAX_RANGE &&
    span <= maxElements &&
    cand.start.length <= maxElements &&
    cand.start.length * powerLawScanSegments(span).segments < 2 ** 32
  );
}

/** KS distances (f32 values) of each data set's candidates, in as few dispatches as fit. */
async function scanGpu(ctx: GpuContext, sets: readonly DataSet[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const maxElements = Math.min(GPU_BATCH_ELEMENTS, Math.floor(ctx.limits.maxStorageBufferBindingSize / 4));
  let i = 0;
  while (i < sets.length) {
    let elements = 0;
    let candidates = 0;
    let work = 0;
    let j = i;
    while (j < sets.length) {
      const s = sets[j]!;
      const e = s.sorted.length - s.cand.start[0]!;
      const w = scanWork(s);
      if (j > i && (elements + e > maxElements || candidates + s.cand.start.length > maxElements || work + w > GPU_BATCH_WORK)) break;
      elements += e;
      candidates += s.cand.start.length;
      work += w;
      j++;
    }
    const x = new Float32Array(elements);
    const tailStart = new Uint32Array(candidates);
    const tailEnd = new Uint32Array(candidates);
    const logSum = new Float32Array(candidates);
    let xOff = 0;
    let cOff = 0;
    for (let b = i; b < j; b++) {
      const { sorted, cand } = sets[b]!;
      const first = cand.start[0]!;
      const n = sorted.length;
      const scale = Math.sqrt(sorted[first]!) * Math.sqrt(sorted[n - 1]!);
      for (let t = first; t < n; t++) x[xOff + t - first] = sorted[t]! / scale;
      for (let c = 0; c < cand.start.length; c++) {
        tailStart[cOff + c] = xOff + cand.start[c]! - first;
        tailEnd[cOff + c] = xOff + n - first;
        logSum[cOff + c] = cand.logSum[c]!;
      }
      xOff += n - first;
      cOff += cand.start.length;
    }
    const { ks } = await powerLawScanGpu(ctx, { x, tailStart, tailEnd, logSum });
    cOff = 0;
    for (let b = i; b < j; b++) {
      const count = sets[b]!.cand.start.length;
      out.push(ks.slice(cOff, cOff + count));
      cOff += count;
    }
    i = j;
  }
  return out;
}

/** Index of the candidate whose start is closest to k (the start array is ascending). */
function nearestCandidate(start: Int32Array, k: number): number {
  let lo = 0;
  let hi = start.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (start[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(start[lo - 1]! - k) <= Math.abs(start[lo]! - k)) return lo - 1;
  return lo;
}

function compareOnTail(tail: Float64Array, xmin: number, alpha: number): PowerLawComparisons {
  const stats = tailStatistics(tail, xmin);
  const plLogLik = fitPowerLawTailMle(stats).logLikelihood;
  const plPoint = powerLawLogPdf(tail, xmin, alpha);
  const tpl = fitTruncatedPowerLaw(tail, xmin, stats);
  const tplPoint = tpl.lambda === 0 ? plPoint : truncatedPowerLawLogPdf(tail, xmin, tpl.alpha, tpl.lambda);
  const ln = fitLognormal(tail, xmin, stats);
  const lnPoint = lognormalLogPdf(tail, xmin, ln.mu, ln.sigma);
  return {
    powerLawLogLikelihood: plLogLik,
    truncatedPowerLaw: { ...tpl, ...vuongTest(plPoint, tplPoint), nestedP: nestedBoundaryP(tpl.logLikelihood - plLogLik) },
    lognormal: { ...ln, ...vuongTest(plPoint, lnPoint) },
  };
}

/**
 * Fits a power-law tail to `data` (e.g. the eigenvalues of a weight matrix or an NTK) by the
 * method of Clauset, Shalizi & Newman (2009): x̂_min minimizes the KS distance over the candidates,
 * α̂ is the MLE above it, the p-value comes from the semi-parametric bootstrap, and the power law
 * is compared with the truncated power law and the lognormal by likelihood ratios.
 *
 * Cost: one scan is O(N·C) point evaluations (N points, C candidates: C ≈ N with
 * `candidates: 'all'`), and the bootstrap repeats it B times; cap `candidates` (e.g. 1000) for
 * large N on the CPU. With a GPU context the scans run there (see `gpuMinWork`).
 *
 * @example
 * ```ts
 * import { fitPowerLawTail } from 'grsd';
 * const fit = await fitPowerLawTail(eigenvalues, { context: ctx, bootstrap: 500, seed: 1 });
 * if (fit.ok) {
 *   console.log(fit.xmin, fit.alpha, '±', fit.alphaStdErr, 'p =', fit.pValue);
 *   console.log('vs lognormal: R =', fit.comparisons!.lognormal.R, 'p =', fit.comparisons!.lognormal.p);
 * } else console.log(fit.reason);
 * ```
 */
export async function fitPowerLawTail(data: ArrayLike<number>, options: PowerLawTailOptions = {}): Promise<PowerLawTailResult> {
  const context = options.context ?? 'cpu';
  if (context === 'cpu') return fitPowerLawTailCpu(data, options);
  const prepared = prepare(data, options);
  if (!prepared.ok) return prepared.failure;
  const { sorted, cand, candOptions, bootstrap, seed } = prepared;
  const n = sorted.length;
  const ctx = context;
  const observed: DataSet = { sorted, cand };
  const useGpu = scanWork(observed) >= prepared.gpuMinWork && gpuCanScan(ctx, observed);

  let scan: PowerLawScan;
  if (useGpu) {
    const [ks] = await scanGpu(ctx, [observed]);
    scan = {
      xmins: Float64Array.from(cand.start, (k) => sorted[k]!),
      alphas: candidateAlphas(sorted, cand),
      ks: Float64Array.from(ks!),
      tailSizes: Int32Array.from(cand.start, (k) => n - k),
    };
  } else {
    scan = powerLawScan(sorted, cand);
  }
  const fit = observedFit(sorted, cand, scan, useGpu);

  if (bootstrap > 0) {
    const rng = new Random(seed);
    const synthKs: number[] = [];
    let failed = 0;
    const pending: DataSet[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const results = await scanGpu(ctx, pending);
      pending.forEach((set, b) => {
        const c = argminKs(results[b]!);
        const kc = set.cand.start[c]!;
        synthKs.push(powerLawKs(set.sorted, kc, 1 + (set.sorted.length - kc) / set.cand.logSum[c]!));
      });
      pending.length = 0;
    };
    let pendingElements = 0;
    let pendingWork = 0;
    const k = n - fit.nTail;
    for (let b = 0; b < bootstrap; b++) {
      const synth = semiParametricSample(sorted, k, fit.alpha, rng).sort();
      const sc = powerLawCandidates(synth, candOptions);
      if (sc.start.length === 0) {
        failed++;
        continue;
      }
      const set: DataSet = { sorted: synth, cand: sc };
      if (useGpu && gpuCanScan(ctx, set)) {
        pending.push(set);
        pendingElements += n;
        pendingWork += scanWork(set);
        if (pendingElements >= GPU_BATCH_ELEMENTS || pendingWork >= GPU_BATCH_WORK) {
          await flush();
          pendingElements = 0;
          pendingWork = 0;
        }
      } else {
        synthKs.push(powerLawScanMin(synth, sc, nearestCandidate(sc.start, k)).ks);
      }
    }
    await flush();
    attachBootstrap(fit, synthKs, failed);
  }
  if (options.compare ?? true) fit.comparisons = compareOnTail(sorted.subarray(n - fit.nTail), fit.xmin, fit.alpha);
  return fit;
}

/**
 * {@link fitPowerLawTail} on the CPU, synchronously (float64 scans, exact pruning in the
 * bootstrap): the same result as `fitPowerLawTail(data, { context: 'cpu', … })`.
 */
export function fitPowerLawTailCpu(data: ArrayLike<number>, options: Omit<PowerLawTailOptions, 'context'> = {}): PowerLawTailResult {
  const prepared = prepare(data, options);
  if (!prepared.ok) return prepared.failure;
  const { sorted, cand, candOptions, bootstrap, seed } = prepared;
  const n = sorted.length;
  const fit = observedFit(sorted, cand, powerLawScan(sorted, cand), false);
  if (bootstrap > 0) {
    const rng = new Random(seed);
    const synthKs: number[] = [];
    let failed = 0;
    const k = n - fit.nTail;
    for (let b = 0; b < bootstrap; b++) {
      const synth = semiParametricSample(sorted, k, fit.alpha, rng).sort();
      const sc = powerLawCandidates(synth, candOptions);
      if (sc.start.length === 0) failed++;
      else synthKs.push(powerLawScanMin(synth, sc, nearestCandidate(sc.start, k)).ks);
    }
    attachBootstrap(fit, synthKs, failed);
  }
  if (options.compare ?? true) fit.comparisons = compareOnTail(sorted.subarray(n - fit.nTail), fit.xmin, fit.alpha);
  return fit;
}

type MutableFit = { -readonly [K in keyof PowerLawTailFit]: PowerLawTailFit[K] };

/** Validated options and the candidates, or the failure for too little data. */
function prepare(
  data: ArrayLike<number>,
  options: PowerLawTailOptions,
):
  | {
      ok: true;
      sorted: Float64Array;
      cand: PowerLawCandidates;
      candOptions: ReturnType<typeof resolveCandidateOptions>;
      bootstrap: number;
      seed: number;
      gpuMinWork: number;
    }
  | { ok: false; failure: PowerLawTailFailure } {
  const sorted = sortPositiveData(data, 'data');
  const candOptions = resolveCandidateOptions(options);
  const { minTail } = candOptions;
  const bootstrap = options.bootstrap ?? DEFAULT_BOOTSTRAP;
  if (!Number.isInteger(bootstrap) || bootstrap < 0)
    throw new InvalidArgumentError('bootstrap', `must be a non-negative integer, got ${bootstrap}`);
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new InvalidArgumentError('seed', `must be a finite number, got ${seed}`);
  const gpuMinWork = options.gpuMinWork ?? DEFAULT_GPU_MIN_WORK;
  if (!(gpuMinWork >= 0)) throw new InvalidArgumentError('gpuMinWork', `must be ≥ 0, got ${gpuMinWork}`);
  const n = sorted.length;
  if (n < minTail) {
    return {
      ok: false,
      failure: { ok: false, code: 'too-few-points', reason: `${n} points is fewer than minTail = ${minTail}`, n, minTail },
    };
  }
  const cand = powerLawCandidates(sorted, candOptions);
  if (cand.start.length === 0) {
    return {
      ok: false,
      failure: {
        ok: false,
        code: 'no-candidate',
        reason: `no candidate x_min has a tail of ≥ ${minTail} points that is not a single repeated value`,
        n,
        minTail,
      },
    };
  }
  return { ok: true, sorted, cand, candOptions, bootstrap, seed, gpuMinWork };
}

/** The fit at the scan's KS minimum (α̂, its SE and D recomputed in float64 there). */
function observedFit(sorted: Float64Array, cand: PowerLawCandidates, scan: PowerLawScan, useGpu: boolean): MutableFit {
  const n = sorted.length;
  const best = argminKs(scan.ks);
  const k = cand.start[best]!;
  const alpha = scan.alphas[best]!;
  const nTail = n - k;
  return {
    ok: true,
    xmin: sorted[k]!,
    alpha,
    alphaStdErr: (alpha - 1) / Math.sqrt(nTail),
    ks: useGpu ? powerLawKs(sorted, k, alpha) : scan.ks[best]!,
    nTail,
    n,
    scan,
    backend: useGpu ? 'gpu' : 'cpu',
  };
}

function attachBootstrap(fit: MutableFit, synthKs: readonly number[], failed: number): void {
  const exceed = synthKs.filter((d) => d >= fit.ks).length;
  const count = synthKs.length;
  if (count > 0) fit.pValue = exceed / count;
  fit.bootstrap = { count, exceed, failed, ks: Float64Array.from(synthKs) };
}
