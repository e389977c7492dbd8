// scaleVectors — dst[b][i] = src[b][i] · s[b·sStride] for batch items b and i < len (strided rows).
//
// Lanczos writes the next basis vector q_{k+1} = w / β this way, with s = inv from
// lanczosUpdate.wgsl (0 for lanes that broke down, so their vectors are exactly zero).
//
// Bindings (group 0): params (uniform Params), src (read), s (read), dst (read_write).
// Overrides: WORKGROUP_SIZE. Grid: ceil(batch·len / WORKGROUP_SIZE), folded 2-D.
// Precision: one f32 multiply per element (exact to ½ ulp).
// Reference twin: src/reference/linalg.ts (scaleVectorsF64).

struct Params {
  len: u32,
  batch: u32,
  srcStride: u32,
  dstStride: u32,
  srcShift: u32,
  dstShift: u32,
  sShift: u32,
  sStride: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> s: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

override WORKGROUP_SIZE: u32 = 256;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.batch * params.len) {
    return;
  }
  let b = e / params.len;
  let i = e % params.len;
  dst[params.dstShift + b * params.dstStride + i] = src[params.srcShift + b * params.srcStride + i] * s[params.sShift + b * params.sStride];
}
