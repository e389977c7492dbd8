/**
 * grsd visualizer: trains a network with the grsd lab on the page's WebGPU device (or, without
 * WebGPU, with grsd's float64 reference network on the CPU) and draws the GRSD figures live as
 * the checkpoints stream through the pipeline — the same Vega-Lite figures as `grsd analyze
 * --report` and `grsd serve`. Every figure exports SVG, PNG, CSV and JSON; the run can be stopped
 * (what was analysed so far is kept and analysed); an ETA is shown. Everything runs locally.
 * URL parameters preset the controls; `?auto=1` runs at load (used by the tests).
 */
import {
  analysisFigures,
  analysisJson,
  analysisSummaryHtml,
  analyzeGrsd,
  createGpuContext,
  figureSource,
  GrsdError,
  loadVega,
  REPORT_STYLE,
  toCsv,
  type CheckpointResult,
  type Figure,
  type GpuContext,
  type GrsdAnalysis,
  type SeriesResult,
} from 'grsd';
import { checkpointSchedule, DEMO_CONFIG, type DepthStudyConfig } from 'grsd/lab';
import { runOnCpu, runOnGpu } from './train.ts';

type Backend = 'gpu' | 'cpu';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const style = document.createElement('style');
style.textContent = REPORT_STYLE;
document.head.prepend(style);

const params = new URLSearchParams(location.search);
const FIELDS = ['architecture', 'depth', 'width', 'points', 'steps', 'checkpoints', 'lr', 'seed', 'backend'];
for (const id of FIELDS) {
  const v = params.get(id);
  if (v !== null) $<HTMLInputElement>(id).value = v;
}

const status = $('status');
const results = $('results');

/** Marks the run's outcome for tests and readers. */
function finish(outcome: 'ok' | 'stopped' | 'error', payload: Record<string, unknown>): void {
  results.textContent = JSON.stringify(payload);
  results.dataset.done = outcome;
}

function fail(message: string): void {
  $('message').textContent = message;
  status.textContent = 'failed';
  finish('error', { error: message });
}

/** Without WebGPU: say so plainly, and offer the float64 CPU backend with small defaults. */
function noWebGpu(reason: string): void {
  $('adapter').textContent = 'WebGPU: not available in this browser — the CPU backend is selected.';
  $('no-webgpu-reason').textContent = reason;
  $('no-webgpu').hidden = false;
  const gpu = $<HTMLSelectElement>('backend').querySelector<HTMLOptionElement>('option[value="gpu"]')!;
  gpu.disabled = true;
  $<HTMLSelectElement>('backend').value = 'cpu';
  // Small defaults unless the URL set them: float64 in JavaScript is far slower than a GPU.
  const small: Record<string, string> = { depth: '3', width: '16', points: '32', steps: '120', checkpoints: '8' };
  for (const [id, v] of Object.entries(small)) if (params.get(id) === null) $<HTMLInputElement>(id).value = v;
}

async function acquire(): Promise<GpuContext | null> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    noWebGpu(
      'This browser exposes no navigator.gpu. WebGPU needs Chrome/Edge 113+, Firefox 141+ or Safari 26+, served over https or from localhost (headless Chromium: --enable-unsafe-webgpu).',
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
    noWebGpu(`No WebGPU device could be created: ${e instanceof GrsdError ? e.message : String(e)}`);
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
    checkpointEvery: Math.max(1, Math.round(num('steps') / Math.max(1, num('checkpoints') - 1))),
    checkpointGrowth: 1, // uniform: the page asks for a checkpoint count, not the demo's geometric schedule
    seeds: 1,
    learningRate: num('lr'),
    seed: num('seed'),
    permutations: 200,
  };
}

// ── figures ──────────────────────────────────────────────────────────────────────────────────

type View = import('vega').View;
const views = new Map<string, { view: View; figure: Figure }>();
let latestJson: Record<string, unknown> | null = null;
let drawing: Promise<void> | null = null;
let pending: Figure[] | null = null;

function figureBox(f: Figure): HTMLElement {
  let box = document.getElementById(`fig-${f.id}`);
  if (!box) {
    box = document.createElement('figure');
    box.id = `fig-${f.id}`;
    box.dataset.figure = f.id;
    box.innerHTML = `<div class="plot"></div><figcaption></figcaption><p class="downloads">Export: ${['svg', 'png', 'csv', 'json']
      .map((k) => `<button type="button" data-export="${k}">${k.toUpperCase()}</button>`)
      .join(' ')}</p>`;
  }
  $('figures').append(box);
  return box;
}

async function drawNow(figures: Figure[]): Promise<void> {
  const [vega, vl] = await loadVega();
  for (const f of figures) {
    const box = figureBox(f);
    box.querySelector('figcaption')!.textContent = f.caption;
    const holder = document.createElement('div');
    const view = new vega.View(vega.parse(vl.compile(f.spec).spec), { renderer: 'svg', container: holder, hover: true });
    await view.runAsync();
    box.querySelector('.plot')!.replaceChildren(holder);
    views.get(f.id)?.view.finalize();
    views.set(f.id, { view, figure: f });
  }
  const ids = new Set(figures.map((f) => f.id));
  for (const box of [...$('figures').children] as HTMLElement[]) if (!ids.has(box.dataset.figure!)) box.remove();
}

/** Draws the latest figures; while a draw is in progress, only the newest request waits. */
function draw(figures: Figure[]): Promise<void> {
  pending = figures;
  drawing ??= (async () => {
    while (pending) {
      const next = pending;
      pending = null;
      await drawNow(next);
    }
    drawing = null;
  })();
  return drawing;
}

function figuresOf(series: SeriesResult, backend: Record<string, unknown>, analysis?: GrsdAnalysis): Figure[] {
  latestJson = analysisJson(series, backend, { ...(analysis ?? {}), timeUnit: 'steps' });
  return analysisFigures(figureSource(latestJson));
}

function save(name: string, href: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}
function saveText(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  save(name, url);
  setTimeout(() => URL.revokeObjectURL(url), 2000);
}

$('figures').addEventListener('click', async (event) => {
  const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-export]');
  if (!button) return;
  const id = button.closest<HTMLElement>('figure')!.dataset.figure!;
  const entry = views.get(id);
  if (!entry) return;
  const kind = button.dataset.export;
  if (kind === 'svg') saveText(`${id}.svg`, 'image/svg+xml', await entry.view.toSVG());
  else if (kind === 'png') save(`${id}.png`, await entry.view.toImageURL('png', 2));
  else if (kind === 'csv') saveText(`${id}.csv`, 'text/csv', toCsv(entry.figure.rows));
  else saveText(`${id}.json`, 'application/json', JSON.stringify(entry.figure.rows, null, 1));
});
$('download-analysis').addEventListener('click', () => {
  if (latestJson) saveText('analysis.json', 'application/json', JSON.stringify(latestJson));
});

// ── ETA ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Remaining time from the checkpoints so far: the wall time between checkpoints is fitted as
 * a·(steps between them) + b (least squares; b is the cost of a checkpoint), then
 * ETA = a·(steps left) + b·(checkpoints left).
 */
class Eta {
  readonly #points: { ms: number; step: number }[] = [];
  constructor(
    readonly steps: number,
    readonly checkpoints: number,
  ) {}
  add(ms: number, step: number): void {
    this.#points.push({ ms, step });
  }
  seconds(): number | null {
    const p = this.#points;
    if (p.length < 2) return null;
    const d = p.slice(1).map((q, i) => ({ s: q.step - p[i]!.step, t: q.ms - p[i]!.ms }));
    let a: number;
    let b: number;
    if (d.length >= 2) {
      const ms = d.reduce((s, v) => s + v.s, 0) / d.length;
      const mt = d.reduce((s, v) => s + v.t, 0) / d.length;
      const sxx = d.reduce((s, v) => s + (v.s - ms) ** 2, 0);
      a = sxx > 0 ? d.reduce((s, v) => s + (v.s - ms) * (v.t - mt), 0) / sxx : mt / Math.max(ms, 1);
      a = Math.max(0, a);
      b = Math.max(0, mt - a * ms);
    } else {
      a = d[0]!.t / Math.max(d[0]!.s, 1);
      b = 0;
    }
    const last = p.at(-1)!;
    return (a * (this.steps - last.step) + b * (this.checkpoints - p.length)) / 1000;
  }
}

// ── a run ────────────────────────────────────────────────────────────────────────────────────

let stopRequested = false;

async function run(ctx: GpuContext | null, backend: Backend, config: DepthStudyConfig): Promise<void> {
  const description =
    backend === 'gpu' && ctx
      ? {
          kind: 'gpu',
          route: 'navigator.gpu',
          adapter: ctx.adapter.description || ctx.adapter.device,
          mode: ctx.adapter.mode,
          precision: 'float32',
        }
      : { kind: 'cpu', precision: 'float64' };
  const started = performance.now();
  const eta = new Eta(config.steps, checkpointSchedule(config.steps, config.checkpointEvery, config.checkpointGrowth).length);
  let count = 0;
  stopRequested = false;
  $('summary').replaceChildren();
  $('message').textContent = '';
  const hooks = {
    stopped: () => stopRequested,
    onCheckpoint: (series: SeriesResult, cp: CheckpointResult) => {
      eta.add(performance.now() - started, cp.t);
      const left = eta.seconds();
      status.textContent = `checkpoint ${++count} at step ${cp.t}: loss ${cp.loss.toExponential(3)}`;
      $('eta').textContent =
        left === null
          ? 'ETA: after two checkpoints'
          : `ETA ≈ ${left < 1 ? '<1' : left.toFixed(0)} s (estimated from the checkpoints so far)`;
      void draw(figuresOf(series, description));
    },
  };
  status.textContent = backend === 'gpu' ? 'training on the GPU…' : 'training on the CPU (float64)…';
  const out = backend === 'gpu' && ctx ? await runOnGpu(ctx, config, hooks) : await runOnCpu(config, hooks);
  const series = out.series;
  if (!series) {
    status.textContent = 'stopped before the first checkpoint';
    $('eta').textContent = '';
    finish('stopped', { checkpoints: [] });
    return;
  }
  status.textContent = 'analysing…';
  const analysis: GrsdAnalysis = analyzeGrsd(series, {
    model: out.layerGains && out.layerGains.length >= 2 ? { layerGains: out.layerGains } : {},
    lsi: { permutations: config.permutations ?? 200, seed: config.seed },
  });
  await draw(figuresOf(series, description, analysis));
  $('summary').innerHTML = analysisSummaryHtml(figureSource(latestJson!), 2);
  const seconds = (performance.now() - started) / 1000;
  status.textContent = out.stopped
    ? `stopped after ${series.checkpoints.length} checkpoints (${seconds.toFixed(1)} s); the figures show the run so far`
    : `done: ${out.steps} steps, ${series.checkpoints.length} checkpoints in ${seconds.toFixed(1)} s`;
  $('eta').textContent = '';
  finish(out.stopped ? 'stopped' : 'ok', {
    backend,
    adapter: ctx?.adapter ?? null,
    finalLoss: out.finalLoss,
    checkpoints: series.checkpoints.map((c) => ({ t: c.t, loss: c.loss, energy: Array.from(c.energy) })),
    xi: analysis.fits.lossExponent.ok ? analysis.fits.lossExponent.xi : null,
    epsilonLSI: analysis.theory.lsi?.epsilon ?? null,
    verdicts: Object.fromEntries(Object.entries(analysis.conditions).map(([n, c]) => [n, c.verdict])),
    grid: series.grid.toJSON(),
    figures: [...views.keys()],
  });
}

const ctx = await acquire();
let busy = false;
$('controls').addEventListener('submit', (event) => {
  event.preventDefault();
  if (busy) return;
  busy = true;
  delete results.dataset.done;
  $<HTMLButtonElement>('run').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  const backend = $<HTMLSelectElement>('backend').value as Backend;
  run(ctx, backend === 'gpu' && ctx ? 'gpu' : 'cpu', readConfig())
    .catch((e: unknown) => fail(e instanceof GrsdError ? e.message : String(e)))
    .finally(() => {
      busy = false;
      $<HTMLButtonElement>('run').disabled = false;
      $<HTMLButtonElement>('stop').disabled = true;
    });
});
$('stop').addEventListener('click', () => {
  stopRequested = true;
  status.textContent = 'stopping at the next checkpoint…';
});
if (params.get('auto') === '1') $<HTMLFormElement>('controls').requestSubmit();
