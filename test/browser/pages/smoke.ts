// Runs in headless Chromium: the built browser entry (dist/index.js) acquires a device from
// navigator.gpu, runs the batchedDot kernel on seeded data, and publishes the results.
import { batchedDotGpu, createGpuContext, Random, GrsdError } from '../../../dist/index.js';

const status = document.getElementById('status')!;
try {
  const ctx = await createGpuContext();
  const shapes: [number, number][] = [
    [1, 1],
    [257, 3],
    [5000, 4],
  ];
  const rng = new Random(777);
  const results = [];
  for (const [n, batch] of shapes) {
    const x = Float32Array.from(rng.normals(n * batch));
    const y = Float32Array.from(rng.normals(n * batch));
    const dots = await batchedDotGpu(ctx, x, y, { n, batch });
    results.push({ n, batch, dots: Array.from(dots) });
  }
  const report = { adapter: ctx.adapter, mode: ctx.adapter.mode, liveBuffers: ctx.liveBufferCount, results };
  ctx.dispose();
  status.textContent = JSON.stringify(report, null, 1);
  status.dataset.done = 'ok';
} catch (error) {
  status.textContent = error instanceof GrsdError ? `${error.code}: ${error.message}` : String(error);
  status.dataset.done = 'error';
}
