/**
 * A one-sided Golub–Kahan contract case: J (n × cols, cols > n) with singular values log-spaced
 * over 6 decades, so λ = σ² of K = J Jᵀ spans 12 decades — below the Jᵀ hole level 64u√n·‖J‖ of
 * f32 (docs/accuracy.md, "Golub–Kahan"), where every bound must still hold. Truth: the float64
 * eigenvalues of the Gram matrix of the f32 entries (descending).
 */
import { kernelFromJacobianF64 } from '../../src/reference/spectralCheckpoint.ts';
import { symmetricEigen } from '../../src/reference/symmetricEigen.ts';
import { Random } from '../../src/util/random.ts';

export interface DecadeJacobian {
  readonly n: number;
  readonly cols: number;
  readonly jacobian: Float32Array;
  /** Eigenvalues of K (float64 Gram of the f32 entries), descending. */
  readonly truth: Float64Array;
}

/** Rows σ_i·v_iᵀ with v_i orthonormal (Gram–Schmidt of Gaussian rows), σ_i = 10^(−6i/(n−1)). */
export function twelveDecadeJacobian(n = 48, cols = 256): DecadeJacobian {
  const rng = new Random(41);
  const rows: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const v = rng.normals(cols);
    for (let pass = 0; pass < 2; pass++)
      for (const u of rows) {
        let d = 0;
        for (let t = 0; t < cols; t++) d += u[t]! * v[t]!;
        for (let t = 0; t < cols; t++) v[t] = v[t]! - d * u[t]!;
      }
    let s = 0;
    for (const x of v) s += x * x;
    rows.push(v.map((x) => x / Math.sqrt(s)));
  }
  const jacobian = new Float32Array(n * cols);
  rows.forEach((v, i) => {
    const sigma = 10 ** ((-6 * i) / (n - 1));
    for (let t = 0; t < cols; t++) jacobian[i * cols + t] = sigma * v[t]!;
  });
  const truth = symmetricEigen(kernelFromJacobianF64(jacobian, n, cols), n)
    .values.slice()
    .reverse();
  return { n, cols, jacobian, truth };
}
