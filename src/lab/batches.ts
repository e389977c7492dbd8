/**
 * Where the rows of each training step come from: the whole training set for full-batch GD, or
 * contiguous minibatches of a per-epoch permuted copy of it for SGD (uploaded from the host at
 * the start of every epoch, seeded per replica). Every batch is a tight replica-major operand
 * (./buffers.ts): the permuted copy is stored minibatch-major, minibatch b holding the S
 * replicas' rows one after the other.
 * @module
 */
import type { GpuContext } from '../gpu/context.ts';
import { STORAGE_USAGE } from '../gpu/flags.ts';
import { Random } from '../util/random.ts';
import type { View } from './passes.ts';
import type { Task } from './tasks.ts';

/** The training rows of one step (every replica has `rows` of them). */
export interface Batch {
  readonly x: View;
  readonly y: View;
  readonly rows: number;
}

/** The batches of one training run. Dispose to free the permuted copy. */
export interface BatchSource extends Disposable {
  /** The rows of step `step`. */
  batch(step: number): Batch;
  /**
   * Prepares the steps from `step` on and returns the end (exclusive, ≤ `end`) of the run of
   * steps that can be recorded together: for SGD it stops at the end of the epoch, and at the
   * start of an epoch a freshly permuted copy is uploaded.
   */
  prepare(step: number, end: number): number;
}

/** Full-batch GD: every step uses the whole training set. */
export function fullBatches(trainX: GPUBuffer, trainY: GPUBuffer, trainSize: number): BatchSource {
  const batch: Batch = { x: { buffer: trainX }, y: { buffer: trainY }, rows: trainSize };
  return { batch: () => batch, prepare: (_step, end) => end, [Symbol.dispose]: () => {} };
}

/**
 * SGD minibatches of `batchSize` rows: in every epoch, replica r's training set is permuted by
 * its own generator (seeded by `seeds[r]`, drawn in epoch order) and cut into ⌈N/batchSize⌉
 * contiguous blocks, the last one possibly smaller.
 */
export async function shuffledBatches(
  ctx: GpuContext,
  tasks: readonly Task[],
  batchSize: number,
  seeds: readonly number[],
): Promise<BatchSource> {
  const S = tasks.length;
  const { trainSize: N, inputDim: d, outputs: C } = tasks[0]!;
  const perEpoch = Math.ceil(N / batchSize);
  const rngs = seeds.map((s) => new Random(s));
  const orders = tasks.map(() => Uint32Array.from({ length: N }, (_, i) => i));
  const hostX = new Float32Array(S * N * d);
  const hostY = new Float32Array(S * N * C);
  const create = (label: string, floats: number) =>
    ctx.createBuffer({ label: `lab permuted ${label}`, size: Math.max(16, Math.ceil(floats / 4) * 16), usage: STORAGE_USAGE });
  const permX = await create('X', S * N * d);
  const permY = await create('Y', S * N * C).catch((error: unknown) => {
    ctx.destroyBuffer(permX);
    throw error;
  });
  const upload = (): void => {
    tasks.forEach((task, r) => {
      const order = orders[r]!;
      rngs[r]!.shuffle(order);
      for (let row = 0; row < N; row++) {
        // Row `row` of the permuted set sits in minibatch b at position row − b·batchSize.
        const b = Math.floor(row / batchSize);
        const rows = Math.min(batchSize, N - b * batchSize);
        const at = b * batchSize * S + r * rows + (row - b * batchSize);
        const src = order[row]!;
        hostX.set(task.trainX.subarray(src * d, (src + 1) * d), at * d);
        hostY.set(task.trainY.subarray(src * C, (src + 1) * C), at * C);
      }
    });
    ctx.device.queue.writeBuffer(permX, 0, hostX.buffer, hostX.byteOffset, hostX.byteLength);
    ctx.device.queue.writeBuffer(permY, 0, hostY.buffer, hostY.byteOffset, hostY.byteLength);
  };
  return {
    batch(step) {
      const row0 = (step % perEpoch) * batchSize;
      return {
        x: { buffer: permX, offset: row0 * S * d },
        y: { buffer: permY, offset: row0 * S * C },
        rows: Math.min(batchSize, N - row0),
      };
    },
    prepare(step, end) {
      const epochStart = step - (step % perEpoch);
      if (step === epochStart) upload();
      return Math.min(end, epochStart + perEpoch);
    },
    [Symbol.dispose]() {
      ctx.destroyBuffer(permX);
      ctx.destroyBuffer(permY);
    },
  };
}
