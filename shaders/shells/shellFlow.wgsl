// shellFlow — first half of the 2-D segmented reduction of the transport estimator
// (docs/math.md, Transport between checkpoints):
//
//   Y[j][σ] = Σ_{k: newIndex[k] = σ} O[j][k] · β_k
//
// for old eigenvectors j < rOld and shells σ < shells (window + ∅), with O = U Vᵀ (rOld × rNew,
// row-major, from the gemm kernel) and β_k = v_kᵀ a. One thread per (j, σ) scans k in order.
// shellFlowReduce.wgsl finishes F[σ][τ] = Σ_{j: oldIndex[j] = τ} α_j Y[j][σ].
//
// Bindings (group 0): params (uniform Params), o (read), beta (read), newIndex (read, u32), y (rw).
// Overrides: WORKGROUP_SIZE. Grid: ceil(rOld·shells / WORKGROUP_SIZE), folded 2-D.
// Precision: f32 sum over rNew terms in k order: |error| ≤ γ_rNew Σ_k |O_jk β_k|.
// Reference twin: src/reference/transport.ts (shellFlowRows).

struct Params {
  rOld: u32,
  rNew: u32,
  shells: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> o: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read> newIndex: array<u32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

override WORKGROUP_SIZE: u32 = 64;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.rOld * params.shells) {
    return;
  }
  let j = e / params.shells;
  let s = e % params.shells;
  var sum = 0.0;
  let row = j * params.rNew;
  for (var k = 0u; k < params.rNew; k++) {
    if (newIndex[k] == s) {
      sum += o[row + k] * beta[k];
    }
  }
  y[e] = sum;
}
