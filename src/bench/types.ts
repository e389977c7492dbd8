/**
 * Types of the benchmark suite: the sizes a run uses ({@link BenchScale}), the extension point
 * ({@link BenchGroup}: a named list of {@link BenchCase}s), what a case produces ({@link Figure})
 * and the report ({@link BenchReport}, schema {@link BENCH_SCHEMA_VERSION}).
 * @module
 */
import type { GpuContext } from '../gpu/context.ts';
import type { Measurement, TimingMethod } from './harness.ts';
import type { PeerOptions, PeerOutcome } from './peers.ts';
import type { Roofline } from './roofline.ts';

/** Version of the JSON layout of {@link BenchReport}. */
export const BENCH_SCHEMA_VERSION = 1;

/** Problem sizes and timing policy of a run. */
export interface BenchScale {
  /** `"quick"`, `"full"` or a custom name. */
  readonly name: string;
  /** Requested size of each copy buffer of the roofline, bytes. */
  readonly copyBytes: number;
  /** Square GEMM sizes of the roofline, ascending. */
  readonly gemmSizes: readonly number[];
  /** Dense operator apply (one vector per matrix). */
  readonly apply: { readonly n: readonly number[]; readonly batch: readonly number[] };
  /** Lanczos with a fixed number of steps. */
  readonly lanczos: { readonly n: readonly number[]; readonly batch: readonly number[]; readonly steps: number };
  /** eigsh top-k end to end (adaptive steps to `tolerance`). */
  readonly eigsh: { readonly n: readonly number[]; readonly k: number; readonly tolerance: number };
  /** eigsh work (operator applications) on the hard-case catalogue against ARPACK (default: test sizes, bench sizes at full scale). */
  readonly eigshWork?: { readonly size: 'test' | 'bench'; readonly tolerance: number };
  /** All n eigenpairs of K = J Jᵀ from wide Jacobians (n, P): Golub–Kahan vs Lanczos (default: (128, 2833); at full scale also (256, 4801)). */
  readonly eigshJacobian?: { readonly shapes: readonly (readonly [number, number])[] };
  /** Stochastic Lanczos quadrature. */
  readonly slq: { readonly n: readonly number[]; readonly probes: number; readonly steps: number };
  /** Transport estimator: r eigenpairs on both sides, vector length n, computed shells. */
  readonly transport: { readonly r: readonly number[]; readonly n: readonly number[]; readonly shells: readonly number[] };
  /** Shell binning: `batch` spectra of `len` eigenvalues on a grid of `shellsPerDecade`. */
  readonly binning: { readonly batch: readonly number[]; readonly len: readonly number[]; readonly shellsPerDecade: number };
  /** Full pipeline: K checkpoints of n×n kernels, top-`rank` eigenpairs; the float64 CPU backend peer up to `f64MaxN`. */
  readonly pipeline: { readonly n: readonly number[]; readonly checkpoints: number; readonly rank: number; readonly f64MaxN: number };
  /** Untimed runs before the samples (cases predicted to take over 2 s skip them: pipelines are already warm). */
  readonly warmup: number;
  /** Timed runs per figure (fewer when {@link maxSeconds} runs out). */
  readonly repeats: number;
  /** Time after which a figure stops repeating (it keeps at least one sample). */
  readonly maxSeconds: number;
  /** A case whose predicted single run exceeds this many seconds is skipped (with a note). */
  readonly caseBudgetSeconds: number;
  /** Largest n for the ml-matrix peer (slow: O(n³) in JavaScript, eigenvectors included). */
  readonly mlMatrixMaxN: number;
  /** Largest n for grsd's float64 CPU reference peer. */
  readonly f64MaxN: number;
}

/** What a benchmark case runs with. */
export interface BenchEnv {
  readonly ctx: GpuContext;
  readonly scale: BenchScale;
  /** The roofline measured at the start of the run. */
  readonly roofline: Roofline;
  readonly peers: PeerOptions;
  /** GPU memory a case may hold at once, bytes. */
  readonly memoryBudgetBytes: number;
  /** Host memory a case may hold at once, bytes. */
  readonly hostBudgetBytes: number;
  /** Numbers groups share, e.g. `"applyGbPerS"` (the measured apply bandwidth, used for predictions). */
  readonly shared: Map<string, number>;
  /** Measurement options for a case predicted to take `predictedSeconds` per run. */
  timing(predictedSeconds?: number | null): {
    readonly ctx: GpuContext;
    readonly warmup: number;
    readonly repeats: number;
    readonly maxSeconds: number;
  };
  /**
   * Predicted seconds for work that streams `bytes` and computes `flops`, from the measured apply
   * bandwidth (or copy bandwidth) and GEMM throughput.
   */
  predictSeconds(work: { readonly bytes?: number; readonly flops?: number }): number;
  /** The benchmark matrix of size n (cached for the run). */
  matrix(n: number): Float32Array;
}

/** One benchmark case: a configuration of a group. */
export interface BenchCase {
  readonly label: string;
  readonly params: Readonly<Record<string, number>>;
  /** Memory the case needs: largest single GPU buffer, all GPU buffers, host arrays (bytes). */
  readonly memory?: { readonly largestBuffer?: number; readonly gpu?: number; readonly host?: number };
  /** Predicted seconds of one timed run of the headline figure, evaluated just before the case (earlier cases inform it). */
  predictSeconds?(env: BenchEnv): number;
  /** A reason not to run at all (e.g. steps > n), checked first. */
  readonly skipReason?: string;
  run(env: BenchEnv): Promise<Figure>;
}

/** A group of benchmark cases: the extension point (see registerBenchGroup). */
export interface BenchGroup {
  /** Stable id, used by `grsd bench --group`. */
  readonly id: string;
  readonly title: string;
  /** What is measured and how bytes/FLOPs are counted (shown in the markdown). */
  readonly description: string;
  /** The cases for the run's scale, smallest first (the first warms the pipelines). */
  cases(scale: BenchScale): BenchCase[];
}

/** What a case produced. */
export interface Figure {
  readonly label: string;
  readonly params: Readonly<Record<string, number>>;
  /** The headline time of the case. */
  readonly time: Measurement;
  /** Derived numbers, named with their unit (gbPerS, gflopPerS, fractionOfCopyBandwidth, ...). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Further timings of the case (e.g. the operator applies alone). */
  readonly measurements?: Readonly<Record<string, Measurement>>;
  /** Peers on the same problem, with the ratio grsd/peer. */
  readonly peers?: readonly PeerOutcome[];
  readonly notes?: readonly string[];
}

/** A case not run, and why. */
export interface SkippedCase {
  readonly label: string;
  readonly params: Readonly<Record<string, number>>;
  readonly reason: string;
}

/** A case that threw. */
export interface FailedCase {
  readonly label: string;
  readonly params: Readonly<Record<string, number>>;
  readonly error: string;
}

/** One group's results. */
export interface GroupResult {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly figures: Figure[];
  readonly skipped: SkippedCase[];
  readonly failed: FailedCase[];
}

/** A fitted scaling exponent: time ∝ x^exponent with the other parameters fixed. */
export interface ScalingFit {
  readonly group: string;
  /** `"grsd"` or a peer id. */
  readonly series: string;
  readonly variable: string;
  readonly fixed: Readonly<Record<string, number>>;
  readonly points: readonly { readonly x: number; readonly ms: number }[];
  readonly exponent: number;
  readonly r2: number;
}

/** A performance goal and where the run stands against it. */
export interface GoalResult {
  readonly id: string;
  readonly description: string;
  readonly target: string;
  /** The measured value the verdict rests on (null when not measured). */
  readonly value: number | null;
  /** true / false, or null when this run cannot tell (see {@link reason}). */
  readonly met: boolean | null;
  /** Which figures the value comes from. */
  readonly basis: string;
  readonly reason?: string;
}

/** The complete report of a run (JSON-serializable). */
export interface BenchReport {
  readonly schemaVersion: number;
  /** ISO 8601. */
  readonly date: string;
  readonly grsdVersion: string;
  readonly scale: BenchScale;
  readonly machine: string;
  readonly host: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly platform: string;
    readonly arch: string;
    /** 1-minute load average at the start and at the end of the run (0 where the OS has none): above 0 means other work shared the CPU. */
    readonly loadAverage: { readonly start: number; readonly end: number };
  };
  readonly adapter: {
    readonly description: string;
    readonly device: string;
    readonly vendor: string;
    readonly architecture: string;
    readonly mode: string;
    readonly route: string;
    readonly software: boolean;
  };
  readonly node: string;
  /** The clock of every GPU figure of the run. */
  readonly timing: TimingMethod;
  readonly limits: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number };
  readonly roofline: Roofline;
  readonly groups: GroupResult[];
  readonly scaling: ScalingFit[];
  readonly goals: GoalResult[];
  /** Seconds the whole run took. */
  readonly elapsedSeconds: number;
  readonly notes: string[];
}
