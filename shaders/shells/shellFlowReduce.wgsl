// shellFlowReduce — second half of the transport estimator's 2-D segmented reduction:
//
//   F[σ][τ] = Σ_{j: oldIndex[j] = τ} α_j · Y[j][σ]
//
// for shells σ (new, row) and τ (old, column) < shells (window + ∅), with α_j = u_jᵀ a and Y from
// shellFlow.wgsl. One thread per (σ, τ) scans j in order. The host then adds the complement
// shell ⊥ in float64 (src/reference/transport.ts, completeFlow).
//
// Bindings (group 0): params (uniform Params), y (read), alpha (read), oldIndex (read, u32), f (rw).
// Overrides: WORKGROUP_SIZE. Grid: ceil(shells² / WORKGROUP_SIZE), folded 2-D.
// Precision: f32 sum over rOld terms in j order: |error| ≤ γ_rOld Σ_j |α_j Y_jσ|.
// Reference twin: src/reference/transport.ts (shellFlowReduce).

struct Params {
  rOld: u32,
  shells: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> alpha: array<f32>;
@group(0) @binding(3) var<storage, read> oldIndex: array<u32>;
@group(0) @binding(4) var<storage, read_write> f: array<f32>;

override WORKGROUP_SIZE: u32 = 64;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.shells * params.shells) {
    return;
  }
  let sigma = e / params.shells;
  let tau = e % params.shells;
  var sum = 0.0;
  for (var j = 0u; j < params.rOld; j++) {
    if (oldIndex[j] == tau) {
      sum += alpha[j] * y[j * params.shells + sigma];
    }
  }
  f[e] = sum;
}
