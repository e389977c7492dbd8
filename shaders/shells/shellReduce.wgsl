// shellReduce — per-shell segmented sums of weights, batched:
//
//   weight[b][s]       = Σ_{k: index[b][k] = s} w_k
//   lambdaWeight[b][s] = Σ_{k: index[b][k] = s} λ_k w_k
//   counts[b][s]       = #{k: index[b][k] = s}
//
// for s < shells (the window shells and ∅), with w_k = amplitude_k² when SQUARE (shell energies
// c_k² from amplitudes c_k = u_kᵀe) or w_k = amplitude_k otherwise (quadrature weights). One thread
// per (b, s) scans the batch item's values in index order, so the sum order is the reference's.
//
// Bindings (group 0): params (uniform Params), values (read), amplitudes (read), index (read, u32),
// weight (rw), lambdaWeight (rw), counts (rw).
// Overrides: WORKGROUP_SIZE, SQUARE. Grid: ceil(batch·shells / WORKGROUP_SIZE), folded 2-D.
// Precision: f32 sums in index order: |error| ≤ γ_len Σ|w| per shell (6e-5·Σ|w| at len 1024).
// Reference twin: src/reference/shells.ts (shellReduceF64 for given indices; binShells with assignShell).

struct Params {
  batch: u32,
  len: u32,
  stride: u32,
  shells: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read> amplitudes: array<f32>;
@group(0) @binding(3) var<storage, read> index: array<u32>;
@group(0) @binding(4) var<storage, read_write> weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> lambdaWeight: array<f32>;
@group(0) @binding(6) var<storage, read_write> counts: array<f32>;

override WORKGROUP_SIZE: u32 = 64;
override SQUARE: bool = true;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.batch * params.shells) {
    return;
  }
  let b = e / params.shells;
  let s = e % params.shells;
  var w = 0.0;
  var lw = 0.0;
  var c = 0.0;
  let base = b * params.stride;
  for (var k = 0u; k < params.len; k++) {
    if (index[base + k] == s) {
      let a = amplitudes[base + k];
      let wk = select(a, a * a, SQUARE);
      w += wk;
      lw += values[base + k] * wk;
      c += 1.0;
    }
  }
  weight[e] = w;
  lambdaWeight[e] = lw;
  counts[e] = c;
}
