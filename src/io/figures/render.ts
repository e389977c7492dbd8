/**
 * Rendering of the figure specs: Vega-Lite → Vega → SVG with Vega's headless view (no browser, no
 * network; in Node and in browsers alike). vega and vega-lite are imported on first use only, so
 * importing `grsd` or `grsd/node` does not load them.
 * @module
 */
import type { TopLevelSpec } from 'vega-lite';
import { importOptional } from '../../util/optionalImport.ts';

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');
let modules: Promise<[VegaModule, VegaLiteModule]> | undefined;

/**
 * vega and vega-lite (optional dependencies, docs/platforms.md), loaded once on demand; a missing
 * one is a MissingDependencyError naming it.
 */
export function loadVega(): Promise<[VegaModule, VegaLiteModule]> {
  modules ??= Promise.all([
    importOptional(() => import('vega'), 'vega', 'Drawing a figure'),
    importOptional(() => import('vega-lite'), 'vega-lite', 'Drawing a figure'),
  ]);
  // A failed load is not cached: installing the package and retrying works in the same process.
  modules.catch(() => (modules = undefined));
  return modules;
}

/** Compiles a Vega-Lite spec to a Vega spec (what a page with only the vega runtime can draw). */
export async function compileSpec(spec: TopLevelSpec): Promise<object> {
  const [, vl] = await loadVega();
  return vl.compile(spec).spec;
}

/** Renders a Vega-Lite spec to a standalone SVG document string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await loadVega();
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
