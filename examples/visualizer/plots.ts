/** Minimal canvas-2D plots for the visualizer: heatmaps, lines and scatter with log axes. */

export interface Series {
  readonly label: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly points?: boolean;
  readonly dashed?: boolean;
}

const PALETTE = ['#0969da', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#1b7c83', '#57606a'];
const M = { left: 56, right: 12, top: 12, bottom: 36 };

/** Viridis-like colour for t ∈ [0, 1]. */
export function viridis(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i]!.map((v, k) => Math.round(v + f * (stops[i + 1]![k]! - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Blue–white–red for t ∈ [−1, 1]. */
export function diverging(t: number): string {
  const v = Math.min(1, Math.max(-1, t));
  const a = Math.round(255 * (1 - Math.abs(v)));
  return v >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
}

function clear(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const g = canvas.getContext('2d')!;
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.font = '11px sans-serif';
  g.fillStyle = '#1f2328';
  return g;
}

/** A heatmap of `cells[col][row]` (row 0 at the bottom), values mapped by `colour`. */
export function heatmap(
  canvas: HTMLCanvasElement,
  cells: readonly (readonly number[])[],
  colour: (v: number) => string,
  labels: { x: string; y: string; rowLabels?: readonly string[] },
): void {
  const g = clear(canvas);
  const w = canvas.width - M.left - M.right;
  const h = canvas.height - M.top - M.bottom;
  const cols = cells.length;
  const rows = cells[0]?.length ?? 0;
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      g.fillStyle = colour(cells[c]![r]!);
      g.fillRect(M.left + (c * w) / cols, M.top + h - ((r + 1) * h) / rows, Math.ceil(w / cols), Math.ceil(h / rows));
    }
  }
  g.fillStyle = '#1f2328';
  g.fillText(labels.x, M.left + w / 2 - 30, canvas.height - 6);
  const step = Math.max(1, Math.ceil(rows / 8));
  labels.rowLabels?.forEach((l, r) => {
    if (r % step === 0) g.fillText(l, 2, M.top + h - ((r + 0.5) * h) / rows + 4);
  });
}

function scale(lo: number, hi: number, log: boolean) {
  const f = (v: number) => (log ? Math.log10(v) : v);
  const a = f(lo);
  const b = f(hi) === a ? a + 1 : f(hi);
  return { map: (v: number) => (f(v) - a) / (b - a), lo, hi };
}

/** Lines/points with optional log x and log or symlog y. */
export function lines(
  canvas: HTMLCanvasElement,
  series: readonly Series[],
  opts: { logX?: boolean; y?: 'linear' | 'log' | 'symlog'; xLabel: string; yLabel: string },
): void {
  const g = clear(canvas);
  const w = canvas.width - M.left - M.right;
  const h = canvas.height - M.top - M.bottom;
  const ymode = opts.y ?? 'linear';
  // symlog: linear within ±1e-3·max|y|, logarithmic beyond.
  const maxAbs = Math.max(1e-300, ...series.flatMap((s) => s.y.map(Math.abs)));
  const linear = 1e-3 * maxAbs;
  const ty = (v: number) => (ymode === 'symlog' ? Math.sign(v) * Math.log10(1 + Math.abs(v) / linear) : v);
  const xs = series.flatMap((s) => s.x).filter((v) => !opts.logX || v > 0);
  const ys = series.flatMap((s) => s.y.map(ty)).filter((v) => ymode !== 'log' || v > 0);
  if (!xs.length || !ys.length) {
    g.fillText('no data', M.left + w / 2 - 20, M.top + h / 2);
    return;
  }
  const sx = scale(Math.min(...xs), Math.max(...xs), !!opts.logX);
  const sy = scale(Math.min(...ys), Math.max(...ys), ymode === 'log');
  g.strokeStyle = '#d0d7de';
  g.strokeRect(M.left, M.top, w, h);
  series.forEach((s, k) => {
    g.strokeStyle = g.fillStyle = PALETTE[k % PALETTE.length]!;
    g.setLineDash(s.dashed ? [5, 4] : []);
    g.beginPath();
    s.x.forEach((x, i) => {
      const y = ty(s.y[i]!);
      if ((opts.logX && x <= 0) || (ymode === 'log' && y <= 0)) return;
      const px = M.left + sx.map(x) * w;
      const py = M.top + h - sy.map(y) * h;
      if (i === 0) g.moveTo(px, py);
      else g.lineTo(px, py);
      if (s.points) g.fillRect(px - 2, py - 2, 4, 4);
    });
    if (!s.points || s.dashed) g.stroke();
    g.fillText(s.label, M.left + 6, M.top + 12 + 12 * k);
  });
  g.setLineDash([]);
  g.fillStyle = '#1f2328';
  g.fillText(`${opts.xLabel}  [${sx.lo.toPrecision(2)} … ${sx.hi.toPrecision(2)}]${opts.logX ? ' log' : ''}`, M.left, canvas.height - 6);
  g.save();
  g.translate(12, M.top + h / 2 + 40);
  g.rotate(-Math.PI / 2);
  g.fillText(`${opts.yLabel} (${ymode})`, 0, 0);
  g.restore();
}
