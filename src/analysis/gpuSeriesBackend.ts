/**
 * The GPU series backend: per checkpoint the kernel (dense, Jacobian or a given operator) and its
 * layers as GPU operators, the top-r eigenpairs by Lanczos with resident Ritz vectors and the
 * amplitudes ({@link spectralCheckpoint}); per interval the transport estimator and the Kato
 * projections ({@link intervalTransport}). f32 on the GPU; host data is rounded to f32 only here,
 * at upload.
 * @module
 */
import { intervalTransport } from '../algorithms/intervalTransport.ts';
import { denseOperator, jacobianOperator, type SymmetricOperator } from '../algorithms/operators.ts';
import { spectralCheckpoint, type GpuSpectralCheckpoint } from '../algorithms/spectralCheckpoint.ts';
import { invariant } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { inverseParticipation } from '../reference/spectralCheckpoint.ts';
import type { FlatCheckpointData } from './checkpointData.ts';
import {
  solveGrowing,
  type BackendCheckpoint,
  type CheckpointSpectrum,
  type IntervalShells,
  type IntervalTransport,
  type SeriesBackend,
  type SpectrumRequest,
} from './seriesBackend.ts';

/** A checkpoint on the GPU: its resident spectrum and the operators the next interval's Kato projection applies. */
class GpuCheckpoint implements BackendCheckpoint {
  readonly spectrum: CheckpointSpectrum;
  readonly solved: GpuSpectralCheckpoint;
  readonly operator: SymmetricOperator;
  readonly layers: readonly SymmetricOperator[];
  readonly #owned: readonly SymmetricOperator[];
  #released = false;

  constructor(
    spectrum: CheckpointSpectrum,
    solved: GpuSpectralCheckpoint,
    operator: SymmetricOperator,
    layers: SymmetricOperator[],
    owned: SymmetricOperator[],
  ) {
    this.spectrum = spectrum;
    this.solved = solved;
    this.operator = operator;
    this.layers = layers;
    this.#owned = owned;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.solved.dispose();
    for (const op of this.#owned) op.dispose();
  }
}

function asGpu(checkpoint: BackendCheckpoint): GpuCheckpoint {
  invariant(checkpoint instanceof GpuCheckpoint, 'a checkpoint from another backend was given to the GPU backend');
  return checkpoint;
}

/** Options of {@link GpuSeriesBackend}. */
export interface GpuSeriesBackendOptions {
  /** Lanczos steps per solve (default adaptive). */
  readonly steps?: number;
  /** Seed of the Lanczos start vector. Default 0. */
  readonly seed?: number;
}

/** See the module documentation. */
export class GpuSeriesBackend implements SeriesBackend {
  readonly precision = 'float32';
  readonly unitRoundoff = 2 ** -24;
  readonly ctx: GpuContext;
  readonly #options: GpuSeriesBackendOptions;

  constructor(ctx: GpuContext, options: GpuSeriesBackendOptions = {}) {
    this.ctx = ctx;
    this.#options = options;
  }

  async checkpoint(cp: FlatCheckpointData, request: SpectrumRequest): Promise<BackendCheckpoint> {
    const ctx = this.ctx;
    const n = cp.residual.length;
    const owned: SymmetricOperator[] = [];
    try {
      let operator: SymmetricOperator;
      if (cp.operator) operator = cp.operator;
      else if (cp.kernel) owned.push((operator = await denseOperator(ctx, { n, data: cp.kernel })));
      else owned.push((operator = await jacobianOperator(ctx, { n, p: cp.jacobian!.p, data: cp.jacobian!.data })));
      const layers: SymmetricOperator[] = [];
      for (const layer of cp.layers ?? []) {
        const op = await denseOperator(ctx, { n, data: layer });
        owned.push(op);
        layers.push(op);
      }
      let residualNorm2 = 0;
      for (let i = 0; i < n; i++) residualNorm2 += cp.residual[i]! ** 2;
      const done = await solveGrowing(
        request,
        n,
        async (rank) => {
          const solved = await spectralCheckpoint(operator, cp.residual, {
            rank,
            seed: this.#options.seed ?? 0,
            readVectors: request.ipr,
            label: request.label,
            ...(this.#options.steps === undefined ? {} : { steps: this.#options.steps }),
          });
          const spectrum: CheckpointSpectrum = {
            n,
            requested: rank,
            values: solved.values,
            amplitudes: solved.amplitudes,
            residualNorm2,
            lanczos: solved.lanczos,
            ipr: solved.hostVectors ? inverseParticipation(solved.hostVectors, solved.rank, n) : null,
          };
          return { spectrum, solved };
        },
        (superseded) => superseded.solved.dispose(),
      );
      // The checkpoint takes over the operators it created (emptying `owned`, so `finally` keeps them).
      return new GpuCheckpoint(done.spectrum, done.solved, operator, layers, owned.splice(0));
    } finally {
      for (const op of owned) op.dispose();
    }
  }

  async interval(
    previous: BackendCheckpoint,
    current: BackendCheckpoint,
    shells: IntervalShells,
    kato: boolean,
  ): Promise<IntervalTransport> {
    const p = asGpu(previous);
    const c = asGpu(current);
    return intervalTransport(this.ctx, {
      n: c.spectrum.n,
      shells: shells.computed,
      old: { vectors: p.solved.vectors, index: shells.oldIndex },
      new: {
        vectors: c.solved.vectors,
        index: shells.newIndex,
        residual: c.solved.residual,
        amplitudes: c.spectrum.amplitudes,
        norm2: c.spectrum.residualNorm2,
      },
      kato: kato ? [[c.operator, p.operator], ...c.layers.map((l, i) => [l, p.layers[i]!] as const)] : [],
    });
  }

  release(checkpoint: BackendCheckpoint): void {
    asGpu(checkpoint).release();
  }
}
