/**
 * The `--backend` option of the computing commands and how a backend is chosen (docs/cli.md,
 * Backends). A named backend is used as asked. Without one (auto), grsd takes the GPU adapter
 * that `createNodeGpuContext` finds; when that adapter is a software renderer (llvmpipe,
 * SwiftShader) it measures a miniature of the work at hand on both the adapter and the float64
 * `cpu` backend — a few Lanczos steps on the real operator, or a small dense eigensolve — and
 * uses the faster, saying which and why on stderr and in the JSON (`backend.selection`), as a
 * warning with the estimated time when the software adapter wins but the work is long. GPU-only
 * commands on SwiftShader get a warning with an estimate from their documented llvmpipe time.
 * @module
 */
import { Option } from 'commander';
import type { GpuContext } from '../gpu/context.ts';
import { invariant } from '../errors.ts';
import { createNodeGpuContext, NODE_BACKENDS, type NodeBackend } from '../node/dawn.ts';
import { note, warn, type CliIo } from './io.ts';

/** Backends accepted by computing commands. */
export const COMPUTE_BACKENDS = [...NODE_BACKENDS, 'cpu'] as const;
export type ComputeBackend = (typeof COMPUTE_BACKENDS)[number];

/** The `--backend` option. */
export function backendOption(): Option {
  return new Option(
    '--backend <name>',
    'GPU backend (default: $GRSD_BACKEND or auto: the GPU, or on a software adapter the faster of it and cpu), or "cpu" for the float64 reference',
  ).choices(COMPUTE_BACKENDS);
}

/**
 * A cheap measurement of the work a command is about to do, on either backend. Each function
 * runs a miniature of the work and returns the estimated seconds of the whole of it.
 */
export interface WorkEstimate {
  /** The work, in words, for messages (e.g. "eig k = 6 on 1 matrix of n = 512"). */
  readonly description: string;
  /** Estimated seconds on this GPU context (from a few real steps on it). */
  gpuSeconds(ctx: GpuContext): Promise<number>;
  /** Estimated seconds on the float64 cpu backend (from a few real steps). */
  cpuSeconds(): number;
}

/** How the backend was chosen, for stderr and the JSON's `backend.selection`. */
export interface BackendSelection {
  /** `requested`: named by --backend or GRSD_BACKEND; `auto`: chosen by grsd. */
  readonly mode: 'requested' | 'auto';
  /** Why this backend, in words. */
  readonly reason: string;
  /** Estimated seconds of the work on each backend, when estimated. */
  readonly estimatedSeconds?: { readonly gpu: number; readonly cpu?: number };
}

/** The chosen backend: a GPU context, or null for the float64 cpu backend. */
export interface BackendChoice {
  readonly ctx: GpuContext | null;
  readonly selection: BackendSelection;
}

/** A duration in words: "0.4 s", "12 s", "3.2 min". */
export function formatSeconds(s: number): string {
  if (s < 10) return `${s.toPrecision(2)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${(s / 60).toPrecision(2)} min`;
  return `${(s / 3600).toPrecision(2)} h`;
}

/** A software adapter chosen for work estimated longer than this earns a warning rather than a note. */
const SLOW_SECONDS = 30;

/** A backend opened as named (or, for auto, the adapter found), before any measurement. */
export interface OpenedBackend {
  /** The GPU context, or null for `--backend cpu`. */
  readonly ctx: GpuContext | null;
  /** Whether grsd chooses (auto), or the backend was named (--backend or GRSD_BACKEND). */
  readonly auto: boolean;
  /** The name asked for, in words ("--backend cpu", "requested opengles"). */
  readonly requested: string;
}

/**
 * Opens the backend named by `backend` (undefined means `$GRSD_BACKEND`, else auto): the cpu
 * backend, or a GPU context (for auto, the adapter `createNodeGpuContext` finds). A missing
 * adapter fails here, before any work. {@link settleBackend} completes the choice once the work
 * is known.
 */
export async function openBackend(backend: ComputeBackend | undefined): Promise<OpenedBackend> {
  if (backend === 'cpu') return { ctx: null, auto: false, requested: '--backend cpu' };
  const requested = backend ?? ((process.env.GRSD_BACKEND || undefined) as NodeBackend | undefined);
  const auto = requested === undefined || requested === 'auto';
  const ctx = await createNodeGpuContext(requested ? { backend: requested as NodeBackend } : {});
  return { ctx, auto, requested: `requested ${requested}` };
}

/**
 * Completes the choice of an opened backend for `work`: a named backend is kept; on auto with a
 * software adapter both backends are measured on a miniature of the work and the faster is used
 * (the GPU context is disposed when cpu wins). Only auto may pick `cpu` on its own.
 */
export async function settleBackend(opened: OpenedBackend, io: CliIo, work?: WorkEstimate): Promise<BackendChoice> {
  const { ctx } = opened;
  if (!ctx || !opened.auto) return { ctx, selection: { mode: 'requested', reason: opened.requested } };
  const name = ctx.adapter.device || ctx.adapter.description || ctx.adapter.route;
  if (!ctx.adapter.software || !work) {
    return {
      ctx,
      selection: { mode: 'auto', reason: `auto: ${ctx.adapter.software ? 'software' : 'hardware'} adapter ${name} (${ctx.adapter.route})` },
    };
  }
  let gpu: number;
  let cpu: number;
  try {
    gpu = await work.gpuSeconds(ctx);
    cpu = work.cpuSeconds();
  } catch (error) {
    ctx.dispose();
    throw error;
  }
  const estimates = `${formatSeconds(gpu)} on ${ctx.adapter.route} (software), ${formatSeconds(cpu)} on the float64 cpu backend`;
  const chosen = cpu < gpu ? 'cpu' : ctx.adapter.route;
  const reason = `auto: the adapter found is a software renderer (${name}); measured for ${work.description}: ${estimates}; using ${chosen}`;
  const selection: BackendSelection = { mode: 'auto', reason, estimatedSeconds: { gpu, cpu } };
  if (chosen === 'cpu') {
    ctx.dispose();
    note(io, `grsd: backend ${reason}`);
    return { ctx: null, selection };
  }
  if (gpu > SLOW_SECONDS) warn(io, `backend ${reason}: a slow software adapter; this will take about ${formatSeconds(gpu)}`);
  else note(io, `grsd: backend ${reason}`);
  return { ctx, selection };
}

/**
 * Chooses the backend for `work` (see the module comment): {@link openBackend}, then
 * {@link settleBackend}. `backend` undefined means `$GRSD_BACKEND`, else auto.
 */
export async function chooseBackend(backend: ComputeBackend | undefined, io: CliIo, work?: WorkEstimate): Promise<BackendChoice> {
  return settleBackend(await openBackend(backend), io, work);
}

/**
 * How much slower SwiftShader runs grsd's work than Mesa's llvmpipe on the same CPU: 12.7× for
 * `grsd demo --quick` on a 2-core machine (issue 14), about 8× for a 2048² matrix-vector product
 * (docs/platforms.md). The demo's figure is used: it is the whole pipeline.
 */
export const SWIFTSHADER_SLOWDOWN = 12.7;

/** Whether a context runs on SwiftShader (the core-mode software fallback when Mesa is missing). */
function isSwiftShader(ctx: GpuContext): boolean {
  const a = ctx.adapter;
  return a.route === 'swiftshader' || /swiftshader/i.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`);
}

/**
 * A GPU context for a GPU-only command (`demo`). On SwiftShader, a warning with the estimated
 * time: the command's documented time on llvmpipe (2 cores) times {@link SWIFTSHADER_SLOWDOWN},
 * and what to install for the faster route. No measurement: nothing is spent finding this out.
 */
export async function gpuContextFor(
  backend: NodeBackend | undefined,
  io: CliIo,
  baseline: { readonly what: string; readonly llvmpipeSeconds: number },
): Promise<{ ctx: GpuContext; selection: BackendSelection }> {
  // Without a work estimate, settling keeps the context opened as named (or found, for auto).
  const { ctx, selection } = await settleBackend(await openBackend(backend), io);
  invariant(ctx, 'a GPU backend opens a GPU context');
  if (!isSwiftShader(ctx)) return { ctx, selection };
  const name = ctx.adapter.device || ctx.adapter.description || ctx.adapter.route;
  const gpu = baseline.llvmpipeSeconds * SWIFTSHADER_SLOWDOWN;
  warn(
    io,
    `${name} is SwiftShader, a slow software adapter (about ${SWIFTSHADER_SLOWDOWN}× slower than Mesa's llvmpipe): ${baseline.what} will take about ${formatSeconds(gpu)} on 2 cores (about ${formatSeconds(baseline.llvmpipeSeconds)} on llvmpipe; install Mesa for it: apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri libgles2)`,
  );
  return { ctx, selection: { ...selection, estimatedSeconds: { gpu } } };
}

/** A short description of where the computation ran, for reports (with how it was chosen). */
export function describeBackend(ctx: GpuContext | null, selection?: BackendSelection): Record<string, unknown> {
  const chosen = selection === undefined ? {} : { selection };
  if (!ctx) return { kind: 'cpu', precision: 'float64', ...chosen };
  const a = ctx.adapter;
  return {
    kind: 'gpu',
    route: a.route,
    mode: a.mode,
    adapter: a.description || a.device || a.vendor,
    software: a.software,
    precision: 'float32',
    ...chosen,
  };
}
