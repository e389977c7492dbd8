/**
 * Device acquisition in Node through Dawn (the `webgpu` package).
 *
 * Routes, in the order `backend: "auto"` tries them:
 * 1. `default`: Dawn's default backend in core mode (Vulkan on Linux, Metal on macOS, D3D12 on
 *    Windows): real GPUs.
 * 2. `opengles`: WebGPU compatibility mode on Dawn's OpenGL ES backend. Without a GPU this runs on
 *    Mesa's llvmpipe (`EGL_PLATFORM=surfaceless` is set when unset).
 * 3. `swiftshader`: core mode on Vulkan with the SwiftShader driver that Debian's chromium ships
 *    (`VK_ICD_FILENAMES` points at it for the attempt).
 *
 * Dawn instances are created once per configuration and kept for the life of the process: an
 * instance must outlive every adapter and device it made, used or not, and the garbage collector
 * gives no order between them (freeing it first crashes the process: docs/platforms.md).
 * @module
 */
import { existsSync } from 'node:fs';
import { importOptional } from '../util/optionalImport.ts';
import { NoAdapterError, InvalidArgumentError, type AdapterAttempt } from '../errors.ts';
import { GpuContext, type GpuContextCommonOptions, type GpuMode } from '../gpu/context.ts';
import { tryRoute, type RouteSuccess } from '../gpu/acquire.ts';
import { loadTypeGpu } from '../gpu/typegpu.ts';
import { docsUrl } from '../version.ts';
import { missingLibrariesHint } from './libraries.ts';

/** Backends `createNodeGpuContext` can be asked for. */
export const NODE_BACKENDS = ['auto', 'default', 'vulkan', 'metal', 'd3d12', 'swiftshader', 'opengles', 'opengl'] as const;
/** A backend name: see {@link NODE_BACKENDS}. */
export type NodeBackend = (typeof NODE_BACKENDS)[number];

/** Options of {@link createNodeGpuContext}. */
export interface NodeGpuContextOptions extends GpuContextCommonOptions {
  /** Which backend to use. Default: `process.env.GRSD_BACKEND`, else `"auto"`. */
  readonly backend?: NodeBackend;
  /** Passed to `requestAdapter`. */
  readonly powerPreference?: GPUPowerPreference;
}

/** Where the SwiftShader Vulkan driver is looked for (first existing wins); `GRSD_SWIFTSHADER_ICD` overrides. */
export const SWIFTSHADER_ICD_PATHS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib64/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

/** What to install to get an adapter on a headless Linux machine. */
export const LINUX_HINT =
  'To get a software adapter on Debian/Ubuntu without a GPU, install either\n' +
  '  - Mesa (compatibility mode, fastest):  apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri libgles2   (backend "opengles")\n' +
  '  - SwiftShader (core mode):             apt-get install -y chromium libvulkan1                          (backend "swiftshader")\n' +
  `With a GPU, install its Vulkan driver and libvulkan1. See ${docsUrl('platforms.md')}.`;

interface RouteSpec {
  readonly route: string;
  readonly flags: string[];
  readonly level: GpuMode;
  readonly env?: Record<string, string>;
  readonly unavailable?: string;
}

function swiftshaderIcd(): string | undefined {
  const override = process.env.GRSD_SWIFTSHADER_ICD;
  if (override) return existsSync(override) ? override : undefined;
  return SWIFTSHADER_ICD_PATHS.find((p) => existsSync(p));
}

function routeSpec(backend: Exclude<NodeBackend, 'auto'>): RouteSpec {
  switch (backend) {
    case 'default':
      return { route: 'default', flags: [], level: 'core' };
    case 'vulkan':
    case 'metal':
    case 'd3d12':
      return { route: backend, flags: [`backend=${backend}`], level: 'core' };
    case 'opengles':
    case 'opengl':
      return { route: backend, flags: [`backend=${backend}`], level: 'compatibility' };
    case 'swiftshader': {
      const icd = swiftshaderIcd();
      if (!icd) {
        return {
          route: 'swiftshader',
          flags: [],
          level: 'core',
          unavailable: `SwiftShader's Vulkan driver not found (looked for ${process.env.GRSD_SWIFTSHADER_ICD ?? SWIFTSHADER_ICD_PATHS.join(', ')}); install chromium and libvulkan1`,
        };
      }
      return { route: 'swiftshader', flags: ['backend=vulkan'], level: 'core', env: { VK_ICD_FILENAMES: icd, VK_DRIVER_FILES: icd } };
    }
  }
}

/** Dawn (the optional `webgpu` package), loaded on first use so that importing grsd/node does not load it. */
const loadDawn = () => importOptional(() => import('webgpu'), 'webgpu', 'A WebGPU device in Node (Dawn)');
type Dawn = Awaited<ReturnType<typeof loadDawn>>;

/** Dawn instances by configuration (flags and environment), never released: see the module comment. */
const instances = new Map<string, GPU>();

/** The process's Dawn instance for `spec`, created on first use (with `spec.env` in effect). */
function dawnInstance(spec: RouteSpec, create: Dawn['create']): GPU {
  const key = JSON.stringify([spec.flags, spec.env ?? {}]);
  let instance = instances.get(key);
  if (!instance) {
    instance = create(spec.flags);
    instances.set(key, instance);
  }
  return instance;
}

function installGlobals(globals: object): void {
  // Some libraries (TypeGPU among them) read GPUBufferUsage & co. from globalThis.
  for (const [key, value] of Object.entries(globals)) {
    if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
  }
}

/**
 * Acquires a WebGPU device in Node through Dawn and wraps it in a {@link GpuContext} that owns it.
 *
 * Throws {@link NoAdapterError} listing every route tried, with the Debian packages that provide
 * a software adapter, when none works.
 *
 * @example
 * ```ts
 * import { createNodeGpuContext } from 'grsd/node';
 * using ctx = await createNodeGpuContext();          // or { backend: 'swiftshader' }
 * console.log(ctx.adapter.route, ctx.adapter.mode, ctx.limits.maxStorageBufferBindingSize);
 * ```
 */
export async function createNodeGpuContext(options: NodeGpuContextOptions = {}): Promise<GpuContext> {
  const backend = options.backend ?? (process.env.GRSD_BACKEND as NodeBackend | undefined) ?? 'auto';
  if (!(NODE_BACKENDS as readonly string[]).includes(backend)) {
    throw new InvalidArgumentError(
      'backend',
      `expected one of ${NODE_BACKENDS.join(', ')}, got "${backend}"${options.backend === undefined ? ' (from GRSD_BACKEND)' : ''}`,
    );
  }
  const { create, globals } = await loadDawn();
  installGlobals(globals);
  if (!process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
  const order: Exclude<NodeBackend, 'auto'>[] = backend === 'auto' ? ['default', 'opengles', 'swiftshader'] : [backend];
  const attempts: AdapterAttempt[] = [];
  let found: { result: RouteSuccess; instance: GPU } | undefined;
  for (const name of order) {
    const spec = routeSpec(name);
    if (spec.unavailable) {
      attempts.push({ route: spec.route, ok: false, detail: spec.unavailable });
      continue;
    }
    const failed = (detail: string): AdapterAttempt => {
      const hint = missingLibrariesHint(spec.route);
      return { route: spec.route, ok: false, detail: hint ? `${detail}; ${hint}` : detail };
    };
    const saved = new Map<string, string | undefined>();
    for (const [key, value] of Object.entries(spec.env ?? {})) {
      saved.set(key, process.env[key]);
      process.env[key] = value;
    }
    try {
      const instance = dawnInstance(spec, create);
      const result = await tryRoute(instance, spec.route, spec.level, options.powerPreference, options.optionalFeatures);
      if ('device' in result) {
        attempts.push(result.attempt);
        found = { result, instance };
        break;
      }
      attempts.push(failed(result.detail));
    } catch (error) {
      attempts.push(failed((error as Error).message.split('\n')[0] ?? String(error)));
    } finally {
      for (const [key, value] of saved) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  }
  if (!found) throw new NoAdapterError(attempts, LINUX_HINT);
  const { result, instance } = found;
  try {
    await loadTypeGpu();
    return new GpuContext({
      ...(options.maxBindingBytes === undefined ? {} : { maxBindingBytes: options.maxBindingBytes }),
      device: result.device,
      info: result.info,
      mode: result.mode,
      owned: true,
      route: result.attempt.route,
      attempts,
      keepAlive: instance,
    });
  } catch (error) {
    result.device.destroy();
    throw error;
  }
}
