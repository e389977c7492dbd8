/**
 * The training lab without a GPU: the float64 twin (src/reference/mlp.ts) against finite
 * differences, the NTK identities the GPU trainer relies on, the parametrization table, the tasks
 * and the validation of configurations.
 */
import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import {
  initParameters,
  learningRateMultipliers,
  resolveModel,
  type Activation,
  type Architecture,
  type ModelConfig,
  type Parametrization,
  type ResolvedModel,
} from '../../src/lab/models.ts';
import { kernelRegression, teacherStudent } from '../../src/lab/tasks.ts';
import {
  activation,
  activationDerivative,
  elementwise,
  mlpBackward,
  mlpDiagnostics,
  mlpForward,
  mlpGdStep,
  mlpGradients,
  mlpJacobians,
  mlpLoss,
  mlpNtk,
  type MlpParameters,
} from '../../src/reference/mlp.ts';
import { rng } from '../helpers/data.ts';

const ARCHS: Architecture[] = ['residual', 'residual2', 'plain'];
const ACTS: Activation[] = ['relu', 'tanh', 'gelu'];
const PARAMS: Parametrization[] = ['standard', 'muP', 'depthMuP'];

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

function data(rows: number, cols: number, label: string): Float64Array {
  return rng(label).normals(rows * cols);
}

/** Parameters as mutable float64 copies (random for θ too, so that every path is exercised). */
function params64(model: ResolvedModel, label: string): Record<string, Float64Array> {
  const init = initParameters(model);
  const out: Record<string, Float64Array> = {};
  const r = rng(label);
  for (const t of model.tensors) out[t.name] = t.initVariance > 0 ? Float64Array.from(init[t.name]!) : r.normals(t.rows * t.cols);
  return out;
}

function tiny(architecture: Architecture, act: Activation, parametrization: Parametrization): ResolvedModel {
  return resolveModel({
    architecture,
    depth: 2,
    width: 3,
    inputDim: 2,
    outputs: 2,
    activation: act,
    parametrization,
    branchScale: 0.8,
    seed: 7,
  });
}

describe('float64 twin: gradients against central finite differences (relative 1e-6)', () => {
  const rows = 3;
  const cases: [Architecture, Activation, Parametrization][] = [['linear', 'relu', 'standard']];
  for (const a of ARCHS) for (const f of ACTS) for (const p of PARAMS) cases.push([a, f, p]);
  for (const [arch, act, par] of cases) {
    test(`${arch} ${act} ${par}`, () => {
      const model = tiny(arch, act, par);
      const x = data(rows, 2, `x ${arch}`);
      const y = data(rows, 2, `y ${arch}`);
      const p = params64(model, `p ${arch} ${act} ${par}`);
      const { gradients, loss } = mlpGradients(model, p, x, y, rows);
      expect(loss).toBeCloseTo(mlpLoss(model, p, x, y, rows), 14);
      for (const t of model.tensors) {
        const w = p[t.name]!;
        const fd = new Float64Array(w.length);
        for (let i = 0; i < w.length; i++) {
          const h = 1e-5 * Math.max(1, Math.abs(w[i]!));
          const keep = w[i]!;
          w[i] = keep + h;
          const up = mlpLoss(model, p, x, y, rows);
          w[i] = keep - h;
          const down = mlpLoss(model, p, x, y, rows);
          w[i] = keep;
          fd[i] = (up - down) / (2 * h);
        }
        const err = relErr(gradients[t.name]!, fd);
        if (!(err <= 1e-6)) expect.fail(`${t.name}: relative error ${err} against finite differences`);
      }
    });
  }
});

describe('float64 twin: NTK', () => {
  for (const arch of [...ARCHS, 'linear'] as Architecture[]) {
    test(`${arch}: K_l = J_l J_lᵀ with J from finite differences of f; Σ_l K_l = K; K_l = m²(GGᵀ)∘(ZZᵀ)`, () => {
      const model = tiny(arch, 'tanh', 'muP');
      const rows = 3;
      const C = model.outputs;
      const n = rows * C;
      const x = data(rows, 2, 'ntk x');
      const p = params64(model, `ntk ${arch}`);
      const ratios = Object.fromEntries(model.tensors.map((t, i) => [t.name, 0.5 + i]));
      const ntk = mlpNtk(model, p, x, rows, ratios);
      const jac = mlpJacobians(model, p, x, rows);
      const fwd = mlpForward(model, p, x, rows);
      // One backward pass per output with a one-hot seed: signals G and inputs Z.
      const signals = Array.from({ length: C }, (_, c) => {
        const seed = new Float64Array(n);
        for (let r = 0; r < rows; r++) seed[r * C + c] = 1;
        return mlpBackward(model, p, fwd, seed).outputSignals;
      });
      const sum = new Float64Array(n * n);
      model.tensors.forEach((t, l) => {
        const w = p[t.name]!;
        const size = w.length;
        // Finite-difference Jacobian of the outputs.
        const Jfd = new Float64Array(n * size);
        for (let q = 0; q < size; q++) {
          const h = 1e-6 * Math.max(1, Math.abs(w[q]!));
          const keep = w[q]!;
          w[q] = keep + h;
          const up = mlpForward(model, p, x, rows).outputs;
          w[q] = keep - h;
          const down = mlpForward(model, p, x, rows).outputs;
          w[q] = keep;
          for (let i = 0; i < n; i++) Jfd[i * size + q] = (up[i]! - down[i]!) / (2 * h);
        }
        expect(relErr(jac[l]!, Jfd)).toBeLessThan(1e-6);
        const r = ratios[t.name]!;
        const Kfd = new Float64Array(n * n);
        const Khad = new Float64Array(n * n);
        const z = fwd.inputs[l]!;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let q = 0; q < size; q++) s += Jfd[i * size + q]! * Jfd[j * size + q]!;
            Kfd[i * n + j] = r * s;
            const [si, ci] = [Math.floor(i / C), i % C];
            const [sj, cj] = [Math.floor(j / C), j % C];
            let gg = 0;
            for (let o = 0; o < t.rows; o++) gg += signals[ci]![l]![si * t.rows + o]! * signals[cj]![l]![sj * t.rows + o]!;
            let zz = 0;
            for (let k = 0; k < t.cols; k++) zz += z[si * t.cols + k]! * z[sj * t.cols + k]!;
            Khad[i * n + j] = r * t.multiplier ** 2 * gg * zz;
          }
        }
        expect(relErr(ntk.layers[l]!, Kfd)).toBeLessThan(1e-6);
        expect(relErr(Khad, ntk.layers[l]!)).toBeLessThan(1e-12);
        for (let i = 0; i < n * n; i++) sum[i]! += ntk.layers[l]![i]!;
      });
      expect(relErr(sum, ntk.kernel)).toBeLessThan(1e-14);
      expect(ntk.names).toEqual(model.tensors.map((t) => t.name));
    });
  }
});

describe('float64 twin: GD, diagnostics and elementwise ops', () => {
  test('a GD step is W − η·ratio·∂L/∂W and lowers the loss at a small step', () => {
    const model = tiny('residual2', 'gelu', 'depthMuP');
    const x = data(4, 2, 'gd x');
    const y = data(4, 2, 'gd y');
    const p = params64(model, 'gd p');
    const ratios = { W_out: 2 };
    const next = mlpGdStep(model, p, x, y, 4, 0.01, ratios);
    const { gradients } = mlpGradients(model, p, x, y, 4);
    for (const t of model.tensors) {
      const r = t.name === 'W_out' ? 2 : 1;
      const expected = p[t.name]!.map((v, i) => v - 0.01 * r * gradients[t.name]![i]!);
      expect(relErr(next[t.name]!, expected)).toBeLessThan(1e-15);
    }
    expect(mlpLoss(model, next, x, y, 4)).toBeLessThan(mlpLoss(model, p, x, y, 4));
  });

  test('linear GD on kernelRegression follows c_k(s) = (1 − ηλ_k/N)^s c_k(0) (spec T8, float64)', () => {
    const task = kernelRegression({ n: 16, nu: 1.5, kappa: 0.5, Lambda: 4, C: 1, seed: 3 });
    const model = resolveModel({
      architecture: 'linear',
      depth: 1,
      width: 1,
      inputDim: 16,
      activation: 'relu',
      parametrization: 'standard',
      seed: 1,
    });
    let p: MlpParameters = { theta: new Float64Array(16) };
    const eta = 2; // η λ_1 / N = 0.5
    const s = 20;
    for (let i = 0; i < s; i++) p = mlpGdStep(model, p, task.trainX, task.trainY, 16, eta);
    const e = mlpForward(model, p, task.trainX, 16).outputs.map((f, i) => f - task.trainY[i]!);
    for (let k = 0; k < 16; k++) {
      let ck = 0;
      for (let i = 0; i < 16; i++) ck += task.modes[i * 16 + k]! * e[i]!;
      const expected = (1 - (eta * task.eigenvalues[k]!) / 16) ** s * task.initialAmplitudes[k]!;
      // Φ is rounded to f32, so K differs from U diag(λ) Uᵀ by ~1e-7 relative.
      expect(Math.abs(ck - expected)).toBeLessThan(1e-6 * Math.abs(task.initialAmplitudes[0]!));
    }
  });

  test('diagnostics: gains per h^ℓ, feature updates 0 at W = W(0) and ‖ΔW z‖/‖W(0) z‖ after a change', () => {
    const model = tiny('residual2', 'tanh', 'muP');
    const x = data(3, 2, 'diag x');
    const p = params64(model, 'diag p');
    const d0 = mlpDiagnostics(model, p, p, x, 3);
    expect(d0.layerGains).toHaveLength(3);
    expect(d0.featureUpdates.map((f) => [f.block, f.internal])).toEqual([
      [1, 1],
      [1, 2],
      [2, 1],
      [2, 2],
    ]);
    for (const f of d0.featureUpdates) expect(f.ratio).toBe(0);
    const moved = { ...p, 'W_2.1': p['W_2.1']!.map((v) => 1.5 * v) };
    const d1 = mlpDiagnostics(model, moved, p, x, 3);
    expect(d1.featureUpdates[2]!.ratio).toBeCloseTo(0.5, 12);
    expect(d1.featureUpdates[3]!.ratio).toBe(0); // its input changed, but ΔW_{2,2} = 0
  });

  test('elementwise twin and activations', () => {
    expect(activation('relu', -1)).toBe(0);
    expect(activationDerivative('relu', 0)).toBe(0);
    expect(activation('gelu', 10)).toBeCloseTo(10, 10);
    for (const a of ['tanh', 'gelu'] as const) {
      for (const v of [-2, -0.3, 0.1, 1.7]) {
        const h = 1e-6;
        expect(activationDerivative(a, v)).toBeCloseTo((activation(a, v + h) - activation(a, v - h)) / (2 * h), 8);
      }
    }
    const x = [1, -2, 3, 4];
    const y = [0.5, 0.5, 1, 1];
    expect(Array.from(elementwise({ op: 'axpby', len: 4, x, y, alpha: 2, beta: -1 }))).toEqual([1.5, -4.5, 5, 7]);
    expect(Array.from(elementwise({ op: 'actGradFma', len: 4, x, y, out: [1, 1, 1, 1], activation: 'relu' }))).toEqual([1.5, 0.5, 2, 2]);
    expect(Array.from(elementwise({ op: 'residual', len: 4, x: [1, 2, 3, 4, 5, 6, 7, 8], y: [0, 0, 0, 0], group: 2 }))).toEqual([
      1, 4, 5, 8,
    ]);
    expect(Array.from(elementwise({ op: 'hadamard', len: 2, x, y, alpha: 3 }))).toEqual([1.5, -3]);
  });
});

describe('parametrizations', () => {
  const base: ModelConfig = {
    architecture: 'residual',
    depth: 4,
    width: 16,
    inputDim: 3,
    outputs: 2,
    activation: 'relu',
    parametrization: 'standard',
    seed: 1,
  };
  test('the table: multipliers, initial variances and learning-rate multipliers', () => {
    const table = (par: Parametrization, arch: Architecture = 'residual') =>
      resolveModel({ ...base, parametrization: par, architecture: arch, branchScale: 2 }).tensors.map((t) => [
        t.name,
        t.multiplier,
        t.initVariance,
        t.learningRate,
      ]);
    expect(table('standard')).toEqual([
      ['W_in', 1, 1 / 3, 1],
      ...[1, 2, 3, 4].map((l) => [`W_${l}`, 2, 1 / 16, 1]),
      ['W_out', 1, 1 / 16, 1],
    ]);
    expect(table('muP')).toEqual([
      ['W_in', 1, 1 / 3, 16],
      ...[1, 2, 3, 4].map((l) => [`W_${l}`, 2, 1 / 16, 1]),
      ['W_out', 1, 1 / 256, 1 / 16],
    ]);
    expect(table('depthMuP', 'residual2')).toEqual([
      ['W_in', 1, 1 / 3, 16],
      ...[1, 2, 3, 4].flatMap((l) => [
        [`W_${l}.1`, 1, 1 / 16, 1],
        [`W_${l}.2`, 1, 1 / 16, 1], // a/√L = 2/2
      ]),
      ['W_out', 1, 1 / 256, 1 / 16],
    ]);
    expect(
      table('depthMuP', 'plain')
        .slice(1, 5)
        .map((r) => r[1]),
    ).toEqual([1, 1, 1, 1]);
    expect(resolveModel({ ...base, architecture: 'linear' }).tensors.map((t) => [t.name, t.rows, t.cols, t.initVariance])).toEqual([
      ['theta', 2, 3, 0],
    ]);
  });

  test('initial parameters are seeded and have the table variances', () => {
    const model = resolveModel({ ...base, width: 256, parametrization: 'muP' });
    const a = initParameters(model);
    const b = initParameters(model);
    expect(a.W_1).toEqual(b.W_1);
    expect(initParameters(model, 2).W_1).not.toEqual(a.W_1);
    for (const t of model.tensors) {
      const v = a[t.name]!;
      const mean = v.reduce((s, x) => s + x * x, 0) / v.length;
      expect(mean / t.initVariance).toBeGreaterThan(t.rows * t.cols > 1000 ? 0.9 : 0.5);
      expect(mean / t.initVariance).toBeLessThan(t.rows * t.cols > 1000 ? 1.1 : 1.6);
    }
  });

  test('μP: one GD step changes features and outputs by Θ(1) in width (standard: Δf ∝ w); depth-μP: Θ(1) in depth', () => {
    /** RMS change of h^L and of f after one small GD step from initialization. */
    const change = (par: Parametrization, width: number, depth: number): { dh: number; df: number } => {
      const model = resolveModel({ ...base, depth, width, inputDim: 4, outputs: 1, parametrization: par });
      const x = data(8, 4, 'mup x');
      const y = data(8, 1, 'mup y');
      const p0 = initParameters(model);
      const p1 = mlpGdStep(model, p0, x, y, 8, 1e-3, learningRateMultipliers(model));
      const [a, b] = [mlpForward(model, p0, x, 8), mlpForward(model, p1, x, 8)];
      const rms = (u: Float64Array, v: Float64Array): number => Math.sqrt(u.reduce((s, z, i) => s + (z - v[i]!) ** 2, 0) / u.length);
      return { dh: rms(b.streams[depth]!, a.streams[depth]!), df: rms(b.outputs, a.outputs) };
    };
    const within = (ratio: number): void => {
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    };
    const [mu32, mu512] = [change('muP', 32, 2), change('muP', 512, 2)];
    within(mu512.dh / mu32.dh);
    within(mu512.df / mu32.df);
    expect(change('standard', 512, 2).df / change('standard', 32, 2).df).toBeGreaterThan(4); // ≈ 512/32 = 16
    within(change('depthMuP', 64, 8).dh / change('depthMuP', 64, 2).dh);
    expect(change('muP', 64, 8).dh / change('muP', 64, 2).dh).toBeGreaterThan(4); // no 1/√L: grows with depth
  });

  test('learning-rate multipliers: overrides and the depth correction on W_{ℓ,1} only', () => {
    const model = resolveModel({ ...base, architecture: 'residual2', parametrization: 'depthMuP' });
    const r = learningRateMultipliers(model, { layerLearningRates: { W_out: 3 }, depthCorrection: { gamma: 0.5, referenceDepth: 1 } });
    expect(r.W_in).toBe(16);
    expect(r.W_out).toBeCloseTo(3 / 16, 15);
    for (let l = 1; l <= 4; l++) {
      expect(r[`W_${l}.1`]).toBeCloseTo(2, 15); // (4/1)^0.5
      expect(r[`W_${l}.2`]).toBe(1);
    }
    expect(() => learningRateMultipliers(model, { layerLearningRates: { W_9: 1 } })).toThrow(/unknown tensor "W_9".*W_in/);
    expect(() => learningRateMultipliers(model, { layerLearningRates: { W_in: -1 } })).toThrow(InvalidArgumentError);
    expect(() => learningRateMultipliers(resolveModel(base), { depthCorrection: { gamma: 0.5, referenceDepth: 1 } })).toThrow(/residual2/);
    expect(() => learningRateMultipliers(model, { depthCorrection: { gamma: 0.5, referenceDepth: 0 } })).toThrow(/referenceDepth/);
  });

  test('invalid configurations say what to change', () => {
    const bad: [Partial<Record<keyof ModelConfig, unknown>>, RegExp][] = [
      [{ width: 0 }, /model\.width.*set model\.width ≥ 1/],
      [{ depth: 0 }, /model\.depth.*≥ 1/],
      [{ depth: 2.5 }, /model\.depth.*integer/],
      [{ activation: 'swish' }, /model\.activation.*'relu', 'tanh', 'gelu'/],
      [{ architecture: 'cnn' }, /model\.architecture.*'residual'/],
      [{ parametrization: 'ntk' }, /model\.parametrization.*'muP'/],
      [{ branchScale: 0 }, /model\.branchScale.*> 0/],
      [{ branchScale: Number.NaN }, /model\.branchScale/],
      [{ outputs: 0 }, /model\.outputs/],
      [{ inputDim: -1 }, /model\.inputDim/],
      [{ seed: 0.5 }, /model\.seed/],
    ];
    for (const [patch, message] of bad) {
      const call = () => resolveModel({ ...base, ...patch } as ModelConfig);
      expect(call).toThrow(InvalidArgumentError);
      expect(call).toThrow(message);
    }
    // Linear ignores depth and width.
    expect(resolveModel({ ...base, architecture: 'linear', depth: 0, width: 0 }).tensors).toHaveLength(1);
  });
});

describe('tasks', () => {
  test('teacherStudent: shapes, inputs on the sphere, seeded, the decay s shapes the target', () => {
    const t = teacherStudent({ inputDim: 5, trainSize: 40, probeSize: 10, spectrumDecay: 1, seed: 4, outputs: 2 });
    expect([t.trainX.length, t.trainY.length, t.probeX.length, t.probeY.length]).toEqual([200, 80, 50, 20]);
    for (let i = 0; i < 40; i++) expect(Math.hypot(...t.trainX.subarray(i * 5, i * 5 + 5))).toBeCloseTo(1, 6);
    const again = teacherStudent({ inputDim: 5, trainSize: 40, probeSize: 10, spectrumDecay: 1, seed: 4, outputs: 2 });
    expect(again.trainY).toEqual(t.trainY);
    const smooth = teacherStudent({ inputDim: 5, trainSize: 40, probeSize: 10, spectrumDecay: 3, seed: 4, outputs: 2 });
    expect(smooth.trainX).toEqual(t.trainX);
    expect(smooth.trainY).not.toEqual(t.trainY);
    expect(() => teacherStudent({ inputDim: 0, trainSize: 4, probeSize: 4, spectrumDecay: 1, seed: 1 })).toThrow(/inputDim/);
    expect(() => teacherStudent({ inputDim: 2, trainSize: 4, probeSize: 4, spectrumDecay: -1, seed: 1 })).toThrow(/spectrumDecay/);
  });

  test('kernelRegression: K = ΦΦᵀ has eigenpairs (λ_k, u_k), λ_k = Λk^{−ν}, c_k(0)² = Ck^{−(1+κ)}', () => {
    const n = 24;
    const t = kernelRegression({ n, nu: 1.2, kappa: 0.7, Lambda: 3, C: 2, seed: 9 });
    expect(t.probeX).toBe(t.trainX);
    for (let k = 0; k < n; k++) {
      expect(t.eigenvalues[k]).toBeCloseTo(3 * (k + 1) ** -1.2, 14);
      // u_kᵀ K u_k = ‖Φᵀ u_k‖²
      let q = 0;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += t.trainX[i * n + j]! * t.modes[i * n + k]!;
        q += s * s;
      }
      expect(q / t.eigenvalues[k]!).toBeCloseTo(1, 5);
      expect(t.initialAmplitudes[k]! ** 2 / (2 * (k + 1) ** -1.7)).toBeCloseTo(1, 5);
    }
    expect(() => kernelRegression({ n: 4, nu: 0, kappa: 1, Lambda: 1, C: 1, seed: 1 })).toThrow(/nu/);
  });
});
