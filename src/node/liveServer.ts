/**
 * The local web server of `grsd serve` (node:http, no framework): the live page, the Vega runtime
 * from the installed `vega` package (no CDN), the page state (`api/state`: status, summary HTML,
 * compiled figures with their data), the analysis so far (`api/analysis.json`) and server-sent
 * events (`api/events`) at every change. Binds 127.0.0.1 unless told otherwise; requests whose
 * Host header is not this server's address are refused (DNS-rebinding defence); GET/HEAD only.
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { FileReadError, InvalidArgumentError, MissingDependencyError } from '../errors.ts';
import { analysisFigures, compileSpec, figureSource } from '../io/figures/index.ts';
import { livePageHtml } from '../io/livePage.ts';
import { analysisSummaryHtml } from '../io/report.ts';
import type { LiveRunState, LiveRunStatus } from './liveRun.ts';

/** What the server shows: a state and its changes (a {@link LiveRun}, or a finished analysis). */
export interface LiveSource {
  readonly state: LiveRunState;
  subscribe(listener: (state: LiveRunState) => void): () => void;
}

/** A source that never changes: a finished analysis (`grsd serve ANALYSIS.json`). */
export function staticSource(document: Record<string, unknown>, message: string): LiveSource {
  const state: LiveRunState = {
    version: 1,
    status: {
      phase: 'up to date',
      message,
      analysed: (document.checkpoints as unknown[]).length,
      listed: (document.checkpoints as unknown[]).length,
    },
    document,
  };
  return { state, subscribe: () => () => {} };
}

/** Options of {@link startLiveServer}. */
export interface LiveServerOptions {
  /** Page title. */
  readonly title: string;
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 6070; 0 picks a free one). */
  readonly port?: number;
}

/** A running server. */
export interface LiveServer {
  /** http://host:port/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops accepting, ends the event streams, and resolves when every connection is closed. */
  close(): Promise<void>;
}

/** The page state sent to the page (`api/state`). */
interface PageState {
  readonly version: number;
  readonly status: LiveRunStatus;
  readonly updated: string | null;
  readonly summaryHtml: string;
  readonly figures: { id: string; title: string; caption: string; vega: object; rows: readonly Record<string, unknown>[] }[];
}

/** The path of vega's self-contained browser build in the installed package. */
function vegaBrowserBuild(): string {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve('vega'));
  } catch (error) {
    throw new MissingDependencyError('vega', 'grsd serve (its page draws the figures with vega)', { cause: error });
  }
  // vega's package exports point at build/vega.module.js; the UMD build vega.min.js sits beside it.
  const path = join(dirname(entry), 'vega.min.js');
  if (!existsSync(path)) throw new FileReadError(path, 'the browser build of vega is missing from its package: reinstall vega');
  return path;
}

/** Starts the server on `source`. Rejects with a clear error when the port is taken. */
export async function startLiveServer(source: LiveSource, options: LiveServerOptions): Promise<LiveServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 6070;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('port', `must be an integer in [0, 65535], got ${port}`);
  const page = livePageHtml(options.title);
  let vega: Buffer | null = null;
  const vegaPath = vegaBrowserBuild();
  const cache = new Map<number, Promise<PageState>>();
  let updated: string | null = null;

  const pageState = (state: LiveRunState): Promise<PageState> => {
    const key = state.version;
    const hit = cache.get(key);
    const withStatus = (p: PageState): PageState => ({ ...p, status: state.status });
    if (hit) return hit.then(withStatus);
    const build = (async (): Promise<PageState> => {
      if (!state.document) return { version: state.version, status: state.status, updated, summaryHtml: '', figures: [] };
      const src = figureSource(state.document);
      const figures = await Promise.all(
        analysisFigures(src).map(async (f) => ({
          id: f.id,
          title: f.title,
          caption: f.caption,
          vega: await compileSpec(f.spec),
          rows: f.rows,
        })),
      );
      return { version: state.version, status: state.status, updated, summaryHtml: analysisSummaryHtml(src, 2), figures };
    })();
    cache.clear(); // only the newest state is asked for
    cache.set(key, build);
    return build.then(withStatus);
  };

  const streams = new Set<ServerResponse>();
  const unsubscribe = source.subscribe((state) => {
    if (state.document) updated = new Date().toISOString();
    const data = `data: ${JSON.stringify({ version: state.version, phase: state.status.phase, analysed: state.status.analysed })}\n\n`;
    for (const res of streams) res.write(data);
  });
  const keepAlive = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  let actualPort = port;
  // On a loopback address only this machine's browsers can connect; refusing other Host headers
  // also keeps web pages on other origins from reading the server through DNS rebinding. Bound to
  // another interface on purpose (--host), the server answers whatever name it was reached by.
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(host);
  const allowedHosts = () => new Set([`127.0.0.1:${actualPort}`, `localhost:${actualPort}`, `[::1]:${actualPort}`]);

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, head = false) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(head ? undefined : body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (loopback && !allowedHosts().has(req.headers.host ?? ''))
      return send(res, 403, 'text/plain; charset=utf-8', 'grsd serve: unexpected Host header\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'GET only\n');
    const head = req.method === 'HEAD';
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    switch (path) {
      case '/':
      case '/index.html':
        return send(res, 200, 'text/html; charset=utf-8', page, head);
      case '/assets/vega.min.js':
        vega ??= await readFile(vegaPath);
        return send(res, 200, 'text/javascript; charset=utf-8', vega, head);
      case '/api/state':
        return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(await pageState(source.state)), head);
      case '/api/analysis.json': {
        const doc = source.state.document;
        if (!doc) return send(res, 404, 'application/json; charset=utf-8', '{"error":"no checkpoint analysed yet"}\n', head);
        return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(doc), head);
      }
      case '/api/events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        const s = source.state;
        res.write(`retry: 1000\ndata: ${JSON.stringify({ version: s.version, phase: s.status.phase, analysed: s.status.analysed })}\n\n`);
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `grsd serve: ${(error as Error).message}\n`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(new InvalidArgumentError('port', `${port} is in use on ${host}; choose another with --port (0 picks a free one)`));
      else if (error.code === 'EADDRNOTAVAIL') reject(new InvalidArgumentError('host', `${host} is not an address of this machine`));
      else reject(error);
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address();
  actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${actualPort}/`,
    host,
    port: actualPort,
    close() {
      closed ??= new Promise<void>((resolve) => {
        unsubscribe();
        clearInterval(keepAlive);
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
