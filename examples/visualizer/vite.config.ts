import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// A standalone example: `npm install` in this directory installs grsd from npm (package.json).
// To build against a local grsd checkout instead, build it (`npm run build` at its root) and set
// GRSD_DIST to its dist/ directory (relative to the current directory), e.g.
// `GRSD_DIST=../../dist npx vite build` from here.
const local = process.env.GRSD_DIST;
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: local
    ? {
        alias: [
          { find: /^grsd$/, replacement: resolve(local, 'index.js') },
          { find: /^grsd\/lab$/, replacement: resolve(local, 'lab.js') },
          { find: /^grsd\/reference$/, replacement: resolve(local, 'reference.js') },
        ],
      }
    : {},
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Vega, imported when the first figure is drawn, is one 536 kB chunk (190 kB gzipped); every
    // other chunk is ≤ 310 kB. Vite's default 500 kB limit would warn about it on every build.
    chunkSizeWarningLimit: 600,
  },
});
