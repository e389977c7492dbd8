// elementwise — the training lab's elementwise kernel family: activations φ and φ′, skip
// connections, residuals e = f − y, Hadamard products and the parameter update, one element per
// thread. The operation (OP) and the activation (ACT) are pipeline-overridable constants, so each
// pipeline compiles to straight-line code (a uniform switch costs llvmpipe ~5× per element).
//
//   op 0 act         out[i] = φ(x[i])
//   op 1 actGradMul  out[i] = φ′(x[i]) · out[i]                 (backward through φ, in place)
//   op 2 actGradFma  out[i] = φ′(x[i]) · out[i] + y[i]          (backward through φ plus a skip)
//   op 3 axpby       out[i] = alpha · x[i] + beta · y[i]
//   op 4 scale       out[i] = alpha · x[i]
//   op 5 axpy        out[i] = out[i] + alpha · x[i]             (skip add, W ← W − η·G, sums)
//   op 6 hadamard    out[i] = alpha · x[i] · y[i]               (per-layer NTK (GGᵀ)∘(ZZᵀ))
//   op 7 residual    out[i] = alpha · (x[i·group + i mod group] − y[i])
//                    (group = C picks output c = i mod C of the row i of a C-times replicated
//                    forward pass; group = 1 is a plain difference)
//
// for i < len. Activations (ACT): 0 relu (relu′(0) = 0), 1 tanh, 2 gelu (tanh approximation
// 0.5·v·(1 + tanh(√(2/π)(v + 0.044715·v³)))), 3 identity. tanh is evaluated as
// sign(v)·(1 − t)/(1 + t) with t = exp(−2|v|), which cannot overflow.
// Every index is relative to its *Shift (the element where the operand's window starts, see
// bindWindow in src/gpu/kernel.ts). Operands an op does not read are bound to another read-only
// operand and never touched.
//
// Bindings (group 0): params (uniform Params), x (read), y (read), out (read_write).
// Overrides: WORKGROUP_SIZE, OP (0–7 above), ACT (0–3 above). Grid: ceil(len / WORKGROUP_SIZE) workgroups, folded 2-D
// (index = wid.x + wid.y · nwg.x).
// Precision: f32; ops 1–7 are one or two roundings per element (≤ 1.5 ulp of the largest
// term); φ and φ′ of relu/identity are exact, tanh and gelu carry the platform's exp error
// (absolute error a few ulp of 1).
// Reference twin: src/reference/mlp.ts (elementwise, activation, activationDerivative).

struct Params {
  len: u32,
  group: u32,
  xShift: u32,
  yShift: u32,
  outShift: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WORKGROUP_SIZE: u32 = 256;
override OP: u32 = 0u;
override ACT: u32 = 0u;

const GELU_K: f32 = 0.7978845608028654; // √(2/π)
const GELU_C: f32 = 0.044715;

fn tanhStable(v: f32) -> f32 {
  let t = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - t) / (1.0 + t);
}

fn phi(v: f32) -> f32 {
  switch ACT {
    case 0u: {
      return max(v, 0.0);
    }
    case 1u: {
      return tanhStable(v);
    }
    case 2u: {
      return 0.5 * v * (1.0 + tanhStable(GELU_K * (v + GELU_C * v * v * v)));
    }
    default: {
      return v;
    }
  }
}

fn phiPrime(v: f32) -> f32 {
  switch ACT {
    case 0u: {
      return select(0.0, 1.0, v > 0.0);
    }
    case 1u: {
      let t = tanhStable(v);
      return 1.0 - t * t;
    }
    case 2u: {
      let t = tanhStable(GELU_K * (v + GELU_C * v * v * v));
      return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * GELU_K * (1.0 + 3.0 * GELU_C * v * v);
    }
    default: {
      return 1.0;
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.len) {
    return;
  }
  let o = params.outShift + i;
  let xi = params.xShift + i;
  let yi = params.yShift + i;
  switch OP {
    case 0u: {
      out[o] = phi(x[xi]);
    }
    case 1u: {
      out[o] = phiPrime(x[xi]) * out[o];
    }
    case 2u: {
      out[o] = phiPrime(x[xi]) * out[o] + y[yi];
    }
    case 3u: {
      out[o] = params.alpha * x[xi] + params.beta * y[yi];
    }
    case 4u: {
      out[o] = params.alpha * x[xi];
    }
    case 5u: {
      out[o] = out[o] + params.alpha * x[xi];
    }
    case 6u: {
      out[o] = params.alpha * x[xi] * y[yi];
    }
    default: {
      let g = params.group;
      out[o] = params.alpha * (x[params.xShift + i * g + i % g] - y[yi]);
    }
  }
}
