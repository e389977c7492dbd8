/**
 * The training lab on the GPU against its float64 twin (src/reference/mlp.ts): the elementwise
 * kernel family, forward/backward/NTK/one GD step on every architecture, GD and SGD training,
 * linearized training against the closed form of spec T8, the depth-aware learning-rate
 * correction, batches of replicas (each replica against its own twin, SGD against lone labs), and
 * the validation of configurations.
 *
 * Tolerances (u = 2⁻²⁴): a chain of T dense layers whose longest reduction has K terms carries a
 * normwise relative f32 error of at most ≈ T·γ_K ≈ T·K·u (forward, backward and the Gram products
 * of the NTK each add one such chain); the tests allow 4·T·K·u. Parameters after a step are W − ηG
 * rounded to f32, so the step ΔW additionally carries u‖W‖.
 */
import { describe, expect } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { elementwiseGpu, type ElementwiseActivation, type ElementwiseOp } from '../../src/kernels/elementwise.ts';
import {
  learningRateMultipliers,
  type Activation,
  type Architecture,
  type ModelConfig,
  type Parametrization,
} from '../../src/lab/models.ts';
import { kernelRegression, teacherStudent, type Task } from '../../src/lab/tasks.ts';
import { createLab, createLabBatch, type Lab, type LabCheckpoint } from '../../src/lab/trainer.ts';
import { elementwise, mlpDiagnostics, mlpForward, mlpGdStep, mlpGradients, mlpLoss, mlpNtk } from '../../src/reference/mlp.ts';
import { randomF32 } from '../helpers/data.ts';
import { gpuBackend, gpuTest, useGpu } from '../helpers/gpu.ts';

useGpu();
const u = 2 ** -24;

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! ** 2;
  return Math.sqrt(s);
}

/** Runs `fn` with a lab that is disposed afterwards. */
async function withLab<T>(ctx: GpuContext, model: ModelConfig, task: Task, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab(ctx, model, task);
  try {
    return await fn(lab);
  } finally {
    lab.dispose();
  }
}

describe(`elementwise kernel family on ${gpuBackend}: GPU vs float64 twin, entrywise`, () => {
  gpuTest('every op, every activation', async (ctx) => {
    const len = 777;
    const x = randomF32(2 * len, 'ew x').map((v) => 3 * v);
    const y = randomF32(len, 'ew y');
    const out = randomF32(len, 'ew out');
    const ops: ElementwiseOp[] = ['act', 'actGradMul', 'actGradFma', 'axpby', 'scale', 'axpy', 'hadamard', 'residual'];
    const acts: ElementwiseActivation[] = ['relu', 'tanh', 'gelu', 'identity'];
    let worst = 0;
    for (const op of ops) {
      for (const activation of op.startsWith('act') ? acts : (['identity'] as const)) {
        const args = { op, len, activation, alpha: 1.5, beta: -0.75, group: op === 'residual' ? 2 : 1 };
        const got = await elementwiseGpu(ctx, { ...args, x, y, out });
        const ref = elementwise({ ...args, x, y, out });
        for (let i = 0; i < len; i++) {
          // Two roundings of the largest term, plus the platform's exp error (absolute, ~ulp of 1) for tanh/gelu.
          const scale = Math.abs(ref[i]!) + Math.abs(x[i]!) * 3 + Math.abs(y[i]!) + Math.abs(out[i]!);
          const transcendental =
            activation === 'tanh' || activation === 'gelu' ? 3e-6 * (1 + Math.abs(x[i]!)) * (1 + Math.abs(out[i]!)) : 0;
          const bound = 4 * u * scale + transcendental;
          const err = Math.abs(got[i]! - ref[i]!);
          if (!(err <= bound)) expect.fail(`${op}/${activation}[${i}]: GPU ${got[i]}, twin ${ref[i]}, |error| ${err} > ${bound}`);
          worst = Math.max(worst, err / bound);
        }
      }
    }
    console.log(`elementwise ${gpuBackend}: max |error|/bound = ${worst.toExponential(2)}`);
  });
});

describe(`training lab on ${gpuBackend}: GPU vs float64 twin`, () => {
  const cases: [Architecture, Activation, Parametrization][] = [
    ['residual', 'relu', 'depthMuP'],
    ['residual2', 'tanh', 'muP'],
    ['plain', 'gelu', 'standard'],
    ['linear', 'relu', 'standard'],
  ];
  const task = teacherStudent({ inputDim: 5, trainSize: 24, probeSize: 6, spectrumDecay: 1, seed: 3, outputs: 2 });
  for (const [architecture, activation, parametrization] of cases) {
    gpuTest(
      `${architecture} (${activation}, ${parametrization}, C = 2): forward, gradients, per-layer NTK, one GD step, diagnostics`,
      async (ctx) => {
        const model: ModelConfig = {
          architecture,
          depth: 3,
          width: 16,
          inputDim: 5,
          outputs: 2,
          activation,
          parametrization,
          branchScale: 1.3,
          seed: 11,
        };
        await withLab(ctx, model, task, async (lab) => {
          const spec = lab.model;
          const T = spec.tensors.length;
          const K = Math.max(spec.width, spec.inputDim, task.trainSize);
          const tol = 4 * T * K * u;
          const eta = 0.05;
          const layerLearningRates = { W_out: 0.5, theta: 0.5 };
          const overrides = Object.fromEntries(Object.entries(layerLearningRates).filter(([k]) => lab.layerNames.includes(k)));
          const ratios = learningRateMultipliers(spec, { layerLearningRates: overrides });
          const p0 = await lab.parameters();
          if (architecture === 'linear') p0.theta = randomF32(p0.theta!.length, 'theta0');
          await lab.setParameters(p0);
          const errors: Record<string, number> = {};

          const g = await lab.gradients();
          const gRef = mlpGradients(spec, p0, task.trainX, task.trainY, task.trainSize);
          errors.gradients = Math.max(...spec.tensors.map((t) => relErr(g[t.name]!, gRef.gradients[t.name]!)));

          const cps: LabCheckpoint[] = [];
          const summary = await lab.train({
            steps: 1,
            learningRate: eta,
            optimizer: 'gd',
            checkpoints: [0, 1],
            layerLearningRates: overrides,
            onCheckpoint: (cp) => void cps.push(cp),
          });
          const p1 = await lab.parameters();
          const p1Ref = mlpGdStep(spec, p0, task.trainX, task.trainY, task.trainSize, eta, ratios);
          errors.parameters = Math.max(...spec.tensors.map((t) => relErr(p1[t.name]!, p1Ref[t.name]!)));
          let stepExcess = 0;
          for (const t of spec.tensors) {
            const dGpu = p1[t.name]!.map((v, i) => v - p0[t.name]![i]!);
            const dRef = p1Ref[t.name]!.map((v, i) => v - p0[t.name]![i]!);
            const allowed = tol * norm(dRef) + 2 * u * norm(p0[t.name]!);
            stepExcess = Math.max(stepExcess, norm(dGpu.map((v, i) => v - dRef[i]!)) / allowed);
          }
          expect(stepExcess, 'ΔW of one step').toBeLessThanOrEqual(1);
          expect(Math.abs(summary.losses[0]! / gRef.loss - 1)).toBeLessThan(tol);

          for (const [cp, params, step] of [
            [cps[0]!, p0, 0],
            [cps[1]!, p1, 1],
          ] as const) {
            expect(cp.step).toBe(step);
            expect(cp.timeScale).toBeCloseTo(eta / task.trainSize, 15);
            expect(cp.layerNames).toEqual(spec.tensors.map((t) => t.name));
            const loss = mlpLoss(spec, params, task.trainX, task.trainY, task.trainSize);
            errors[`loss@${step}`] = Math.abs(cp.loss / loss - 1);
            const f = mlpForward(spec, params, task.probeX, task.probeSize).outputs;
            const e = f.map((v, i) => v - task.probeY[i]!);
            errors[`residual@${step}`] = relErr(cp.residual, e);
            expect(cp.probeLoss).toBeCloseTo(e.reduce((s, v) => s + v * v, 0) / (2 * task.probeSize), 5);
            const ntk = mlpNtk(spec, params, task.probeX, task.probeSize, ratios);
            errors[`kernel@${step}`] = relErr(cp.kernel, ntk.kernel);
            errors[`layers@${step}`] = Math.max(...ntk.layers.map((k, l) => relErr(cp.layers[l]!, k)));
            const diag = mlpDiagnostics(spec, params, p0, task.probeX, task.probeSize);
            expect(cp.diagnostics.layerGains).toHaveLength(diag.layerGains.length);
            errors[`gains@${step}`] = diag.layerGains.length ? relErr(cp.diagnostics.layerGains, diag.layerGains) : 0;
            expect(cp.diagnostics.featureUpdates.map((r) => [r.block, r.internal])).toEqual(
              diag.featureUpdates.map((r) => [r.block, r.internal]),
            );
            if (step === 1 && diag.featureUpdates.length) {
              errors.featureUpdates = relErr(
                cp.diagnostics.featureUpdates.map((r) => r.ratio),
                diag.featureUpdates.map((r) => r.ratio),
              );
            }
          }
          // Σ_l layers = kernel (f32 sums of the same terms).
          const cp = cps[1]!;
          const sum = new Float64Array(cp.kernel.length);
          for (const layer of cp.layers) for (let i = 0; i < sum.length; i++) sum[i]! += layer[i]!;
          errors.layerSum = relErr(cp.kernel, sum);
          const report = Object.entries(errors)
            .map(([k, v]) => `${k} ${v.toExponential(1)}`)
            .join(', ');
          console.log(`lab ${gpuBackend} ${architecture}: relative errors (tolerance ${tol.toExponential(1)}): ${report}`);
          for (const [name, err] of Object.entries(errors))
            if (!(err <= tol)) expect.fail(`${architecture} ${name}: relative error ${err} > ${tol}`);
        });
      },
    );
  }
});

describe(`training lab on ${gpuBackend}: batches of replicas`, () => {
  const seeds = [21, 22, 23];
  const tasks = seeds.map((seed) => teacherStudent({ inputDim: 5, trainSize: 24, probeSize: 6, spectrumDecay: 1, seed, outputs: 2 }));
  for (const architecture of ['residual2', 'plain'] as const) {
    gpuTest(`${architecture}, 3 replicas (own seed, own task, C = 2): each replica matches its own float64 twin`, async (ctx) => {
      const models = seeds.map((seed): ModelConfig => ({
        architecture,
        depth: 2,
        width: 16,
        inputDim: 5,
        outputs: 2,
        activation: 'tanh',
        parametrization: 'depthMuP',
        seed,
      }));
      using batch = await createLabBatch(ctx, models, tasks);
      const spec = batch.models[0]!;
      const tol = 4 * spec.tensors.length * Math.max(spec.width, spec.inputDim, 24) * u;
      const ratios = learningRateMultipliers(spec);
      const eta = 0.05;
      const p0 = await batch.parameters();
      const g = await batch.gradients();
      const cps: LabCheckpoint[][] = [];
      const summaries = await batch.train({
        steps: 1,
        learningRate: eta,
        optimizer: 'gd',
        checkpoints: [1],
        onCheckpoint: (c) => void cps.push(c),
      });
      const p1 = await batch.parameters();
      // The same checkpoint without the per-layer read-back: no layers, the same K_eff.
      const lean = await batch.checkpoint({ learningRate: eta, step: 1, layerKernels: false });
      expect(lean.map((c) => c.layers.length)).toEqual([0, 0, 0]);
      lean.forEach((c, r) => expect(Array.from(c.kernel)).toEqual(Array.from(cps[0]![r]!.kernel)));
      expect(summaries).toHaveLength(3);
      expect(cps[0]).toHaveLength(3);
      for (let r = 0; r < 3; r++) {
        const task = tasks[r]!;
        const errors: Record<string, number> = {};
        const own = batch.models[r]!;
        expect(own.config.seed).toBe(seeds[r]);
        // Distinct replicas: the initializations differ.
        if (r > 0) expect(relErr(p0[r]!.W_in!, p0[0]!.W_in!)).toBeGreaterThan(0.5);
        const gRef = mlpGradients(own, p0[r]!, task.trainX, task.trainY, task.trainSize);
        errors.gradients = Math.max(...spec.tensors.map((t) => relErr(g[r]![t.name]!, gRef.gradients[t.name]!)));
        errors.loss = Math.abs(summaries[r]!.losses[0]! / gRef.loss - 1);
        const p1Ref = mlpGdStep(own, p0[r]!, task.trainX, task.trainY, task.trainSize, eta, ratios);
        errors.parameters = Math.max(...spec.tensors.map((t) => relErr(p1[r]![t.name]!, p1Ref[t.name]!)));
        const cp = cps[0]![r]!;
        const f = mlpForward(own, p1[r]!, task.probeX, task.probeSize).outputs;
        errors.residual = relErr(
          cp.residual,
          f.map((v, i) => v - task.probeY[i]!),
        );
        const ntk = mlpNtk(own, p1[r]!, task.probeX, task.probeSize, ratios);
        errors.kernel = relErr(cp.kernel, ntk.kernel);
        errors.layers = Math.max(...ntk.layers.map((k, l) => relErr(cp.layers[l]!, k)));
        const diag = mlpDiagnostics(own, p1[r]!, p0[r]!, task.probeX, task.probeSize);
        errors.gains = relErr(cp.diagnostics.layerGains, diag.layerGains);
        errors.featureUpdates = relErr(
          cp.diagnostics.featureUpdates.map((x) => x.ratio),
          diag.featureUpdates.map((x) => x.ratio),
        );
        for (const [name, err] of Object.entries(errors))
          if (!(err <= tol)) expect.fail(`replica ${r} ${name}: relative error ${err} > ${tol}`);
      }
    });
  }

  gpuTest('SGD in a batch equals lone labs trained with the same seeds (replica r uses seed + r)', async (ctx) => {
    const models = seeds.map((seed): ModelConfig => ({
      architecture: 'residual',
      depth: 2,
      width: 8,
      inputDim: 5,
      outputs: 2,
      activation: 'relu',
      parametrization: 'muP',
      seed,
    }));
    const options = { steps: 12, learningRate: 0.05, optimizer: 'sgd' as const, batchSize: 10, seed: 7, checkpoints: [12] };
    let batchLosses: Float64Array[] = [];
    {
      using batch = await createLabBatch(ctx, models, tasks);
      batchLosses = (await batch.train({ ...options, onCheckpoint: () => {} })).map((s) => s.losses);
    }
    for (let r = 0; r < 3; r++) {
      await withLab(ctx, models[r]!, tasks[r]!, async (lab) => {
        const lone = await lab.train({ ...options, seed: options.seed + r, onCheckpoint: () => {} });
        // 12 steps of f32 rounding (split-K sums may be cut differently in a batch).
        expect(relErr(batchLosses[r]!, lone.losses)).toBeLessThan(1e-5);
      });
    }
  });

  gpuTest('replicas must share one shape; errors name the replica', async (ctx) => {
    const model: ModelConfig = {
      architecture: 'plain',
      depth: 2,
      width: 8,
      inputDim: 5,
      outputs: 2,
      activation: 'relu',
      parametrization: 'standard',
      seed: 1,
    };
    await expect(createLabBatch(ctx, [model, { ...model, depth: 3, seed: 2 }], tasks.slice(0, 2))).rejects.toThrow(
      /`models\[1\]`.*except for its seed/,
    );
    const small = teacherStudent({ inputDim: 5, trainSize: 20, probeSize: 6, spectrumDecay: 1, seed: 1, outputs: 2 });
    await expect(createLabBatch(ctx, [model, { ...model, seed: 2 }], [tasks[0]!, small])).rejects.toThrow(/`tasks\[1\]\.trainSize`/);
    await expect(createLabBatch(ctx, [model], tasks)).rejects.toThrow(/`tasks`.*one task per model/);
    using batch = await createLabBatch(ctx, [model, { ...model, seed: 2 }], tasks.slice(0, 2));
    const diverging = batch.train({ steps: 200, learningRate: 1e4, optimizer: 'gd', checkpoints: [], onCheckpoint: () => {} });
    await expect(diverging).rejects.toThrow(/diverged at step \d+.* in replica \d \(model seed \d\)/);
  });
});

describe(`training lab on ${gpuBackend}: training`, () => {
  const task = teacherStudent({ inputDim: 4, trainSize: 32, probeSize: 8, spectrumDecay: 1.5, seed: 5 });
  const model: ModelConfig = {
    architecture: 'residual',
    depth: 2,
    width: 16,
    inputDim: 4,
    activation: 'tanh',
    parametrization: 'depthMuP',
    seed: 2,
  };

  gpuTest('GD at a stable step size lowers the loss monotonically over 150 steps; checkpoint losses match the step losses', async (ctx) => {
    await withLab(ctx, model, task, async (lab) => {
      const cps: LabCheckpoint[] = [];
      let midParameters: Record<string, Float32Array> | null = null;
      const s = await lab.train({
        steps: 150,
        learningRate: 1,
        optimizer: 'gd',
        checkpoints: [0, 75, 150],
        onCheckpoint: async (cp) => {
          cps.push(cp);
          if (cp.step === 75) midParameters = await lab.parameters(); // allowed: nothing is in flight
        },
        stepsPerSubmission: 50,
      });
      expect(midParameters).not.toBeNull();
      expect(s.steps).toBe(150);
      expect(s.checkpoints).toBe(3);
      for (let k = 1; k < 150; k++) expect(s.losses[k]!).toBeLessThanOrEqual(s.losses[k - 1]! * (1 + 1e-5));
      expect(s.finalLoss).toBeLessThan(0.5 * s.losses[0]!);
      expect(cps.map((c) => c.step)).toEqual([0, 75, 150]);
      expect(cps[0]!.loss / s.losses[0]! - 1).toBeLessThan(1e-6);
      expect(cps[1]!.loss / s.losses[75]! - 1).toBeLessThan(1e-6);
      expect(cps[2]!.loss).toBe(s.finalLoss);
      expect(Number.isFinite(cps[2]!.probeLoss)).toBe(true); // (32 points: the probe loss may rise — overfitting)
      // Learning moved the features; the kernel drifted.
      expect(cps[2]!.diagnostics.featureUpdates.every((f) => f.ratio > 0)).toBe(true);
      expect(relErr(cps[2]!.kernel, cps[0]!.kernel)).toBeGreaterThan(1e-3);
      console.log(
        `lab ${gpuBackend} GD: loss ${s.losses[0]!.toFixed(4)} → ${s.finalLoss.toFixed(4)}, ${(s.stepSeconds * 1e3).toFixed(1)} ms/step`,
      );
    });
  });

  gpuTest('SGD with seeded minibatches runs, is reproducible, and lowers the loss', async (ctx) => {
    await withLab(ctx, { ...model, depth: 1 }, task, async (lab) => {
      const p0 = await lab.parameters();
      const run = async (seed: number) => {
        await lab.setParameters(p0);
        const cps: LabCheckpoint[] = [];
        const s = await lab.train({
          steps: 30,
          learningRate: 0.2,
          optimizer: 'sgd',
          batchSize: 10,
          seed,
          checkpoints: [0, 30],
          onCheckpoint: (cp) => void cps.push(cp),
        });
        return { s, cps };
      };
      const a = await run(1);
      const b = await run(1);
      const c = await run(2);
      expect(Array.from(b.s.losses)).toEqual(Array.from(a.s.losses));
      expect(Array.from(c.s.losses)).not.toEqual(Array.from(a.s.losses));
      expect(a.cps[1]!.loss).toBeLessThan(0.8 * a.cps[0]!.loss);
      expect(a.s.finalLoss).toBe(a.cps[1]!.loss);
      console.log(`lab ${gpuBackend} SGD: loss ${a.cps[0]!.loss.toFixed(4)} → ${a.cps[1]!.loss.toFixed(4)}`);
    });
  });

  gpuTest('linear model on kernelRegression follows c_k(s) = (1 − ηλ_k/N)^s c_k(0) (spec T8)', async (ctx) => {
    const n = 32;
    const kr = kernelRegression({ n, nu: 1.5, kappa: 0.5, Lambda: 4, C: 1, seed: 8 });
    const eta = (0.5 * n) / kr.eigenvalues[0]!; // ηλ₁/N = 0.5
    const lin: ModelConfig = {
      architecture: 'linear',
      depth: 1,
      width: 1,
      inputDim: n,
      activation: 'relu',
      parametrization: 'standard',
      seed: 1,
    };
    await withLab(ctx, lin, kr, async (lab) => {
      const cps: LabCheckpoint[] = [];
      const steps = 60;
      await lab.train({ steps, learningRate: eta, optimizer: 'gd', checkpoints: [0, 7, steps], onCheckpoint: (cp) => void cps.push(cp) });
      const c0 = norm(kr.initialAmplitudes);
      let worst = 0;
      for (const cp of cps) {
        expect(cp.timeScale).toBeCloseTo(eta / n, 14);
        const s = cp.step;
        // f32: every step rounds e and θ (≈ 4u‖e‖ per step), Φ is rounded (≈ u relative in K).
        const bound = 8 * (s + 1) * u * c0;
        for (let k = 0; k < n; k++) {
          let ck = 0;
          for (let i = 0; i < n; i++) ck += kr.modes[i * n + k]! * cp.residual[i]!;
          const exact = (1 - (eta * kr.eigenvalues[k]!) / n) ** s * kr.initialAmplitudes[k]!;
          const err = Math.abs(ck - exact);
          if (!(err <= bound)) expect.fail(`step ${s}, mode ${k}: c_k = ${ck}, closed form ${exact}, |error| ${err} > ${bound}`);
          worst = Math.max(worst, err / c0);
        }
      }
      // The kernel is ΦΦᵀ = U diag(λ) Uᵀ, constant in time.
      const K = cps[2]!.kernel;
      let diagErr = 0;
      for (let k = 0; k < n; k++) {
        let q = 0;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += K[i * n + j]! * kr.modes[j * n + k]!;
          q += kr.modes[i * n + k]! * s;
        }
        diagErr = Math.max(diagErr, Math.abs(q - kr.eigenvalues[k]!) / kr.eigenvalues[0]!);
      }
      expect(diagErr).toBeLessThan(4 * n * u);
      console.log(
        `lab ${gpuBackend} T8: max |c_k − closed form|/‖c(0)‖ = ${worst.toExponential(2)}, max |u_kᵀKu_k − λ_k|/λ₁ = ${diagErr.toExponential(2)}`,
      );
    });
  });

  gpuTest('the depth correction η^{(1)} = η(L/L₀)^γ changes only the first internal layer of every block', async (ctx) => {
    const m2: ModelConfig = {
      architecture: 'residual2',
      depth: 2,
      width: 8,
      inputDim: 4,
      activation: 'relu',
      parametrization: 'depthMuP',
      seed: 4,
    };
    await withLab(ctx, m2, task, async (lab) => {
      const p0 = await lab.parameters();
      const step = async (depthCorrection?: { gamma: number; referenceDepth: number }) => {
        await lab.setParameters(p0);
        const cps: LabCheckpoint[] = [];
        await lab.train({
          steps: 1,
          learningRate: 0.1,
          optimizer: 'gd',
          checkpoints: [0],
          onCheckpoint: (cp) => void cps.push(cp),
          ...(depthCorrection ? { depthCorrection } : {}),
        });
        return { p: await lab.parameters(), cp: cps[0]! };
      };
      const plain = await step();
      const corrected = await step({ gamma: 1, referenceDepth: 1 }); // (2/1)^1 = 2
      for (const name of lab.layerNames) {
        const d0 = plain.p[name]!.map((v, i) => v - p0[name]![i]!);
        const d1 = corrected.p[name]!.map((v, i) => v - p0[name]![i]!);
        const l = lab.layerNames.indexOf(name);
        if (/^W_\d+\.1$/.test(name)) {
          expect(norm(d1.map((v, i) => v - 2 * d0[i]!))).toBeLessThanOrEqual(8 * u * norm(p0[name]!));
          expect(norm(d0)).toBeGreaterThan(0);
          expect(Array.from(corrected.cp.layers[l]!)).toEqual(Array.from(plain.cp.layers[l]!, (v) => 2 * v));
        } else {
          expect(Array.from(corrected.p[name]!)).toEqual(Array.from(plain.p[name]!));
          expect(Array.from(corrected.cp.layers[l]!)).toEqual(Array.from(plain.cp.layers[l]!));
        }
      }
    });
  });
});

describe(`training lab on ${gpuBackend}: errors and resources`, () => {
  const task = teacherStudent({ inputDim: 3, trainSize: 16, probeSize: 4, spectrumDecay: 1, seed: 1 });
  const model: ModelConfig = {
    architecture: 'plain',
    depth: 2,
    width: 8,
    inputDim: 3,
    activation: 'relu',
    parametrization: 'standard',
    seed: 1,
  };

  gpuTest('bad configurations and a diverging learning rate throw InvalidArgumentError saying what to change', async (ctx) => {
    const bad: [Partial<Record<keyof ModelConfig, unknown>>, RegExp][] = [
      [{ width: 0 }, /`model\.width`.*set model\.width ≥ 1/],
      [{ depth: 0 }, /`model\.depth`.*set model\.depth ≥ 1/],
      [{ activation: 'swish' }, /`model\.activation`.*use one of 'relu', 'tanh', 'gelu'/],
      [{ inputDim: 5 }, /`model\.inputDim`.*must equal the task's input dimension 3/],
      [{ branchScale: -1 }, /`model\.branchScale`.*> 0/],
    ];
    for (const [patch, message] of bad) {
      const attempt = createLab(ctx, { ...model, ...patch } as ModelConfig, task);
      await expect(attempt).rejects.toThrow(InvalidArgumentError);
      await expect(attempt).rejects.toThrow(message);
    }
    await withLab(ctx, model, task, async (lab) => {
      const base = { steps: 4, learningRate: 0.1, optimizer: 'gd' as const, checkpoints: [], onCheckpoint: () => {} };
      await expect(lab.train({ ...base, learningRate: 0 })).rejects.toThrow(/`learningRate`.*> 0/);
      await expect(lab.train({ ...base, checkpoints: [5] })).rejects.toThrow(/`checkpoints`.*0…4/);
      await expect(lab.train({ ...base, optimizer: 'sgd', batchSize: 17 })).rejects.toThrow(/`batchSize`.*1…16/);
      await expect(lab.train({ ...base, depthCorrection: { gamma: 0.5, referenceDepth: 1 } })).rejects.toThrow(/residual2/);
      const seen: LabCheckpoint[] = [];
      const diverging = lab.train({
        ...base,
        steps: 200,
        learningRate: 1e4,
        checkpoints: [0, 200],
        onCheckpoint: (cp) => void seen.push(cp),
      });
      await expect(diverging).rejects.toThrow(InvalidArgumentError);
      const error = (await diverging.catch((e: unknown) => e)) as InvalidArgumentError;
      expect(error.argument).toBe('learningRate');
      expect(error.message).toMatch(/diverged at step \d+: the loss is .*Lower learningRate \(now 10000\)/);
      expect(seen.map((c) => c.step)).toEqual([0]);
      expect(seen[0]!.kernel.every(Number.isFinite)).toBe(true);
    });
  });

  gpuTest('dispose frees every GPU buffer; a disposed lab refuses work', async (ctx) => {
    const before = ctx.liveBufferCount;
    const lab = await createLab(ctx, { ...model, architecture: 'residual2' }, task);
    expect(ctx.liveBufferCount).toBeGreaterThan(before);
    await lab.train({ steps: 3, learningRate: 0.05, optimizer: 'sgd', batchSize: 5, checkpoints: [0, 3], onCheckpoint: () => {} });
    lab.dispose();
    lab.dispose();
    expect(ctx.liveBufferCount).toBe(before);
    await expect(lab.parameters()).rejects.toThrow(/disposed|dispose\(\)/);
  });
});
