/**
 * Headless Chromium harness: bundles a page script with esbuild (as a user's bundler would,
 * platform "browser", so any Node built-in reachable from it fails the build), serves it on
 * 127.0.0.1, and drives Debian's chromium through playwright-core with WebGPU on SwiftShader.
 * Console errors and page errors are collected so tests can assert there were none.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.GRSD_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');

/** Flags that give headless Chromium WebGPU on SwiftShader without network chatter. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface PageRun {
  page: Page;
  consoleErrors: string[];
  url: string;
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json', '.css': 'text/css' };

/** Serves `dir` on 127.0.0.1 (random port). */
export async function serveDirectory(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/+/, '') || 'index.html');
    const file = existsSync(path) && !path.endsWith('/') ? path : join(path, 'index.html');
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no server address');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

/** Bundles `entry` for the browser into a temp dir with an index.html that loads it. */
export async function bundlePage(entry: string, title: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'grsd-page-'));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(dir, 'bundle.js'),
    sourcemap: true,
    logLevel: 'silent',
  });
  if (result.warnings.length) throw new Error(`esbuild warnings: ${JSON.stringify(result.warnings)}`);
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title></head><body><h1>${title}</h1><pre id="status">running…</pre><script type="module" src="./bundle.js"></script></body></html>`,
  );
  return dir;
}

/** Launches Chromium, opens `url`, runs `fn`, and cleans up. */
export async function withChromium<T>(url: string, fn: (run: PageRun) => Promise<T>): Promise<T> {
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await page.goto(url);
    return await fn({ page, consoleErrors, url });
  } finally {
    await browser?.close();
  }
}

/** Saves a screenshot of `page` under test-artifacts/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
