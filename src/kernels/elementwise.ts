/**
 * The training lab's elementwise kernel family (shaders/lab/elementwise.wgsl): activations φ and
 * φ′, skip connections, residuals e = f − y, Hadamard products and the parameter update, selected
 * by a uniform so that one pipeline serves them all.
 *
 * | op | out[i] = |
 * |---|---|
 * | `act` | φ(x[i]) |
 * | `actGradMul` | φ′(x[i]) · out[i] |
 * | `actGradFma` | φ′(x[i]) · out[i] + y[i] |
 * | `axpby` | α·x[i] + β·y[i] |
 * | `scale` | α·x[i] |
 * | `axpy` | out[i] + α·x[i] |
 * | `hadamard` | α·x[i]·y[i] |
 * | `residual` | α·(x[i·g + i mod g] − y[i]) |
 *
 * The op and the activation are pipeline constants (one small pipeline per pair used). Work
 * larger than one binding is split into several dispatches.
 * Float64 twin: `elementwise` in src/reference/mlp.ts. Precision: one or two f32 roundings per
 * element; tanh and gelu carry the platform's `exp` error (absolute, a few ulp of 1).
 * @module
 */
import * as d from '../gpu/schema.ts';
import { DeviceLimitError, InvalidArgumentError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import { bindGroup, bindWindow, computeLayout, getPipeline, type KernelSpec } from '../gpu/kernel.ts';
import { readStaging, record, type Recorder } from '../gpu/recorder.ts';
import { elementwiseWgsl } from '../shaders.generated.ts';

/** Field order matches `struct Params` in elementwise.wgsl. */
export const ElementwiseParams = d.struct({
  len: d.u32,
  group: d.u32,
  xShift: d.u32,
  yShift: d.u32,
  outShift: d.u32,
  alpha: d.f32,
  beta: d.f32,
});

/** Keys and order mirror the @binding declarations in elementwise.wgsl. */
export const elementwiseLayout = computeLayout({
  params: { uniform: ElementwiseParams },
  x: { storage: d.arrayOf(d.f32), access: 'readonly' },
  y: { storage: d.arrayOf(d.f32), access: 'readonly' },
  out: { storage: d.arrayOf(d.f32), access: 'mutable' },
});

/** The elementwise kernel. */
export const elementwiseKernel: KernelSpec = { name: 'elementwise', code: elementwiseWgsl, layout: elementwiseLayout };

/** Operation codes of elementwise.wgsl, by name. */
export const ELEMENTWISE_OPS = {
  act: 0,
  actGradMul: 1,
  actGradFma: 2,
  axpby: 3,
  scale: 4,
  axpy: 5,
  hadamard: 6,
  residual: 7,
} as const;

/** An operation of the elementwise family (see the module table). */
export type ElementwiseOp = keyof typeof ELEMENTWISE_OPS;

/** Activation codes of elementwise.wgsl, by name (`gelu` is the tanh approximation). */
export const ELEMENTWISE_ACTIVATIONS = { relu: 0, tanh: 1, gelu: 2, identity: 3 } as const;

/** An activation of the elementwise family. */
export type ElementwiseActivation = keyof typeof ELEMENTWISE_ACTIVATIONS;

/** Which operands each op reads (out is always written). */
const READS: Record<ElementwiseOp, { x: boolean; y: boolean; out: boolean }> = {
  act: { x: true, y: false, out: false },
  actGradMul: { x: true, y: false, out: true },
  actGradFma: { x: true, y: true, out: true },
  axpby: { x: true, y: true, out: false },
  scale: { x: true, y: false, out: false },
  axpy: { x: true, y: false, out: true },
  hadamard: { x: true, y: true, out: false },
  residual: { x: true, y: true, out: false },
};

/** A vector in a GPU buffer, starting at element `offset` (default 0). */
export interface ElementwiseOperand {
  readonly buffer: GPUBuffer;
  readonly offset?: number;
}

/** Arguments of {@link Elementwise.encode}. */
export interface ElementwiseArgs {
  readonly op: ElementwiseOp;
  /** Number of output elements. */
  readonly len: number;
  readonly out: ElementwiseOperand;
  /** Required by every op. */
  readonly x?: ElementwiseOperand;
  /** Required by actGradFma, axpby, hadamard and residual. */
  readonly y?: ElementwiseOperand;
  /** φ of act, actGradMul and actGradFma. Default `identity`. */
  readonly activation?: ElementwiseActivation;
  /** Default 1. */
  readonly alpha?: number;
  /** Default 0. */
  readonly beta?: number;
  /** Index group g of `residual`: x is read at i·g + (i mod g). Default 1. */
  readonly group?: number;
}

/** The prepared elementwise family; see the module documentation. */
export interface Elementwise {
  /**
   * Records one operation. `out`'s buffer must differ from the buffers of `x` and `y` (a buffer
   * cannot be bound read-only and read-write in one dispatch). Throws
   * {@link InvalidArgumentError} for missing operands or ranges past the end of a buffer.
   */
  encode(rec: Recorder, args: ElementwiseArgs): void;
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(name, `must be an integer ≥ ${min}, got ${value}`);
}

/** Options of {@link createElementwise}. */
export interface ElementwiseOptions {
  /** Activations to prepare for act, actGradMul and actGradFma. Default: all four. */
  readonly activations?: readonly ElementwiseActivation[];
}

/** Ops whose code depends on the activation. */
const ACTIVATION_OPS: readonly ElementwiseOp[] = ['act', 'actGradMul', 'actGradFma'];

/** Compiles the elementwise pipelines for `ctx` (cached per context): every op, for the activations asked for. */
export async function createElementwise(ctx: GpuContext, options: ElementwiseOptions = {}): Promise<Elementwise> {
  const wg = ctx.workgroupSize;
  const activations = options.activations ?? (Object.keys(ELEMENTWISE_ACTIVATIONS) as ElementwiseActivation[]);
  for (const a of activations) {
    if (ELEMENTWISE_ACTIVATIONS[a] === undefined) {
      throw new InvalidArgumentError('activations', `unknown activation "${String(a)}": use relu, tanh, gelu or identity`);
    }
  }
  const keyOf = (op: ElementwiseOp, act: ElementwiseActivation): string => (ACTIVATION_OPS.includes(op) ? `${op}|${act}` : op);
  const wanted = new Map<string, { op: number; act: number }>();
  for (const op of Object.keys(ELEMENTWISE_OPS) as ElementwiseOp[]) {
    for (const a of ACTIVATION_OPS.includes(op) ? activations : (['identity'] as const)) {
      wanted.set(keyOf(op, a), { op: ELEMENTWISE_OPS[op], act: ELEMENTWISE_ACTIVATIONS[a] });
    }
  }
  const pipelines = new Map<string, GPUComputePipeline>();
  await Promise.all(
    [...wanted].map(async ([key, c]) =>
      pipelines.set(key, await getPipeline(ctx, elementwiseKernel, { WORKGROUP_SIZE: wg, OP: c.op, ACT: c.act })),
    ),
  );
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  const maxE = Math.floor(ctx.limits.maxStorageBufferBindingSize / 4) - (align / 4 - 1);
  return {
    encode(rec, args) {
      const { op, len } = args;
      const code = ELEMENTWISE_OPS[op];
      if (code === undefined)
        throw new InvalidArgumentError('op', `unknown op "${String(op)}": use one of ${Object.keys(ELEMENTWISE_OPS).join(', ')}`);
      const activation = args.activation ?? 'identity';
      const pipeline = pipelines.get(keyOf(op, activation));
      if (!pipeline) {
        throw new InvalidArgumentError(
          'activation',
          `activation "${String(activation)}" was not prepared: pass it in createElementwise's activations (prepared: ${activations.join(', ')})`,
        );
      }
      checkInt('len', len, 0);
      const group = op === 'residual' ? (args.group ?? 1) : 1;
      checkInt('group', group, 1);
      const alpha = args.alpha ?? 1;
      const beta = args.beta ?? 0;
      if (!Number.isFinite(alpha) || !Number.isFinite(beta))
        throw new InvalidArgumentError('alpha', `alpha and beta must be finite, got ${alpha}, ${beta}`);
      const reads = READS[op];
      if (!args.x) throw new InvalidArgumentError('x', `op ${op} reads x: pass it`);
      if (reads.y && !args.y) throw new InvalidArgumentError('y', `op ${op} reads y: pass it`);
      const x = args.x;
      const y = reads.y ? args.y! : x;
      for (const [name, operand] of [
        ['x', x],
        ['y', y],
      ] as const) {
        if (operand.buffer === args.out.buffer) {
          throw new InvalidArgumentError(
            `${name}.buffer`,
            'must differ from out.buffer (a buffer cannot be read and written in one dispatch)',
          );
        }
      }
      const xo = x.offset ?? 0;
      const yo = y.offset ?? 0;
      const oo = args.out.offset ?? 0;
      for (const [name, o] of [
        ['x.offset', xo],
        ['y.offset', yo],
        ['out.offset', oo],
      ] as const)
        checkInt(name, o, 0);
      if (len === 0) return;
      const xSpan = (count: number): number => (count - 1) * group + ((count - 1) % group) + 1;
      for (const [name, operand, need] of [
        ['x', x, xo + xSpan(len)],
        ['y', y, yo + len],
        ['out', args.out, oo + len],
      ] as const) {
        if (need * 4 > operand.buffer.size) {
          throw new InvalidArgumentError(
            `${name}.buffer`,
            `the operation spans ${need} elements, the buffer holds ${Math.floor(operand.buffer.size / 4)}`,
          );
        }
      }
      // Chunks of whole groups whose x span (≤ chunk·group elements) fits one binding.
      let chunk = Math.floor(maxE / group);
      if (group > 1) chunk = Math.floor(chunk / group) * group;
      if (chunk < 1)
        throw new DeviceLimitError('maxStorageBufferBindingSize', group * group * 4, maxE * 4, 'one group of the elementwise residual');
      for (let i0 = 0; i0 < len; i0 += chunk) {
        const count = Math.min(chunk, len - i0);
        const xStart = xo + i0 * group;
        const xw = bindWindow(x.buffer, xStart, xStart, xStart + xSpan(count), align);
        const yw = bindWindow(y.buffer, yo + i0, yo + i0, yo + i0 + count, align);
        const ow = bindWindow(args.out.buffer, oo + i0, oo + i0, oo + i0 + count, align);
        const params = rec.uniform('elementwise params', ElementwiseParams, {
          len: count,
          group,
          xShift: xw.shift,
          yShift: yw.shift,
          outShift: ow.shift,
          alpha,
          beta,
        });
        const group_ = bindGroup(rec.ctx, elementwiseKernel, { params, x: xw.binding, y: yw.binding, out: ow.binding });
        rec.dispatch(pipeline, group_, Math.ceil(count / wg));
      }
    },
  };
}

/** Host arrays of {@link elementwiseGpu}. */
export interface ElementwiseHostArgs extends Omit<ElementwiseArgs, 'x' | 'y' | 'out'> {
  readonly x: Float32Array;
  readonly y?: Float32Array;
  /** Initial contents of out (default zeros of length len). */
  readonly out?: Float32Array;
}

/**
 * Convenience: uploads the operands, runs one elementwise operation and reads `out` back. For
 * tests and examples; the lab records operations with {@link createElementwise}.
 */
export async function elementwiseGpu(ctx: GpuContext, args: ElementwiseHostArgs): Promise<Float32Array> {
  const kernel = await createElementwise(ctx, { activations: [args.activation ?? 'identity'] });
  const xb = await ctx.uploadF32(args.x, 'elementwise x');
  const yb = args.y ? await ctx.uploadF32(args.y, 'elementwise y') : null;
  const outHost = args.out ?? new Float32Array(args.len);
  const ob = await ctx.uploadF32(outHost, 'elementwise out');
  try {
    const staging = await record(ctx, 'elementwise', (rec) => {
      const { x: _x, y: _y, out: _out, ...rest } = args;
      kernel.encode(rec, { ...rest, x: { buffer: xb }, ...(yb ? { y: { buffer: yb } } : {}), out: { buffer: ob } });
      return rec.stage(ob, 0, outHost.length * 4);
    });
    return new Float32Array(await readStaging(ctx, staging));
  } finally {
    ctx.destroyBuffer(xb);
    ctx.destroyBuffer(yb);
    ctx.destroyBuffer(ob);
  }
}
