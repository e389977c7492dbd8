/**
 * The compute backend of the series pipeline: what `GrsdSeries` (the orchestrator: validation,
 * grid, shell assignment, bookkeeping, listeners) asks of the hardware, behind one interface with
 * two implementations:
 *
 * - {@link Float64SeriesBackend} (src/analysis/float64SeriesBackend.ts): dense float64 on the
 *   host, the reference (`'cpu'`);
 * - {@link GpuSeriesBackend} (src/analysis/gpuSeriesBackend.ts): Lanczos eigenpairs and the
 *   transport estimator on the GPU in f32 (src/algorithms/spectralCheckpoint.ts and
 *   intervalTransport.ts, whose float64 twins the float64 backend runs).
 *
 * Per checkpoint: `checkpoint` returns the top-r eigenvalues θ of K (un-scaled: λ = timeScale·θ is
 * the orchestrator's) and the amplitudes c = U e, and keeps what the next interval needs. Per
 * interval: `interval` returns the flow matrix, the overlap O = U Vᵀ and the Kato projections
 * G = U (K_new − K_old) Uᵀ. `release` frees a checkpoint that no interval needs any more.
 * @module
 */
import type { LanczosDiagnostics } from '../algorithms/spectralCheckpoint.ts';
import type { IntervalTransport } from '../reference/intervalTransport.ts';
import type { FlatCheckpointData } from './checkpointData.ts';

export type { IntervalTransport, LanczosDiagnostics };

/** A checkpoint's spectrum as a backend returns it. */
export interface CheckpointSpectrum {
  readonly n: number;
  /** Eigenpairs asked for in the last solve. */
  readonly requested: number;
  /** θ_k, the largest eigenvalues of K, descending (possibly fewer than `requested`: see `lanczos`). */
  readonly values: Float64Array;
  /** c_k = u_kᵀ e. */
  readonly amplitudes: Float64Array;
  /** ‖e‖², in float64 from the host residual. */
  readonly residualNorm2: number;
  /** Lanczos diagnostics (GPU backend), null for the dense float64 decomposition. */
  readonly lanczos: LanczosDiagnostics | null;
  /** n·IPR of each eigenvector when asked for, else null. */
  readonly ipr: Float64Array | null;
}

/** What the orchestrator asks for one checkpoint. */
export interface SpectrumRequest {
  /** Eigenpairs of the first solve (1 … n). */
  readonly rank: number;
  /** Called after each solve: a larger rank to solve again with, or null to keep this spectrum. */
  readonly grow?: (spectrum: CheckpointSpectrum) => number | null;
  /** Compute n·IPR of the eigenvectors. */
  readonly ipr: boolean;
  /** Names the checkpoint in GPU labels. */
  readonly label: string;
}

/** A checkpoint held by a backend (its spectrum, and backend state for the next interval). */
export interface BackendCheckpoint {
  readonly spectrum: CheckpointSpectrum;
}

/** The shell index of every computed eigenpair on both sides of an interval. */
export interface IntervalShells {
  readonly oldIndex: ArrayLike<number>;
  readonly newIndex: ArrayLike<number>;
  /** Computed shells (window + ∅, `ShellGrid.computedCount`). */
  readonly computed: number;
}

/** See the module documentation. */
export interface SeriesBackend {
  /** Arithmetic of the eigenvectors and the transport estimator. */
  readonly precision: 'float32' | 'float64';
  /** Unit roundoff of that arithmetic: 2⁻²⁴ or 2⁻⁵³. */
  readonly unitRoundoff: number;
  /** Solves a validated checkpoint (see {@link SpectrumRequest}); the result must be {@link release}d. */
  checkpoint(cp: FlatCheckpointData, request: SpectrumRequest): Promise<BackendCheckpoint>;
  /** Flow, overlap and (with `kato`) the Kato projections of the kernel and each layer between two checkpoints. */
  interval(previous: BackendCheckpoint, current: BackendCheckpoint, shells: IntervalShells, kato: boolean): Promise<IntervalTransport>;
  /** Frees what a checkpoint holds. Idempotent. */
  release(cp: BackendCheckpoint): void;
}

/**
 * Runs `solve` at `request.rank`, then again at every larger rank `request.grow` asks for, freeing
 * each superseded result: the rank policy is the orchestrator's, the solves the backend's.
 */
export async function solveGrowing<T extends { spectrum: CheckpointSpectrum }>(
  request: SpectrumRequest,
  n: number,
  solve: (rank: number) => Promise<T>,
  free: (result: T) => void,
): Promise<T> {
  let rank = Math.min(request.rank, n);
  for (;;) {
    const result = await solve(rank);
    let next: number | null;
    try {
      next = request.grow?.(result.spectrum) ?? null;
    } catch (error) {
      free(result);
      throw error;
    }
    if (next === null || Math.min(next, n) <= rank) return result;
    free(result);
    rank = Math.min(next, n);
  }
}
