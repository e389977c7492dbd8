/**
 * Platform-neutral device acquisition: from a caller's `GPUDevice` or TypeGPU root (borrowed),
 * or from a `GPU` object (`navigator.gpu` in browsers), trying a core adapter first and then a
 * compatibility-mode one. Node acquisition through Dawn builds on {@link tryRoute}
 * (see `grsd/node`).
 * @module
 */
import type { TgpuRoot } from 'typegpu';
import { NoAdapterError, type AdapterAttempt } from '../errors.ts';
import { GpuContext, type GpuContextCommonOptions, type GpuMode } from './context.ts';
import { requiredLimitsFor } from './limits.ts';
import { loadTypeGpu } from './typegpu.ts';

/** Options of {@link createGpuContext}. */
export interface CreateGpuContextOptions extends GpuContextCommonOptions {
  /** Use this device (borrowed: grsd never destroys it). */
  readonly device?: GPUDevice;
  /** Use this TypeGPU root and its device (borrowed). */
  readonly root?: TgpuRoot;
  /** The WebGPU entry point to request an adapter from. Default: `navigator.gpu`. */
  readonly gpu?: GPU;
  /** Passed to `requestAdapter`. Default `"high-performance"`. */
  readonly powerPreference?: GPUPowerPreference;
  /** Which feature levels to try: `"auto"` (core, then compatibility; default), `"core"` or `"compatibility"`. */
  readonly featureLevel?: 'auto' | GpuMode;
}

/** @internal A successful route. */
export interface RouteSuccess {
  readonly device: GPUDevice;
  readonly info: GPUAdapterInfo;
  readonly mode: GpuMode;
  readonly attempt: AdapterAttempt;
}

/**
 * @internal Requests an adapter of `featureLevel` from `gpu` and a device with grsd's limits.
 * Returns the device, or an attempt record saying why there is none.
 */
export async function tryRoute(
  gpu: GPU,
  route: string,
  featureLevel: GpuMode,
  powerPreference: GPUPowerPreference = 'high-performance',
  optionalFeatures: readonly GPUFeatureName[] = [],
): Promise<RouteSuccess | AdapterAttempt> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(
      featureLevel === 'compatibility' ? { featureLevel: 'compatibility', powerPreference } : { powerPreference },
    );
  } catch (error) {
    return { route, ok: false, detail: `requestAdapter failed: ${(error as Error).message}` };
  }
  if (!adapter) return { route, ok: false, detail: 'no adapter offered' };
  const isCore = adapter.features.has('core-features-and-limits');
  // A compatibility request may be answered with a core adapter; report what we actually got.
  const mode: GpuMode = featureLevel === 'core' || isCore ? 'core' : 'compatibility';
  try {
    const device = await adapter.requestDevice({
      label: `grsd (${route})`,
      requiredLimits: requiredLimitsFor(adapter.limits),
      requiredFeatures: [
        ...(isCore && featureLevel === 'core' ? ['core-features-and-limits' as GPUFeatureName] : []),
        ...optionalFeatures.filter((f) => adapter.features.has(f)),
      ],
    });
    const info = adapter.info;
    const name = info.description || info.device || info.vendor || 'unnamed adapter';
    return { device, info, mode, attempt: { route, ok: true, detail: `${name} (${mode})` } };
  } catch (error) {
    return { route, ok: false, detail: `requestDevice failed: ${(error as Error).message}` };
  }
}

/** Hint printed with {@link NoAdapterError} in browsers. */
export const BROWSER_HINT =
  'Use a browser with WebGPU enabled (Chrome/Edge 113+, Firefox 141+, Safari 26+), served over https or localhost. ' +
  'Headless Chromium needs --enable-unsafe-webgpu (and --use-webgpu-adapter=swiftshader without a GPU). ' +
  'Or run the float64 reference with backend: "cpu".';

/**
 * Creates a {@link GpuContext}.
 *
 * - With `device` or `root`: borrows it (never destroyed by grsd).
 * - Otherwise: requests an adapter from `gpu` (default `navigator.gpu`), core first, then
 *   compatibility mode, and owns the device it creates.
 *
 * Throws {@link NoAdapterError}, listing every route tried, when no adapter is available.
 *
 * @example
 * ```ts
 * import { createGpuContext } from 'grsd';
 * using ctx = await createGpuContext();            // browser: navigator.gpu
 * console.log(ctx.adapter.description, ctx.adapter.mode);
 * ```
 */
export async function createGpuContext(options: CreateGpuContextOptions = {}): Promise<GpuContext> {
  const common = options.maxBindingBytes === undefined ? {} : { maxBindingBytes: options.maxBindingBytes };
  if (options.root || options.device) await loadTypeGpu();
  if (options.root) {
    return new GpuContext({ ...common, device: options.root.device, root: options.root, owned: false, route: "caller's TypeGPU root" });
  }
  if (options.device) {
    return new GpuContext({ ...common, device: options.device, owned: false, route: "caller's device" });
  }
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    throw new NoAdapterError([{ route: 'navigator.gpu', ok: false, detail: 'WebGPU is not available in this environment' }], BROWSER_HINT);
  }
  const levels: GpuMode[] =
    options.featureLevel === 'core' ? ['core'] : options.featureLevel === 'compatibility' ? ['compatibility'] : ['core', 'compatibility'];
  const attempts: AdapterAttempt[] = [];
  for (const level of levels) {
    const result = await tryRoute(gpu, `navigator.gpu (${level})`, level, options.powerPreference, options.optionalFeatures);
    if ('device' in result) {
      attempts.push(result.attempt);
      try {
        await loadTypeGpu();
        return new GpuContext({
          ...common,
          device: result.device,
          info: result.info,
          mode: result.mode,
          owned: true,
          route: 'navigator.gpu',
          attempts,
        });
      } catch (error) {
        result.device.destroy();
        throw error;
      }
    }
    attempts.push(result);
  }
  throw new NoAdapterError(attempts, BROWSER_HINT);
}
