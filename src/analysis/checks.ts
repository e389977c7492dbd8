/**
 * The run-time checks of an interval (docs/conditions.md, "Interval checks"): what each one
 * verifies, when it applies, and what a failure means. A check fails only when something is wrong
 * with the data or the estimate; a check whose premise does not hold for the interval (e.g.
 * checkpoints too far apart for the Kato estimator) is `not-applicable`, not failed. Every
 * non-passing check carries a message saying what it means and what to do.
 * @module
 */
import { frobenius } from './kato.ts';
import type { CheckpointResult } from './series.ts';
import type { ShellGrid } from './shellGrid.ts';

/** Outcome of a check. */
export type CheckStatus = 'pass' | 'fail' | 'not-applicable';

/** One run-time check: its measured value against a threshold. */
export interface Check {
  /** The measured quantity (docs/conditions.md, "Interval checks", gives each formula). */
  readonly value: number;
  /** The limit `value` is compared with. */
  readonly threshold: number;
  /** `pass`, `fail` or `not-applicable` (the check's premise does not hold here). */
  readonly status: CheckStatus;
  /** false only when the check failed (`status === 'fail'`); a not-applicable check is not a failure. */
  readonly pass: boolean;
  /** What the check measures, in words. */
  readonly description: string;
  /** For a failed or not-applicable check: what it means and what to do. */
  readonly message?: string;
}

/** Builds a {@link Check}. */
export function check(value: number, threshold: number, status: CheckStatus, description: string, message?: string): Check {
  return { value, threshold, status, pass: status !== 'fail', description, ...(message === undefined ? {} : { message }) };
}

/** Dimensionless measures of how far apart two checkpoints are (docs/conditions.md, "Step size"). */
export interface StepSize {
  /** Fraction of ‖e‖² dissipated over the interval, 1 − ‖e_{i+1}‖²/‖e_i‖² (amplitude change). */
  readonly dissipated: number;
  /** Largest rotation of a computed shell's subspace, max_σ ‖P'_σ − P_σ‖_F/√2 (≥ the sine of its largest principal angle). */
  readonly rotation: number;
  /**
   * Δt·‖M_{i+1} − M_i‖ estimated from the spectra: Δt·√(Σ_k Δλ_k² + λ_max² Σ_σ ‖P'_σ − P_σ‖_F²/2)
   * (eigenvalue motion plus the first-order rotation between shells; within-shell rotation, which
   * does not move shell energies, is not counted).
   */
  readonly kernelChange: number;
  /**
   * The Kato estimator's expansion parameter: θ·⟨λ_max/|λ_k − λ_j|⟩ + Δt·⟨λ_k + λ_j⟩, averages over
   * the mode pairs k, j in different shells weighted by |c_k c_j| at the first checkpoint, θ =
   * `rotation`. The secant ΔM/Δt errs by ‖Ω‖Δt·λ/gap relative to Ṁ on a pair, and the amplitudes
   * carrying the transport decay by Δt(λ_k + λ_j); on rotating-basis runs the Kato–flow discrepancy
   * stayed below 1.04× this value (docs/conditions.md).
   */
  readonly katoStep: number;
  /** Its amplitude part Δt·⟨λ_k + λ_j⟩. */
  readonly katoDecay: number;
}

/**
 * {@link StepSize} of the interval between `prev` and `cur` from their eigenvalues (matched in
 * descending order) and the projector changes ‖P'_σ − P_σ‖_F² of the computed shells.
 */
export function stepSize(prev: CheckpointResult, cur: CheckpointResult, projectorChange: ArrayLike<number>): StepSize {
  const dt = cur.t - prev.t;
  let dl2 = 0;
  const r = Math.min(prev.eigenvalues.length, cur.eigenvalues.length);
  for (let k = 0; k < r; k++) dl2 += (cur.eigenvalues[k]! - prev.eigenvalues[k]!) ** 2;
  // Eigenvalues present at only one checkpoint (rank changes) moved by at most their own size.
  for (let k = r; k < prev.eigenvalues.length; k++) dl2 += prev.eigenvalues[k]! ** 2;
  for (let k = r; k < cur.eigenvalues.length; k++) dl2 += cur.eigenvalues[k]! ** 2;
  const lambdaMax = Math.max(prev.eigenvalues[0] ?? 0, cur.eigenvalues[0] ?? 0, 0);
  let dp = 0;
  let maxDp = 0;
  for (let i = 0; i < projectorChange.length; i++) {
    dp += projectorChange[i]!;
    maxDp = Math.max(maxDp, projectorChange[i]!);
  }
  const dissipated = prev.residualNorm2 > 0 ? 1 - cur.residualNorm2 / prev.residualNorm2 : 0;
  const rotation = Math.sqrt(maxDp / 2);
  // Pair averages for the Kato step (O(r²), host float64).
  const { amplitudes: c, eigenvalues: lam, shellIndex: idx } = prev;
  let weight = 0;
  let inverseGap = 0;
  let decay = 0;
  for (let k = 0; k < c.length; k++) {
    for (let j = k + 1; j < c.length; j++) {
      if (idx[k] === idx[j]) continue;
      const w = Math.abs(c[k]! * c[j]!);
      const gap = Math.abs(lam[k]! - lam[j]!);
      weight += w;
      inverseGap += gap > 0 ? (w * lambdaMax) / gap : w * Number.MAX_VALUE;
      decay += w * (lam[k]! + lam[j]!);
    }
  }
  const katoDecay = weight > 0 ? (dt * decay) / weight : 0;
  const katoStep = weight > 0 ? Math.min(Number.MAX_VALUE, (rotation * inverseGap) / weight + katoDecay) : 0;
  return {
    dissipated,
    rotation,
    kernelChange: dt * Math.sqrt(dl2 + (lambdaMax * lambdaMax * dp) / 2),
    katoStep,
    katoDecay,
  };
}

/** Floor of the sign check in units of ‖e_i‖²: the f32 resolution of the GPU flow (docs/accuracy.md). */
const SIGN_RESOLUTION = 1e-6;

/**
 * D^Δ_α ≥ 0 up to the finite-Δt term. Over an interval, ‖P_α e‖² (P_α the projector of the first
 * checkpoint) changes at rate −2 eᵀP_αM(s)e = −2(P_αe)ᵀM₀(P_αe) − 2s·eᵀP_αṀe: the first part is
 * the dissipation (≤ 0), the second, from the kernel's change, integrates to at most
 * Δt·‖ΔM‖·‖P_αe‖·‖e‖. So on a run that follows gradient flow with these kernels,
 *
 *   D^Δ_α ≥ −(Δt‖ΔM‖·√max(E_α, Ẽ_α)·‖e_i‖ + 1e-6·‖e_i‖²),
 *
 * with Δt‖ΔM‖ from {@link stepSize}. The check reports min_α D^Δ_α/‖e_i‖² against the allowance
 * of that shell. A failure means the residual gained energy in a fixed spectral subspace faster
 * than a kernel change of this size allows: the data do not follow gradient flow with these
 * kernels (see the message).
 */
export function dissipationSignCheck(
  grid: ShellGrid,
  prev: CheckpointResult,
  dissipationRate: ArrayLike<number>,
  dt: number,
  step: StepSize,
): Check {
  const total = prev.residualNorm2;
  const norm = Math.sqrt(total);
  // Report the most negative shell, or the worst-failing one when any fails.
  let lowest = { margin: Infinity, value: Infinity, allowance: 0, shell: -1 };
  let failing = { margin: 0, value: 0, allowance: 0, shell: -1 };
  for (let a = 0; a < grid.size; a++) {
    if (a === grid.complementIndex) continue; // ⊥'s old-basis energy is not defined shell by shell
    const d = dissipationRate[a]! * dt;
    const tilde = prev.energy[a]! - d;
    const allowance = step.kernelChange * Math.sqrt(Math.max(prev.energy[a]!, tilde, 0)) * norm + SIGN_RESOLUTION * total;
    const margin = d + allowance;
    if (d < lowest.value) lowest = { margin, value: d, allowance, shell: a };
    if (margin < failing.margin) failing = { margin, value: d, allowance, shell: a };
  }
  const worst = failing.shell >= 0 ? failing : lowest;
  const value = total > 0 ? worst.value / total : 0;
  const threshold = total > 0 ? -worst.allowance / total : 0;
  const description =
    'min_α D^Δ_α / ‖e_i‖² against −(Δt‖ΔM‖·√E_α·‖e‖ + 1e-6‖e‖²)/‖e‖² (non-negative up to the finite-Δt term, docs/conditions.md)';
  if (failing.shell < 0) return check(value, threshold, 'pass', description);
  const where = worst.shell === grid.floorIndex ? 'the floor shell ∅' : `shell ${worst.shell}`;
  return check(
    value,
    threshold,
    'fail',
    description,
    `in ${where} the residual gained ${(-100 * value).toPrecision(2)}% of ‖e‖² in the first checkpoint's eigenbasis, more than the kernel's change allows (${(-100 * threshold).toPrecision(2)}%): ` +
      'the step from one checkpoint to the next is not gradient flow with these kernels. Check that residual and kernel of every checkpoint come from the same probe set in the same order and the same parameters, ' +
      'that timeScale matches the optimizer, and that training is full-batch gradient descent on the MSE (minibatch SGD, momentum, Adam or a learning rate above 2/λ_max break this).',
  );
}

/**
 * Kato-form transport against the flow estimator T^Δ/Δt on the computed shells. The two agree to
 * first order in the step: their relative difference stayed below 1.04× the Kato step
 * ({@link StepSize.katoStep}) on every calibration run. When that step exceeds `maxStep` (default
 * 0.05, half the agreement threshold 0.1), a correct run may disagree, so the comparison says
 * nothing about the data: the check is not applicable ("checkpoints too sparse for the Kato
 * estimator") instead of failed.
 */
export function katoConsistencyCheck(
  grid: ShellGrid,
  flowTransport: ArrayLike<number>,
  katoTransport: ArrayLike<number>,
  energyOld: ArrayLike<number>,
  dt: number,
  step: StepSize,
  maxStep = 0.05,
): Check {
  const s = grid.size;
  const c = grid.complementIndex;
  // Compare on the computed shells only (the Kato form has no ⊥ row/column).
  const masked = Float64Array.from(flowTransport, (v, e) => (Math.floor(e / s) === c || e % s === c ? 0 : v));
  // Relative to ‖T^Δ/Δt‖, floored at the f32 noise level of the flows (1e-5·ΣE/Δt) so that a lazy
  // interval (T ≈ 0 in both estimators) does not compare noise with noise.
  let total = 0;
  for (let i = 0; i < energyOld.length; i++) total += Math.abs(energyOld[i]!);
  const noise = (1e-5 * total) / dt;
  const diff = Float64Array.from(katoTransport, (v, e) => v - masked[e]!);
  const value = frobenius(diff) / Math.max(frobenius(masked), noise, 1e-300);
  const description = '‖T_Kato − T^Δ/Δt‖_F / max(‖T^Δ/Δt‖_F, 1e-5·ΣE/Δt) on computed shells (first-order agreement)';
  if (!(step.katoStep <= maxStep))
    return check(
      value,
      0.1,
      'not-applicable',
      description,
      `checkpoints too sparse for the Kato estimator: its step ‖Ω‖Δt·λ/gap + Δt·λ is ${step.katoStep.toPrecision(2)} here (> ${maxStep}; amplitude decay Δt⟨λ_k + λ_j⟩ = ${step.katoDecay.toPrecision(2)}, shell rotation up to ${step.rotation.toPrecision(2)}, where an eigenvalue crossing a shell boundary counts as a full turn), so the first-order Kato form and T^Δ/Δt need not agree; save checkpoints closer together to use this check`,
    );
  if (value <= 0.1) return check(value, 0.1, 'pass', description);
  return check(
    value,
    0.1,
    'fail',
    description,
    'the kernels disagree with the eigenvectors and residuals at a step small enough for the two estimators to agree: check that each checkpoint’s kernel belongs to the same parameters as its residual, and that timeScale is the same for all checkpoints',
  );
}

/**
 * Σ_l T^{(l)} = T_Kato exactly (the Kato form is linear in ΔM): a failure means the per-layer
 * kernels do not sum to the full kernel.
 */
export function layerSplitCheck(katoTransport: ArrayLike<number>, perLayer: readonly ArrayLike<number>[]): Check {
  const sum = new Float64Array(katoTransport.length);
  for (const l of perLayer) for (let e = 0; e < sum.length; e++) sum[e]! += l[e]!;
  const value = frobenius(Float64Array.from(sum, (v, e) => v - katoTransport[e]!)) / (frobenius(katoTransport) + 1e-300);
  const description = '‖Σ_l T^(l) − T_Kato‖_F / ‖T_Kato‖_F (exact in exact arithmetic)';
  if (value <= 1e-3) return check(value, 1e-3, 'pass', description);
  return check(
    value,
    1e-3,
    'fail',
    description,
    'the per-layer kernels do not add up to the full kernel: export K_l = J_l J_lᵀ for every parameter group, with Σ_l K_l = K',
  );
}

/**
 * The checks that need both checkpoints' spectra: the sign of the dissipation, and with the Kato
 * estimator its consistency with T^Δ/Δt and the per-layer split. `projectorChange` is
 * ‖P'_σ − P_σ‖_F² per computed shell.
 */
export function spectralChecks(
  grid: ShellGrid,
  prev: CheckpointResult,
  cur: CheckpointResult,
  interval: { readonly transport: ArrayLike<number>; readonly dissipation: ArrayLike<number> },
  projectorChange: ArrayLike<number>,
  kato: { readonly transport: ArrayLike<number>; readonly perLayer: readonly ArrayLike<number>[] } | null,
): Record<string, Check> {
  const dt = cur.t - prev.t;
  const step = stepSize(prev, cur, projectorChange);
  const checks: Record<string, Check> = { dissipationSign: dissipationSignCheck(grid, prev, interval.dissipation, dt, step) };
  if (kato) {
    checks.katoConsistency = katoConsistencyCheck(grid, interval.transport, kato.transport, prev.energy, dt, step);
    if (kato.perLayer.length > 0) checks.layerSplit = layerSplitCheck(kato.transport, kato.perLayer);
  }
  return checks;
}
