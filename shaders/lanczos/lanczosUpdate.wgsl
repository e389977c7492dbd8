// lanczosUpdate — per-lane scalar bookkeeping of batched Lanczos / Golub–Kahan, on the GPU so that
// the iteration never waits for the host.
//
// MODE 0 (start):  given norm2[l] = ‖w_l‖², set inv[l] = 1/‖w_l‖ (0 and lane inactive when the
//                  start vector is zero or not finite), steps[l] = 0, scale[l] = 0.
// MODE 1 (step k): for an active lane,
//                  alpha[l][k] = h1[l][k] + h2[l][k]      (CGS2: the two Gram–Schmidt passes)
//                  beta[l][k]  = ‖w_l‖ = sqrt(norm2[l])   (norm of the new residual)
//                  steps[l]    = k + 1
//                  scale[l]    = max(scale, |alpha|, beta)  (running estimate of ‖T‖)
//                  breakdown when beta ≤ tol·scale or beta is not finite: the lane becomes inactive
//                  (an invariant subspace was found) and inv[l] = 0, so every later vector of the
//                  lane is exactly zero: no NaN, no ghost directions.
//                  Otherwise inv[l] = 1/beta.
// MODE 2 / 3 (Golub–Kahan half steps): like MODE 1 but the norm is stored into alpha[l][k]
//                  (MODE 2: the bidiagonal's diagonal) or beta[l][k] (MODE 3: its off-diagonal),
//                  and h1, h2 are unused. steps[l] = k + 1 after MODE 2.
//
// Bindings (group 0): params (uniform Params), h1 (read), h2 (read), norm2 (read), alpha (rw),
// beta (rw), state (rw: [l][0] = active, [l][1] = steps), scale (rw), inv (rw).
// Overrides: WORKGROUP_SIZE. Grid: ceil(lanes / WORKGROUP_SIZE); one thread per lane.
// Precision: f32; sqrt and division are correctly rounded to within 1–2.5 ulp (WGSL).
// Reference twin: src/reference/lanczos.ts (lanczosUpdateF64, this update step by step; lanczosF64
// computes the same alpha, beta, breakdown for a whole run).

struct Params {
  lanes: u32,
  k: u32,
  mode: u32,
  hStride: u32,
  tStride: u32,
  tol: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> h1: array<f32>;
@group(0) @binding(2) var<storage, read> h2: array<f32>;
@group(0) @binding(3) var<storage, read> norm2: array<f32>;
@group(0) @binding(4) var<storage, read_write> alpha: array<f32>;
@group(0) @binding(5) var<storage, read_write> beta: array<f32>;
@group(0) @binding(6) var<storage, read_write> state: array<u32>;
@group(0) @binding(7) var<storage, read_write> scale: array<f32>;
@group(0) @binding(8) var<storage, read_write> inv: array<f32>;

override WORKGROUP_SIZE: u32 = 256;

fn finite(x: f32) -> bool {
  // ±Inf and NaN are the values whose exponent bits are all ones. A bit test, not arithmetic:
  // WGSL lets compilers assume finite math, and Mesa's llvmpipe folds (x − x) == 0 to true.
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let l = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (l >= params.lanes) {
    return;
  }
  let nrm = sqrt(max(norm2[l], 0.0));
  if (params.mode == 0u) {
    let ok = finite(nrm) && nrm > 0.0;
    state[2u * l] = select(0u, 1u, ok);
    state[2u * l + 1u] = 0u;
    scale[l] = 0.0;
    inv[l] = select(0.0, 1.0 / nrm, ok);
    return;
  }
  if (state[2u * l] == 0u) {
    inv[l] = 0.0;
    return;
  }
  let t = l * params.tStride + params.k;
  let norm = select(0.0, nrm, finite(nrm));
  var s = max(scale[l], norm);
  if (params.mode == 1u) {
    let h = l * params.hStride + params.k;
    let a = h1[h] + h2[h];
    alpha[t] = select(0.0, a, finite(a));
    beta[t] = norm;
    s = max(s, abs(a));
  } else if (params.mode == 2u) {
    alpha[t] = norm;
  } else {
    beta[t] = norm;
  }
  if (params.mode != 3u) {
    state[2u * l + 1u] = params.k + 1u;
  }
  scale[l] = select(s, 0.0, !finite(s));
  if (!finite(nrm) || !finite(s) || nrm <= params.tol * s) {
    state[2u * l] = 0u; // breakdown: an invariant subspace was found
    inv[l] = 0.0;
  } else {
    inv[l] = 1.0 / nrm;
  }
}
