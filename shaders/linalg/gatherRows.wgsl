// gatherRows — dst[b][v][j] = src[b][index[b][v]][j] for j < limit[b], and 0 for limit[b] ≤ j < len.
//
// Picks per-batch rows of a batched matrix by index (e.g. the eigenvectors of the wanted Ritz
// values from tridiagonalEigen's output, whose positions differ from lane to lane), zero-filling
// each row past its batch item's valid length.
//
// Bindings (group 0): params (uniform Params), src (read), index (read, u32), limit (read, u32:
// [b][limitOffset] with stride limitStride), dst (read_write).
// Overrides: WORKGROUP_SIZE. Grid: ceil(batch·count·len / WORKGROUP_SIZE), folded 2-D.
// Precision: exact copies.
// Reference twin: src/reference/linalg.ts (gatherRowsF64).

struct Params {
  batch: u32,
  count: u32,
  len: u32,
  srcBatchStride: u32,
  srcRowStride: u32,
  limitStride: u32,
  limitOffset: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read> limit: array<u32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

override WORKGROUP_SIZE: u32 = 256;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.batch * params.count * params.len) {
    return;
  }
  let j = e % params.len;
  let bv = e / params.len;
  let b = bv / params.count;
  var value = 0.0;
  if (j < limit[b * params.limitStride + params.limitOffset]) {
    value = src[b * params.srcBatchStride + index[bv] * params.srcRowStride + j];
  }
  dst[e] = value;
}
