/**
 * The eigensolver's hard-case catalogue (issue 13): dense symmetric f32 matrices on which Krylov
 * eigensolvers typically fail — exact invariant subspaces (identity, zero, rank-1, rank-deficient,
 * I + uuᵀ), multiple eigenvalues at the wanted end (diagonal and rotated), 1e-6 clusters, 2-D/3-D
 * Laplacians, disconnected graph Laplacians, spectra over 7 decades at both ends, indefinite
 * spectra with `both`, Wishart matrices, and scales 1e±20, 1e±30 — each with its float64 truth.
 * Used by the GPU and float64 tests at small sizes and by the `eigsh-work` benchmark group at
 * larger ones.
 * @module
 */
import type { Which } from '../reference/krylov.ts';
import { matrixWithSpectrum } from '../reference/linalg.ts';
import { symmetricEigen } from '../reference/symmetricEigen.ts';
import { Random } from '../util/random.ts';

/** One catalogue problem. */
export interface EigenCase {
  readonly name: string;
  readonly n: number;
  readonly k: number;
  readonly which: Which;
  /** The matrix as the solver sees it: [n][n] f32, exactly symmetric. */
  readonly data: Float32Array;
  /** Eigenvalues of `data` (float64 tred2 + QL on the f32 entries), ascending. */
  readonly values: Float64Array;
}

/**
 * Catalogue sizes: `test` for the float64 tests, `gpu` (the same structural cases at smaller n
 * where n only sets the cost: Laplacians, Wishart, log spectra) for the GPU tests on software
 * adapters, `bench` (larger) for the benchmark.
 */
export type CatalogueSize = 'test' | 'gpu' | 'bench';

/** The i-th wanted eigenvalue, counted with multiplicity, in the output order of `which` (see ritzOrder). */
export function wantedValues(values: Float64Array, k: number, which: Which): Float64Array {
  const n = values.length;
  const top = which === 'largest' ? k : which === 'smallest' ? 0 : Math.ceil(k / 2);
  const out: number[] = [];
  for (let i = 0; i < top; i++) out.push(values[n - 1 - i]!);
  for (let i = 0; i < k - top; i++) out.push(values[i]!);
  return Float64Array.from(out);
}

function make(name: string, n: number, k: number, which: Which, a: Float64Array | Float32Array): EigenCase {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = Math.fround(a[i * n + j]!);
      data[i * n + j] = v;
      data[j * n + i] = v;
    }
  }
  return { name, n, k, which, data, values: symmetricEigen(Float64Array.from(data), n).values };
}

const diagonal = (d: ArrayLike<number>): Float64Array => {
  const n = d.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = d[i]!;
  return a;
};

/** Log-uniform values over `decades` decades below 1, from `rng`. */
function logUniform(n: number, decades: number, rng: Random): Float64Array {
  return Float64Array.from({ length: n }, () => 10 ** (-decades * rng.uniform()));
}

/** 1-D Dirichlet Laplacian tridiag(−1, 2, −1) of size m, as a Kronecker factor. */
function laplacian(dims: readonly number[]): Float64Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const a = new Float64Array(n * n);
  const strides = dims.map((_, d) => dims.slice(d + 1).reduce((x, y) => x * y, 1));
  for (let i = 0; i < n; i++) {
    a[i * n + i] = 2 * dims.length;
    dims.forEach((m, d) => {
      const c = Math.floor(i / strides[d]!) % m;
      if (c + 1 < m) {
        const j = i + strides[d]!;
        a[i * n + j] = -1;
        a[j * n + i] = -1;
      }
    });
  }
  return a;
}

/** Graph Laplacian D − W of `components` disjoint connected random graphs of `size` nodes each. */
function disconnectedLaplacian(components: number, size: number, rng: Random): Float64Array {
  const n = components * size;
  const a = new Float64Array(n * n);
  const edge = (i: number, j: number): void => {
    if (a[i * n + j] !== 0) return;
    a[i * n + j] = -1;
    a[j * n + i] = -1;
    a[i * n + i]! += 1;
    a[j * n + j]! += 1;
  };
  for (let c = 0; c < components; c++) {
    const o = c * size;
    for (let i = 0; i + 1 < size; i++) edge(o + i, o + i + 1); // a path: connected
    for (let i = 0; i < size; i++) for (let j = i + 2; j < size; j++) if (rng.uniform() < 0.2) edge(o + i, o + j);
  }
  return a;
}

/** The catalogue at the given size. */
export function eigenCatalogue(size: CatalogueSize = 'test'): EigenCase[] {
  const big = size === 'bench';
  /** The test size, the bench size, and the GPU size (default: the test size). */
  const at = <T>(test: T, bench: T, gpu: T = test): T => (big ? bench : size === 'gpu' ? gpu : test);
  const rng = new Random(13);
  const cases: EigenCase[] = [];
  const n0 = big ? 400 : 64;

  cases.push(make('identity', n0, 6, 'largest', diagonal(new Float64Array(n0).fill(1))));
  cases.push(make('zero', n0, 6, 'largest', new Float64Array(n0 * n0)));
  {
    const u = rng.normals(n0);
    const a = new Float64Array(n0 * n0);
    for (let i = 0; i < n0; i++) for (let j = 0; j < n0; j++) a[i * n0 + j] = u[i]! * u[j]!;
    cases.push(make('rank-1 uuᵀ, smallest', n0, 6, 'smallest', a));
  }
  {
    const n = big ? 400 : 120;
    const r = big ? 40 : 20;
    const j = rng.normals(n * r);
    const a = new Float64Array(n * n);
    for (let x = 0; x < n; x++)
      for (let y = 0; y < n; y++) {
        let s = 0;
        for (let t = 0; t < r; t++) s += j[x * r + t]! * j[y * r + t]!;
        a[x * n + y] = s / r;
      }
    cases.push(make(`rank-${r} JJᵀ, smallest`, n, 8, 'smallest', a));
  }
  {
    const n = big ? 400 : 80;
    const u = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1) / 3);
    const a = diagonal(new Float64Array(n).fill(1));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j]! += u[i]! * u[j]!;
    cases.push(make('I + uuᵀ', n, 5, 'largest', a));
  }
  {
    const n = big ? 500 : 100;
    for (const mult of [2, 3, 8]) {
      const values = Float64Array.from({ length: n }, (_, i) => (i < mult ? 1 : 0.8 * 10 ** (-3 * ((i - mult) / n))));
      cases.push(make(`multiplicity ${mult} at the top, diagonal`, n, 10, 'largest', diagonal(values)));
      cases.push(make(`multiplicity ${mult} at the top, rotated`, n, 10, 'largest', matrixWithSpectrum(values, rng)));
    }
  }
  {
    const n = big ? 500 : 100;
    const values = Float64Array.from({ length: n }, (_, i) => (i < 6 ? 1 - 1e-6 * i : 0.5 * 10 ** (-3 * ((i - 6) / n))));
    cases.push(make('1e-6 cluster at the top', n, 6, 'largest', matrixWithSpectrum(values, rng)));
  }
  {
    const side = at(16, 28, 12);
    cases.push(make(`2-D Laplacian ${side}²`, side * side, 12, 'largest', laplacian([side, side])));
  }
  {
    const side = at(6, 10, 5);
    cases.push(make(`3-D Laplacian ${side}³`, side ** 3, 10, 'largest', laplacian([side, side, side])));
  }
  {
    const size1 = at(20, 80, 12);
    cases.push(make(`graph Laplacian, 6 components of ${size1}`, 6 * size1, 8, 'smallest', disconnectedLaplacian(6, size1, rng)));
  }
  {
    const n = at(120, 1000, 80);
    const values = logUniform(n, 7, rng);
    const a = matrixWithSpectrum(values, rng);
    cases.push(make('7-decade spectrum, largest', n, 10, 'largest', a));
    cases.push(make('7-decade spectrum, smallest', n, 10, 'smallest', a));
  }
  {
    const n = at(150, 600, 100);
    const values = Float64Array.from({ length: n }, () => -3 + 5 * rng.uniform());
    cases.push(make('indefinite [−3, 2], both', n, 8, 'both', matrixWithSpectrum(values, rng)));
  }
  {
    const n = at(200, 1000, 100);
    const rows = 2 * n;
    const x = rng.normals(rows * n);
    const a = new Float64Array(n * n);
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let i = 0; i < n; i++) {
        const xi = x[o + i]! / rows;
        for (let j = i; j < n; j++) a[i * n + j]! += xi * x[o + j]!;
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i]!;
    cases.push(make(`Wishart ${n}×${rows}, largest`, n, 10, 'largest', a));
    cases.push(make(`Wishart ${n}×${rows}, smallest`, n, 10, 'smallest', a));
  }
  {
    const n = big ? 400 : 100;
    const base = matrixWithSpectrum(logUniform(n, 3, rng), rng);
    for (const s of [1e20, 1e-20, 1e30, 1e-30]) {
      cases.push(
        make(
          `scaled ×${s.toExponential(0)}`,
          n,
          6,
          'largest',
          base.map((v) => v * s),
        ),
      );
    }
  }
  return cases;
}

/**
 * A batch mixing easy and hard members (all n×n, the same k and which): a log spectrum, the
 * identity, an 8-fold top eigenvalue and a matrix with a 1e-6 cluster.
 */
export function mixedBatch(n: number): EigenCase[] {
  const rng = new Random(31);
  const log = Float64Array.from({ length: n }, (_, i) => 10 ** (-4 * (i / n)));
  const mult = Float64Array.from({ length: n }, (_, i) => (i < 8 ? 1 : 0.8 * 10 ** (-3 * ((i - 8) / n))));
  const cluster = Float64Array.from({ length: n }, (_, i) => (i < 6 ? 1 - 1e-6 * i : 0.5 * 10 ** (-3 * ((i - 6) / n))));
  return [
    make('batch: log spectrum', n, 10, 'largest', matrixWithSpectrum(log, rng)),
    make('batch: identity', n, 10, 'largest', diagonal(new Float64Array(n).fill(1))),
    make('batch: 8-fold top', n, 10, 'largest', matrixWithSpectrum(mult, rng)),
    make('batch: 1e-6 cluster', n, 10, 'largest', matrixWithSpectrum(cluster, rng)),
  ];
}

/** One Jacobian problem: the eigenvalues of K = J Jᵀ through J (n × cols). */
export interface JacobianCase {
  readonly name: string;
  /** Rows of J: K is n×n. */
  readonly n: number;
  readonly cols: number;
  readonly k: number;
  readonly which: Which;
  /** J as the solver sees it: [n][cols] f32. */
  readonly jacobian: Float32Array;
  /** Eigenvalues of K = J Jᵀ for the f32 entries (σ² from a float64 SVD of J, zeros for n > cols), ascending. */
  readonly values: Float64Array;
}

/** `count` orthonormal columns of length `rows` ([rows][count]), Gram–Schmidt twice on Gaussian vectors. */
function orthonormalColumns(rows: number, count: number, rng: Random): Float64Array {
  const q = new Float64Array(rows * count);
  for (let c = 0; c < count; c++) {
    const x = rng.normals(rows);
    for (let pass = 0; pass < 2; pass++)
      for (let d = 0; d < c; d++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += x[i]! * q[i * count + d]!;
        for (let i = 0; i < rows; i++) x[i] = x[i]! - dot * q[i * count + d]!;
      }
    let nrm = 0;
    for (const v of x) nrm += v * v;
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < rows; i++) q[i * count + c] = x[i]! / nrm;
  }
  return q;
}

/** J = U diag(σ) Vᵀ (n × cols, σ of length ≤ min(n, cols)) rounded to f32, with the eigenvalues of its K. */
function jacobianCase(name: string, n: number, cols: number, k: number, which: Which, sigma: ArrayLike<number>, rng: Random): JacobianCase {
  const r = sigma.length;
  const u = orthonormalColumns(n, r, rng);
  const v = orthonormalColumns(cols, r, rng);
  const jacobian = new Float32Array(n * cols);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let t = 0; t < r; t++) s += u[i * r + t]! * sigma[t]! * v[c * r + t]!;
      jacobian[i * cols + c] = s;
    }
  return { name, n, cols, k, which, jacobian, values: kernelValues(jacobian, n, cols) };
}

/** J = [diag(σ) 0] (exact in f32 for f32 σ: multiplicities survive the rounding), n × cols. */
function diagonalJacobian(name: string, n: number, cols: number, k: number, which: Which, sigma: ArrayLike<number>): JacobianCase {
  const jacobian = new Float32Array(n * cols);
  for (let i = 0; i < Math.min(sigma.length, n, cols); i++) jacobian[i * cols + i] = sigma[i]!;
  return { name, n, cols, k, which, jacobian, values: kernelValues(jacobian, n, cols) };
}

/** Eigenvalues of J Jᵀ for the f32 J: σ² from a float64 SVD of the smaller Gram side, zeros past rank min(n, cols). */
function kernelValues(j: Float32Array, n: number, cols: number): Float64Array {
  const m = Math.min(n, cols);
  // The Gram matrix of the smaller side in float64 has eigenvalues σ² with absolute error ≈ ε·σ_max²
  // (for the tests' 1e-5·‖K‖ contract and the bounds' floors far below it: ample).
  const g = new Float64Array(m * m);
  for (let a = 0; a < m; a++)
    for (let b = a; b < m; b++) {
      let s = 0;
      if (n <= cols) for (let c = 0; c < cols; c++) s += j[a * cols + c]! * j[b * cols + c]!;
      else for (let i = 0; i < n; i++) s += j[i * cols + a]! * j[i * cols + b]!;
      g[a * m + b] = s;
      g[b * m + a] = s;
    }
  const top = symmetricEigen(g, m).values;
  const out = new Float64Array(n);
  out.set(
    top.map((x) => Math.max(x, 0)),
    n - m,
  );
  return out;
}

/**
 * Jacobian cases for Golub–Kahan (`eigshJacobian`) and Lanczos on K = J Jᵀ: rank-deficient J
 * (n > cols: zeros at the smallest end, and k above the rank at the largest), repeated singular
 * values at both ends, λ over 6 and 8 decades, a wide J (cols ≫ n), a J scaled by 1e-15, and
 * rank-deficient wide J (cols > n: holes in the short basis U of one-sided Golub–Kahan).
 */
export function jacobianCatalogue(size: CatalogueSize = 'test'): JacobianCase[] {
  const big = size === 'bench';
  const rng = new Random(29);
  const cases: JacobianCase[] = [];
  const range = (count: number, f: (i: number) => number): number[] => Array.from({ length: count }, (_, i) => f(i));
  {
    const [n, cols] = big ? [400, 40] : [80, 20];
    cases.push(
      jacobianCase(
        'J rank-deficient (n > cols), smallest',
        n,
        cols,
        6,
        'smallest',
        range(cols, (i) => 1 + i / cols),
        rng,
      ),
    );
  }
  {
    const [n, cols] = big ? [200, 40] : [40, 10];
    cases.push(
      jacobianCase(
        'J rank-deficient, k above the rank',
        n,
        cols,
        cols + 4,
        'largest',
        range(cols, (i) => 2 - i / cols),
        rng,
      ),
    );
  }
  const [n, cols] = big ? [300, 450] : [60, 90];
  const top3 = range(n, (i) => (i < 3 ? 1 : 0.8 * 10 ** ((-2 * i) / n)));
  // σ = 0.1 three times below a spectrum in [0.3, 1] (λ: 0.01 against ≥ 0.09).
  const bottom3 = range(n, (i) => (i >= n - 3 ? 0.1 : 10 ** ((-0.5 * i) / n)));
  cases.push(diagonalJacobian('J, 3-fold largest σ (diagonal)', n, cols, 8, 'largest', top3));
  cases.push(jacobianCase('J, 3-fold largest σ (rotated)', n, cols, 8, 'largest', top3, rng));
  cases.push(diagonalJacobian('J, 3-fold smallest σ (diagonal)', n, cols, 6, 'smallest', bottom3));
  cases.push(
    jacobianCase(
      'J, λ over 8 decades, smallest',
      n,
      cols,
      6,
      'smallest',
      range(n, (i) => 10 ** ((-4 * i) / (n - 1))),
      rng,
    ),
  );
  cases.push(
    jacobianCase(
      'J, λ over 6 decades, largest',
      n,
      cols,
      8,
      'largest',
      range(n, () => 10 ** (-3 * rng.uniform())),
      rng,
    ),
  );
  cases.push(
    jacobianCase(
      'J × 1e-15, largest',
      n,
      cols,
      6,
      'largest',
      range(n, (i) => 1e-15 / (i + 1)),
      rng,
    ),
  );
  {
    const [m, c] = big ? [128, 4096] : [32, 512];
    const jacobian = Float32Array.from(rng.normals(m * c), (x) => x / Math.sqrt(c));
    cases.push({
      name: 'J wide (cols ≫ n), both ends',
      n: m,
      cols: c,
      k: 6,
      which: 'both',
      jacobian,
      values: kernelValues(jacobian, m, c),
    });
  }
  {
    // Rank-deficient with cols > n (one-sided Golub–Kahan continues past holes in U): k above the
    // rank at the largest end, and the zeros at the smallest.
    const [m, c, r] = big ? [200, 600, 40] : [40, 120, 10];
    cases.push(
      jacobianCase(
        'J wide rank-deficient (cols > n), k above the rank',
        m,
        c,
        r + 4,
        'largest',
        range(r, (i) => 2 - i / r),
        rng,
      ),
    );
    cases.push(
      jacobianCase(
        'J wide rank-deficient (cols > n), smallest',
        m,
        c,
        6,
        'smallest',
        range(m - 8, (i) => 1 + i / m),
        rng,
      ),
    );
  }
  return cases;
}
