/**
 * TypeGPU, loaded on first use: importing grsd does not load it (its import costs more than all of
 * grsd's own code: docs/benchmarks.md, "Import cost"). Every way of creating a {@link GpuContext}
 * awaits {@link loadTypeGpu} first, so code that holds a context reads it with {@link typeGpu}.
 * This is the only module that imports TypeGPU's values (test/unit/architecture.test.ts).
 * @module
 */
import { invariant } from '../errors.ts';
import { importOptional } from '../util/optionalImport.ts';

type TypeGpu = typeof import('typegpu');

let loaded: TypeGpu | undefined;
let loading: Promise<TypeGpu> | undefined;

/**
 * Loads TypeGPU once per process. A missing `typegpu` package rejects with
 * `MissingDependencyError`; another failure is retried on the next call.
 */
export function loadTypeGpu(): Promise<TypeGpu> {
  loading ??= importOptional(() => import('typegpu'), 'typegpu', 'A GPU context').then(
    (module) => (loaded = module),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/** TypeGPU, loaded by {@link loadTypeGpu}: available wherever a GPU context exists. */
export function typeGpu(): TypeGpu {
  invariant(loaded, 'TypeGPU is used before it was loaded: create GPU contexts with createGpuContext or createNodeGpuContext');
  return loaded;
}
