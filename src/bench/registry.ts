/**
 * The registry of benchmark groups: the extension point of the suite. The built-in groups
 * (apply, lanczos, eigsh, eigsh-work, eigsh-jacobian, slq, binning, transport, pipeline) are always present; other code adds groups with {@link registerBenchGroup} before calling `runBenchmarks`, and
 * `grsd bench --group ID` selects them by id.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import { eigshGroup } from './groups/eigsh.ts';
import { eigshWorkGroup } from './groups/eigshWork.ts';
import { eigshJacobianGroup } from './groups/eigshJacobian.ts';
import { lanczosGroup } from './groups/lanczos.ts';
import { operatorApplyGroup } from './groups/operatorApply.ts';
import { binningGroup } from './groups/binning.ts';
import { pipelineGroup } from './groups/pipeline.ts';
import { slqGroup } from './groups/slq.ts';
import { transportGroup } from './groups/transport.ts';
import type { BenchGroup } from './types.ts';

/** The built-in groups, in run order. */
export const BUILTIN_BENCH_GROUPS: readonly BenchGroup[] = [
  operatorApplyGroup,
  lanczosGroup,
  eigshGroup,
  eigshWorkGroup,
  eigshJacobianGroup,
  slqGroup,
  binningGroup,
  transportGroup,
  pipelineGroup,
];

const extra = new Map<string, BenchGroup>();

/**
 * Adds a benchmark group (run after the built-in ones, in registration order). Its id must be
 * new; registering the same group object again is a no-op.
 */
export function registerBenchGroup(group: BenchGroup): void {
  if (extra.get(group.id) === group) return;
  if (BUILTIN_BENCH_GROUPS.some((g) => g.id === group.id) || extra.has(group.id))
    throw new InvalidArgumentError('group.id', `a benchmark group "${group.id}" is already registered`);
  extra.set(group.id, group);
}

/** Removes a group added with {@link registerBenchGroup} (built-ins stay). */
export function unregisterBenchGroup(id: string): void {
  extra.delete(id);
}

/** Every group, built-in first. */
export function benchGroups(): BenchGroup[] {
  return [...BUILTIN_BENCH_GROUPS, ...extra.values()];
}

/** The groups with the given ids (in run order); unknown ids throw InvalidArgumentError naming them. */
export function selectBenchGroups(ids?: readonly string[]): BenchGroup[] {
  const all = benchGroups();
  if (!ids || ids.length === 0) return all;
  const unknown = ids.filter((id) => !all.some((g) => g.id === id));
  if (unknown.length > 0)
    throw new InvalidArgumentError('group', `unknown benchmark group(s) ${unknown.join(', ')}; known: ${all.map((g) => g.id).join(', ')}`);
  return all.filter((g) => ids.includes(g.id));
}
