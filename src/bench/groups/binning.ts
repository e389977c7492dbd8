/**
 * Group `binning`: shell binning (shaders/shells/shellAssign.wgsl + shellReduce.wgsl) of `batch`
 * spectra of `len` eigenvalues each (a checkpoint series' top-r spectra): shell index and
 * boundary flag per eigenvalue, then per shell the energy Σc², Σλc² and the count. Resident data,
 * several binnings per timed sample.
 *
 * Counting: the minimal traffic is 16 bytes per eigenvalue (λ and c read, index and flag written);
 * GB/s on that count is compared with the measured copy bandwidth. The reduction has one thread
 * per (spectrum, shell) scanning its spectrum, so its real traffic grows with the shell count:
 * large `len` shows it. Peer: the same binning in numpy (float64; log, floor, bincount).
 * @module
 */
import { BufferGroup } from '../../gpu/bufferGroup.ts';
import { record } from '../../gpu/recorder.ts';
import { createShellBinning, type ShellBinningBuffers } from '../../kernels/shellBinning.ts';
import { ShellGrid } from '../../analysis/shellGrid.ts';
import { Random } from '../../util/random.ts';
import { measure } from '../harness.ts';
import { pythonScriptPeer, PYTHON_PRELUDE, withRatios } from '../peers.ts';
import type { BenchCase, BenchEnv, BenchGroup, Figure } from '../types.ts';

/** Target duration of one timed sample: binnings are repeated inside it up to this (at most 64). */
const SAMPLE_SECONDS = 0.05;

/** Bytes per eigenvalue of the minimal traffic (λ, c read; index, flag written). */
const BYTES_PER_VALUE = 16;

/** The numpy binning: the same grid arithmetic (ln, floor, window, ∅) and bincount per spectrum. */
const BINNING_SCRIPT = `${PYTHON_PRELUDE}
B, L, S = int(spec["batch"]), int(spec["len"]), int(spec["shells"])
log_ref, h, alpha_min, count = float(spec["logRef"]), float(spec["width"]), int(spec["alphaMin"]), int(spec["count"])
lam = take(B * L, "<f4").astype(np.float64).reshape(B, L)
c = take(B * L, "<f4").astype(np.float64).reshape(B, L)
offsets = (np.arange(B) * S)[:, None]
def binning():
    alpha = np.floor((np.log(lam) - log_ref) / h).astype(np.int64)
    idx = alpha - alpha_min
    idx = np.where((idx < 0) | (idx >= count), count, idx)
    flat = (idx + offsets).ravel()
    w = (c * c).ravel()
    energy = np.bincount(flat, weights=w, minlength=B * S)
    lam_energy = np.bincount(flat, weights=w * lam.ravel(), minlength=B * S)
    counts = np.bincount(flat, minlength=B * S)
    return energy, lam_energy, counts
samples, out = timed(binning)
finish(samples, {"energy0": out[0][:S].tolist()})
`;

function binningCase(batch: number, len: number, shellsPerDecade: number): BenchCase {
  const values = batch * len;
  const bytes = values * BYTES_PER_VALUE;
  const label = `batch=${batch} len=${len} shells/decade=${shellsPerDecade}`;
  return {
    label,
    params: { batch, len, shellsPerDecade },
    memory: { largestBuffer: values * 4, gpu: values * 16, host: values * 16 },
    predictSeconds: (env) => env.predictSeconds({ bytes }),
    async run(env: BenchEnv): Promise<Figure> {
      const { ctx, scale } = env;
      const rng = new Random(11);
      // λ log-uniform over six decades below 1, c Gaussian: a spread like an NTK's top spectrum.
      const lambda = Float32Array.from({ length: values }, () => 10 ** (-6 * rng.uniform()));
      const amplitudes = Float32Array.from(rng.normals(values));
      const grid = ShellGrid.create({ shellsPerDecade, floor: 1e-5, lambdaMax: 1 });
      const shells = grid.computedCount;
      const binning = await createShellBinning(ctx);
      using group = new BufferGroup(ctx);
      const buffers: ShellBinningBuffers = {
        values: await group.storage(values, 'bench λ'),
        amplitudes: await group.storage(values, 'bench c'),
        index: await group.storage(values, 'bench shell index'),
        flag: await group.storage(values, 'bench flags'),
        weight: await group.storage(batch * shells, 'bench Σc²'),
        lambdaWeight: await group.storage(batch * shells, 'bench Σλc²'),
        counts: await group.storage(batch * shells, 'bench counts'),
      };
      ctx.device.queue.writeBuffer(buffers.values, 0, lambda);
      ctx.device.queue.writeBuffer(buffers.amplitudes, 0, amplitudes);
      const predicted = env.predictSeconds({ bytes });
      const repeats = Math.max(1, Math.min(64, Math.round(SAMPLE_SECONDS / Math.max(predicted, 1e-9))));
      const time = await measure(
        `binning ${label}`,
        () =>
          record(ctx, 'bench binning', (rec) => {
            for (let i = 0; i < repeats; i++) binning.encode(rec, buffers, grid, { batch, len, stride: len }, true);
          }),
        { ...env.timing(predicted * repeats), divideBy: repeats },
      );
      const t = time.median;
      const gbPerS = bytes / t / 1e6;
      const peerTiming = { warmup: scale.warmup, repeats: scale.repeats, maxSeconds: scale.maxSeconds };
      const spec = {
        batch,
        len,
        shells,
        logRef: Math.log(grid.lambdaRef),
        width: grid.width,
        alphaMin: grid.alphaMin,
        count: grid.count,
        ...peerTiming,
      };
      const numpy = await pythonScriptPeer('numpy-binning', BINNING_SCRIPT, spec, [lambda, amplitudes], env.peers);
      return {
        label,
        params: { batch, len, shellsPerDecade, shells },
        time,
        metrics: {
          values,
          valuesPerSecond: values / (t / 1000),
          binningsPerSample: repeats,
          gbPerS,
          fractionOfCopyBandwidth: gbPerS / env.roofline.copy.gbPerS,
        },
        peers: withRatios([{ ...numpy, result: undefined }], time),
      };
    },
  };
}

/** The shell-binning benchmark group. */
export const binningGroup: BenchGroup = {
  id: 'binning',
  title: 'Shell binning (shellAssign + shellReduce)',
  description:
    'Shell index, boundary flag and per-shell Σc², Σλc², counts for `batch` spectra of `len` eigenvalues (resident; several binnings per sample, times per binning). ' +
    'GB/s counts the minimal 16 bytes per eigenvalue and is compared with the copy bandwidth; the reduction scans each spectrum once per shell. Peer: numpy (log, floor, bincount; float64).',
  cases(scale) {
    const out: BenchCase[] = [];
    for (const batch of scale.binning.batch)
      for (const len of scale.binning.len) out.push(binningCase(batch, len, scale.binning.shellsPerDecade));
    return out.sort((x, y) => x.params.batch! * x.params.len! - y.params.batch! * y.params.len!);
  },
};
