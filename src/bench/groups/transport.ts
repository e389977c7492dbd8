/**
 * Group `transport`: the shell-coupling transport estimator (createFlowEstimator; docs/math.md,
 * Transport between checkpoints): from resident eigenbases U (r × n), V (r × n), the residual a and both shell-index vectors to the
 * complete flow matrix F with ⊥ — α = Ua, β = Va, O = UVᵀ, g = Oᵀα, the 2-D segmented reduction,
 * readback and the float64 completion on the host. One estimate per timed sample.
 *
 * Counting: FLOPs = 2r²n (O = UVᵀ) + 4rn (α, β) + 2r² (g) + 2r² (flow reduction), dominated by the
 * GEMM; the figure is compared with the GEMM roofline measured in the same run. `gemm` alone is
 * measured too. Peers: the same estimator in numpy (float64 and float32, BLAS GEMMs, one-hot
 * shell matrices for the reduction) on the same f32 inputs, and grsd's float64 reference
 * (`flowMatrixF64`) at small sizes; the error of F against numpy-float64 is reported relative to ‖a‖².
 * @module
 */
import { createFlowEstimator, estimateFlow, uploadFlowInput } from '../../algorithms/flowEstimator.ts';
import { BufferGroup } from '../../gpu/bufferGroup.ts';
import { record } from '../../gpu/recorder.ts';
import { createGemm } from '../../kernels/gemm.ts';
import { flowMatrixF64 } from '../../reference/transport.ts';
import { Random } from '../../util/random.ts';
import { measure } from '../harness.ts';
import { hostPeer, pythonScriptPeer, PYTHON_PRELUDE, skippedPeer, withRatios, type PeerOutcome } from '../peers.ts';
import type { BenchCase, BenchEnv, BenchGroup, Figure } from '../types.ts';

/** A transport problem: unit-norm random rows (r × n, twice), a residual and log-spaced shell indices. */
export interface TransportProblem {
  readonly r: number;
  readonly n: number;
  readonly shells: number;
  readonly u: Float32Array;
  readonly v: Float32Array;
  readonly a: Float32Array;
  readonly oldIndex: Int32Array;
  readonly newIndex: Int32Array;
}

function unitRows(r: number, n: number, rng: Random): Float32Array {
  const out = new Float32Array(r * n);
  for (let j = 0; j < r; j++) {
    const row = rng.normals(n);
    let s = 0;
    for (const x of row) s += x * x;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < n; i++) out[j * n + i] = row[i]! * inv;
  }
  return out;
}

/**
 * Eigenpair j (λ_j ∝ 1/(j+1), descending) sits in shell ⌊ln(j+1)/ln(r+1)·(shells−1)⌋: a power-law
 * spectrum spread log-uniformly over the window, with ∅ (the last shell) left empty.
 */
export function transportProblem(r: number, n: number, shells: number, seed = 7): TransportProblem {
  const rng = new Random(seed);
  const index = Int32Array.from({ length: r }, (_, j) =>
    Math.min(shells - 2, Math.floor((Math.log(j + 1) / Math.log(r + 1)) * (shells - 1))),
  );
  return {
    r,
    n,
    shells,
    u: unitRows(r, n, rng),
    v: unitRows(r, n, rng),
    a: Float32Array.from(rng.normals(n)),
    oldIndex: index,
    newIndex: Int32Array.from(index, (s, j) => (j % 7 === 3 ? Math.min(shells - 2, s + 1) : s)),
  };
}

/** The numpy estimator: the same formulas as completeFlow, in float64 or float32, on the same f32 inputs. */
const TRANSPORT_SCRIPT = `${PYTHON_PRELUDE}
r, n, S = int(spec["r"]), int(spec["n"]), int(spec["shells"])
dt = np.float64 if spec["dtype"] == "float64" else np.float32
U = take(r * n, "<f4").reshape(r, n).astype(dt)
V = take(r * n, "<f4").reshape(r, n).astype(dt)
a = take(n, "<f4").astype(dt)
oi = take(r, "<i4"); ni = take(r, "<i4")
Pold = np.zeros((r, S), dt); Pold[np.arange(r), oi] = 1
Pnew = np.zeros((r, S), dt); Pnew[np.arange(r), ni] = 1
def estimate():
    al = U @ a; be = V @ a; O = U @ V.T; g = O.T @ al
    core = Pnew.T @ ((O.T * be[:, None]) * al[None, :]) @ Pold
    F = np.zeros((S + 1, S + 1))
    F[:S, :S] = core
    F[S, :S] = np.bincount(oi, weights=al.astype(np.float64) ** 2, minlength=S) - core.sum(axis=0)
    F[:S, S] = np.bincount(ni, weights=(be * (be - g)).astype(np.float64), minlength=S)
    F[S, S] = float(a.astype(np.float64) @ a.astype(np.float64)) - F.sum()
    return F
samples, F = timed(estimate)
finish(samples, {"flow": F.ravel().tolist()})
`;

function maxRelativeDifference(x: ArrayLike<number>, y: ArrayLike<number>, scale: number): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst / scale;
}

/** Largest r·r·n the float64 JavaScript reference peer is run for. */
const F64_MAX_WORK = 256 * 256 * 2048;

function transportCase(r: number, n: number, shells: number): BenchCase {
  const flops = 2 * r * r * n + 4 * r * n + 4 * r * r;
  const gpuBytes = (2 * r * n + r * r + n + 4 * r) * 4;
  const label = `r=${r} n=${n} shells=${shells}`;
  const params = { r, n, shells };
  return {
    label,
    params,
    memory: { largestBuffer: Math.max(r * n, r * r) * 4, gpu: gpuBytes, host: 3 * r * n * 4 + r * r * 8 },
    ...(r > n ? { skipReason: `r = ${r} exceeds n = ${n}` } : {}),
    predictSeconds: (env) => env.predictSeconds({ flops, bytes: gpuBytes }),
    async run(env: BenchEnv): Promise<Figure> {
      const { ctx, scale } = env;
      const p = transportProblem(r, n, shells);
      const [estimator, gemm] = await Promise.all([createFlowEstimator(ctx), createGemm(ctx)]);
      using group = new BufferGroup(ctx);
      const b = await uploadFlowInput(group, p);
      let norm2 = 0;
      for (const x of p.a) norm2 += x * x;
      let flow: Float64Array = new Float64Array(0);
      const estimate = async (): Promise<void> => {
        flow = await estimateFlow(ctx, estimator, b, { ...p, norm2 });
      };
      const predicted = env.predictSeconds({ flops, bytes: gpuBytes });
      const time = await measure(`transport ${label}`, estimate, env.timing(predicted));
      const gemmTime = await measure(
        `transport gemm ${label}`,
        () =>
          record(ctx, 'bench transport gemm', (rec) =>
            gemm.encode(rec, {
              a: { buffer: b.oldVectors },
              b: { buffer: b.newVectors },
              c: { buffer: b.overlap },
              m: r,
              n: r,
              k: n,
              transB: true,
            }),
          ),
        env.timing(env.predictSeconds({ flops: 2 * r * r * n })),
      );
      const t = time.median;
      const gflopPerS = flops / t / 1e6;
      const peerTiming = { warmup: scale.warmup, repeats: scale.repeats, maxSeconds: scale.maxSeconds };
      const payload = [p.u, p.v, p.a, p.oldIndex, p.newIndex];
      const spec = { r, n, shells, ...peerTiming };
      const numpy64 = await pythonScriptPeer('numpy-transport', TRANSPORT_SCRIPT, { ...spec, dtype: 'float64' }, payload, env.peers);
      const numpy32 = await pythonScriptPeer('numpy-transport-f32', TRANSPORT_SCRIPT, { ...spec, dtype: 'float32' }, payload, env.peers);
      const reference = (numpy64.result?.flow as number[] | undefined) ?? null;
      let f64Flow: Float64Array | null = null;
      const f64 = env.peers.disabledReason
        ? skippedPeer('grsd-f64-transport', env.peers.disabledReason)
        : r * r * n > F64_MAX_WORK
          ? skippedPeer('grsd-f64-transport', `r²n = ${r * r * n} > ${F64_MAX_WORK}: the float64 reference is for small sizes`)
          : {
              ...(await hostPeer(
                'grsd-f64-transport',
                () => void (f64Flow = flowMatrixF64(p.u, p.v, p.a, p.oldIndex, p.newIndex, shells)),
                peerTiming,
              )),
              result: { flow: f64Flow },
            };
      const withError = (o: PeerOutcome): PeerOutcome =>
        reference && o.result?.flow
          ? {
              ...o,
              result: {
                ...o.result,
                flow: undefined,
                errorVsNumpy64: maxRelativeDifference(o.result.flow as ArrayLike<number>, reference, norm2),
              },
            }
          : o;
      const peers: PeerOutcome[] = [numpy64, numpy32, f64].map(withError);
      return {
        label,
        params,
        time,
        measurements: { gemm: gemmTime },
        metrics: {
          flops,
          gflopPerS,
          fractionOfGemmRoofline: gflopPerS / env.roofline.gemm.best.gflopPerS,
          gemmGflopPerS: (2 * r * r * n) / gemmTime.median / 1e6,
          gemmShareOfTime: gemmTime.median / t,
          ...(reference ? { errorVsNumpy64: maxRelativeDifference(flow, reference, norm2) } : {}),
        },
        peers: withRatios(peers, time),
        notes: reference ? [] : ['no float64 numpy result: the GPU error against float64 is not reported for this case'],
      };
    },
  };
}

/** The transport benchmark group. */
export const transportGroup: BenchGroup = {
  id: 'transport',
  title: 'Shell-coupling transport estimator',
  description:
    'createFlowEstimator on resident eigenbases U, V (r × n each), the residual and the shell indices, to the complete flow matrix with ⊥ ' +
    '(α = Ua, β = Va, O = UVᵀ, g = Oᵀα, 2-D segmented reduction, readback, float64 completion). FLOPs = 2r²n + 4rn + 4r²; compared with the GEMM roofline. ' +
    "Peers: the same estimator in numpy (float64 and float32) on the same inputs, and grsd's float64 reference at small sizes; errorVsNumpy64 = max |ΔF| / ‖a‖².",
  cases(scale) {
    const out: BenchCase[] = [];
    for (const n of scale.transport.n)
      for (const r of scale.transport.r) for (const shells of scale.transport.shells) out.push(transportCase(r, n, shells));
    return out.sort((x, y) => x.params.r! ** 2 * x.params.n! - y.params.r! ** 2 * y.params.n! || x.params.shells! - y.params.shells!);
  },
};
