/**
 * A run directory analysed while a training script writes it (`grsd serve RUN`): the manifest is
 * polled; each checkpoint it lists is loaded once its files exist and have stopped changing, and
 * pushed through the same streaming pipeline as `grsd analyze` (GrsdSeries); after new checkpoints
 * the analysis document of the run so far is recomputed. A file or manifest caught mid-write
 * (missing, growing, truncated, invalid JSON) is waited for — re-tried only after it changes —
 * and never stops the watch; a rewritten manifest whose earlier entries changed restarts the
 * analysis from the first checkpoint. Everything is reported through {@link LiveRunState.status}.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { seriesCoverage, type GrsdSeries, type SeriesResult } from '../analysis/series.ts';
import type { CheckpointData } from '../analysis/checkpointData.ts';
import { GrsdError } from '../errors.ts';
import { parseManifest, type ManifestCheckpoint, type RunManifest } from '../io/manifest.ts';
import { loadCheckpoint, type RunReadOptions } from './run.ts';

/** Where the watch stands. */
export interface LiveRunStatus {
  /** waiting: for a manifest, a file or more checkpoints; analysing: pushing checkpoints; error: a fault that needs the user. */
  readonly phase: 'waiting' | 'analysing' | 'up to date' | 'error';
  readonly message: string;
  /** Checkpoints analysed so far. */
  readonly analysed: number;
  /** Checkpoints the manifest lists. */
  readonly listed: number;
}

/** The state a view shows: the analysis document of the run so far (null before the first checkpoint). */
export interface LiveRunState {
  /** Increases with every new document. */
  readonly version: number;
  readonly status: LiveRunStatus;
  readonly document: Record<string, unknown> | null;
}

/**
 * The whole-run shell grid of `grsd analyze`: each checkpoint's bound on λ_max, and whether two
 * run bounds give the same grid. With it, the live series is built for the largest bound so far
 * and analysed again from the first checkpoint when a larger one changes the grid — so the
 * analysis of the run so far is always what `grsd analyze` would say on it.
 */
export interface LiveRunGrid {
  bound(data: CheckpointData, manifest: RunManifest): Promise<number>;
  /** Whether run bounds a and b give the same grid for residuals of length n. */
  sameGrid(manifest: RunManifest, a: number, b: number, n: number): boolean;
}

/** Options of {@link LiveRun}. */
export interface LiveRunOptions {
  /**
   * Called with the first checkpoint loaded, before it is analysed (e.g. to choose the backend for
   * the run's n); called again for the next checkpoint when it throws.
   */
  readonly prepare?: (data: CheckpointData, manifest: RunManifest) => Promise<void>;
  /** A new series for a manifest (and the run's λ_max bound when {@link grid} is given), with the options `grsd analyze` would use. */
  readonly createSeries: (manifest: RunManifest, lambdaMax: number | null) => GrsdSeries;
  /** Whole-run grid (omit when the options fix the grid). */
  readonly grid?: LiveRunGrid;
  /** The analysis document (`grsd analyze --json`) of a series result. */
  readonly analyze: (result: SeriesResult, manifest: RunManifest) => Promise<Record<string, unknown>>;
  /** Where the manifest may point (`root`) and read limits, as for `grsd analyze`. */
  readonly read?: RunReadOptions;
  /** Poll interval in milliseconds (default 400). */
  readonly pollMs?: number;
  /** A file is read once its size and mtime are unchanged over one poll or it is older than this (ms, default 1000). */
  readonly settleMs?: number;
}

/** The manifest fields that, when changed, invalidate every checkpoint analysed. */
const header = (m: RunManifest): string => JSON.stringify([m.timeScale, m.probePoints ?? null, m.timeUnit ?? null]);
const entryKey = (e: ManifestCheckpoint): string => JSON.stringify(e);
const files = (e: ManifestCheckpoint): string[] => [
  e.residual,
  ...(e.kernel ? [e.kernel] : []),
  ...(e.jacobian ? [e.jacobian] : []),
  ...(e.layers ?? []),
];
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Watches and analyses one run directory. Call {@link start}, then {@link stop} (idempotent). */
export class LiveRun {
  readonly dir: string;
  readonly #options: LiveRunOptions;
  readonly #listeners = new Set<(state: LiveRunState) => void>();
  #state: LiveRunState = { version: 0, status: { phase: 'waiting', message: 'starting', analysed: 0, listed: 0 }, document: null };
  #series: GrsdSeries | null = null;
  #manifest: RunManifest | null = null;
  /** Manifest entries analysed, as JSON keys. */
  #done: string[] = [];
  /** The run's λ_max bound over the analysed checkpoints, and the one the series was built for. */
  #lambdaMax = 0;
  #seriesLambdaMax = 0;
  /** Per pending entry key: the file signature seen at the previous poll, and the one at which loading failed (with why). */
  #seen = new Map<string, string>();
  #failed = new Map<string, { signature: string; why: string; phase: 'waiting' | 'error' }>();
  #lastManifestText = '';
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  /** Whether {@link LiveRunOptions.prepare} has run (once per watch, restarts included). */
  #prepared = false;

  constructor(dir: string, options: LiveRunOptions) {
    this.dir = dir;
    this.#options = options;
  }

  get state(): LiveRunState {
    return this.#state;
  }

  /** Subscribes to state changes (status or document); returns the unsubscribe function. */
  subscribe(listener: (state: LiveRunState) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Starts polling (the first poll runs at once). */
  start(): void {
    if (this.#stopped || this.#timer || this.#running) return;
    const tick = async () => {
      this.#running = this.poll().catch((error: unknown) => this.#status('error', `unexpected: ${message(error)}`));
      await this.#running;
      this.#running = null;
      if (!this.#stopped) this.#timer = setTimeout(tick, this.#options.pollMs ?? 400);
    };
    void tick();
  }

  /** Stops polling, waits for a poll in progress, and releases the series. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
    this.#series?.dispose();
    this.#series = null;
  }

  #emit(state: LiveRunState): void {
    this.#state = state;
    for (const l of this.#listeners) l(state);
  }

  #status(phase: LiveRunStatus['phase'], text: string): void {
    const s = this.#state.status;
    const listed = this.#manifest?.checkpoints.length ?? 0;
    if (s.phase === phase && s.message === text && s.analysed === this.#done.length && s.listed === listed) return;
    this.#emit({ ...this.#state, status: { phase, message: text, analysed: this.#done.length, listed } });
  }

  /** One poll: read the manifest, push every ready checkpoint, recompute the document. Exposed for tests. */
  async poll(): Promise<void> {
    const manifest = await this.#readManifest();
    if (!manifest) return;
    if (this.#manifest && header(manifest) !== header(this.#manifest))
      this.#restart('the manifest’s timeScale, probePoints or timeUnit changed');
    else if (this.#done.some((key, i) => manifest.checkpoints[i] === undefined || entryKey(manifest.checkpoints[i]!) !== key))
      this.#restart('the manifest was rewritten with different earlier checkpoints');
    this.#manifest = manifest;
    let pushed = 0;
    let lastDocument = Date.now();
    const first = this.#done.length;
    const readiness = await this.#readiness(manifest.checkpoints.slice(first), first);
    for (let i = first; i < manifest.checkpoints.length && !this.#stopped; i++) {
      const entry = manifest.checkpoints[i]!;
      const ready = readiness[i - first]!;
      if (ready !== true) {
        this.#status(ready.phase, ready.why);
        break;
      }
      this.#status('analysing', `analysing checkpoint ${i} (t = ${entry.t})`);
      let data;
      try {
        data = await loadCheckpoint(this.dir, entry, i, this.#options.read ?? {});
      } catch (error) {
        // Not readable yet (or not at all): wait for one of its files to change before trying again.
        const why = `checkpoint ${i}: ${message(error)} — waiting for its files to change`;
        this.#failed.set(entryKey(entry), { signature: await this.#signature(entry), why, phase: 'waiting' });
        this.#status('waiting', why);
        break;
      }
      try {
        await this.#push(manifest, i, data);
      } catch (error) {
        const why = `checkpoint ${i} cannot be analysed: ${message(error)}`;
        this.#failed.set(entryKey(entry), { signature: await this.#signature(entry), why, phase: 'error' });
        this.#status('error', why);
        if (!(error instanceof GrsdError)) throw error;
        break;
      }
      this.#done.push(entryKey(entry));
      this.#seen.delete(entryKey(entry));
      pushed++;
      // A long backlog still shows progress: a new document at most every 2 s while catching up.
      if (Date.now() - lastDocument > 2000) {
        await this.#publish(manifest);
        lastDocument = Date.now();
        pushed = 0;
      }
    }
    if (pushed > 0) await this.#publish(manifest);
    if (
      this.#state.status.phase === 'analysing' ||
      (this.#done.length === manifest.checkpoints.length && this.#state.status.phase !== 'error')
    )
      this.#status('up to date', `${this.#done.length} checkpoints analysed; waiting for more`);
  }

  /**
   * Pushes checkpoint i. With a whole-run grid, its λ_max bound first raises the run's; when that
   * changes the grid, a new series is built for it and checkpoints 0…i−1 are read and pushed again.
   */
  async #push(manifest: RunManifest, i: number, data: CheckpointData): Promise<void> {
    if (!this.#prepared) {
      await this.#options.prepare?.(data, manifest);
      this.#prepared = true;
    }
    const grid = this.#options.grid;
    if (!grid) {
      this.#series ??= this.#options.createSeries(manifest, null);
      await this.#series.push(data);
      return;
    }
    const lambdaMax = Math.max(this.#lambdaMax, await grid.bound(data, manifest));
    if (this.#series && !grid.sameGrid(manifest, this.#seriesLambdaMax, lambdaMax, data.residual.length)) {
      this.#status(
        'analysing',
        `λ_max grew to ${lambdaMax.toPrecision(4)}, which changes the shell grid: analysing checkpoints 0–${i - 1} again`,
      );
      this.#series.dispose();
      this.#series = null;
    }
    if (!this.#series) {
      const series = this.#options.createSeries(manifest, lambdaMax);
      this.#series = series;
      this.#seriesLambdaMax = lambdaMax;
      for (let j = 0; j < i; j++) await series.push(await loadCheckpoint(this.dir, manifest.checkpoints[j]!, j, this.#options.read ?? {}));
    }
    await this.#series.push(data);
    this.#lambdaMax = lambdaMax;
  }

  /** The series result as `grsd analyze` reports it: the coverage states the run's λ_max bound so far. */
  #result(): SeriesResult {
    const result = this.#series!.result();
    if (!this.#options.grid || this.#lambdaMax === this.#seriesLambdaMax) return result;
    return {
      ...result,
      coverage: seriesCoverage(result.grid, { lambdaMax: this.#lambdaMax, fromFirstCheckpoint: false }, result.checkpoints),
    };
  }

  async #publish(manifest: RunManifest): Promise<void> {
    if (!this.#series || this.#done.length === 0) return;
    try {
      const document = await this.#options.analyze(this.#result(), manifest);
      this.#emit({ version: this.#state.version + 1, status: this.#state.status, document });
    } catch (error) {
      this.#status('error', `the analysis of ${this.#done.length} checkpoints failed: ${message(error)}`);
    }
  }

  #restart(reason: string): void {
    this.#series?.dispose();
    this.#series = null;
    this.#lambdaMax = 0;
    this.#seriesLambdaMax = 0;
    this.#done = [];
    this.#seen.clear();
    this.#failed.clear();
    this.#status('analysing', `${reason}: analysing again from the first checkpoint`);
  }

  /** The manifest, or null (with a waiting status) when it is missing or mid-write. */
  async #readManifest(): Promise<RunManifest | null> {
    const file = join(this.dir, 'manifest.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.#status('waiting', code === 'ENOENT' ? `waiting for ${file}` : `cannot read ${file}: ${message(error)}`);
      return null;
    }
    if (text === this.#lastManifestText && this.#manifest) return this.#manifest;
    try {
      const manifest = parseManifest(JSON.parse(text), file);
      this.#lastManifestText = text;
      return manifest;
    } catch (error) {
      // Mid-write (truncated JSON) or invalid: keep what was analysed, try again at the next poll.
      this.#status('waiting', `${file} is being written or is invalid (${message(error)}); using it once it parses`);
      return null;
    }
  }

  /** size:mtime of each file of an entry ("missing" for absent ones). */
  async #signature(entry: ManifestCheckpoint): Promise<string> {
    const parts = await Promise.all(
      files(entry).map((f) =>
        stat(join(this.dir, f)).then(
          (s) => `${s.size}:${s.mtimeMs}`,
          () => 'missing',
        ),
      ),
    );
    return parts.join('|');
  }

  /**
   * Looks at the files of every pending entry (so that all of them settle over the same poll):
   * per entry, true when its files exist and have settled, else why not.
   */
  async #readiness(entries: readonly ManifestCheckpoint[], first: number): Promise<(true | { phase: 'waiting' | 'error'; why: string })[]> {
    const settle = this.#options.settleMs ?? 1000;
    return Promise.all(
      entries.map(async (entry, k) => {
        const index = first + k;
        const key = entryKey(entry);
        const signature = await this.#signature(entry);
        const previous = this.#seen.get(key);
        this.#seen.set(key, signature);
        if (signature.includes('missing')) {
          const missing = files(entry).filter((_, i) => signature.split('|')[i] === 'missing');
          return { phase: 'waiting' as const, why: `checkpoint ${index}: waiting for ${missing.join(', ')}` };
        }
        const failed = this.#failed.get(key);
        if (failed?.signature === signature) return failed;
        const newest = Math.max(...signature.split('|').map((s) => Number(s.split(':')[1])));
        if (previous !== signature && Date.now() - newest < settle)
          return { phase: 'waiting' as const, why: `checkpoint ${index}: its files are still being written` };
        return true as const;
      }),
    );
  }
}
