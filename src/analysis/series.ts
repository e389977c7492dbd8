/**
 * The GRSD series pipeline: checkpoints of a training run in, shell energies, dissipation,
 * flow/transport matrices, flux and velocity out — streaming (one checkpoint at a time, for
 * visualizers) or all at once (docs/math.md).
 *
 * `GrsdSeries` is the orchestrator: it validates every checkpoint (one validation for every
 * backend, src/analysis/checkpointData.ts), fixes the shell grid, scales λ = timeScale·θ, assigns
 * shells in float64, keeps the per-checkpoint and per-interval bookkeeping and notifies listeners.
 * The numerical work is a {@link SeriesBackend}'s (src/analysis/seriesBackend.ts): the float64
 * reference on the host (`'cpu'`), or the GPU (src/algorithms/spectralCheckpoint.ts and
 * intervalTransport.ts). Per checkpoint the backend returns the top-r eigenvalues and the
 * amplitudes c = U e; per interval the flow matrix of the transport estimator, the overlap O = U Vᵀ
 * and the Kato projections; everything else (transport, dissipation, flux, velocity, the Kato
 * terms and the checks) is float64 host arithmetic here and in transport.ts and kato.ts.
 * @module
 */
import type { HostMatrixData } from '../algorithms/operators.ts';
import { DisposedError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { assignShell } from '../reference/shells.ts';
import { spectralChecks } from './checks.ts';
import {
  validateCheckpoint,
  type CheckpointData,
  type FlatCheckpointData,
  type JacobianInput,
  type KernelInput,
  type ShapedMatrix,
} from './checkpointData.ts';
import { Float64SeriesBackend } from './float64SeriesBackend.ts';
import { GpuSeriesBackend } from './gpuSeriesBackend.ts';
import { katoFromProjections, type KatoResult } from './kato.ts';
import { largestEigenvalueBound, validLambdaMaxBound } from './lambdaMax.ts';
import { resolutionCheck, transportResolution, type TransportResolution } from './resolution.ts';
import type { BackendCheckpoint, CheckpointSpectrum, LanczosDiagnostics, SeriesBackend } from './seriesBackend.ts';
import { ShellGrid } from './shellGrid.ts';
import { intervalQuantities, type IntervalQuantities } from './transport.ts';

export type { CheckpointData, FlatCheckpointData, JacobianInput, KernelInput, ShapedMatrix };

/** Eigenpairs per checkpoint by default (and where `rank: 'auto'` starts). */
const DEFAULT_RANK = 256;

/** Options of the series pipeline. */
export interface SeriesOptions {
  /** M = timeScale·K (docs/math.md, "The operator"): η/N for per-step time, 1/N for gradient-flow time. Default 1. */
  readonly timeScale?: number;
  /**
   * Eigenpairs per checkpoint; the rest of the residual is the complement ⊥. A number (default
   * min(n, 256)), or `'auto'`: per checkpoint the smallest rank, doubling from min(n, 256) (or from
   * the previous checkpoint's rank), whose eigenpairs hold `captureShare` of ‖e‖², up to n.
   */
  readonly rank?: number | 'auto';
  /** With `rank: 'auto'`: the share of ‖e‖² the computed eigenpairs must hold (window + ∅). Default 0.99. */
  readonly captureShare?: number;
  /** Lanczos steps per checkpoint (default: adaptive, see eigsh). */
  readonly steps?: number;
  /** Seed of the Lanczos start vectors. Default 0. */
  readonly seed?: number;
  /** A fixed grid (e.g. shared by several runs). Otherwise built from `gridOptions` and the first λ_max. */
  readonly grid?: ShellGrid;
  /** How the grid is built when `grid` is not given (the fields of {@link ShellGridOptions}, with series defaults). */
  readonly gridOptions?: {
    /** λ_ref > 0 (default 1); keep it fixed across runs: LSI is a statement about an absolute grid. */
    readonly lambdaRef?: number;
    /** Shell width h in ln λ (default ln10/4). Mutually exclusive with `shellsPerDecade`. */
    readonly width?: number;
    /** Alternative to `width`: h = ln10 / shellsPerDecade. */
    readonly shellsPerDecade?: number;
    /** Absolute floor; default floorRelative·λ_max. */
    readonly floor?: number;
    /**
     * Default {@link defaultFloorRelative} of the precision of the backend and of the first
     * checkpoint's data (the coarser): 1e-5 with f32 Lanczos on K or f32 data (docs/accuracy.md:
     * resolved down to ≈ 1e-5·λ_max), 100·n·u with float64 (u = 2⁻⁵³).
     */
    readonly floorRelative?: number;
    /** Largest λ to hold (default: λ_max of the first checkpoint, or of all with analyzeSeries). */
    readonly lambdaMax?: number;
    /** Extra shells above `lambdaMax` (for λ that grow during training). Default 1. */
    readonly headroom?: number;
  };
  /** Probe-set size N for the loss L = ‖e‖²/(2N). Default n. */
  readonly probePoints?: number;
  /** Multiplier of λc² in the instantaneous dissipation (docs/math.md, "Shells"). Default 2. */
  readonly dissipationFactor?: number;
  /** Flux locality w (docs/math.md, "Flux and velocity"). Default 1. */
  readonly locality?: number;
  /** Velocity floor ε_g. Default 1e-6. */
  readonly gEpsilon?: number;
  /** Eigenvectors whose delocalization n·IPR is measured: 'first' checkpoint (default), 'all' or 'none'. */
  readonly iprCheckpoints?: 'first' | 'all' | 'none';
  /** Kato-form estimator (on by default; needs the operators of both checkpoints, kept one interval). δ = deltaRelative·λ_max (default 1e-6). */
  readonly kato?:
    | boolean
    | {
        /** The Kato regularization δ relative to λ_max (default 1e-6). */
        readonly deltaRelative?: number;
      };
}

/** Per-checkpoint results. Shell arrays have length grid.size (window shells, ∅, ⊥). */
export interface CheckpointResult {
  /** Position in the series (0 for the first pushed checkpoint). */
  readonly index: number;
  /** The checkpoint's time, in the run's time unit. */
  readonly t: number;
  /** L = ‖e‖²/(2N). */
  readonly loss: number;
  /** ‖e‖², the residual's energy (the sum of the shell energies, ∅ and ⊥ included). */
  readonly residualNorm2: number;
  /** Computed eigenvalues λ = timeScale·θ, descending. */
  readonly eigenvalues: Float64Array;
  /** E_α = Σ_{k∈α} c_k²; ∅ holds λ < floor; ⊥ = ‖e‖² − Σ_k c_k². Sums to ‖e‖². */
  readonly energy: Float64Array;
  /** Instantaneous dissipation rate dissipationFactor·Σ_{k∈α} λ_k c_k² (⊥: 0, unknown λ). */
  readonly dissipation: Float64Array;
  /** Eigenvalues per shell (⊥: n − r). */
  readonly counts: Float64Array;
  /** Amplitudes c_k = u_kᵀ e of the computed eigenpairs (order of `eigenvalues`). */
  readonly amplitudes: Float64Array;
  /** Shell index of each computed eigenvalue. */
  readonly shellIndex: Int32Array;
  /** Eigenvalues within τ_b of a shell boundary (their shell is gauge-dependent). */
  readonly boundaryFlagged: number;
  /** Eigenvalues above the window, clamped into the top shell. */
  readonly clampedAbove: number;
  /** Lanczos diagnostics (GPU path). */
  readonly lanczos: LanczosDiagnostics | null;
  /** How much of the residual the computed eigenpairs hold, and whether the rank asked for was delivered. */
  readonly capture: CheckpointCapture;
  /** n·IPR_k = n Σ_i u_ki⁴ of each eigenvector (≈ 3 for random directions; condition C2c, docs/conditions.md), when computed (see `iprCheckpoints`). */
  readonly ipr: Float64Array | null;
  /** tr K_l / tr K per layer kernel (condition C1a companion, docs/conditions.md), when layers are given. */
  readonly layerTraceShare: Float64Array | null;
  /** ‖K_l(t) − K_l(t₀)‖_F / ‖K_l(t₀)‖_F per layer relative to the first checkpoint (docs/math.md, Kato form), when layers are given. */
  readonly layerKernelDrift: Float64Array | null;
}

/** What a checkpoint's eigenpairs capture (see {@link CheckpointResult.capture}). */
export interface CheckpointCapture {
  /** Eigenpairs asked for in the final solve (with `rank: 'auto'`, after growing). */
  readonly requested: number;
  /** Eigenpairs returned. */
  readonly returned: number;
  /** Why fewer than `requested` were returned; null when all were. */
  readonly shortfall: string | null;
  /** Returned eigenpairs whose error bound missed the convergence tolerance (GPU; 0 on the float64 backend). */
  readonly unconverged: number;
  /** E_⊥/‖e‖²: the share of the residual outside the computed eigenpairs (0 when e = 0). */
  readonly complementShare: number;
  /** E_∅/‖e‖²: the share in computed eigenpairs below the floor. */
  readonly floorShare: number;
}

/** Per-interval results: {@link IntervalQuantities} plus the Kato estimator when computed. */
export interface IntervalResult extends IntervalQuantities {
  /** Position in the series: interval i spans checkpoints i and i + 1. */
  readonly index: number;
  /**
   * Kato-form transport rates ((S+2)², ⊥ row/column zero), its per-layer split, δ, and the phase
   * coherence Z_στ = |Σ w|/√(Σ w²) of its mode-pair terms (docs/math.md).
   */
  readonly kato: KatoResult | null;
  /** ‖K_{i+1} − K_i‖_F / ‖K_i‖_F (dense kernels given on the host), else null. */
  readonly kernelDrift: number | null;
  /**
   * ‖P^{(i+1)}_α − P^{(i)}_α‖_F² per computed shell (window + ∅), from O = UVᵀ:
   * n_α + n'_α − 2 Σ_{j∈α, k∈α'} O_jk² (condition C3c, docs/conditions.md).
   */
  readonly projectorChange: Float64Array;
  /**
   * What the interval resolves: the error scale of the flow matrix and of every transport rate and
   * flux (4√n·u·‖a‖²/Δt), and which flux and velocity boundaries are resolved (docs/accuracy.md).
   * On the GPU (f32) the check `transportResolution` is not applicable when even the largest rate is not.
   */
  readonly resolution: TransportResolution;
}

/** What one push produces. */
export interface SeriesStep {
  /** The pushed checkpoint's results. */
  readonly checkpoint: CheckpointResult;
  /** The interval ending at it (null for the first checkpoint). */
  readonly interval: IntervalResult | null;
}

/** Everything a series produced. */
export interface SeriesResult {
  /** The shell grid every checkpoint was binned on. */
  readonly grid: ShellGrid;
  /** M = timeScale·K (λ = timeScale·θ). */
  readonly timeScale: number;
  /** Per-checkpoint results, in time order. */
  readonly checkpoints: CheckpointResult[];
  /** Per-interval results (one fewer than the checkpoints). */
  readonly intervals: IntervalResult[];
  /** What the grid and the eigenpairs cover, over the whole series, with warnings. */
  readonly coverage: SeriesCoverage;
}

/** ⊥ (or ∅) above this share of ‖e‖² at any checkpoint is warned about. */
export const COMPLEMENT_WARNING_SHARE = 0.05;

/** What a series' grid and eigenpairs cover (see {@link SeriesResult.coverage}). */
export interface SeriesCoverage {
  /** λ_max the grid was built for (null for a grid given as such) and whether it came from the first checkpoint only. */
  readonly grid: {
    /** λ_max the grid was built for; null for a grid given as such. */
    readonly lambdaMax: number | null;
    /** True when λ_max was that of the first checkpoint only (not bounded over the run). */
    readonly fromFirstCheckpoint: boolean;
    /** The grid's top boundary; larger eigenvalues are clamped into the top shell. */
    readonly top: number;
  };
  /** The largest eigenvalue λ of the run. */
  readonly largestEigenvalue: number;
  /** Eigenvalues above the grid's top boundary, clamped into the top shell, over all checkpoints. */
  readonly clampedAbove: number;
  /** Checkpoints with at least one clamped eigenvalue. */
  readonly clampedCheckpoints: number;
  /** The largest E_⊥/‖e‖² over the checkpoints. */
  readonly maxComplementShare: number;
  /** The largest E_∅/‖e‖² over the checkpoints. */
  readonly maxFloorShare: number;
  /** Checkpoints that returned fewer eigenpairs than asked for. */
  readonly rankShortfalls: number;
  /** Plain-language warnings (clamped eigenvalues, ⊥ or ∅ above COMPLEMENT_WARNING_SHARE, rank shortfalls); empty when none. */
  readonly warnings: string[];
}

/** The checkpoint kept for the next interval: its results and the backend's state. */
interface Previous {
  readonly result: CheckpointResult;
  readonly held: BackendCheckpoint;
  readonly layers: number;
  readonly kernel: HostMatrixData | null;
}

/**
 * The default floor λ_floor/λ_max below which eigenvalues go to ∅ (docs/accuracy.md, "Floor").
 * f32 Lanczos on K resolves eigenvalues to an absolute error of a few u·λ_max and its Ritz values
 * are reliable down to ≈ 1e-5·λ_max (measured). A float64 dense eigensolver is backward stable:
 * its absolute eigenvalue error is at most ≈ n·u·‖K‖ (u = 2⁻⁵³), so at 100·n·u·λ_max every
 * eigenvalue above the floor is known to 1% (0.01 in ln λ, a fiftieth of the default shell
 * width): 1.4e-11 at n = 1280.
 */
export function defaultFloorRelative(precision: 'float32' | 'float64', n: number): number {
  return precision === 'float32' ? 1e-5 : Math.min(1e-5, 100 * Math.max(1, n) * 2 ** -53);
}

/**
 * The precision a checkpoint's data carries: `'float32'` when its kernel, Jacobian, residual or a
 * layer kernel is a Float32Array or a Float16Array (or a GPU operator), else `'float64'`. Eigenvalues of K rounded to
 * f32 carry the f32 data's rounding (≈ √n·2⁻²⁴·λ_max), so a float64 analysis of f32 data gets the
 * f32 floor too (docs/accuracy.md, "Floor").
 */
export function checkpointPrecision(cp: CheckpointData): 'float32' | 'float64' {
  if (cp.operator) return 'float32';
  const values = (m: KernelInput | undefined) => (m !== undefined && 'shape' in m ? m.data : m);
  const arrays = [values(cp.kernel), cp.jacobian?.data, cp.residual, ...(cp.layers ?? []).map(values)];
  const single = (a: unknown) => a instanceof Float32Array || Object.prototype.toString.call(a) === '[object Float16Array]';
  return arrays.some(single) ? 'float32' : 'float64';
}

/** The coarser of two precisions. */
export function coarserPrecision(a: 'float32' | 'float64', b: 'float32' | 'float64'): 'float32' | 'float64' {
  return a === 'float32' || b === 'float32' ? 'float32' : 'float64';
}

/**
 * The shell grid a series builds from its `gridOptions` for a largest eigenvalue `lambdaMax`, on
 * a backend of `precision`, for residuals of length n (the default floor depends on both). Exported
 * so that callers can tell whether a new λ_max would change a series' grid (`grsd serve`).
 */
export function seriesGrid(
  o: NonNullable<SeriesOptions['gridOptions']>,
  lambdaMax: number,
  precision: 'float32' | 'float64',
  n: number,
): ShellGrid {
  return ShellGrid.create({
    ...(o.lambdaRef === undefined ? {} : { lambdaRef: o.lambdaRef }),
    ...(o.width === undefined ? {} : { width: o.width }),
    ...(o.shellsPerDecade === undefined ? {} : { shellsPerDecade: o.shellsPerDecade }),
    floor: o.floor ?? (o.floorRelative ?? defaultFloorRelative(precision, n)) * lambdaMax,
    lambdaMax,
    headroom: o.headroom ?? 1,
  });
}

/**
 * A streaming GRSD analysis. Push checkpoints in time order; each push returns the checkpoint's
 * results and, from the second on, the interval's. Owns GPU memory for the previous checkpoint:
 * dispose it (or use `using`).
 */
export class GrsdSeries implements Disposable {
  /** The GPU context or `'cpu'` (float64) the series computes on. */
  readonly backend: GpuContext | 'cpu';
  /** The options it was created with. */
  readonly options: SeriesOptions;
  /** Results of the checkpoints pushed so far. */
  readonly checkpoints: CheckpointResult[] = [];
  /** Results of the intervals between them. */
  readonly intervals: IntervalResult[] = [];
  readonly #compute: SeriesBackend;
  #grid: ShellGrid | undefined;
  #gridLambdaMax: { lambdaMax: number; fromFirstCheckpoint: boolean } | null = null;
  /** The rank of the previous checkpoint's final solve (where `rank: 'auto'` starts). */
  #lastRank = 0;
  #n: number | undefined;
  #previous: Previous | null = null;
  #firstLayers: readonly HostMatrixData[] | null = null;
  #disposed = false;
  readonly #listeners = { checkpoint: new Set<(c: CheckpointResult) => void>(), interval: new Set<(i: IntervalResult) => void>() };

  /**
   * Subscribes to results as they are produced (for visualizers): `checkpoint` after every push,
   * `interval` from the second push on. Returns the unsubscribe function. Listeners run
   * synchronously, in subscription order, before `push` resolves.
   */
  on(event: 'checkpoint', listener: (checkpoint: CheckpointResult) => void): () => void;
  on(event: 'interval', listener: (interval: IntervalResult) => void): () => void;
  on(event: 'checkpoint' | 'interval', listener: ((c: CheckpointResult) => void) | ((i: IntervalResult) => void)): () => void {
    const set = this.#listeners[event] as Set<typeof listener>;
    set.add(listener);
    return () => void set.delete(listener);
  }

  constructor(backend: GpuContext | 'cpu', options: SeriesOptions = {}) {
    const ts = options.timeScale ?? 1;
    if (!(ts > 0 && Number.isFinite(ts))) throw new InvalidArgumentError('timeScale', `must be a positive finite number, got ${ts}`);
    if (options.rank !== undefined && options.rank !== 'auto' && !(Number.isInteger(options.rank) && options.rank >= 1))
      throw new InvalidArgumentError('rank', `must be a positive integer or 'auto', got ${options.rank}`);
    const share = options.captureShare;
    if (share !== undefined && !(share > 0 && share <= 1))
      throw new InvalidArgumentError('captureShare', `must be in (0, 1], got ${share}`);
    if (options.probePoints !== undefined && !(Number.isInteger(options.probePoints) && options.probePoints >= 1)) {
      throw new InvalidArgumentError('probePoints', `must be a positive integer, got ${options.probePoints}`);
    }
    this.backend = backend;
    this.options = options;
    this.#grid = options.grid;
    this.#compute =
      backend === 'cpu'
        ? new Float64SeriesBackend()
        : new GpuSeriesBackend(backend, {
            ...(options.steps === undefined ? {} : { steps: options.steps }),
            ...(options.seed === undefined ? {} : { seed: options.seed }),
          });
  }

  /** The shell grid (defined after the first checkpoint unless given). */
  get grid(): ShellGrid | undefined {
    return this.#grid;
  }

  /** M = timeScale·K (default 1). */
  get timeScale(): number {
    return this.options.timeScale ?? 1;
  }

  /** Everything produced so far. */
  result(): SeriesResult {
    if (!this.#grid) throw new InvalidArgumentError('checkpoints', 'no checkpoint has been pushed yet');
    return {
      grid: this.#grid,
      timeScale: this.timeScale,
      checkpoints: this.checkpoints,
      intervals: this.intervals,
      coverage: seriesCoverage(this.#grid, this.#gridLambdaMax, this.checkpoints),
    };
  }

  #ensureGrid(lambdaMax: number, n: number, cp: FlatCheckpointData): ShellGrid {
    if (this.#grid) return this.#grid;
    const o = this.options.gridOptions ?? {};
    const top = o.lambdaMax ?? lambdaMax;
    this.#gridLambdaMax = { lambdaMax: top, fromFirstCheckpoint: o.lambdaMax === undefined };
    if (!(top > 0))
      throw new InvalidArgumentError(
        'gridOptions.lambdaMax',
        `the largest eigenvalue is ${top}; a shell grid needs a positive λ_max (is the kernel zero?)`,
      );
    this.#grid = seriesGrid(o, top, coarserPrecision(this.#compute.precision, checkpointPrecision(cp)), n);
    return this.#grid;
  }

  /** δ/λ_max of the Kato estimator, or null when it is off. */
  #katoDeltaRelative(): number | null {
    const k = this.options.kato ?? true;
    if (k === false) return null;
    return (typeof k === 'object' ? k.deltaRelative : undefined) ?? 1e-6;
  }

  /** Adds a checkpoint; returns its results and, from the second on, the interval's. */
  async push(data: CheckpointData): Promise<SeriesStep> {
    if (this.#disposed) throw new DisposedError('GrsdSeries');
    const previous = this.#previous;
    const {
      n,
      label,
      checkpoint: cp,
    } = validateCheckpoint(data, {
      index: this.checkpoints.length,
      cpu: this.backend === 'cpu',
      ...(previous ? { previousT: previous.result.t, layers: previous.layers } : {}),
      ...(this.#n === undefined ? {} : { n: this.#n }),
    });
    const held = await this.#compute.checkpoint(cp, { ...this.#rankPolicy(n), ipr: this.#wantIpr(), label });
    let step: SeriesStep;
    try {
      const checkpoint = this.#checkpointResult(cp, n, held, label);
      const interval = previous ? await this.#interval(previous, checkpoint, held, cp) : null;
      if (interval) {
        const where = `checkpoints[${checkpoint.index}] (${label}).t`;
        assertFiniteResults(where, `rates over Δt = ${interval.t1 - interval.t0} after t = ${interval.t0} overflow float64`, {
          transport: interval.transport,
          dissipation: interval.dissipation,
          flux: interval.flux,
          velocity: interval.velocity,
          velocityLog: interval.velocityLog,
          ...(interval.kato ? { 'kato.transport': interval.kato.transport } : {}),
        });
      }
      step = { checkpoint, interval };
    } catch (error) {
      this.#compute.release(held);
      throw error;
    }
    if (previous) this.#compute.release(previous.held);
    this.#previous = { result: step.checkpoint, held, layers: cp.layers?.length ?? 0, kernel: cp.kernel ?? null };
    this.#n = n;
    this.#lastRank = held.spectrum.requested;
    this.checkpoints.push(step.checkpoint);
    if (step.interval) this.intervals.push(step.interval);
    for (const listener of this.#listeners.checkpoint) listener(step.checkpoint);
    if (step.interval) for (const listener of this.#listeners.interval) listener(step.interval);
    return step;
  }

  /** The first rank to solve with and, for `rank: 'auto'`, when to solve again with twice as many. */
  #rankPolicy(n: number): { rank: number; grow?: (s: CheckpointSpectrum) => number | null } {
    const rank = this.options.rank;
    const initial = Math.min(n, DEFAULT_RANK);
    if (rank !== 'auto') return { rank: Math.min(rank ?? initial, n) };
    const target = this.options.captureShare ?? 0.99;
    return {
      rank: Math.min(n, Math.max(initial, this.#lastRank)),
      grow: (s) => {
        // Stop at n, when Lanczos delivered fewer than asked (a larger rank cannot help), or on target.
        if (s.requested >= n || s.values.length < s.requested || !(s.residualNorm2 > 0)) return null;
        let captured = 0;
        for (const c of s.amplitudes) captured += c * c;
        return captured >= target * s.residualNorm2 ? null : Math.min(n, 2 * s.requested);
      },
    };
  }

  /** Per-checkpoint bookkeeping from the backend's spectrum (host, float64). */
  #checkpointResult(cp: FlatCheckpointData, n: number, held: BackendCheckpoint, label: string): CheckpointResult {
    const { values, amplitudes: c, residualNorm2: e2, lanczos, ipr } = held.spectrum;
    const ts = this.timeScale;
    const lambda = Float64Array.from(values, (v) => ts * v);
    const overflow = `timeScale·θ = ${ts}·θ leaves the float64 range at checkpoints[${this.checkpoints.length}] (${label})`;
    assertFiniteResults('timeScale', overflow, { eigenvalues: lambda });
    const grid = this.#ensureGrid(Math.max(lambda[0] ?? 0, 0), n, cp);
    const index = new Int32Array(lambda.length);
    let flagged = 0;
    lambda.forEach((lam, k) => {
      const a = assignShell(lam, grid);
      index[k] = a.index;
      if (a.boundary) flagged++;
    });
    const energy = new Float64Array(grid.size);
    const dissipation = new Float64Array(grid.size);
    const counts = new Float64Array(grid.size);
    let captured = 0;
    const factor = this.options.dissipationFactor ?? 2;
    let clampedAbove = 0;
    const top = grid.edges[grid.count]!;
    lambda.forEach((lam, k) => {
      const s = index[k]!;
      energy[s]! += c[k]! ** 2;
      dissipation[s]! += factor * lam * c[k]! ** 2;
      counts[s]! += 1;
      captured += c[k]! ** 2;
      if (lam >= top) clampedAbove++;
    });
    energy[grid.complementIndex] = e2 - captured;
    counts[grid.complementIndex] = n - lambda.length;
    let layerTraceShare: Float64Array | null = null;
    let layerKernelDrift: Float64Array | null = null;
    if (cp.layers && cp.layers.length > 0) {
      this.#firstLayers ??= cp.layers;
      const traces = cp.layers.map((l) => trace(l, n));
      const total = traces.reduce((a, v) => a + v, 0);
      layerTraceShare = Float64Array.from(traces, (t) => (total > 0 ? t / total : 0));
      layerKernelDrift = Float64Array.from(cp.layers, (l, i) => relativeDifference(l, this.#firstLayers![i]!));
    }
    assertFiniteResults('timeScale', overflow, { dissipation });
    const capture = checkpointCapture(held.spectrum, energy, grid);
    return {
      index: this.checkpoints.length,
      t: cp.t,
      loss: e2 / (2 * (this.options.probePoints ?? n)),
      residualNorm2: e2,
      eigenvalues: lambda,
      energy,
      dissipation,
      counts,
      amplitudes: Float64Array.from(c),
      shellIndex: index,
      boundaryFlagged: flagged,
      clampedAbove,
      lanczos,
      capture,
      ipr,
      layerTraceShare,
      layerKernelDrift,
    };
  }

  #wantIpr(): boolean {
    const mode = this.options.iprCheckpoints ?? 'first';
    return mode === 'all' || (mode === 'first' && this.checkpoints.length === 0);
  }

  /** The interval from the previous checkpoint to `cur`: the backend's transport, then float64 bookkeeping. */
  async #interval(prev: Previous, cur: CheckpointResult, held: BackendCheckpoint, cp: FlatCheckpointData): Promise<IntervalResult> {
    const grid = this.#grid!;
    const deltaRelative = this.#katoDeltaRelative();
    const withKato = deltaRelative !== null && prev.result.amplitudes.length > 0;
    const transport = await this.#compute.interval(
      prev.held,
      held,
      { oldIndex: prev.result.shellIndex, newIndex: cur.shellIndex, computed: grid.computedCount },
      withKato,
    );
    const dt = cur.t - prev.result.t;
    const q = intervalQuantities(grid, prev.result.t, cur.t, transport.flow, prev.result.energy, cur.energy, {
      ...(this.options.locality === undefined ? {} : { locality: this.options.locality }),
      ...(this.options.gEpsilon === undefined ? {} : { gEpsilon: this.options.gEpsilon }),
    });
    const kato = withKato
      ? katoFromProjections(
          transport.projections,
          dt,
          { theta: prev.held.spectrum.values, amplitudes: prev.result.amplitudes, index: prev.result.shellIndex },
          grid.computedCount,
          deltaRelative,
          this.timeScale,
        )
      : null;
    const resolution = transportResolution(
      this.#compute.precision,
      this.#compute.unitRoundoff,
      held.spectrum.n,
      cur.residualNorm2,
      dt,
      q.flux,
    );
    const projector = projectorChange(
      transport.overlap,
      prev.result.amplitudes.length,
      cur.amplitudes.length,
      prev.result.shellIndex,
      cur.shellIndex,
      grid.computedCount,
    );
    const kernelDrift = cp.kernel && prev.kernel ? relativeDifference(cp.kernel, prev.kernel) : null;
    const checks = {
      ...q.checks,
      ...spectralChecks(grid, prev.result, cur, q, projector, kato),
      ...(resolution.precision === 'float32' ? { transportResolution: resolutionCheck(resolution, q.transport) } : {}),
    };
    return { ...q, checks, index: this.intervals.length, kato, kernelDrift, projectorChange: projector, resolution };
  }

  /** Releases the GPU memory held for the next interval. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#previous) this.#compute.release(this.#previous.held);
    this.#previous = null;
  }

  /** {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Runs the whole series at once. Without a grid, λ_max is first bounded for every checkpoint
 * (see {@link largestEigenvalueBound}) so that the grid covers the run.
 */
export async function analyzeSeries(
  backend: GpuContext | 'cpu',
  checkpoints: readonly CheckpointData[],
  options: SeriesOptions = {},
): Promise<SeriesResult> {
  if (checkpoints.length === 0) throw new InvalidArgumentError('checkpoints', 'need at least one checkpoint');
  const grid = options.grid;
  if (!grid && options.gridOptions?.lambdaMax === undefined) {
    const top = await runLambdaMaxBound(backend, checkpoints, options);
    options = { ...options, gridOptions: { ...options.gridOptions, lambdaMax: top } };
  } else {
    validateSeries(checkpoints, backend === 'cpu');
  }
  using series = new GrsdSeries(backend, grid ? { ...options, grid } : options);
  for (const cp of checkpoints) await series.push(cp);
  return series.result();
}

/** What a checkpoint's eigenpairs hold and whether all that were asked for came back (see {@link CheckpointCapture}). */
function checkpointCapture(spectrum: CheckpointSpectrum, energy: Float64Array, grid: ShellGrid): CheckpointCapture {
  const { requested, lanczos, residualNorm2: e2 } = spectrum;
  const returned = spectrum.values.length;
  const share = (e: number): number => (e2 > 0 ? e / e2 : 0);
  let shortfall: string | null = null;
  if (returned < requested)
    shortfall = lanczos
      ? `the eigensolver stopped (${lanczos.stopReason}) after ${lanczos.steps} steps with ${returned} of ${requested} eigenpairs (the rest of e is in ⊥)`
      : `the eigensolver returned ${returned} of ${requested} eigenpairs`;
  return {
    requested,
    returned,
    shortfall,
    unconverged: lanczos ? returned - lanczos.converged : 0,
    complementShare: share(energy[grid.complementIndex]!),
    floorShare: share(energy[grid.floorIndex]!),
  };
}

/** The coverage summary of a series (see {@link SeriesCoverage}). */
export function seriesCoverage(
  grid: ShellGrid,
  built: { lambdaMax: number; fromFirstCheckpoint: boolean } | null,
  checkpoints: readonly CheckpointResult[],
): SeriesCoverage {
  const top = grid.edges[grid.count]!;
  let largest = 0;
  let clamped = 0;
  let clampedCheckpoints = 0;
  let maxComplement = 0;
  let maxFloor = 0;
  const heavy: CheckpointResult[] = [];
  const unresolved: CheckpointResult[] = [];
  const short: CheckpointResult[] = [];
  for (const c of checkpoints) {
    largest = Math.max(largest, c.eigenvalues[0] ?? 0);
    clamped += c.clampedAbove;
    if (c.clampedAbove > 0) clampedCheckpoints++;
    maxComplement = Math.max(maxComplement, c.capture.complementShare);
    maxFloor = Math.max(maxFloor, c.capture.floorShare);
    if (c.capture.complementShare > COMPLEMENT_WARNING_SHARE) heavy.push(c);
    if (c.capture.floorShare > COMPLEMENT_WARNING_SHARE) unresolved.push(c);
    if (c.capture.shortfall) short.push(c);
  }
  const pct = (v: number) => `${(100 * v).toPrecision(3)}%`;
  const list = (cs: CheckpointResult[], what: (c: CheckpointResult) => string) =>
    cs
      .slice(0, 6)
      .map((c) => `${c.index} (t = ${c.t}${what(c)})`)
      .join(', ') + (cs.length > 6 ? `, … (${cs.length} in all)` : '');
  const warnings: string[] = [];
  if (clamped > 0)
    warnings.push(
      `${clamped} eigenvalue(s) at ${clampedCheckpoints} checkpoint(s) lie above the grid's top boundary ${top.toPrecision(4)} ` +
        `and were clamped into the top shell (largest λ = ${largest.toPrecision(4)}${built?.fromFirstCheckpoint ? ', the grid was built from the first checkpoint' : ''}): ` +
        'build the grid from the whole run or raise λ_max / the headroom',
    );
  if (heavy.length > 0)
    warnings.push(
      `the complement shell ⊥ holds more than ${pct(COMPLEMENT_WARNING_SHARE)} of ‖e‖² at ${heavy.length} of ${checkpoints.length} checkpoint(s) ` +
        `(up to ${pct(maxComplement)}; checkpoints ${list(heavy, (c) => `: ${pct(c.capture.complementShare)} with ${c.capture.returned} eigenpairs`)}): ` +
        'the analysed shells miss that part of the residual; raise the rank or use rank auto',
    );
  if (unresolved.length > 0)
    warnings.push(
      `the floor shell ∅ holds more than ${pct(COMPLEMENT_WARNING_SHARE)} of ‖e‖² at ${unresolved.length} of ${checkpoints.length} checkpoint(s) ` +
        `(up to ${pct(maxFloor)}; checkpoints ${list(unresolved, (c) => `: ${pct(c.capture.floorShare)}`)}): that part of the residual lies ` +
        `in eigenvalues below the floor ${grid.floor.toPrecision(3)}, not resolved into shells; lower the floor if the backend resolves them ` +
        '(f32 Lanczos on K: ≈ 1e-5·λ_max; the float64 cpu backend: 100·n·u·λ_max, the default there)',
    );
  if (short.length > 0)
    warnings.push(
      `${short.length} checkpoint(s) returned fewer eigenpairs than asked for (${list(short, (c) => `: ${c.capture.returned} of ${c.capture.requested}`)}): ${short[0]!.capture.shortfall}`,
    );
  return {
    grid: { lambdaMax: built?.lambdaMax ?? null, fromFirstCheckpoint: built?.fromFirstCheckpoint ?? false, top },
    largestEigenvalue: largest,
    clampedAbove: clamped,
    clampedCheckpoints,
    maxComplementShare: maxComplement,
    maxFloorShare: maxFloor,
    rankShortfalls: short.length,
    warnings,
  };
}

/**
 * Refuses results that left the float64 range (an extreme timeScale or Δt with finite inputs):
 * InvalidArgumentError naming `argument`, never a NaN or ∞ in a result.
 */
function assertFiniteResults(argument: string, problem: string, arrays: Record<string, ArrayLike<number>>): void {
  for (const [name, values] of Object.entries(arrays)) {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw new InvalidArgumentError(argument, `${problem} (${name}[${i}] = ${values[i]})`);
    }
  }
}

/** Validates a series checkpoint by checkpoint (what each push would check); returns the checker. */
function seriesValidator(cpu: boolean): (cp: CheckpointData) => FlatCheckpointData {
  let previous: { t: number; n: number; layers: number } | undefined;
  let index = 0;
  return (cp) => {
    const { n, checkpoint } = validateCheckpoint(cp, {
      index: index++,
      cpu,
      ...(previous ? { previousT: previous.t, n: previous.n, layers: previous.layers } : {}),
    });
    previous = { t: cp.t, n, layers: cp.layers?.length ?? 0 };
    return checkpoint;
  };
}

/** Validates a whole series up front, before any of it is computed. */
function validateSeries(checkpoints: readonly CheckpointData[], cpu: boolean): void {
  const validate = seriesValidator(cpu);
  for (const cp of checkpoints) validate(cp);
}

/**
 * An upper bound on λ_max = timeScale·θ_max over a whole run, validating every checkpoint as a
 * push would (first pass of a whole-run grid; see {@link largestEigenvalueBound}). Checkpoints
 * can come one at a time (e.g. read from files) so that the run need not fit in memory.
 */
export async function runLambdaMaxBound(
  backend: GpuContext | 'cpu',
  checkpoints: Iterable<CheckpointData> | AsyncIterable<CheckpointData>,
  options: Pick<SeriesOptions, 'timeScale' | 'seed'> = {},
  onCheckpoint?: (done: number) => void,
): Promise<number> {
  const validate = seriesValidator(backend === 'cpu');
  const ts = options.timeScale ?? 1;
  let top = 0;
  let done = 0;
  for await (const cp of checkpoints) {
    top = Math.max(top, ts * (await validLambdaMaxBound(backend, validate(cp), options.seed ?? 0)));
    onCheckpoint?.(++done);
  }
  if (!Number.isFinite(top)) throw new InvalidArgumentError('timeScale', `timeScale·λ_max = ${ts}·θ_max leaves the float64 range`);
  return top;
}

/** ‖P'_σ − P_σ‖_F² per computed shell from O = UVᵀ (rOld × rNew): n_σ + n'_σ − 2 Σ_{old(j)=σ=new(k)} O_jk². */
export function projectorChange(
  o: ArrayLike<number>,
  rOld: number,
  rNew: number,
  oldIndex: ArrayLike<number>,
  newIndex: ArrayLike<number>,
  shells: number,
): Float64Array {
  const out = new Float64Array(shells);
  for (let j = 0; j < rOld; j++) out[oldIndex[j]!]! += 1;
  for (let k = 0; k < rNew; k++) out[newIndex[k]!]! += 1;
  for (let j = 0; j < rOld; j++) {
    const sj = oldIndex[j]!;
    for (let k = 0; k < rNew; k++) if (newIndex[k] === sj) out[sj]! -= 2 * o[j * rNew + k]! ** 2;
  }
  return out.map((v) => Math.max(0, v));
}

/** ‖a − b‖_F / ‖b‖_F (0 when both vanish). */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    nb += b[i]! ** 2;
  }
  return nb > 0 ? Math.sqrt(d / nb) : d > 0 ? Number.MAX_VALUE : 0;
}

function trace(k: ArrayLike<number>, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += k[i * n + i]!;
  return t;
}
