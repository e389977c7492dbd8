/**
 * grsd visualizer: trains a network with the grsd lab on the page's WebGPU device and draws the
 * GRSD quantities live as the checkpoints stream through the pipeline. Everything runs locally
 * (no network access). URL parameters preset the controls; `?auto=1` runs at load (used by tests).
 */
import { createGpuContext, GrsdError, type CheckpointResult, type GpuContext, type IntervalResult } from 'grsd';
import { DEMO_CONFIG, runDepthStudy, type DepthStudyConfig } from 'grsd/lab';
import { diverging, heatmap, lines, viridis, type Series } from './plots.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
const results = $('results');
const params = new URLSearchParams(location.search);
for (const id of ['architecture', 'depth', 'width', 'points', 'steps', 'checkpoints', 'lr', 'seed']) {
  const v = params.get(id);
  if (v !== null) $<HTMLInputElement>(id).value = v;
}

function fail(message: string): void {
  $('message').textContent = message;
  results.textContent = JSON.stringify({ error: message });
  results.dataset.done = 'error';
}

async function acquire(): Promise<GpuContext | null> {
  if (!('gpu' in navigator)) {
    fail(
      'WebGPU is not available in this browser. Use Chrome/Edge 113+, Firefox 141+ or Safari 26+ over https or localhost (headless Chromium: --enable-unsafe-webgpu).',
    );
    return null;
  }
  try {
    const ctx = await createGpuContext();
    const a = ctx.adapter;
    $('adapter').textContent =
      `WebGPU adapter: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ') || 'unnamed'} — ${a.mode} mode${a.software ? ', software' : ''}`;
    return ctx;
  } catch (e) {
    fail(e instanceof GrsdError ? e.message : `Could not get a WebGPU device: ${String(e)}`);
    return null;
  }
}

function readConfig(): DepthStudyConfig {
  const num = (id: string) => Number($<HTMLInputElement>(id).value);
  return {
    ...DEMO_CONFIG,
    architectures: [$<HTMLSelectElement>('architecture').value as 'residual'],
    depths: [num('depth')],
    width: num('width'),
    task: { ...DEMO_CONFIG.task, points: num('points') },
    steps: num('steps'),
    checkpoints: num('checkpoints'),
    learningRate: num('lr'),
    seed: num('seed'),
    permutations: 200,
  };
}

async function run(ctx: GpuContext, config: DepthStudyConfig): Promise<void> {
  const checkpoints: CheckpointResult[] = [];
  const intervals: IntervalResult[] = [];
  let count = 0;
  let edges: Float64Array | null = null;
  const draw = (): void => {
    const size = checkpoints[0]!.energy.length - 2;
    heatmap(
      $<HTMLCanvasElement>('energy'),
      checkpoints.map((c) => Array.from(c.energy.subarray(0, size), (e) => (e > 0 ? Math.log10(e / c.residualNorm2) : -12))),
      (v) => viridis((v + 12) / 12),
      { x: 'checkpoints →', y: 'shell', rowLabels: edges ? Array.from(edges.subarray(0, size), (b) => b.toExponential(0)) : [] },
    );
    const flux: Series[] = intervals.map((iv) => ({
      label: `${iv.t0}→${iv.t1}`,
      x: Array.from(edges!.subarray(0, iv.flux.length)),
      y: Array.from(iv.flux),
    }));
    lines($<HTMLCanvasElement>('flux'), flux.slice(-6), { logX: true, y: 'symlog', xLabel: 'boundary λ', yLabel: 'Π' });
  };
  status.textContent = 'training…';
  const study = await runDepthStudy(ctx, config, {
    onCheckpoint: (run, checkpoint, interval) => {
      checkpoints.push(checkpoint);
      if (interval) intervals.push(interval);
      edges = run.grid.edges;
      status.textContent = `checkpoint ${++count} at step ${checkpoint.t}: loss ${checkpoint.loss.toExponential(3)}`;
      draw();
    },
  });
  const r = study.runs[0]!;
  edges = r.series.grid.edges;
  draw();
  // Velocity and its fits.
  const vel: Series[] = [];
  r.analysis.fits.velocity.forEach((f, j) => {
    const iv = r.series.intervals[j]!;
    const pts = Array.from(iv.velocityBoundaries)
      .map((b, i) => [b, Math.abs(iv.velocity[i]!)] as const)
      .filter(([, v], i) => iv.velocityValid[i] && v > 0);
    vel.push({
      label: `${iv.t0}→${iv.t1}${f.ok ? ` a=${f.a.toFixed(2)}` : ''}`,
      x: pts.map((p) => p[0]),
      y: pts.map((p) => p[1]),
      points: true,
    });
    if (f.ok) {
      const lo = Math.min(...f.lambdas);
      const hi = Math.max(...f.lambdas);
      vel.push({ label: '', x: [lo, hi], y: [lo, hi].map((l) => Math.abs(f.c) * l ** f.a), dashed: true });
    }
  });
  lines($<HTMLCanvasElement>('velocity'), vel.slice(-8), { logX: true, y: 'log', xLabel: 'λ', yLabel: '|v|' });
  // Couplings on the inertial window.
  const [lo, hi] = r.analysis.theory.window;
  const k = r.analysis.theory.couplings;
  const max = Math.max(1e-300, ...k.slice(lo, hi).flatMap((row) => row.slice(lo, hi).map(Math.abs)));
  heatmap(
    $<HTMLCanvasElement>('couplings'),
    Array.from({ length: hi - lo }, (_, b) => Array.from({ length: hi - lo }, (_, a) => k[lo + a]![lo + b]! / max)),
    diverging,
    { x: `from shell → (ε_LSI = ${r.analysis.theory.lsi?.epsilon.toFixed(3) ?? r.analysis.theory.reason})`, y: 'to shell' },
  );
  const a = r.analysis;
  const verdicts = Object.entries(a.conditions).map(([name, c]) => `${name} ${c.verdict.padEnd(15)} ${c.reason}`);
  $('summary').textContent = [
    `${config.architectures[0]} depth ${config.depths[0]}, final loss ${r.train.finalLoss.toExponential(3)}`,
    `loss exponent ξ = ${a.fits.lossExponent.ok ? a.fits.lossExponent.xi.toFixed(4) : a.fits.lossExponent.reason}`,
    `velocity exponent a = ${a.fits.rigidity.ok ? `${a.fits.rigidity.aMean.toFixed(4)} ± ${a.fits.rigidity.aStd.toFixed(4)}` : a.fits.rigidity.reason}`,
    `ε_LSI = ${a.theory.lsi?.epsilon.toFixed(4) ?? a.theory.reason}`,
    ...verdicts,
  ].join('\n');
  status.textContent = `done: ${r.train.steps} steps, ${r.series.checkpoints.length} checkpoints`;
  results.textContent = JSON.stringify({
    adapter: ctx.adapter,
    finalLoss: r.train.finalLoss,
    checkpoints: r.series.checkpoints.map((c) => ({ t: c.t, loss: c.loss, energy: Array.from(c.energy) })),
    xi: a.fits.lossExponent.ok ? a.fits.lossExponent.xi : null,
    epsilonLSI: a.theory.lsi?.epsilon ?? null,
    verdicts: Object.fromEntries(Object.entries(a.conditions).map(([n, c]) => [n, c.verdict])),
    grid: r.series.grid.toJSON(),
  });
  results.dataset.done = 'ok';
}

const ctx = await acquire();
if (ctx) {
  let busy = false;
  $('controls').addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    $<HTMLButtonElement>('run').disabled = true;
    run(ctx, readConfig())
      .catch((e: unknown) => fail(e instanceof GrsdError ? e.message : String(e)))
      .finally(() => {
        busy = false;
        $<HTMLButtonElement>('run').disabled = false;
      });
  });
  if (params.get('auto') === '1') $<HTMLFormElement>('controls').requestSubmit();
}
