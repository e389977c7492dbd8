// csrMatVec — batched sparse (CSR) matrix times a block of vectors.
//
//   y[b][v][i] = Σ_{p ∈ [rowPtr[b][i], rowPtr[b][i+1])} values[base[b] + p] · x[b][v][colIdx[base[b] + p]]
//
// for operators b < batch, vectors v < vectors, rows i < n. rowPtr is [batch][n+1] (each matrix's
// pointers count from 0); values and colIdx of all matrices are concatenated, matrix b starting
// at base[b]. x and y are strided: vector v of operator b at b·xStride + v·xVecStride.
//
// Bindings (group 0): params (uniform Params), rowPtr (read, u32), colIdx (read, u32),
// values (read), base (read, u32), x (read), y (read_write).
// Overrides: WORKGROUP_SIZE. Grid: ceil(batch·vectors·n / WORKGROUP_SIZE), folded 2-D; one thread
// per output entry (a row's nonzeros are read by one thread: efficient for short rows).
// Precision: f32 sum in nonzero order; |error| ≤ γ_nnz(row) Σ |a_ij x_j|.
// Reference twin: src/reference/sparse.ts (csrMatVec).

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
@group(0) @binding(1) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> colIdx: array<u32>;
@group(0) @binding(3) var<storage, read> values: array<f32>;
@group(0) @binding(4) var<storage, read> base: array<u32>;
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

override WORKGROUP_SIZE: u32 = 256;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.batch * params.vectors * params.n) {
    return;
  }
  let i = e % params.n;
  let bv = e / params.n;
  let v = bv % params.vectors;
  let b = bv / params.vectors;
  let p0 = rowPtr[b * (params.n + 1u) + i];
  let p1 = rowPtr[b * (params.n + 1u) + i + 1u];
  let off = base[b];
  let xb = params.xShift + b * params.xStride + v * params.xVecStride;
  var sum = 0.0;
  for (var p = p0; p < p1; p++) {
    sum += values[off + p] * x[xb + colIdx[off + p]];
  }
  y[params.yShift + b * params.yStride + v * params.yVecStride + i] = sum;
}
