/**
 * Float64 twin of the shell-coupling transport kernels (shaders/shells/shellFlow.wgsl,
 * shellFlowReduce.wgsl) and the host-side completion of the flow matrix with the complement shell
 * (docs/math.md, Transport between checkpoints).
 *
 * With a = e_{i+1}, old eigenvectors u_j (checkpoint i) and new v_k (i+1):
 *   α_j = u_jᵀa, β_k = v_kᵀa, O_jk = u_jᵀv_k,
 *   F[σ][τ] = Σ_{j: old(j)=τ} Σ_{k: new(k)=σ} α_j O_jk β_k     (σ, τ window shells or ∅),
 * then the complement ⊥ closes every row and column exactly:
 *   F[⊥][τ] = Σ_{j∈τ} α_j² − Σ_σ F[σ][τ],   F[σ][⊥] = Σ_{k∈σ} β_k (β_k − Σ_j O_jk α_j),
 *   F[⊥][⊥] = ‖a‖² − all the others.
 * Rows sum to the new shell energies E^{(i+1)}, columns to the old-basis energies Ẽ of a.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/**
 * Y[j][σ] = Σ_{k: newIndex(k)=σ} O[j][k]·β_k — twin of shellFlow.wgsl (O is rOld × rNew row-major).
 *
 * Float64 twin of shaders/shells/shellFlow.wgsl: sums in k order; indices outside [0, shells) are ignored.
 */
export function shellFlowRows(
  o: ArrayLike<number>,
  beta: ArrayLike<number>,
  newIndex: ArrayLike<number>,
  rOld: number,
  shells: number,
): Float64Array {
  const rNew = beta.length;
  const y = new Float64Array(rOld * shells);
  for (let j = 0; j < rOld; j++) {
    for (let k = 0; k < rNew; k++) {
      const s = newIndex[k]!;
      if (s >= 0 && s < shells) y[j * shells + s]! += o[j * rNew + k]! * beta[k]!;
    }
  }
  return y;
}

/**
 * F[σ][τ] = Σ_{j: oldIndex(j)=τ} α_j Y[j][σ] — twin of shellFlowReduce.wgsl (shells × shells, row σ = new shell).
 *
 * Float64 twin of shaders/shells/shellFlowReduce.wgsl: sums in j order; indices outside [0, shells) are ignored.
 */
export function shellFlowReduce(y: ArrayLike<number>, alpha: ArrayLike<number>, oldIndex: ArrayLike<number>, shells: number): Float64Array {
  const f = new Float64Array(shells * shells);
  for (let j = 0; j < alpha.length; j++) {
    const t = oldIndex[j]!;
    if (t < 0 || t >= shells) continue;
    for (let s = 0; s < shells; s++) f[s * shells + t]! += alpha[j]! * y[j * shells + s]!;
  }
  return f;
}

/** Inputs of {@link completeFlow}. */
export interface FlowParts {
  /** Core flow over the computed shells (window + ∅): core[σ][τ], `shells` × `shells` (shells = count + 1). */
  readonly core: ArrayLike<number>;
  /** Computed shells (count + 1). */
  readonly shells: number;
  /** α_j = u_jᵀa per old eigenvector. */
  readonly alpha: ArrayLike<number>;
  /** β_k = v_kᵀa per new eigenvector. */
  readonly beta: ArrayLike<number>;
  /** g_k = Σ_j O_jk α_j (the projection of UᵀUa onto v_k). */
  readonly g: ArrayLike<number>;
  /** Shell index of each old eigenvector. */
  readonly oldIndex: ArrayLike<number>;
  /** Shell index of each new eigenvector. */
  readonly newIndex: ArrayLike<number>;
  /** ‖a‖². */
  readonly norm2: number;
}

/**
 * The full (count+2)×(count+2) flow matrix with the complement shell ⊥ (last index), in float64.
 * Row σ = new shell, column τ = old shell: F[σ][τ] is the energy of a that sits in old shell τ and
 * new shell σ. Rows sum to E^{(i+1)}, columns to Ẽ, exactly up to float64 rounding.
 */
export function completeFlow(p: FlowParts): Float64Array {
  const c = p.shells;
  const s = c + 1;
  if (p.core.length !== c * c) throw new InvalidArgumentError('core', `expected ${c}×${c} entries, got ${p.core.length}`);
  const f = new Float64Array(s * s);
  for (let a = 0; a < c; a++) for (let b = 0; b < c; b++) f[a * s + b] = p.core[a * c + b]!;
  const oldEnergy = new Float64Array(c);
  for (let j = 0; j < p.alpha.length; j++) oldEnergy[p.oldIndex[j]!]! += p.alpha[j]! ** 2;
  for (let t = 0; t < c; t++) {
    let col = 0;
    for (let a = 0; a < c; a++) col += f[a * s + t]!;
    f[c * s + t] = oldEnergy[t]! - col;
  }
  for (let k = 0; k < p.beta.length; k++) {
    const sigma = p.newIndex[k]!;
    f[sigma * s + c]! += p.beta[k]! * (p.beta[k]! - p.g[k]!);
  }
  let rest = p.norm2;
  for (let e = 0; e < s * s - 1; e++) rest -= f[e]!;
  f[s * s - 1] = rest;
  return f;
}

/**
 * The discrete estimator of docs/math.md (Transport between checkpoints) from dense float64 data — the twin of the whole GPU path:
 * U (rOld × n rows), V (rNew × n rows), a = e_{i+1}, shell indices of the old and new eigenvalues
 * (window + ∅ range [0, shells)). Returns the (shells+1)² flow matrix with ⊥ last.
 */
export function flowMatrixF64(
  u: ArrayLike<number>,
  v: ArrayLike<number>,
  a: ArrayLike<number>,
  oldIndex: ArrayLike<number>,
  newIndex: ArrayLike<number>,
  shells: number,
): Float64Array {
  const n = a.length;
  const rOld = oldIndex.length;
  const rNew = newIndex.length;
  const alpha = Float64Array.from({ length: rOld }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += u[j * n + i]! * a[i]!;
    return s;
  });
  const beta = Float64Array.from({ length: rNew }, (_, k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += v[k * n + i]! * a[i]!;
    return s;
  });
  const o = new Float64Array(rOld * rNew);
  for (let j = 0; j < rOld; j++) {
    for (let k = 0; k < rNew; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += u[j * n + i]! * v[k * n + i]!;
      o[j * rNew + k] = s;
    }
  }
  const g = Float64Array.from({ length: rNew }, (_, k) => {
    let s = 0;
    for (let j = 0; j < rOld; j++) s += o[j * rNew + k]! * alpha[j]!;
    return s;
  });
  const core = shellFlowReduce(shellFlowRows(o, beta, newIndex, rOld, shells), alpha, oldIndex, shells);
  let norm2 = 0;
  for (let i = 0; i < n; i++) norm2 += a[i]! ** 2;
  return completeFlow({ core, shells, alpha, beta, g, oldIndex, newIndex, norm2 });
}
