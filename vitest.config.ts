import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Projects:
//   unit        no GPU
//   gpu-compat  the GPU tests on Dawn's OpenGL ES backend (Mesa llvmpipe), WebGPU compatibility mode
//   gpu-core    the same tests on Dawn's Vulkan backend with SwiftShader, WebGPU core mode
//   browser     headless Chromium (WebGPU on SwiftShader) driven by playwright-core
//   package     npm pack → install into a fresh project → import both entries and run the CLI
// GPU tests never skip silently: a missing adapter fails them (GRSD_ALLOW_NO_GPU=1 opts out).
export default defineConfig({
  test: {
    pool: 'forks',
    // Vitest's default (cores − 1) runs one file at a time on the 2-core CI machine, where many files
    // wait on child processes (CLI, npm pack, Chromium): two at a time measured 522 s against 610 s
    // for the whole suite there, same results.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default'] : ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'gpu-compat', include: ['test/gpu/**/*.test.ts'], env: { GRSD_BACKEND: 'opengles' } } },
      { extends: true, test: { name: 'gpu-core', include: ['test/gpu/**/*.test.ts'], env: { GRSD_BACKEND: 'swiftshader' } } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'] } },
      { extends: true, test: { name: 'package', include: ['test/package/**/*.test.ts'] } },
    ],
  },
});
