/**
 * The matrix forms a checkpoint takes (src/analysis/checkpointData.ts): a kernel, layer kernel or
 * Jacobian given with its shape (`{ data, shape }`, the shaped MatrixInput that eigsh takes, which
 * a Tensor is) gives exactly the results of the flat forms (n² values, `{ p, data }`); shapes that
 * do not fit the residual are refused with InvalidArgumentError naming the field.
 */
import { describe, expect, test } from 'vitest';
import { validateCheckpoint, type CheckpointData, type ShapedMatrix } from '../../src/analysis/checkpointData.ts';
import { denseMatrixOf, type MatrixInput } from '../../src/algorithms/operators.ts';
import { largestEigenvalueBound } from '../../src/analysis/lambdaMax.ts';
import { analyzeSeries, checkpointPrecision, GrsdSeries, type SeriesResult } from '../../src/analysis/series.ts';
import { ShellGrid } from '../../src/analysis/shellGrid.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { encodeNpy, parseNpy } from '../../src/io/npy.ts';
import { Random } from '../../src/util/random.ts';
import { rotatingBasis } from '../helpers/grsdCases.ts';

const n = 10;
const lambda = Float64Array.from({ length: n }, (_, i) => 10 ** (-0.13 - (2.6 * i) / (n - 1)));
const { at } = rotatingBasis(n, lambda, 0.05, 11);
const times = [0, 0.01, 0.02];
const grid = ShellGrid.create({ floor: 1e-4, lambdaMax: 1 });

/** The two layers K = L0 + L1 of the kernel at t, each symmetric. */
function layersAt(t: number): [Float64Array, Float64Array] {
  const { kernel } = at(t);
  const bump = Float64Array.from({ length: n * n }, (_, e) => 0.01 * Math.cos(Math.floor(e / n) + (e % n)) * (1 + t));
  return [kernel.map((v, e) => 0.3 * v + bump[e]!), kernel.map((v, e) => 0.7 * v - bump[e]!)];
}

/** J (n×p) with J Jᵀ of rank p, from a seeded generator. */
function jacobianAt(t: number, p: number): Float64Array {
  const r = new Random(5);
  return Float64Array.from({ length: n * p }, (_, e) => r.normal() * (1 + t * (e % 3)));
}

const results = (res: SeriesResult) => ({
  energy: res.checkpoints.map((c) => Array.from(c.energy)),
  eigenvalues: res.checkpoints.map((c) => Array.from(c.eigenvalues)),
  transport: res.intervals.map((iv) => Array.from(iv.transport)),
  kato: res.intervals.map((iv) => iv.kato?.perLayer.map((l) => Array.from(l)) ?? null),
});

describe('checkpoint matrix forms', () => {
  test('kernel and layers as { data, shape: [n, n] } give exactly the results of the flat form', async () => {
    const flat: CheckpointData[] = times.map((t) => ({ t, kernel: at(t).kernel, residual: at(t).residual, layers: layersAt(t) }));
    const shaped: CheckpointData[] = times.map((t) => ({
      t,
      kernel: { data: at(t).kernel, shape: [n, n] },
      residual: at(t).residual,
      layers: layersAt(t).map((data) => ({ data, shape: [n, n] })),
    }));
    const a = await analyzeSeries('cpu', flat, { grid, rank: n });
    const b = await analyzeSeries('cpu', shaped, { grid, rank: n });
    expect(b.intervals[0]!.kato!.perLayer).toHaveLength(2);
    expect(results(b)).toEqual(results(a));
  });

  test('a shaped kernel is the MatrixInput that eigsh takes: the same object passes both', () => {
    const kernel: ShapedMatrix = { data: at(0).kernel, shape: [n, n] };
    const input: MatrixInput = kernel; // compile-time: every ShapedMatrix is a MatrixInput
    expect(denseMatrixOf(input, 'kernel')).toMatchObject({ n, batch: 1, data: kernel.data });
    expect(validateCheckpoint({ t: 0, kernel, residual: at(0).residual }, { index: 0, cpu: true }).checkpoint.kernel).toBe(kernel.data);
  });

  test('a Tensor (parsed from .npy) is a kernel as it is; float64 stays float64, float32 is float32', async () => {
    const k = at(0).kernel;
    const tensor = parseNpy(encodeNpy({ dtype: 'f64', shape: [n, n], data: k }), 'k.npy');
    expect(tensor.data).toBeInstanceOf(Float64Array);
    const viaTensor = await analyzeSeries('cpu', [{ t: 0, kernel: tensor, residual: at(0).residual }], { grid, rank: n });
    const viaFlat = await analyzeSeries('cpu', [{ t: 0, kernel: k, residual: at(0).residual }], { grid, rank: n });
    expect(results(viaTensor)).toEqual(results(viaFlat));
    const residual = Float64Array.from(at(0).residual);
    expect(checkpointPrecision({ t: 0, kernel: tensor, residual })).toBe('float64');
    expect(checkpointPrecision({ t: 0, kernel: { data: Float32Array.from(k), shape: [n, n] }, residual })).toBe('float32');
    expect(checkpointPrecision({ t: 0, kernel: k, residual, layers: [{ data: Float32Array.from(k), shape: [n, n] }] })).toBe('float32');
  });

  test('integer and number-array data in the shaped form are converted to float64 exactly', () => {
    const ints = Int32Array.from([4, 1, 0, 1, 3, -2, 0, -2, 5]);
    const asNumbers = validateCheckpoint(
      { t: 0, kernel: { data: Array.from(ints), shape: [3, 3] }, residual: [1, 2, 3] },
      { index: 0, cpu: true },
    );
    const asInts = validateCheckpoint({ t: 0, kernel: { data: ints, shape: [3, 3] }, residual: [1, 2, 3] }, { index: 0, cpu: true });
    for (const { checkpoint } of [asNumbers, asInts]) {
      expect(checkpoint.kernel).toBeInstanceOf(Float64Array);
      expect(Array.from(checkpoint.kernel!)).toEqual(Array.from(ints));
    }
    // Half precision becomes float32 (exact), so that the analysis uses the f32 floor for it.
    const Half = (globalThis as { Float16Array?: new (values: ArrayLike<number>) => ArrayLike<number> }).Float16Array;
    if (Half) {
      const half = validateCheckpoint(
        { t: 0, kernel: { data: new Half(ints), shape: [3, 3] }, residual: [1, 2, 3] },
        { index: 0, cpu: true },
      );
      expect(half.checkpoint.kernel).toBeInstanceOf(Float32Array);
      expect(Array.from(half.checkpoint.kernel!)).toEqual(Array.from(ints));
      expect(checkpointPrecision(half.checkpoint)).toBe('float32');
      expect(checkpointPrecision({ t: 0, kernel: { data: new Half(ints), shape: [3, 3] }, residual: [1, 2, 3] })).toBe('float32');
    }
    // Float data is not copied: the flat checkpoint holds the caller's array.
    const f = Float32Array.from(ints);
    expect(
      validateCheckpoint({ t: 0, kernel: { data: f, shape: [3, 3] }, residual: [1, 2, 3] }, { index: 0, cpu: true }).checkpoint.kernel,
    ).toBe(f);
  });

  test('jacobian as { data, shape: [n, p] } gives exactly the results of { p, data }, also for the λ_max bound', async () => {
    const p = 4;
    const flat: CheckpointData[] = times.map((t) => ({ t, jacobian: { p, data: jacobianAt(t, p) }, residual: at(t).residual }));
    const shaped: CheckpointData[] = times.map((t) => ({
      t,
      jacobian: { data: jacobianAt(t, p), shape: [n, p] },
      residual: at(t).residual,
    }));
    const a = await analyzeSeries('cpu', flat, { rank: p });
    const b = await analyzeSeries('cpu', shaped, { rank: p });
    expect(a.checkpoints[0]!.eigenvalues.length).toBeGreaterThan(0);
    expect(results(b)).toEqual(results(a));
    expect(await largestEigenvalueBound('cpu', shaped[1]!)).toBe(await largestEigenvalueBound('cpu', flat[1]!));
    // Both p and a shape: accepted when they agree.
    const both = { t: 0, jacobian: { p, data: jacobianAt(0, p), shape: [n, p] }, residual: at(0).residual } as CheckpointData;
    expect(validateCheckpoint(both, { index: 0, cpu: true }).checkpoint.jacobian!.p).toBe(p);
  });

  describe('shapes that do not fit are refused, naming the field', () => {
    const residual = [1, 2, 3];
    const k = Float64Array.from([2, 0.5, 0, 0.5, 1, 0, 0, 0, 1]);
    const refused = async (cp: Partial<CheckpointData>, argument: string, message: RegExp) => {
      using series = new GrsdSeries('cpu', { rank: 3 });
      const e = await series.push({ t: 0, residual, label: 'k0.npy', ...cp } as CheckpointData).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toBe(argument);
      expect((e as Error).message).toMatch(message);
      expect(series.checkpoints).toHaveLength(0);
    };
    const at0 = 'checkpoints[0] (k0.npy)';

    test('kernel', async () => {
      await refused(
        { kernel: { data: new Float64Array(12), shape: [3, 4] } },
        `${at0}.kernel.shape`,
        /must be \[n, n\] = \[3, 3\].*got \[3, 4\]/,
      );
      await refused(
        { kernel: { data: new Float64Array(16), shape: [4, 4] } },
        `${at0}.kernel.shape`,
        /n = 3, the residual's length.*got \[4, 4\]/,
      );
      await refused({ kernel: { data: k, shape: [1, 3, 3] } }, `${at0}.kernel.shape`, /got \[1, 3, 3\]/);
      await refused({ kernel: { data: k.subarray(0, 8), shape: [3, 3] } }, `${at0}.kernel.data`, /has 8 values; shape \[3, 3\] needs 9/);
      await refused({ kernel: { data: new BigInt64Array(9), shape: [3, 3] } }, `${at0}.kernel.data`, /64-bit integers/);
      // The shaped form is validated like the flat one: symmetry and finiteness.
      const asymmetric = Float64Array.from(k);
      asymmetric[1] = 0.7;
      await refused({ kernel: { data: asymmetric, shape: [3, 3] } }, `${at0}.kernel`, /not symmetric/);
      // The same data with the right shape passes (positive control).
      using series = new GrsdSeries('cpu', { rank: 3 });
      await expect(series.push({ t: 0, residual, kernel: { data: k, shape: [3, 3] } })).resolves.toBeDefined();
    });

    test('layers', async () => {
      await refused(
        {
          kernel: k,
          layers: [
            { data: k, shape: [3, 3] },
            { data: new Float64Array(4), shape: [2, 2] },
          ],
        },
        `${at0}.layers[1].shape`,
        /must be \[n, n\] = \[3, 3\].*got \[2, 2\]/,
      );
    });

    test('jacobian', async () => {
      const j = Float64Array.from([1, 0, 0, 1, 1, 1]);
      // [p, n] = Jᵀ: said so, not "must be [3, 3]" (p read from the wrong axis).
      await refused(
        { jacobian: { data: j, shape: [2, 3] } },
        `${at0}.jacobian.shape`,
        /is \[2, 3\]: J looks transposed \(pass J, not Jᵀ\)/,
      );
      await refused({ jacobian: { data: j, shape: [2, 4] } }, `${at0}.jacobian.shape`, /must be \[n, p\] with n = 3 .*got \[2, 4\]/);
      await refused({ jacobian: { data: new Float64Array(0), shape: [3, 0] } }, `${at0}.jacobian.shape`, /p ≥ 1, got \[3, 0\]/);
      await refused({ jacobian: { data: j, shape: [6] } }, `${at0}.jacobian.shape`, /must be \[n, p\].*got \[6\]/);
      await refused(
        { jacobian: { data: j.subarray(0, 5), shape: [3, 2] } },
        `${at0}.jacobian.data`,
        /has 5 values; shape \[3, 2\] needs 6/,
      );
      await refused(
        { jacobian: { p: 3, data: j, shape: [3, 2] } } as Partial<CheckpointData>,
        `${at0}.jacobian.p`,
        /is 3 but shape says p = 2/,
      );
      const infinite = Float64Array.from(j);
      infinite[5] = Number.POSITIVE_INFINITY;
      await refused({ jacobian: { data: infinite, shape: [3, 2] } }, `${at0}.jacobian`, /\(2, 1\).*Infinity/);
      using series = new GrsdSeries('cpu', { rank: 2 });
      await expect(series.push({ t: 0, residual, jacobian: { data: j, shape: [3, 2] } })).resolves.toBeDefined();
    });

    test('largestEigenvalueBound validates the checkpoint it bounds', async () => {
      const e = await largestEigenvalueBound('cpu', { t: 0, residual, kernel: { data: k, shape: [3, 4] } }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toBe('checkpoints[0] (checkpoint 0).kernel.shape');
    });
  });
});
