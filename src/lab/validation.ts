/**
 * Argument checks of the training lab, each throwing an {@link InvalidArgumentError} that names
 * the argument and says what to change, and the divergence error of a training run.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { ResolvedModel } from './models.ts';
import type { Task } from './tasks.ts';

/** Checks that `task` is a well-formed task with finite data that fits `model`. */
export function checkTask(model: ResolvedModel, task: Task): void {
  if (typeof task !== 'object' || task === null) throw new InvalidArgumentError('task', 'must be a Task object');
  const { trainSize: N, probeSize: P, inputDim: d, outputs: C } = task;
  for (const [name, v] of [
    ['task.trainSize', N],
    ['task.probeSize', P],
    ['task.inputDim', d],
    ['task.outputs', C],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(name, `must be a positive integer, got ${v}`);
  }
  if (model.inputDim !== d)
    throw new InvalidArgumentError('model.inputDim', `must equal the task's input dimension ${d}, got ${model.inputDim}`);
  if (model.outputs !== C) throw new InvalidArgumentError('model.outputs', `must equal the task's outputs ${C}, got ${model.outputs}`);
  for (const [name, a, len] of [
    ['task.trainX', task.trainX, N * d],
    ['task.trainY', task.trainY, N * C],
    ['task.probeX', task.probeX, P * d],
    ['task.probeY', task.probeY, P * C],
  ] as const) {
    if (!(a instanceof Float32Array) || a.length !== len) {
      throw new InvalidArgumentError(
        name,
        `must be a Float32Array of ${len} elements, got ${a instanceof Float32Array ? a.length : typeof a}`,
      );
    }
    for (let i = 0; i < a.length; i++)
      if (!Number.isFinite(a[i]!)) throw new InvalidArgumentError(name, `element ${i} is ${a[i]}: the data must be finite`);
  }
}

/** η must be a finite number > 0. */
export function checkLearningRate(learningRate: number): void {
  if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate <= 0) {
    throw new InvalidArgumentError('learningRate', `must be a finite number > 0, got ${String(learningRate)}`);
  }
}

/** A step number: an integer ≥ 0. */
export function checkStep(name: string, step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new InvalidArgumentError(name, `must be an integer ≥ 0, got ${step}`);
}

/** The error of a run whose loss became non-finite or exploded: it names η and suggests a smaller one. */
export function divergence(step: number, loss: number, learningRate: number, context: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'learningRate',
    `training diverged at step ${step}: the loss is ${loss} ${context}. Lower learningRate (now ${learningRate}), e.g. to ${learningRate / 10}.`,
  );
}
