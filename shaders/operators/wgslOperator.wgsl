// wgslOperator — applies a symmetric operator defined by a user WGSL function, matrix-free.
//
//   y[b][v][i] = Σ_{j<n} operatorEntry(b, i, j) · x[b][v][j]
//
// The user's code is prepended by src/kernels/wgslOperator.ts and must define
//   fn operatorEntry(b: u32, i: u32, j: u32) -> f32
// returning entry (i, j) of operator b (it must be symmetric in i and j); it may read the
// optional binding `userData: array<f32>` (e.g. data points of a kernel matrix). For
// standalone validation the default entry below (the identity) is used when the user's code is
// absent; the wrapper removes it when user code is supplied.
//
// Each thread owns one output row i and walks the columns, with x staged through workgroup memory
// 256 columns at a time.
//
// Bindings (group 0): params (uniform Params), userData (read), x (read), y (read_write).
// Overrides: WORKGROUP_SIZE. Grid: ceil(n / WORKGROUP_SIZE) · vectors · batch workgroups, folded 2-D.
// Precision: f32 accumulation in column order: |error| ≤ γ_n Σ_j |a_ij x_j| (+ the user function's own error).
// Reference twin: src/reference/wgslOperator.ts (wgslOperatorF64, given a float64 twin of the
// user's entry function; see src/algorithms/operators.ts).

struct Params {
  n: u32,
  batch: u32,
  vectors: u32,
  xStride: u32,
  xVecStride: u32,
  yStride: u32,
  yVecStride: u32,
  xShift: u32,
  yShift: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> userData: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WORKGROUP_SIZE: u32 = 256;

var<workgroup> xs: array<f32, 256>;

//@grsd-default-entry-begin
fn operatorEntry(b: u32, i: u32, j: u32) -> f32 {
  return select(0.0, 1.0, i == j) + 0.0 * userData[0];
}
//@grsd-default-entry-end

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let tiles = (params.n + WORKGROUP_SIZE - 1u) / WORKGROUP_SIZE;
  var index = wid.x + wid.y * nwg.x;
  if (index >= tiles * params.vectors * params.batch) {
    return;
  }
  let tile = index % tiles;
  index = index / tiles;
  let v = index % params.vectors;
  let b = index / params.vectors;
  let i = tile * WORKGROUP_SIZE + lid;
  let xb = params.xShift + b * params.xStride + v * params.xVecStride;
  var sum = 0.0;
  for (var j0 = 0u; j0 < params.n; j0 += WORKGROUP_SIZE) {
    let jj = j0 + lid;
    xs[lid] = select(0.0, x[xb + jj], jj < params.n);
    workgroupBarrier();
    let count = min(WORKGROUP_SIZE, params.n - j0);
    if (i < params.n) {
      for (var t = 0u; t < count; t++) {
        sum += operatorEntry(b, i, j0 + t) * xs[t];
      }
    }
    workgroupBarrier();
  }
  if (i < params.n) {
    y[params.yShift + b * params.yStride + v * params.yVecStride + i] = sum;
  }
}
