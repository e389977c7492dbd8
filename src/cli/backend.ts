/** The `--backend` option shared by the computing commands: a Dawn backend name or `cpu` (float64 reference). */
import { Option } from 'commander';
import type { GpuContext } from '../gpu/context.ts';
import { createNodeGpuContext, NODE_BACKENDS, type NodeBackend } from '../node/dawn.ts';

/** Backends accepted by computing commands. */
export const COMPUTE_BACKENDS = [...NODE_BACKENDS, 'cpu'] as const;
export type ComputeBackend = (typeof COMPUTE_BACKENDS)[number];

/** The `--backend` option. */
export function backendOption(): Option {
  return new Option('--backend <name>', 'GPU backend (default: $GRSD_BACKEND or auto), or "cpu" for the float64 reference').choices(
    COMPUTE_BACKENDS,
  );
}

/** A GPU context for `backend` (undefined → auto / GRSD_BACKEND), or null for `cpu`. */
export async function contextFor(backend: ComputeBackend | undefined): Promise<GpuContext | null> {
  if (backend === 'cpu') return null;
  return createNodeGpuContext(backend ? { backend: backend as NodeBackend } : {});
}

/** A short description of where the computation ran, for reports. */
export function describeBackend(ctx: GpuContext | null): Record<string, unknown> {
  if (!ctx) return { kind: 'cpu', precision: 'float64' };
  const a = ctx.adapter;
  return {
    kind: 'gpu',
    route: a.route,
    mode: a.mode,
    adapter: a.description || a.device || a.vendor,
    software: a.software,
    precision: 'float32',
  };
}
