/**
 * The float64 series backend (`'cpu'`): dense eigendecompositions and the transport estimator in
 * float64 on the host, from inputs kept in their own precision (float64 data is never rounded to
 * f32). The reference the GPU backend is tested against; O(n³) per checkpoint.
 * @module
 */
import { intervalTransportF64 } from '../reference/intervalTransport.ts';
import { symmetrize } from '../reference/linalg.ts';
import {
  inverseParticipation,
  kernelFromJacobianF64,
  leadingPairs,
  spectralDecompositionF64,
  type SpectralCheckpointF64,
} from '../reference/spectralCheckpoint.ts';
import { invariant } from '../errors.ts';
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

/** A checkpoint on the float64 backend: its leading pairs, the residual and the dense kernels (for Kato). */
class Float64Checkpoint implements BackendCheckpoint {
  readonly spectrum: CheckpointSpectrum;
  readonly pairs: SpectralCheckpointF64;
  readonly residual: Float64Array;
  readonly kernel: Float64Array;
  readonly layers: Float64Array[];

  constructor(fields: {
    spectrum: CheckpointSpectrum;
    pairs: SpectralCheckpointF64;
    residual: Float64Array;
    kernel: Float64Array;
    layers: Float64Array[];
  }) {
    this.spectrum = fields.spectrum;
    this.pairs = fields.pairs;
    this.residual = fields.residual;
    this.kernel = fields.kernel;
    this.layers = fields.layers;
  }
}

function asFloat64(checkpoint: BackendCheckpoint): Float64Checkpoint {
  invariant(checkpoint instanceof Float64Checkpoint, 'a checkpoint from another backend was given to the float64 backend');
  return checkpoint;
}

/** See the module documentation. */
export class Float64SeriesBackend implements SeriesBackend {
  readonly precision = 'float64';
  readonly unitRoundoff = 2 ** -53;

  async checkpoint(cp: FlatCheckpointData, request: SpectrumRequest): Promise<BackendCheckpoint> {
    const n = cp.residual.length;
    const residual = Float64Array.from(cp.residual);
    // The symmetric part: validation allows |K_ij − K_ji| up to 1e-5·max|K| (as the GPU does).
    const kernel = cp.kernel ? symmetrize(Float64Array.from(cp.kernel), n) : kernelFromJacobianF64(cp.jacobian!.data, n, cp.jacobian!.p);
    const layers = (cp.layers ?? []).map((l) => symmetrize(Float64Array.from(l), n));
    const full = spectralDecompositionF64(kernel, n, residual);
    let residualNorm2 = 0;
    for (const v of residual) residualNorm2 += v * v;
    return solveGrowing(
      request,
      n,
      async (rank) => {
        const pairs = leadingPairs(full, rank);
        const spectrum: CheckpointSpectrum = {
          n,
          requested: rank,
          values: pairs.values,
          amplitudes: pairs.amplitudes,
          residualNorm2,
          lanczos: null,
          ipr: request.ipr ? inverseParticipation(pairs.vectors, rank, n) : null,
        };
        return new Float64Checkpoint({ spectrum, pairs, residual, kernel, layers });
      },
      () => {},
    );
  }

  async interval(
    previous: BackendCheckpoint,
    current: BackendCheckpoint,
    shells: IntervalShells,
    kato: boolean,
  ): Promise<IntervalTransport> {
    const p = asFloat64(previous);
    const c = asFloat64(current);
    return intervalTransportF64({
      u: p.pairs.vectors,
      v: c.pairs.vectors,
      a: c.residual,
      oldIndex: shells.oldIndex,
      newIndex: shells.newIndex,
      shells: shells.computed,
      kernels: kato ? [[c.kernel, p.kernel], ...c.layers.map((l, i) => [l, p.layers[i]!] as const)] : [],
    });
  }

  release(): void {}
}
