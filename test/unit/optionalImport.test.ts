/**
 * Loading an optional or peer dependency: a package that is not installed and one that is installed
 * but fails to load (a bundled browser app whose chunk did not download) each give a typed error
 * naming the package, never a raw TypeError.
 */
import { expect, test } from 'vitest';
import { DependencyLoadError, MissingDependencyError } from '../../src/errors.ts';
import { importOptional } from '../../src/util/optionalImport.ts';

test('a package that is not installed: MissingDependencyError naming it and the install command', async () => {
  const notFound = Object.assign(new Error("Cannot find package 'typegpu' imported from /app/dist/index.js"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
  const error = await importOptional(() => Promise.reject(notFound), 'typegpu', 'A GPU context').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MissingDependencyError);
  expect((error as MissingDependencyError).code).toBe('GRSD_MISSING_DEPENDENCY');
  expect((error as Error).message).toMatch(/A GPU context needs the package "typegpu".*npm install typegpu/);
});

test('an installed package that fails to load: DependencyLoadError with the cause, not a raw TypeError', async () => {
  const chunk = new TypeError('Failed to fetch dynamically imported module: https://example.org/assets/typegpu-3f2a.js');
  const error = await importOptional(() => Promise.reject(chunk), 'typegpu', 'A GPU context').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DependencyLoadError);
  const load = error as DependencyLoadError;
  expect(load.code).toBe('GRSD_DEPENDENCY_LOAD');
  expect(load.packageName).toBe('typegpu');
  expect(load.cause).toBe(chunk);
  expect(load.message).toMatch(/"typegpu", which failed to load: Failed to fetch dynamically imported module.*reloaded/);
  // A missing module *inside* the package is a load failure of the package, not a missing package.
  const inner = Object.assign(new Error("Cannot find module './chunk-7.js' imported from /app/node_modules/vega/build/vega.js"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
  expect(await importOptional(() => Promise.reject(inner), 'vega', 'Drawing a figure').catch((e: unknown) => e)).toBeInstanceOf(
    DependencyLoadError,
  );
});

test('a successful load returns the module unchanged', async () => {
  const module = { tgpu: 1 };
  await expect(importOptional(() => Promise.resolve(module), 'typegpu', 'A GPU context')).resolves.toBe(module);
});
