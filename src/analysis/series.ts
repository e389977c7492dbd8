/**
 * The GRSD series pipeline: checkpoints of a training run in, shell energies, dissipation,
 * flow/transport matrices, flux and velocity out — streaming (one checkpoint at a time, for
 * visualizers) or all at once.
 *
 * Per checkpoint (GPU path): the top-r eigenpairs of K by batched Lanczos with Ritz vectors kept
 * on the GPU (eigsh), λ = timeScale·θ, amplitudes c = U e (matVecN), shell assignment and
 * per-shell sums (shellAssign/shellReduce). Per interval: α = U_i e_{i+1}, O = U_i U_{i+1}ᵀ (gemm),
 * g = Oᵀα (matVecT), the 2-D segmented reduction (shellFlow/shellFlowReduce), then the complement
 * shell and everything else in float64 on the host (spec §1.7–§1.9). With dense kernels
 * (or per-layer kernels) the Kato-form estimator and its exact per-layer split are added.
 *
 * The `'cpu'` backend runs the same pipeline in float64 from dense eigendecompositions: it is the
 * reference the GPU path is tested against.
 * @module
 */
import { eigsh } from '../algorithms/eigsh.ts';
import { createFlowEstimator } from '../algorithms/flowEstimator.ts';
import { assertFinite, denseOperator, jacobianOperator, type HostMatrixData, type SymmetricOperator } from '../algorithms/operators.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { BufferGroup } from '../gpu/bufferGroup.ts';
import { readStaging, record } from '../gpu/recorder.ts';
import { createGemm } from '../kernels/gemm.ts';
import { createMatVec } from '../kernels/matVec.ts';
import { createShellBinning } from '../kernels/shellBinning.ts';
import { matmul, transpose } from '../reference/linalg.ts';
import { assignShell } from '../reference/shells.ts';
import { symmetricEigen } from '../reference/symmetricEigen.ts';
import { completeFlow, flowMatrixF64 } from '../reference/transport.ts';
import { frobenius, katoTerms, katoTransport } from './kato.ts';
import { ShellGrid } from './shellGrid.ts';
import { intervalQuantities, type Check, type IntervalQuantities } from './transport.ts';

/** One checkpoint of a run. Exactly one of `kernel`, `operator` and `jacobian`. */
export interface CheckpointData {
  /** Time (strictly increasing along the series), in the run's time unit. */
  readonly t: number;
  /** Dense empirical NTK K (n×n, row-major, symmetric). */
  readonly kernel?: HostMatrixData;
  /** The NTK as a GPU operator (borrowed; GPU backend only; no Kato estimator). */
  readonly operator?: SymmetricOperator;
  /** Jacobian J (n×p, row-major): K = J Jᵀ. */
  readonly jacobian?: { readonly p: number; readonly data: HostMatrixData };
  /** Residual e = f(X) − Y (n values). */
  readonly residual: ArrayLike<number>;
  /** Per-layer kernels K_l (n×n each, Σ_l K_l = K) for the exact Kato split (spec §4.3). */
  readonly layers?: readonly HostMatrixData[];
  /** Name used in error messages (e.g. the file it came from). */
  readonly label?: string;
}

/** Options of the series pipeline. */
export interface SeriesOptions {
  /** M = timeScale·K (spec §1.1): η/N for per-step time, 1/N for gradient-flow time. Default 1. */
  readonly timeScale?: number;
  /** Eigenpairs per checkpoint. Default min(n, 256). The rest of the residual is the complement ⊥. */
  readonly rank?: number;
  /** Lanczos steps per checkpoint (default: adaptive, see eigsh). */
  readonly steps?: number;
  /** Seed of the Lanczos start vectors. Default 0. */
  readonly seed?: number;
  /** A fixed grid (e.g. shared by several runs). Otherwise built from `gridOptions` and the first λ_max. */
  readonly grid?: ShellGrid;
  readonly gridOptions?: {
    readonly lambdaRef?: number;
    readonly width?: number;
    readonly shellsPerDecade?: number;
    /** Absolute floor; default floorRelative·λ_max. */
    readonly floor?: number;
    /** Default 1e-5 (spec §1.3, f32 Lanczos on K). */
    readonly floorRelative?: number;
    /** Largest λ to hold (default: λ_max of the first checkpoint, or of all with analyzeSeries). */
    readonly lambdaMax?: number;
    readonly headroom?: number;
  };
  /** Probe-set size N for the loss L = ‖e‖²/(2N). Default n. */
  readonly probePoints?: number;
  /** Multiplier of λc² in the instantaneous dissipation (spec §1.9). Default 2. */
  readonly dissipationFactor?: number;
  /** Flux locality w (spec §1.8). Default 1. */
  readonly locality?: number;
  /** Velocity floor ε_g. Default 1e-6. */
  readonly gEpsilon?: number;
  /** Eigenvectors whose delocalization n·IPR is measured: 'first' checkpoint (default), 'all' or 'none'. */
  readonly iprCheckpoints?: 'first' | 'all' | 'none';
  /** Kato-form estimator (on by default; needs the operators of both checkpoints, kept one interval). δ = deltaRelative·λ_max (default 1e-6). */
  readonly kato?: boolean | { readonly deltaRelative?: number };
}

/** Per-checkpoint results. Shell arrays have length grid.size (window shells, ∅, ⊥). */
export interface CheckpointResult {
  readonly index: number;
  readonly t: number;
  /** L = ‖e‖²/(2N). */
  readonly loss: number;
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
  readonly lanczos: { readonly steps: number; readonly breakdown: boolean; readonly converged: number } | null;
  /** n·IPR_k = n Σ_i u_ki⁴ of each eigenvector (≈ 3 for random directions; spec §2 C2c), when computed (see `iprCheckpoints`). */
  readonly ipr: Float64Array | null;
  /** tr K_l / tr K per layer kernel (spec §2 C1a companion), when layers are given. */
  readonly layerTraceShare: Float64Array | null;
  /** ‖K_l(t) − K_l(t₀)‖_F / ‖K_l(t₀)‖_F per layer relative to the first checkpoint (spec §4.3), when layers are given. */
  readonly layerKernelDrift: Float64Array | null;
}

/** Per-interval results: {@link IntervalQuantities} plus the Kato estimator when computed. */
export interface IntervalResult extends IntervalQuantities {
  readonly index: number;
  /**
   * Kato-form transport rates ((S+2)², ⊥ row/column zero), its per-layer split, δ, and the phase
   * coherence Z_στ = |Σ w|/√(Σ w²) of its mode-pair terms (spec §2 C2b).
   */
  readonly kato: {
    readonly transport: Float64Array;
    readonly perLayer: Float64Array[];
    readonly delta: number;
    readonly coherence: Float64Array;
    readonly terms: Float64Array;
  } | null;
  /** ‖K_{i+1} − K_i‖_F / ‖K_i‖_F (dense kernels given on the host), else null. */
  readonly kernelDrift: number | null;
  /**
   * ‖P^{(i+1)}_α − P^{(i)}_α‖_F² per computed shell (window + ∅), from O = UVᵀ:
   * n_α + n'_α − 2 Σ_{j∈α, k∈α'} O_jk² (spec §2 C3c).
   */
  readonly projectorChange: Float64Array;
}

/** What one push produces. */
export interface SeriesStep {
  readonly checkpoint: CheckpointResult;
  readonly interval: IntervalResult | null;
}

/** Everything a series produced. */
export interface SeriesResult {
  readonly grid: ShellGrid;
  readonly timeScale: number;
  readonly checkpoints: CheckpointResult[];
  readonly intervals: IntervalResult[];
}

/** State kept from the previous checkpoint for the next interval. */
interface Previous {
  readonly result: CheckpointResult;
  readonly label: string;
  /** GPU path: eigenvectors [r][n], residual, shell indices (u32), kernel operators for Kato. */
  readonly gpu?: {
    vectors: GPUBuffer;
    residual: GPUBuffer;
    index: GPUBuffer;
    operator: SymmetricOperator;
    ownsOperator: boolean;
    layers: SymmetricOperator[];
  };
  /** CPU path: eigenvectors [r][n] f64 rows, residual, dense kernels. */
  readonly cpu?: { vectors: Float64Array; residual: Float64Array; kernel: Float64Array; layers: Float64Array[] };
}

/**
 * A streaming GRSD analysis. Push checkpoints in time order; each push returns the checkpoint's
 * results and, from the second on, the interval's. Owns GPU memory for the previous checkpoint:
 * dispose it (or use `using`).
 */
export class GrsdSeries implements Disposable {
  readonly backend: GpuContext | 'cpu';
  readonly options: SeriesOptions;
  readonly checkpoints: CheckpointResult[] = [];
  readonly intervals: IntervalResult[] = [];
  #grid: ShellGrid | undefined;
  #n: number | undefined;
  #previous: Previous | null = null;
  #firstLayers: readonly HostMatrixData[] | null = null;
  #previousKernel: HostMatrixData | null = null;
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
    if (options.rank !== undefined && !(Number.isInteger(options.rank) && options.rank >= 1))
      throw new InvalidArgumentError('rank', `must be a positive integer, got ${options.rank}`);
    if (options.probePoints !== undefined && !(Number.isInteger(options.probePoints) && options.probePoints >= 1)) {
      throw new InvalidArgumentError('probePoints', `must be a positive integer, got ${options.probePoints}`);
    }
    this.backend = backend;
    this.options = options;
    this.#grid = options.grid;
  }

  /** The shell grid (defined after the first checkpoint unless given). */
  get grid(): ShellGrid | undefined {
    return this.#grid;
  }

  get timeScale(): number {
    return this.options.timeScale ?? 1;
  }

  /** Everything produced so far. */
  result(): SeriesResult {
    if (!this.#grid) throw new InvalidArgumentError('checkpoints', 'no checkpoint has been pushed yet');
    return { grid: this.#grid, timeScale: this.timeScale, checkpoints: this.checkpoints, intervals: this.intervals };
  }

  #validate(cp: CheckpointData): { n: number; label: string } {
    const index = this.checkpoints.length;
    const label = cp.label ?? `checkpoint ${index}`;
    const where = `checkpoints[${index}] (${label})`;
    const sources = [cp.kernel, cp.operator, cp.jacobian].filter((x) => x !== undefined).length;
    if (sources !== 1) throw new InvalidArgumentError(where, 'give exactly one of `kernel`, `operator` and `jacobian`');
    if (cp.operator && this.backend === 'cpu') throw new InvalidArgumentError(where, 'a GPU operator needs the GPU backend');
    if (!Number.isFinite(cp.t)) throw new InvalidArgumentError(`${where}.t`, `must be finite, got ${cp.t}`);
    const prev = this.#previous?.result.t;
    if (prev !== undefined && !(cp.t > prev))
      throw new InvalidArgumentError(`${where}.t`, `times must increase strictly: ${cp.t} after ${prev}`);
    const n = cp.residual.length;
    if (n < 1) throw new InvalidArgumentError(`${where}.residual`, 'is empty');
    if (this.#n !== undefined && n !== this.#n)
      throw new InvalidArgumentError(
        `${where}.residual`,
        `has ${n} values but earlier checkpoints have n = ${this.#n} (all checkpoints must use the same probe set)`,
      );
    assertFinite(cp.residual, `${where}.residual`, 1, n);
    if (cp.kernel && cp.kernel.length !== n * n)
      throw new InvalidArgumentError(
        `${where}.kernel`,
        `has ${cp.kernel.length} values; the residual has n = ${n}, so n² = ${n * n} are needed`,
      );
    if (cp.operator && cp.operator.n !== n)
      throw new InvalidArgumentError(`${where}.operator`, `has n = ${cp.operator.n} but the residual has ${n} values`);
    if (cp.jacobian && cp.jacobian.data.length !== n * cp.jacobian.p) {
      throw new InvalidArgumentError(
        `${where}.jacobian`,
        `has ${cp.jacobian.data.length} values; n·p = ${n}·${cp.jacobian.p} = ${n * cp.jacobian.p} are needed`,
      );
    }
    cp.layers?.forEach((layer, l) => {
      if (layer.length !== n * n)
        throw new InvalidArgumentError(`${where}.layers[${l}]`, `has ${layer.length} values; n² = ${n * n} are needed`);
    });
    const prevLayers = this.#previous ? (this.#previous.gpu?.layers.length ?? this.#previous.cpu?.layers.length ?? 0) : undefined;
    if (prevLayers !== undefined && (cp.layers?.length ?? 0) !== prevLayers) {
      throw new InvalidArgumentError(
        `${where}.layers`,
        `has ${cp.layers?.length ?? 0} layer kernels but the previous checkpoint had ${prevLayers}`,
      );
    }
    return { n, label };
  }

  #ensureGrid(lambdaMax: number): ShellGrid {
    if (this.#grid) return this.#grid;
    const o = this.options.gridOptions ?? {};
    const top = o.lambdaMax ?? lambdaMax;
    if (!(top > 0))
      throw new InvalidArgumentError(
        'gridOptions.lambdaMax',
        `the largest eigenvalue is ${top}; a shell grid needs a positive λ_max (is the kernel zero?)`,
      );
    this.#grid = ShellGrid.create({
      ...(o.lambdaRef === undefined ? {} : { lambdaRef: o.lambdaRef }),
      ...(o.width === undefined ? {} : { width: o.width }),
      ...(o.shellsPerDecade === undefined ? {} : { shellsPerDecade: o.shellsPerDecade }),
      floor: o.floor ?? (o.floorRelative ?? 1e-5) * top,
      lambdaMax: top,
      headroom: o.headroom ?? 1,
    });
    return this.#grid;
  }

  #katoDelta(lambdaMax: number): number | null {
    const k = this.options.kato ?? true;
    if (k === false) return null;
    return ((typeof k === 'object' ? k.deltaRelative : undefined) ?? 1e-6) * lambdaMax;
  }

  /** Adds a checkpoint; returns its results and, from the second on, the interval's. */
  async push(cp: CheckpointData): Promise<SeriesStep> {
    if (this.#disposed) throw new InvalidArgumentError('series', 'was disposed');
    const { n, label } = this.#validate(cp);
    this.#n = n;
    const step = this.backend === 'cpu' ? this.#pushCpu(cp, n, label) : await this.#pushGpu(this.backend, cp, n, label);
    this.#previousKernel = cp.kernel ?? null;
    this.checkpoints.push(step.checkpoint);
    if (step.interval) this.intervals.push(step.interval);
    for (const listener of this.#listeners.checkpoint) listener(step.checkpoint);
    if (step.interval) for (const listener of this.#listeners.interval) listener(step.interval);
    return step;
  }

  /** Shared per-checkpoint bookkeeping from eigenvalues and amplitudes (host, float64). */
  #checkpointResult(
    cp: CheckpointData,
    n: number,
    lambda: Float64Array,
    c: Float64Array,
    index: Int32Array,
    flagged: number,
    lanczos: CheckpointResult['lanczos'],
    ipr: Float64Array | null,
  ): CheckpointResult {
    const grid = this.#grid!;
    const e2 = Array.from(cp.residual).reduce((s, v) => s + v * v, 0);
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
    return {
      index: this.checkpoints.length,
      t: cp.t,
      loss: e2 / (2 * (this.options.probePoints ?? n)),
      residualNorm2: e2,
      eigenvalues: lambda,
      energy,
      dissipation,
      counts,
      amplitudes: c,
      shellIndex: index,
      boundaryFlagged: flagged,
      clampedAbove,
      lanczos,
      ipr,
      layerTraceShare,
      layerKernelDrift,
    };
  }

  #wantIpr(): boolean {
    const mode = this.options.iprCheckpoints ?? 'first';
    return mode === 'all' || (mode === 'first' && this.checkpoints.length === 0);
  }

  #interval(
    prev: CheckpointResult,
    cur: CheckpointResult,
    flow: Float64Array,
    kato: IntervalResult['kato'],
    projector: Float64Array,
    kernelDrift: number | null,
  ): IntervalResult {
    const q = intervalQuantities(this.#grid!, prev.t, cur.t, flow, prev.energy, cur.energy, {
      ...(this.options.locality === undefined ? {} : { locality: this.options.locality }),
      ...(this.options.gEpsilon === undefined ? {} : { gEpsilon: this.options.gEpsilon }),
    });
    const checks: Record<string, Check> = { ...q.checks };
    if (kato) {
      const s = this.#grid!.size;
      // Compare on the computed shells only (the Kato form has no ⊥ row/column).
      const masked = Float64Array.from(q.transport, (v, e) => (Math.floor(e / s) === s - 1 || e % s === s - 1 ? 0 : v));
      // Relative to ‖T^Δ/Δt‖, floored at the f32 noise level of the flows (1e-5·ΣE/Δt) so that a lazy
      // interval (T ≈ 0 in both estimators) does not compare noise with noise.
      const noise = (1e-5 * prev.energy.reduce((a, v) => a + Math.abs(v), 0)) / (cur.t - prev.t);
      const diff = frobenius(Float64Array.from(kato.transport, (v, e) => v - masked[e]!)) / Math.max(frobenius(masked), noise, 1e-300);
      checks.katoConsistency = {
        value: diff,
        threshold: 0.1,
        pass: diff <= 0.1,
        description: '‖T_Kato − T^Δ/Δt‖_F / max(‖T^Δ/Δt‖_F, 1e-5·ΣE/Δt) on computed shells (O(Δt) agreement)',
      };
      if (kato.perLayer.length > 0) {
        const sum = new Float64Array(kato.transport.length);
        for (const l of kato.perLayer) l.forEach((v, e) => (sum[e]! += v));
        const split = frobenius(Float64Array.from(sum, (v, e) => v - kato.transport[e]!)) / (frobenius(kato.transport) + 1e-300);
        checks.layerSplit = {
          value: split,
          threshold: 1e-3,
          pass: split <= 1e-3,
          description: '‖Σ_l T^(l) − T_Kato‖_F / ‖T_Kato‖_F (exact in exact arithmetic)',
        };
      }
    }
    return { ...q, checks, index: this.intervals.length, kato, kernelDrift, projectorChange: projector };
  }

  #pushCpu(cp: CheckpointData, n: number, label: string): SeriesStep {
    const ts = this.timeScale;
    let kernel: Float64Array;
    if (cp.kernel) kernel = Float64Array.from(cp.kernel);
    else {
      const j = Float64Array.from(cp.jacobian!.data);
      kernel = matmul(j, transpose(j, n, cp.jacobian!.p), n, cp.jacobian!.p, n);
    }
    const eig = symmetricEigen(kernel, n, { vectors: true });
    const r = Math.min(this.options.rank ?? Math.min(n, 256), n);
    const order = Array.from({ length: r }, (_, i) => n - 1 - i);
    const lambda = Float64Array.from(order, (i) => ts * eig.values[i]!);
    const vectors = new Float64Array(r * n);
    order.forEach((i, row) => vectors.set(eig.vectors!.subarray(i * n, (i + 1) * n), row * n));
    const residual = Float64Array.from(cp.residual);
    const c = Float64Array.from({ length: r }, (_, k) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += vectors[k * n + i]! * residual[i]!;
      return s;
    });
    const grid = this.#ensureGrid(lambda[0]!);
    const index = new Int32Array(r);
    let flagged = 0;
    lambda.forEach((lam, k) => {
      const a = assignShell(lam, grid);
      index[k] = a.index;
      if (a.boundary) flagged++;
    });
    const result = this.#checkpointResult(
      cp,
      n,
      lambda,
      c,
      index,
      flagged,
      null,
      this.#wantIpr() ? inverseParticipation(vectors, r, n) : null,
    );
    const layers = (cp.layers ?? []).map((l) => Float64Array.from(l));
    let interval: IntervalResult | null = null;
    const prev = this.#previous;
    if (prev?.cpu) {
      const flow = flowMatrixF64(prev.cpu.vectors, vectors, residual, prev.result.shellIndex, index, grid.count + 1);
      const delta = this.#katoDelta(prev.result.eigenvalues[0] ?? 0);
      let kato: IntervalResult['kato'] = null;
      if (delta !== null) {
        const dt = cp.t - prev.result.t;
        const project = (a: Float64Array, b: Float64Array): Float64Array => {
          const u = prev.cpu!.vectors;
          const rp = prev.result.amplitudes.length;
          const diff = Float64Array.from(a, (v, e) => (ts * (v - b[e]!)) / dt);
          const au = matmul(diff, transpose(u, rp, n), n, n, rp);
          return matmul(u, au, rp, n, rp);
        };
        const kt = (g: Float64Array) =>
          katoTransport(g, prev.result.amplitudes, prev.result.eigenvalues, prev.result.shellIndex, grid.count + 1, delta);
        const full = katoTerms(
          project(kernel, prev.cpu.kernel),
          prev.result.amplitudes,
          prev.result.eigenvalues,
          prev.result.shellIndex,
          grid.count + 1,
          delta,
        );
        kato = {
          transport: full.transport,
          perLayer: layers.map((l, i) => kt(project(l, prev.cpu!.layers[i]!))),
          delta,
          coherence: full.coherence,
          terms: full.terms,
        };
      }
      const rOld = prev.result.amplitudes.length;
      const o = matmul(prev.cpu.vectors, transpose(vectors, r, n), rOld, n, r);
      const projector = projectorChange(o, rOld, r, prev.result.shellIndex, index, grid.count + 1);
      const drift = cp.kernel && this.#previousKernel ? relativeDifference(cp.kernel, this.#previousKernel) : null;
      interval = this.#interval(prev.result, result, flow, kato, projector, drift);
    }
    this.#previous = { result, label, cpu: { vectors, residual, kernel, layers } };
    return { checkpoint: result, interval };
  }

  async #pushGpu(ctx: GpuContext, cp: CheckpointData, n: number, label: string): Promise<SeriesStep> {
    const ts = this.timeScale;
    const owned: SymmetricOperator[] = [];
    using group = new BufferGroup(ctx);
    const make = (elements: number, what: string): Promise<GPUBuffer> => group.storage(elements, what);
    let kept = false;
    try {
      let op: SymmetricOperator;
      if (cp.operator) op = cp.operator;
      else if (cp.kernel) owned.push((op = await denseOperator(ctx, { n, data: cp.kernel })));
      else owned.push((op = await jacobianOperator(ctx, { n, p: cp.jacobian!.p, data: cp.jacobian!.data })));
      const layerOps: SymmetricOperator[] = [];
      for (const layer of cp.layers ?? []) {
        const l = await denseOperator(ctx, { n, data: layer });
        owned.push(l);
        layerOps.push(l);
      }
      const r = Math.min(this.options.rank ?? Math.min(n, 256), n);
      using sol = await eigsh(op, {
        k: r,
        which: 'largest',
        vectors: 'gpu',
        seed: this.options.seed ?? 0,
        ...(this.options.steps === undefined ? {} : { steps: Math.max(this.options.steps, r) }),
      });
      const er = sol.results[0]!;
      const rr = er.eigenvalues.length;
      const lambda = Float64Array.from(er.eigenvalues, (v) => ts * v);
      const grid = this.#ensureGrid(Math.max(lambda[0] ?? 0, 0));
      // Keep the Ritz vectors: copy [rr][n] out of the solution's buffer (freed with it).
      const vectors = await make(rr * n, `${label} eigenvectors`);
      const residual = await make(n, `${label} residual`);
      const amplitudes = await make(rr, `${label} amplitudes`);
      const values = await make(rr, `${label} eigenvalues`);
      const index = await make(rr, `${label} shell index`);
      const flag = await make(rr, `${label} boundary flags`);
      const shells = grid.count + 1;
      const sums = {
        weight: await make(shells, 'shell energy'),
        lambdaWeight: await make(shells, 'shell λ·energy'),
        counts: await make(shells, 'shell counts'),
      };
      ctx.device.queue.writeBuffer(residual, 0, Float32Array.from(cp.residual));
      ctx.device.queue.writeBuffer(values, 0, Float32Array.from(lambda));
      const [mv, binning] = await Promise.all([createMatVec(ctx), createShellBinning(ctx)]);
      const wantIpr = this.#wantIpr();
      const staged = await record(ctx, `${label}: amplitudes and shells`, (rec) => {
        if (rr > 0) rec.copy(sol.vectorBuffer!, 0, vectors, 0, rr * n * 4);
        if (rr > 0) {
          mv.encodeN(rec, {
            m: { buffer: vectors, rows: rr, cols: n },
            x: { buffer: residual, batchStride: n, vectorStride: n },
            y: { buffer: amplitudes, batchStride: rr, vectorStride: rr },
            batch: 1,
            vectors: 1,
          });
          binning.encode(rec, { values, amplitudes, index, flag, ...sums }, grid, { batch: 1, len: rr, stride: rr }, true);
        }
        const out = [rec.stage(amplitudes, 0, rr * 4), rec.stage(index, 0, rr * 4), rec.stage(flag, 0, rr * 4)];
        if (wantIpr && rr > 0) out.push(rec.stage(vectors, 0, rr * n * 4));
        return out;
      });
      const [cRaw, iRaw, fRaw, vectorsRaw] = await Promise.all(staged.map((s) => readStaging(ctx, s)));
      const c = Float64Array.from(new Float32Array(cRaw!));
      const idx = Int32Array.from(new Uint32Array(iRaw!));
      const flagged = new Uint32Array(fRaw!).reduce((s, v) => s + v, 0);
      const ipr = vectorsRaw ? inverseParticipation(new Float32Array(vectorsRaw), rr, n) : null;
      const result = this.#checkpointResult(
        cp,
        n,
        lambda,
        c,
        idx,
        flagged,
        { steps: er.steps, breakdown: er.breakdown, converged: er.converged.filter(Boolean).length },
        ipr,
      );
      const interval = this.#previous?.gpu
        ? await this.#gpuInterval(
            ctx,
            this.#previous,
            result,
            {
              vectors,
              residual,
              index,
              op,
              layers: layerOps,
              kernelDrift: cp.kernel && this.#previousKernel ? relativeDifference(cp.kernel, this.#previousKernel) : null,
            },
            n,
          )
        : null;
      this.#releasePrevious();
      this.#previous = { result, label, gpu: { vectors, residual, index, operator: op, ownsOperator: !cp.operator, layers: layerOps } };
      // Keep what the next interval needs (vectors, residual, shell indices, operators); release the rest.
      group.keep(vectors, residual, index);
      kept = true;
      return { checkpoint: result, interval };
    } finally {
      if (!kept) for (const o of owned) o.dispose();
    }
  }

  async #gpuInterval(
    ctx: GpuContext,
    prev: Previous,
    cur: CheckpointResult,
    now: {
      vectors: GPUBuffer;
      residual: GPUBuffer;
      index: GPUBuffer;
      op: SymmetricOperator;
      layers: SymmetricOperator[];
      kernelDrift: number | null;
    },
    n: number,
  ): Promise<IntervalResult> {
    const grid = this.#grid!;
    const shells = grid.count + 1;
    const rOld = prev.result.amplitudes.length;
    const rNew = cur.amplitudes.length;
    const p = prev.gpu!;
    const [estimator, gemm] = await Promise.all([createFlowEstimator(ctx), createGemm(ctx)]);
    using scratch = new BufferGroup(ctx);
    const make = (elements: number, what: string): Promise<GPUBuffer> => scratch.storage(elements, what);
    const alpha = await make(rOld, 'α = U a');
    const beta = await make(rNew, 'β = V a');
    const o = await make(rOld * rNew, 'O = U Vᵀ');
    const g = await make(rNew, 'g = Oᵀα');
    const core = await make(shells * shells, 'flow core');
    ctx.device.queue.writeBuffer(beta, 0, Float32Array.from(cur.amplitudes));
    const delta = this.#katoDelta(prev.result.eigenvalues[0] ?? 0);
    const withKato = delta !== null && rOld > 0;
    const katoOps: [SymmetricOperator, SymmetricOperator][] = withKato
      ? [[now.op, p.operator], ...now.layers.map((l, i): [SymmetricOperator, SymmetricOperator] => [l, p.layers[i]!])]
      : [];
    const projections = await Promise.all(katoOps.map(() => make(rOld * rOld, 'U ΔK Uᵀ')));
    const applied = withKato ? await make(2 * rOld * n, 'K U') : null;
    const staged = await record(ctx, `interval ${this.intervals.length}: transport`, (rec) => {
      estimator.encode(
        rec,
        {
          oldVectors: p.vectors,
          newVectors: now.vectors,
          residual: now.residual,
          oldIndex: p.index,
          newIndex: now.index,
          alpha,
          beta,
          overlap: o,
          g,
          core,
        },
        { rOld, rNew, n, shells, computeBeta: false },
      );
      // Kato: G = U (K_new − K_old) Uᵀ, for the kernel and each layer.
      katoOps.forEach(([kNew, kOld], i) => {
        const vecs = { buffer: p.vectors, batchStride: rOld * n, vectorStride: n };
        kNew.encodeApply(rec, vecs, { buffer: applied!, batchStride: rOld * n, vectorStride: n }, rOld);
        kOld.encodeApply(rec, vecs, { buffer: applied!, offset: rOld * n, batchStride: rOld * n, vectorStride: n }, rOld);
        gemm.encode(rec, {
          a: { buffer: p.vectors },
          b: { buffer: applied! },
          c: { buffer: projections[i]! },
          m: rOld,
          n: rOld,
          k: n,
          transB: true,
        });
        gemm.encode(rec, {
          a: { buffer: p.vectors },
          b: { buffer: applied!, offset: rOld * n },
          c: { buffer: projections[i]! },
          m: rOld,
          n: rOld,
          k: n,
          transB: true,
          alpha: -1,
          beta: 1,
        });
      });
      return [
        rec.stage(alpha, 0, rOld * 4),
        rec.stage(g, 0, rNew * 4),
        rec.stage(core, 0, shells * shells * 4),
        rec.stage(o, 0, rOld * rNew * 4),
        ...projections.map((b) => rec.stage(b, 0, rOld * rOld * 4)),
      ];
    });
    const raw = await Promise.all(staged.map((s) => readStaging(ctx, s)));
    const flow = completeFlow({
      core: new Float32Array(raw[0 + 2]!),
      shells,
      alpha: new Float32Array(raw[0]!),
      beta: cur.amplitudes,
      g: new Float32Array(raw[1]!),
      oldIndex: prev.result.shellIndex,
      newIndex: cur.shellIndex,
      norm2: cur.residualNorm2,
    });
    let kato: IntervalResult['kato'] = null;
    if (withKato) {
      const scaleFactor = this.timeScale / (cur.t - prev.result.t);
      const kt = (bytes: ArrayBuffer) =>
        katoTransport(
          Float64Array.from(new Float32Array(bytes), (v) => v * scaleFactor),
          prev.result.amplitudes,
          prev.result.eigenvalues,
          prev.result.shellIndex,
          shells,
          delta!,
        );
      const g0 = Float64Array.from(new Float32Array(raw[4]!), (v) => v * scaleFactor);
      const full = katoTerms(g0, prev.result.amplitudes, prev.result.eigenvalues, prev.result.shellIndex, shells, delta!);
      kato = { transport: full.transport, perLayer: raw.slice(5).map(kt), delta: delta!, coherence: full.coherence, terms: full.terms };
    }
    const projector = projectorChange(new Float32Array(raw[3]!), rOld, rNew, prev.result.shellIndex, cur.shellIndex, shells);
    return this.#interval(prev.result, cur, flow, kato, projector, now.kernelDrift);
  }

  #releasePrevious(): void {
    const p = this.#previous?.gpu;
    if (!p || this.backend === 'cpu') return;
    const ctx = this.backend;
    ctx.destroyBuffer(p.vectors);
    ctx.destroyBuffer(p.residual);
    ctx.destroyBuffer(p.index);
    if (p.ownsOperator) p.operator.dispose();
    for (const l of p.layers) l.dispose();
  }

  /** Releases the GPU memory held for the next interval. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#releasePrevious();
    this.#previous = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Runs the whole series at once. Without a grid, λ_max is first estimated for every checkpoint
 * (a few Lanczos steps, or the dense eigenvalues on the CPU) so that the grid covers the run.
 */
export async function analyzeSeries(
  backend: GpuContext | 'cpu',
  checkpoints: readonly CheckpointData[],
  options: SeriesOptions = {},
): Promise<SeriesResult> {
  if (checkpoints.length === 0) throw new InvalidArgumentError('checkpoints', 'need at least one checkpoint');
  const grid = options.grid;
  if (!grid && options.gridOptions?.lambdaMax === undefined) {
    const ts = options.timeScale ?? 1;
    let top = 0;
    for (const cp of checkpoints) top = Math.max(top, ts * (await largestEigenvalue(backend, cp)));
    const o = options.gridOptions ?? {};
    options = { ...options, gridOptions: { ...o, lambdaMax: top } };
  }
  using series = new GrsdSeries(backend, grid ? { ...options, grid } : options);
  for (const cp of checkpoints) await series.push(cp);
  return series.result();
}

/** λ_max of a checkpoint's kernel (un-scaled): 30 Lanczos steps on the GPU, exact on the CPU. */
async function largestEigenvalue(backend: GpuContext | 'cpu', cp: CheckpointData): Promise<number> {
  const n = cp.residual.length;
  if (backend === 'cpu') {
    const kernel = cp.kernel
      ? Float64Array.from(cp.kernel)
      : matmul(
          Float64Array.from(cp.jacobian!.data),
          transpose(Float64Array.from(cp.jacobian!.data), n, cp.jacobian!.p),
          n,
          cp.jacobian!.p,
          n,
        );
    const v = symmetricEigen(kernel, n).values;
    return v[n - 1]!;
  }
  let op = cp.operator;
  const owned = !op;
  if (!op)
    op = cp.kernel
      ? await denseOperator(backend, { n, data: cp.kernel })
      : await jacobianOperator(backend, { n, p: cp.jacobian!.p, data: cp.jacobian!.data });
  try {
    using sol = await eigsh(op, { k: 1, steps: Math.min(n, 30) });
    const r = sol.results[0]!;
    return (r.eigenvalues[0] ?? 0) + r.errorBounds[0]!;
  } finally {
    if (owned) op.dispose();
  }
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

/** n·IPR_k = n Σ_i u_ki⁴ of each of the r rows of `vectors` (r × n). */
export function inverseParticipation(vectors: ArrayLike<number>, r: number, n: number): Float64Array {
  return Float64Array.from({ length: r }, (_, k) => {
    let s = 0;
    let norm = 0;
    for (let i = 0; i < n; i++) {
      const v = vectors[k * n + i]!;
      s += v ** 4;
      norm += v * v;
    }
    return norm > 0 ? (n * s) / (norm * norm) : 0;
  });
}

function trace(k: ArrayLike<number>, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += k[i * n + i]!;
  return t;
}
