// batchedDot — one pass of a two-level batched dot product (or sum, or largest magnitude).
//
//   partials[s] = Σ_{i ∈ segment s} x[i] · y[i]        (MODE 0, dot)
//   partials[s] = Σ_{i ∈ segment s} x[i]               (MODE 1, sum)
//   partials[s] = max_{i ∈ segment s} |x[i]|           (MODE 2, max-abs; a non-finite x[i] propagates)
//
// The data is `batch` rows of `n` f32 values, row r starting at element r·stride. Each row is cut
// into segments of `segment` elements; one workgroup reduces one segment. Running the kernel
// again on the partials (MODE 1 after a dot or sum, MODE 2 after a max-abs; rows of
// `segmentsPerRow` values, stride = segmentsPerRow) finishes the reduction.
// A dispatch handles segments [firstSegment, firstSegment + segmentCount); x, y and partials are
// bound at aligned offsets, and `*Shift` says where this dispatch's first element sits inside each
// binding, so work larger than maxStorageBufferBindingSize is split into several dispatches.
//
// Bindings (group 0): params (uniform Params), x (read), y (read; bound to x unless MODE 0),
// partials (read_write).
// Overrides: WORKGROUP_SIZE (power of two ≤ 256), MODE.
// Grid: segmentCount workgroups, folded 2-D (index = wid.x + wid.y * nwg.x).
// Precision: f32 products and sums; each thread sums a strided subsequence, then a binary tree
// across the workgroup. |error| ≤ γ_n Σ|x_i y_i| with γ_n = n u / (1 - n u), u = 2^-24, for any
// summation order. The max-abs is exact.
// Reference twin: src/reference/batchedDot.ts.

struct Params {
  n: u32,
  segment: u32,
  segmentsPerRow: u32,
  firstSegment: u32,
  segmentCount: u32,
  baseElement: u32,
  xShift: u32,
  yShift: u32,
  outShift: u32,
  stride: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

override WORKGROUP_SIZE: u32 = 256;
override MODE: u32 = 0;

var<workgroup> scratch: array<f32, WORKGROUP_SIZE>;

fn isFinite(x: f32) -> bool {
  // On the bits: compilers may assume finite math.
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// max(a, |b|) for a ≥ 0; a non-finite operand (±Inf or NaN) wins, as |·| of its bits, so that
// the caller sees a non-finite row.
fn maxAbs(a: f32, b: f32) -> f32 {
  if (!isFinite(a)) {
    return a;
  }
  let ab = bitcast<f32>(bitcast<u32>(b) & 0x7fffffffu);
  if (!isFinite(b)) {
    return ab;
  }
  return max(a, ab);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let local = wid.x + wid.y * nwg.x;
  if (local >= params.segmentCount) {
    return;
  }
  let s = params.firstSegment + local;
  let row = s / params.segmentsPerRow;
  let begin = (s % params.segmentsPerRow) * params.segment;
  let end = min(begin + params.segment, params.n);
  // Index of element 0 of this row relative to the first element of the dispatch.
  let rowStart = row * params.stride - params.baseElement;
  var acc = 0.0;
  for (var i = begin + lid; i < end; i += WORKGROUP_SIZE) {
    let k = rowStart + i;
    if (MODE == 0u) {
      acc += x[k + params.xShift] * y[k + params.yShift];
    } else if (MODE == 1u) {
      acc += x[k + params.xShift];
    } else {
      acc = maxAbs(acc, x[k + params.xShift]);
    }
  }
  scratch[lid] = acc;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      if (MODE == 2u) {
        scratch[lid] = maxAbs(scratch[lid], scratch[lid + stride]);
      } else {
        scratch[lid] += scratch[lid + stride];
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    partials[local + params.outShift] = scratch[0];
  }
}
