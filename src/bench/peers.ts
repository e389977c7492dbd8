/**
 * Peers: other implementations timed in the same run, on the same matrices, to the same accuracy
 * target, so that every grsd figure has a ratio grsd/peer next to it.
 *
 * - Python peers (subprocesses; the matrix is passed as little-endian f32 bytes on stdin, the
 *   start/probe vectors as f64 after it; timing by `time.perf_counter()` inside the process, so
 *   interpreter start-up and the transfer are excluded):
 *   `numpy-eigvalsh` (LAPACK syevd, values only, float64: the same output as grsd),
 *   `numpy-eigh` (the same with eigenvectors, what `np.linalg.eigh` users pay), `scipy-eigsh` (ARPACK, k largest,
 *   `tol` = our tolerance, our start vector), `numpy-slq` (the same CGS2 Lanczos quadrature as
 *   grsd, same probes and steps, float64, probes applied as one matrix product per step).
 * - `ml-matrix`: `EigenvalueDecomposition` (JavaScript; computes eigenvectors too, it cannot skip
 *   them). Loaded lazily; a missing package is reported, not an error.
 * - `grsd-f64`: grsd's own float64 CPU reference (`eigshF64`, `quadratureF64`), small n only.
 *
 * Groups added later build their peers with {@link pythonScriptPeer} (a script starting with
 * {@link PYTHON_PRELUDE}) and {@link hostPeer}.
 *
 * A peer that cannot run (no Python, no numpy/scipy, import or run failure, missing ml-matrix) is
 * reported as `{ skipped: true, reason }`: never a made-up number.
 * @module
 */
import { spawn } from 'node:child_process';
import { denseCpuOperator, eigshF64, quadratureF64 } from '../reference/eigsh.ts';
import { fromSamples, measure, type Measurement } from './harness.ts';

/** One peer's outcome on one benchmark case. */
export interface PeerOutcome {
  /** Peer id, e.g. `"numpy-eigvalsh"`. */
  readonly peer: string;
  /** What exactly was run. */
  readonly description: string;
  /** Present (true) when the peer did not run; {@link reason} says why. */
  readonly skipped?: true;
  readonly reason?: string;
  /** The peer's timing (absent when skipped). */
  readonly time?: Measurement;
  /** grsd's median time divided by the peer's (below 1: grsd faster). */
  readonly ratio?: number;
  /** grsd's fastest sample divided by the peer's: less sensitive to other work on a shared machine. */
  readonly ratioOfMinimums?: number;
  /** Result summary (e.g. the top eigenvalues) and accuracy against the known spectrum. */
  readonly result?: Readonly<Record<string, unknown>> | undefined;
  /** Library versions reported by the peer. */
  readonly versions?: Readonly<Record<string, string>>;
}

/** How peers are run. */
export interface PeerOptions {
  /** Python interpreter. Default `$GRSD_PYTHON`, else `python3`. */
  readonly python?: string;
  /** Run no peers at all (each is reported skipped with this reason). */
  readonly disabledReason?: string;
  /** Kill a Python peer after this many seconds. Default 900. */
  readonly timeoutSeconds?: number;
}

/**
 * Timing policy a peer follows (the same as grsd's figure next to it), except that a peer's
 * warm-up run longer than {@link SLOW_WARMUP_SECONDS} is kept as its first sample: peers compile
 * nothing, so nothing is lost, and an O(n³) peer is not run once for nothing.
 */
export interface PeerTiming {
  readonly warmup: number;
  readonly repeats: number;
  readonly maxSeconds: number;
}

/** See {@link PeerTiming}. */
export const SLOW_WARMUP_SECONDS = 2;

/**
 * The start of every Python peer script: parses the JSON spec (argv[1]) into `spec`, imports numpy
 * as `np` (reporting the peer skipped when it cannot), and defines
 * - `take(count, dtype)`: the next `count` values of numpy dtype `dtype` (e.g. `"<f4"`) from the
 *   payload on stdin (the arrays passed to {@link runPythonScript}, in order);
 * - `timed(f)` → `(samples_ms, last_result)`: the warm-up / repeat / time-limit policy of
 *   {@link PeerTiming}, read from `spec.warmup`, `spec.repeats`, `spec.maxSeconds`;
 * - `finish(samples, result)`: prints the JSON answer (with `versions`, a dict scripts may extend)
 *   and exits; `skip(reason)`: reports the peer skipped and exits.
 */
export const PYTHON_PRELUDE = String.raw`
import sys, json, time, os
spec = json.loads(sys.argv[1])
def _out(obj):
    sys.stdout.write(json.dumps(obj)); sys.stdout.flush(); sys.exit(0)
def skip(reason):
    _out({"skipped": True, "reason": reason})
try:
    import numpy as np
except Exception as e:
    skip("numpy import failed: %s: %s" % (type(e).__name__, e))
versions = {"python": sys.version.split()[0], "numpy": np.__version__}
_payload = None
_offset = 0
def take(count, dtype):
    global _payload, _offset
    if _payload is None:
        _payload = sys.stdin.buffer.read()
    dt = np.dtype(dtype); count = int(count); size = count * dt.itemsize
    if _offset + size > len(_payload):
        raise ValueError("payload too short: %d bytes wanted at offset %d of %d" % (size, _offset, len(_payload)))
    out = np.frombuffer(_payload, dtype=dt, count=count, offset=_offset)
    _offset += size
    return out
_warmed = 0
def timed(f):
    global _warmed
    slow = float(spec.get("slowWarmupSeconds", 2.0)); limit = float(spec["maxSeconds"])
    t_start = time.perf_counter(); result = None; samples = []
    for _ in range(int(spec["warmup"])):
        t0 = time.perf_counter(); result = f(); t = time.perf_counter() - t0
        if t > slow:
            samples.append(t * 1000.0); break
        _warmed += 1
        if time.perf_counter() - t_start > limit: break
    while len(samples) < int(spec["repeats"]):
        t0 = time.perf_counter(); result = f(); samples.append((time.perf_counter() - t0) * 1000.0)
        if time.perf_counter() - t_start > limit: break
    return samples, result
def finish(samples, result):
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default (all cores)"
    _out({"samples": samples, "warmup": _warmed, "result": result, "versions": versions, "blasThreads": threads, "cpuCount": os.cpu_count()})
`;

/** The built-in Python peers (after {@link PYTHON_PRELUDE}): `spec.peer` picks one. */
export const PEER_SCRIPT = `${PYTHON_PRELUDE}
peer = spec["peer"]; n = int(spec["n"])
if peer == "scipy-eigsh":
    try:
        import scipy, scipy.sparse.linalg as sla
        versions["scipy"] = scipy.__version__
    except Exception as e:
        skip("scipy import failed: %s: %s" % (type(e).__name__, e))
a = take(n * n, "<f4").reshape(n, n).astype(np.float64)
def slq(A, Z, m):
    P = Z.shape[0]
    Q = np.zeros((P, m + 1, n)); alpha = np.zeros((P, m)); beta = np.zeros((P, m))
    norms = np.linalg.norm(Z, axis=1)
    Q[:, 0] = Z / norms[:, None]
    for k in range(m):
        W = (A @ Q[:, k].T).T.copy()
        Qk = Q[:, :k + 1]
        al = np.zeros(P)
        for _ in range(2):
            h = np.matmul(Qk, W[:, :, None])[:, :, 0]
            W -= np.matmul(Qk.transpose(0, 2, 1), h[:, :, None])[:, :, 0]
            al += h[:, k]
        alpha[:, k] = al
        b = np.linalg.norm(W, axis=1); beta[:, k] = b
        Q[:, k + 1] = W / np.where(b > 0, b, 1.0)[:, None]
    rules = []
    for p in range(P):
        T = np.diag(alpha[p]) + np.diag(beta[p, :m - 1], 1) + np.diag(beta[p, :m - 1], -1)
        w, V = np.linalg.eigh(T)
        rules.append((w, V[0] ** 2))
    return rules
k = int(spec.get("k", 0))
if peer == "numpy-eigvalsh":
    samples, w = timed(lambda: np.linalg.eigvalsh(a))
    finish(samples, {"top": np.sort(w)[::-1][:k].tolist()})
elif peer == "numpy-eigh":
    samples, wv = timed(lambda: np.linalg.eigh(a))
    finish(samples, {"top": np.sort(wv[0])[::-1][:k].tolist()})
elif peer == "scipy-eigsh":
    v0 = take(n, "<f8").copy()
    samples, w = timed(lambda: sla.eigsh(a, k=k, which="LA", tol=float(spec["tol"]), v0=v0, return_eigenvectors=False))
    finish(samples, {"top": np.sort(w)[::-1].tolist()})
elif peer == "numpy-slq":
    P = int(spec["probes"])
    Z = take(P * n, "<f8").reshape(P, n)
    samples, rules = timed(lambda: slq(a, Z, int(spec["steps"])))
    finish(samples, {"topNodes": [float(r[0][-1]) for r in rules]})
else:
    skip("unknown peer %s" % peer)
`;

/** Specification of one built-in Python peer run. */
export interface PythonPeerSpec extends PeerTiming {
  readonly peer: 'numpy-eigvalsh' | 'numpy-eigh' | 'scipy-eigsh' | 'numpy-slq';
  readonly n: number;
  readonly k?: number;
  readonly tol?: number;
  readonly steps?: number;
  readonly probes?: number;
}

/** What a Python peer returned. */
export type PythonPeerResult =
  | { readonly skipped: true; readonly reason: string }
  | {
      readonly skipped?: undefined;
      readonly samples: number[];
      /** Untimed warm-up runs done. */
      readonly warmup: number;
      readonly result: Record<string, unknown>;
      readonly versions: Record<string, string>;
    };

/** The Python interpreter peers use: `options.python`, else `$GRSD_PYTHON`, else `python3`. */
export function pythonFor(options: PeerOptions = {}): string {
  return options.python ?? process.env.GRSD_PYTHON ?? 'python3';
}

/**
 * Runs a Python peer script (it should start with {@link PYTHON_PRELUDE}) with `spec` as its JSON
 * argument (a {@link PeerTiming} included) and the bytes of `payload` concatenated on stdin. Never
 * throws for a peer failure (no interpreter, import error, crash, timeout, bad output): returns
 * `skipped` with the reason.
 */
export function runPythonScript(
  script: string,
  spec: Readonly<Record<string, unknown>>,
  payload: readonly ArrayBufferView[],
  options: PeerOptions = {},
): Promise<PythonPeerResult> {
  if (options.disabledReason) return Promise.resolve({ skipped: true, reason: options.disabledReason });
  const python = pythonFor(options);
  const name = String(spec.peer ?? 'python peer');
  const timeoutMs = (options.timeoutSeconds ?? 900) * 1000;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: PythonPeerResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let child;
    try {
      child = spawn(python, ['-c', script, JSON.stringify({ slowWarmupSeconds: SLOW_WARMUP_SECONDS, ...spec })], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (error) {
      finish({ skipped: true, reason: `cannot start ${python}: ${(error as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ skipped: true, reason: `${name} timed out after ${timeoutMs / 1000} s` });
    }, timeoutMs);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const how = error.code === 'ENOENT' ? 'not found' : error.message;
      finish({ skipped: true, reason: `Python interpreter "${python}" ${how} (set GRSD_PYTHON or --python)` });
    });
    child.on('close', (code) => {
      const text = Buffer.concat(stdout).toString('utf8');
      if (code !== 0) {
        const tail = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-3).join(' | ');
        finish({ skipped: true, reason: `${name} exited with code ${code}: ${tail || 'no message'}` });
        return;
      }
      try {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        if (parsed.skipped) {
          finish({ skipped: true, reason: String(parsed.reason) });
          return;
        }
        const samples = parsed.samples as number[];
        if (!Array.isArray(samples) || samples.length === 0 || !samples.every((s) => Number.isFinite(s) && s > 0))
          throw new Error('no valid samples');
        const versions = {
          ...(parsed.versions as Record<string, string>),
          blasThreads: String(parsed.blasThreads),
          cpuCount: String(parsed.cpuCount),
        };
        finish({ samples, warmup: Number(parsed.warmup ?? 0), result: (parsed.result ?? {}) as Record<string, unknown>, versions });
      } catch (error) {
        finish({ skipped: true, reason: `${name} printed no valid result (${(error as Error).message}): ${text.slice(0, 200)}` });
      }
    });
    // A peer that exits early (import failure) closes stdin: ignore the broken pipe.
    child.stdin.on('error', () => {});
    for (const view of payload) child.stdin.write(Buffer.from(view.buffer, view.byteOffset, view.byteLength));
    child.stdin.end();
  });
}

/**
 * Runs one built-in Python peer on the f32 matrix `matrix` (n×n) with the f64 vectors `vectors`
 * (start vector or probes) after it on stdin. Never throws for a peer failure: returns `skipped`.
 */
export function runPythonPeer(
  spec: PythonPeerSpec,
  matrix: Float32Array,
  vectors: Float64Array | null,
  options: PeerOptions = {},
): Promise<PythonPeerResult> {
  return runPythonScript(PEER_SCRIPT, { ...spec }, vectors ? [matrix, vectors] : [matrix], options);
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  'numpy-eigvalsh': 'numpy.linalg.eigvalsh: LAPACK syevd, full spectrum, values only, float64',
  'numpy-eigh': 'numpy.linalg.eigh: LAPACK syevd, full spectrum with eigenvectors, float64',
  'scipy-eigsh': 'scipy.sparse.linalg.eigsh: ARPACK, k largest, tol = grsd tolerance, same start vector, float64',
  'numpy-slq': 'numpy SLQ: CGS2 Lanczos quadrature, same probes and steps, float64',
  'ml-matrix': 'ml-matrix EigenvalueDecomposition (JavaScript, float64, computes eigenvectors too)',
  'grsd-f64-eigsh': 'grsd float64 CPU reference eigshF64 (same options)',
  'grsd-f64-slq': 'grsd float64 CPU reference quadratureF64 (same probes and steps)',
  'numpy-transport':
    'numpy transport estimator: the same flow matrix with ⊥ from the same f32 inputs, float64 (BLAS GEMMs, one-hot shell reduction)',
  'numpy-transport-f32': 'numpy transport estimator in float32 (same formulas and inputs)',
  'grsd-f64-transport': 'grsd float64 CPU reference flowMatrixF64 (JavaScript)',
  'numpy-binning': 'numpy shell binning: ln, floor, window and ∅, bincount of c², λc² and counts per spectrum, float64',
  'numpy-pipeline':
    'numpy GRSD core: eigh per checkpoint (LAPACK, float64), top r, amplitudes, binning on the same grid, flow estimator per interval (no fits)',
  'grsd-cpu-pipeline': "grsd float64 CPU backend: analyzeSeries('cpu') with dense eigendecompositions + analyzeGrsd (JavaScript)",
};

/** Ids of the built-in peers (groups added later use their own ids). */
export type PeerId = keyof typeof DESCRIPTIONS;

/** The description of a built-in peer (or the id itself for others). */
export function describePeer(peer: string): string {
  return DESCRIPTIONS[peer] ?? peer;
}

/** A skipped outcome. */
export function skippedPeer(peer: string, reason: string, description = describePeer(peer)): PeerOutcome {
  return { peer, description, skipped: true, reason };
}

/** The outcome of a Python peer run (ratio filled in later by {@link withRatios}). */
function outcomeOf(peer: string, description: string, r: PythonPeerResult): PeerOutcome {
  if (r.skipped) return skippedPeer(peer, r.reason, description);
  return { peer, description, time: fromSamples(peer, r.samples, 'wall-python', r.warmup), result: r.result, versions: r.versions };
}

/** Runs a built-in Python peer and wraps its result as a {@link PeerOutcome}. */
export async function pythonPeer(
  spec: PythonPeerSpec,
  matrix: Float32Array,
  vectors: Float64Array | null,
  options: PeerOptions,
): Promise<PeerOutcome> {
  return outcomeOf(spec.peer, describePeer(spec.peer), await runPythonPeer(spec, matrix, vectors, options));
}

/**
 * A peer from any Python script (starting with {@link PYTHON_PRELUDE}): `spec` (with a
 * {@link PeerTiming}) is its JSON argument, `payload` its stdin. For groups added to the registry.
 */
export async function pythonScriptPeer(
  peer: string,
  script: string,
  spec: Readonly<Record<string, unknown>>,
  payload: readonly ArrayBufferView[],
  options: PeerOptions,
  description = describePeer(peer),
): Promise<PeerOutcome> {
  return outcomeOf(peer, description, await runPythonScript(script, { peer, ...spec }, payload, options));
}

/**
 * A peer running on the host in this process (JavaScript), timed by wall clock with the peers'
 * policy. When `fn` returns a plain object, it becomes the outcome's `result`.
 */
export async function hostPeer(
  peer: string,
  fn: () => unknown,
  timing: PeerTiming,
  description = describePeer(peer),
): Promise<PeerOutcome> {
  let value: unknown;
  const time = await measure(
    peer,
    async () => {
      value = await fn();
    },
    { ...timing, slowWarmupSeconds: SLOW_WARMUP_SECONDS },
  );
  const isRecord = typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
  return { peer, description, time, ...(isRecord ? { result: value as Record<string, unknown> } : {}) };
}

type MlMatrixModule = typeof import('ml-matrix');

/** ml-matrix, loaded at run time (a dev dependency: absent from installed packages). */
async function loadMlMatrix(): Promise<MlMatrixModule | string> {
  // A computed specifier keeps bundlers from inlining the package into the CLI.
  const specifier = ['ml', 'matrix'].join('-');
  try {
    return (await import(specifier)) as MlMatrixModule;
  } catch (error) {
    return `ml-matrix is not installed (a dev dependency of grsd): ${(error as Error).message.split('\n')[0]}`;
  }
}

/** ml-matrix's EigenvalueDecomposition on the n×n matrix (conversion to its Matrix excluded from the timing). */
export async function mlMatrixPeer(matrix: Float32Array, n: number, k: number, timing: PeerTiming): Promise<PeerOutcome> {
  const mod = await loadMlMatrix();
  if (typeof mod === 'string') return skippedPeer('ml-matrix', mod);
  const m = mod.Matrix.from1DArray(n, n, Float64Array.from(matrix));
  let values: number[] = [];
  const time = await measure(
    'ml-matrix',
    () => {
      values = new mod.EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues;
    },
    { ...timing, slowWarmupSeconds: SLOW_WARMUP_SECONDS },
  );
  return {
    peer: 'ml-matrix',
    description: describePeer('ml-matrix'),
    time,
    result: { top: [...values].sort((x, y) => y - x).slice(0, k) },
  };
}

/** grsd's float64 reference eigensolver on the host, same options as the GPU run. */
export async function f64EigshPeer(
  matrix: Float32Array,
  n: number,
  options: { k: number; tolerance: number; seed: number },
  timing: PeerTiming,
): Promise<PeerOutcome> {
  const op = denseCpuOperator(n, 1, matrix);
  return hostPeer(
    'grsd-f64-eigsh',
    () => {
      const r = eigshF64(op, { k: options.k, tolerance: options.tolerance, seed: options.seed })[0]!;
      return { top: Array.from(r.eigenvalues), steps: r.steps };
    },
    timing,
  );
}

/** grsd's float64 reference SLQ on the host. */
export async function f64SlqPeer(
  matrix: Float32Array,
  n: number,
  options: { steps: number; probes: number; seed: number },
  timing: PeerTiming,
): Promise<PeerOutcome> {
  const op = denseCpuOperator(n, 1, matrix);
  return hostPeer(
    'grsd-f64-slq',
    () => ({ topNodes: quadratureF64(op, options.steps, options.probes, options.seed)[0]!.map((r) => r.nodes[r.nodes.length - 1]!) }),
    timing,
  );
}

/**
 * Fills in `ratio` (grsd median / peer median) on every peer that ran, and `ratioOfMinimums`
 * when grsd's timing (not just its median) is given.
 */
export function withRatios(peers: readonly PeerOutcome[], grsd: number | { readonly median: number; readonly min: number }): PeerOutcome[] {
  const { median, min } = typeof grsd === 'number' ? { median: grsd, min: undefined } : grsd;
  return peers.map((p) => {
    if (!p.time) return p;
    return { ...p, ratio: median / p.time.median, ...(min === undefined ? {} : { ratioOfMinimums: min / p.time.min }) };
  });
}
