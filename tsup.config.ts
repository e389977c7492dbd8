import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { defineConfig } from 'tsup';

// ESM only: typegpu ships ESM only, so a CJS build could not load it without require(esm).
// WGSL is inlined through src/shaders.generated.ts (npm run gen:shaders), so nothing reads
// .wgsl files at run time. The CLI shares chunks with the library entries (one module instance,
// so `instanceof GrsdError` holds across them); its shebang is added after the build.
export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', lab: 'src/lab.ts', reference: 'src/reference.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  target: 'es2022',
  platform: 'neutral',
  dts: { entry: { index: 'src/index.ts', node: 'src/node.ts', lab: 'src/lab.ts', reference: 'src/reference.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  external: ['typegpu', 'webgpu', 'commander', 'cli-progress', 'fflate', 'vega', 'vega-lite', 'ml-matrix', /^node:/],
  async onSuccess() {
    const file = 'dist/cli.js';
    const text = readFileSync(file, 'utf8');
    if (!text.startsWith('#!')) writeFileSync(file, `#!/usr/bin/env node\n${text}`);
    chmodSync(file, 0o755);
  },
});
