import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Resolves `grsd` and `grsd/lab` to the built package (npm run build) so the page uses exactly what ships.
// In your own project, `npm install grsd typegpu` and drop the alias.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: [
      { find: /^grsd$/, replacement: fileURLToPath(new URL('../../dist/index.js', import.meta.url)) },
      { find: /^grsd\/lab$/, replacement: fileURLToPath(new URL('../../dist/lab.js', import.meta.url)) },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
