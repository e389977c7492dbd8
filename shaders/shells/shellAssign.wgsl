// shellAssign — log-shell index and boundary flag of every eigenvalue, batched.
//
//   x = (ln λ − ln λ_ref)/h;  α = ⌊x⌋;  index = clamp(α − alphaMin, 0, count − 1)
//   index = count (the floor shell ∅) when λ < floor or λ is not a positive finite number
//   flag = 1 when the distance to the nearest boundary, min(x − α, α + 1 − x)·h, is < tol
//
// for values[b·stride + k], k < len, b < batch. Outputs index[b·stride + k] (u32) and
// flag[b·stride + k] (u32).
//
// Bindings (group 0): params (uniform Params), values (read), index (rw, u32), flag (rw, u32).
// Overrides: WORKGROUP_SIZE. Grid: ceil(batch·stride / WORKGROUP_SIZE), folded 2-D.
// Precision: WGSL's f32 log is accurate to ~2⁻²¹ absolute, so a λ within ≈ 1e-6 (in ln λ) of a
// boundary may land in either neighbour: those are flagged (tol ≫ 1e-6), and tests accept either
// shell for flagged values.
// Reference twin: src/reference/shells.ts (assignShell).

struct Params {
  batch: u32,
  len: u32,
  stride: u32,
  count: u32,
  logRef: f32,
  invWidth: f32,
  width: f32,
  floor: f32,
  tol: f32,
  alphaMin: i32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> flag: array<u32>;

override WORKGROUP_SIZE: u32 = 256;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.batch * params.stride) {
    return;
  }
  if (e % params.stride >= params.len) {
    return;
  }
  let lambda = values[e];
  // Not a positive finite number: +0, or the sign bit set (negatives, −0, −NaN), or the exponent
  // bits all ones (+∞, NaN). Bit tests rather than NaN-failing comparisons, which WGSL lets
  // compilers fold away (finite math); every finite λ up to the largest f32 stays in the window.
  let bits = bitcast<u32>(lambda);
  if (bits == 0u || bits >= 0x7f800000u || lambda < params.floor) {
    index[e] = params.count;
    flag[e] = 0u;
    return;
  }
  let x = (log(lambda) - params.logRef) * params.invWidth;
  let a = floor(x);
  let frac = x - a;
  let rel = i32(a) - params.alphaMin;
  index[e] = u32(clamp(rel, 0, i32(params.count) - 1));
  flag[e] = select(0u, 1u, min(frac, 1.0 - frac) * params.width < params.tol);
}
