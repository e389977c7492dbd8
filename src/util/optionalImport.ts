/**
 * Loading an optional dependency (`webgpu`, `vega`, `vega-lite`: docs/platforms.md, "Install
 * footprint") at the moment a feature needs it, with a {@link MissingDependencyError} naming the
 * package when it is not installed. The import itself is passed in as a function so that bundlers
 * and tsup see a literal `import('name')`.
 * @module
 */
import { DependencyLoadError, MissingDependencyError } from '../errors.ts';

/** True when `error` says that `packageName` itself (not something it imports) cannot be found. */
export function isMissingPackage(error: unknown, packageName: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e || !['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes(e.code ?? '')) return false;
  return new RegExp(`(Cannot find (package|module) '${packageName}')|('${packageName}' imported from)`).test(e.message ?? '');
}

/**
 * Awaits `load()`; a missing `packageName` becomes a {@link MissingDependencyError} for `feature`,
 * any other failure to load it (a chunk that did not download, a throwing module) a
 * {@link DependencyLoadError} with the original error as its cause.
 */
export async function importOptional<T>(load: () => Promise<T>, packageName: string, feature: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, packageName)) throw new MissingDependencyError(packageName, feature, { cause: error });
    throw new DependencyLoadError(packageName, feature, { cause: error });
  }
}
