// splitSum — finishes a split reduction written by matVecT / matVecN in PARTIAL mode.
//
//   y[b][v][i] = alpha · Σ_{s < splits} p[s][b][v][i] + beta · y[b][v][i]
//
// p is compact: element (s, b, v, i) at pShift + s·partialStride + (b·vectors + v)·len + i. y is strided
// like the kernel's output: b·yStride + v·yVecStride + i, plus yShift.
//
// Bindings (group 0): params (uniform Params), p (read), y (read_write).
// Overrides: WORKGROUP_SIZE.
// Grid: ceil(batch·vectors·len / WORKGROUP_SIZE) workgroups, folded 2-D; one thread per element.
// Precision: f32 sum of `splits` partials in split order.
// Reference twin: src/reference/matVec.ts (splitSumF64; the split only reorders the sums of matVecT/matVecN).

struct Params {
  len: u32,
  vectors: u32,
  batch: u32,
  splits: u32,
  partialStride: u32,
  yStride: u32,
  yVecStride: u32,
  yShift: u32,
  pShift: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> p: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WORKGROUP_SIZE: u32 = 256;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.batch * params.vectors * params.len) {
    return;
  }
  var sum = 0.0;
  for (var s = 0u; s < params.splits; s++) {
    sum += p[params.pShift + s * params.partialStride + e];
  }
  let i = e % params.len;
  let bv = e / params.len;
  let yi = params.yShift + (bv / params.vectors) * params.yStride + (bv % params.vectors) * params.yVecStride + i;
  if (params.beta == 0.0) {
    y[yi] = params.alpha * sum;
  } else {
    y[yi] = params.alpha * sum + params.beta * y[yi];
  }
}
