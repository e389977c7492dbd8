/**
 * The power-law x_min scan on the GPU: MLE exponent α̂ and KS distance D for every candidate x_min
 * of one or several sorted data sets in one dispatch (Clauset–Shalizi–Newman 2009).
 *
 * WGSL: shaders/analysis/powerLawScan.wgsl · float64 twin: powerLawScan in
 * src/reference/powerLawTail.ts.
 *
 * Precision contract: the host passes Σ ln(x_j/x_min) per candidate computed in float64 (f32 prefix
 * sums over long tails would lose digits), so the GPU only forms α̂ = 1 + n/S (≈ 3 ulp, 2e-7
 * relative) and the KS maximum, whose f32 ratio/log/exp error is ≲ 1e-6 absolute in D. The data
 * are uploaded in f32 after scaling each data set by a constant (ratios x/x_min are scale-free);
 * the caller keeps x_max/x_min within f32 range.
 * @module
 */
import * as d from '../gpu/schema.ts';
import { DeviceLimitError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import { bindGroup, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import { readStaging, record, type Recorder } from '../gpu/recorder.ts';
import { powerLawScanWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in powerLawScan.wgsl. */
export const PowerLawScanParams = d.struct({ candidates: d.u32, segment: d.u32, segments: d.u32, _pad: d.u32 });

/** Keys and order mirror the @binding declarations in powerLawScan.wgsl. */
export const powerLawScanLayout = computeLayout({
  params: { uniform: PowerLawScanParams },
  x: { storage: d.arrayOf(d.f32), access: 'readonly' },
  tailStart: { storage: d.arrayOf(d.u32), access: 'readonly' },
  tailEnd: { storage: d.arrayOf(d.u32), access: 'readonly' },
  logSum: { storage: d.arrayOf(d.f32), access: 'readonly' },
  alpha: { storage: d.arrayOf(d.f32), access: 'mutable' },
  ks: { storage: d.arrayOf(d.atomic(d.u32)), access: 'mutable' },
});

/** The powerLawScan kernel. */
export const powerLawScanKernel: KernelSpec = { name: 'powerLawScan', code: powerLawScanWgsl, layout: powerLawScanLayout };

const WORKGROUP_SIZE = 64;
/** Most segments a candidate's tail is split into (one thread each). */
const MAX_SEGMENTS = 64;
/** Fewest tail points a thread scans. */
const MIN_SEGMENT = 256;

/** How a tail of at most `maxTail` points is split into per-thread segments. */
export function powerLawScanSegments(maxTail: number): { segment: number; segments: number } {
  const segment = Math.max(MIN_SEGMENT, Math.ceil(maxTail / MAX_SEGMENTS));
  return { segment, segments: Math.max(1, Math.ceil(maxTail / segment)) };
}

/** Buffers of one scan: x (f32 data), tailStart/tailEnd (u32, per candidate), logSum (f32), alpha (f32 out), ks (f32 bits out). */
export interface PowerLawScanBuffers {
  readonly x: GPUBuffer;
  readonly tailStart: GPUBuffer;
  readonly tailEnd: GPUBuffer;
  readonly logSum: GPUBuffer;
  readonly alpha: GPUBuffer;
  readonly ks: GPUBuffer;
}

/** A prepared scan (pipeline compiled), recordable into any {@link Recorder}. */
export interface PowerLawScanKernel {
  /**
   * Records zeroing of `ks[0, candidates)` and the scan of `candidates` candidates whose longest
   * tail has `maxTail` points. Afterwards `alpha` holds α̂ and `ks` holds D (as f32) per candidate.
   */
  encode(rec: Recorder, buffers: PowerLawScanBuffers, shape: { readonly candidates: number; readonly maxTail: number }): void;
}

/**
 * Compiles the scan pipeline for `ctx` (cached per context).
 *
 * @example
 * ```ts
 * const scan = await createPowerLawScan(ctx);
 * await record(ctx, 'scan', (rec) => scan.encode(rec, buffers, { candidates, maxTail }));
 * ```
 */
export async function createPowerLawScan(ctx: GpuContext): Promise<PowerLawScanKernel> {
  const pipeline = await getPipeline(ctx, powerLawScanKernel, { WORKGROUP_SIZE });
  return {
    encode(rec, b, shape) {
      const { candidates, maxTail } = shape;
      if (!Number.isInteger(candidates) || candidates < 1)
        throw new InvalidArgumentError('candidates', `must be a positive integer, got ${candidates}`);
      if (!Number.isInteger(maxTail) || maxTail < 1)
        throw new InvalidArgumentError('maxTail', `must be a positive integer, got ${maxTail}`);
      const { segment, segments } = powerLawScanSegments(maxTail);
      if (candidates * segments >= 2 ** 32)
        throw new DeviceLimitError('threads per dispatch', candidates * segments, 2 ** 32 - 1, 'powerLawScan');
      const params = rec.uniform('powerLawScan params', PowerLawScanParams, { candidates, segment, segments, _pad: 0 });
      rec.clear(b.ks, 0, candidates * 4);
      const group = bindGroup(rec.ctx, powerLawScanKernel, {
        params,
        x: b.x,
        tailStart: b.tailStart,
        tailEnd: b.tailEnd,
        logSum: b.logSum,
        alpha: b.alpha,
        ks: b.ks,
      });
      rec.dispatch(pipeline, group, Math.ceil((candidates * segments) / WORKGROUP_SIZE));
    },
  };
}

/** Host inputs of {@link powerLawScanGpu}. */
export interface PowerLawScanInput {
  /** Data sets, each sorted ascending (and scaled by a positive constant if need be), concatenated. */
  readonly x: Float32Array;
  /** Index into `x` of each candidate's x_min. */
  readonly tailStart: Uint32Array;
  /** One past the last index of each candidate's tail (the end of its data set). */
  readonly tailEnd: Uint32Array;
  /** Σ_{j∈tail} ln(x_j/x_min) per candidate, computed in float64 and rounded to f32 (must be > 0). */
  readonly logSum: Float32Array;
}

/**
 * Uploads the inputs, runs the scan and reads α̂ and D back (f32). For the analysis layer, tests and
 * benchmarks; throws {@link DeviceLimitError} when `x` exceeds one storage binding.
 *
 * @example
 * ```ts
 * const { alpha, ks } = await powerLawScanGpu(ctx, {
 *   x: Float32Array.from(sorted),
 *   tailStart: Uint32Array.from(cand.start),
 *   tailEnd: new Uint32Array(cand.start.length).fill(sorted.length),
 *   logSum: Float32Array.from(cand.logSum),
 * });
 * ```
 */
export async function powerLawScanGpu(ctx: GpuContext, input: PowerLawScanInput): Promise<{ alpha: Float32Array; ks: Float32Array }> {
  const { x, tailStart, tailEnd, logSum } = input;
  const candidates = tailStart.length;
  if (candidates === 0) throw new InvalidArgumentError('tailStart', 'is empty: at least one candidate is needed');
  if (tailEnd.length !== candidates) throw new InvalidArgumentError('tailEnd', `has ${tailEnd.length} entries, expected ${candidates}`);
  if (logSum.length !== candidates) throw new InvalidArgumentError('logSum', `has ${logSum.length} entries, expected ${candidates}`);
  let maxTail = 0;
  for (let c = 0; c < candidates; c++) {
    const s = tailStart[c]!;
    const e = tailEnd[c]!;
    if (!(e > s) || e > x.length)
      throw new InvalidArgumentError('tailEnd', `candidate ${c}: [${s}, ${e}) is not a non-empty range of x (length ${x.length})`);
    if (!(logSum[c]! > 0)) throw new InvalidArgumentError('logSum', `candidate ${c}: must be positive, got ${logSum[c]}`);
    maxTail = Math.max(maxTail, e - s);
  }
  const maxBinding = ctx.limits.maxStorageBufferBindingSize;
  if (x.byteLength > maxBinding) throw new DeviceLimitError('maxStorageBufferBindingSize', x.byteLength, maxBinding, 'powerLawScan data');
  if (candidates * 4 > maxBinding)
    throw new DeviceLimitError('maxStorageBufferBindingSize', candidates * 4, maxBinding, 'powerLawScan candidates');
  const scan = await createPowerLawScan(ctx);
  const asF32 = (u: Uint32Array): Float32Array => new Float32Array(u.buffer, u.byteOffset, u.length);
  const xb = await ctx.uploadF32(x, 'powerLawScan x');
  const startB = await ctx.uploadF32(asF32(tailStart), 'powerLawScan tailStart');
  const endB = await ctx.uploadF32(asF32(tailEnd), 'powerLawScan tailEnd');
  const logB = await ctx.uploadF32(logSum, 'powerLawScan logSum');
  const outSize = Math.max(16, Math.ceil((candidates * 4) / 16) * 16);
  const usage = STORAGE_USAGE;
  const alphaB = await ctx.createBuffer({ label: 'powerLawScan alpha', size: outSize, usage });
  const ksB = await ctx.createBuffer({ label: 'powerLawScan ks', size: outSize, usage });
  try {
    const [alphaStaging, ksStaging] = await record(ctx, 'powerLawScan', (rec) => {
      scan.encode(rec, { x: xb, tailStart: startB, tailEnd: endB, logSum: logB, alpha: alphaB, ks: ksB }, { candidates, maxTail });
      return [
        rec.stage(alphaB, 0, candidates * 4, 'powerLawScan alpha staging'),
        rec.stage(ksB, 0, candidates * 4, 'powerLawScan ks staging'),
      ];
    });
    const [alpha, ks] = await Promise.all([readStaging(ctx, alphaStaging), readStaging(ctx, ksStaging)]);
    return { alpha: new Float32Array(alpha), ks: new Float32Array(ks) };
  } finally {
    for (const b of [xb, startB, endB, logB, alphaB, ksB]) ctx.destroyBuffer(b);
  }
}
