/**
 * The page of `grsd serve`: the run header, verdicts, exponents and warnings (HTML made by the
 * server from the shared report code) and the shared figures drawn with the Vega runtime the
 * server also serves (no CDN, no network beyond the server). It catches up from `api/state` on
 * load (reload-safe) and on every server-sent event from `api/events`; each figure exports SVG,
 * PNG, CSV and JSON. Browser-safe string only.
 * @module
 */
import { escapeHtml, REPORT_STYLE } from './report.ts';

/** Client script: state polling on events, figure rendering with vega.View, exports. */
const SCRIPT = String.raw`(() => {
  const $ = (id) => document.getElementById(id);
  const views = new Map();
  let shown = -1, busy = false, again = false, connected = false;
  const csv = (rows) => {
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const q = (v) => v === null || v === undefined ? '' : /[",\r\n]/.test(String(v)) ? '"' + String(v).replace(/"/g, '""') + '"' : String(v);
    return [cols.map(q).join(','), ...rows.map((r) => cols.map((c) => q(r[c])).join(','))].join('\r\n') + '\r\n';
  };
  const save = (name, href) => {
    const a = document.createElement('a');
    a.href = href;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
  };
  const saveText = (name, type, text) => {
    const url = URL.createObjectURL(new Blob([text], { type }));
    save(name, url);
    setTimeout(() => URL.revokeObjectURL(url), 2000);
  };
  const showStatus = (s) => {
    const st = $('status');
    st.dataset.phase = s.status.phase;
    st.dataset.checkpoints = String(s.status.analysed);
    st.dataset.version = String(s.version);
    st.className = 'status ' + s.status.phase.replace(/ /g, '-');
    st.textContent = s.status.phase + ': ' + s.status.message + (s.live ? '' : '');
    $('updated').textContent = s.updated ? 'last analysis ' + new Date(s.updated).toLocaleTimeString() : '';
  };
  const figureBox = (f) => {
    let box = $('fig-' + f.id);
    if (!box) {
      box = document.createElement('figure');
      box.id = 'fig-' + f.id;
      box.dataset.figure = f.id;
      box.innerHTML = '<div class="plot"></div><figcaption></figcaption><p class="downloads">Export: ' +
        ['svg', 'png', 'csv', 'json'].map((k) => '<button type="button" data-export="' + k + '">' + k.toUpperCase() + '</button>').join(' ') + '</p>';
      $('figures').append(box);
    }
    return box;
  };
  const refresh = async () => {
    const response = await fetch('api/state', { cache: 'no-store' });
    if (!response.ok) throw new Error('api/state: ' + response.status);
    const s = await response.json();
    showStatus(s);
    if (s.version === shown) return;
    $('summary').innerHTML = s.summaryHtml;
    const ids = new Set(s.figures.map((f) => f.id));
    for (const f of s.figures) {
      const box = figureBox(f);
      $('figures').append(box); // keep the server's order
      box.querySelector('figcaption').textContent = f.caption;
      const holder = document.createElement('div');
      const view = new vega.View(vega.parse(f.vega), { renderer: 'svg', container: holder, hover: true });
      await view.runAsync();
      box.querySelector('.plot').replaceChildren(holder);
      views.get(f.id)?.view.finalize();
      views.set(f.id, { view, rows: f.rows });
    }
    for (const box of [...$('figures').children]) if (!ids.has(box.dataset.figure)) { views.get(box.dataset.figure)?.view.finalize(); views.delete(box.dataset.figure); box.remove(); }
    $('empty').hidden = s.figures.length > 0;
    shown = s.version;
    document.body.dataset.version = String(s.version);
  };
  const schedule = () => {
    if (busy) { again = true; return; }
    busy = true;
    refresh().catch((e) => { $('status').textContent = 'cannot reach the server (' + e.message + ')'; $('status').className = 'status error'; })
      .finally(() => { busy = false; if (again) { again = false; schedule(); } });
  };
  $('figures').addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-export]');
    if (!button) return;
    const id = button.closest('figure').dataset.figure;
    const entry = views.get(id);
    if (!entry) return;
    const kind = button.dataset.export;
    if (kind === 'svg') saveText(id + '.svg', 'image/svg+xml', await entry.view.toSVG());
    else if (kind === 'png') save(id + '.png', await entry.view.toImageURL('png', 2));
    else if (kind === 'csv') saveText(id + '.csv', 'text/csv', csv(entry.rows));
    else saveText(id + '.json', 'application/json', JSON.stringify(entry.rows, null, 1));
  });
  const events = new EventSource('api/events');
  events.onopen = () => { connected = true; $('connection').textContent = 'live'; $('connection').className = 'connection on'; schedule(); };
  events.onmessage = schedule;
  events.onerror = () => { if (connected) { $('connection').textContent = 'disconnected: the server stopped or restarted (retrying)'; $('connection').className = 'connection off'; } connected = false; };
  schedule();
})();`;

/** The `grsd serve` page. `title` names the run. */
export function livePageHtml(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${REPORT_STYLE}
body{max-width:1520px}#figures{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}#figures figure{flex:0 0 auto;margin:0;max-width:100%}#figures figcaption{max-width:640px}.status{font-family:ui-monospace,monospace;padding:0.3em 0.6em;border-left:4px solid #57606a;background:#f6f8fa}
.status.up-to-date{border-color:#1a7f37}.status.analysing{border-color:#0969da}.status.waiting{border-color:#9a6700}.status.error{border-color:#cf222e;color:#cf222e}
.connection{font-size:0.85em}.connection.on{color:#1a7f37}.connection.off{color:#cf222e}.downloads button{font-size:0.85em;margin-right:0.3em}
header p{margin:0.3em 0}</style>
<script src="assets/vega.min.js"></script></head><body>
<header><h1>${escapeHtml(title)}</h1>
<p><span id="connection" class="connection">connecting…</span> · <span id="updated"></span> · <a href="api/analysis.json" download="analysis.json">analysis so far (JSON)</a></p>
<p id="status" class="status" data-checkpoints="0">loading…</p></header>
<section id="summary"></section>
<h2>Figures</h2>
<p id="empty" class="note">No checkpoint analysed yet: the figures appear with the first one.</p>
<div id="figures"></div>
<script>${SCRIPT}</script>
</body></html>
`;
}
