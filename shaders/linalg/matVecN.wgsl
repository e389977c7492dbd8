// matVecN — batched multi-vector matrix–vector product, 32 threads per row.
//
//   y[b][v][r] = alpha · Σ_{c ∈ C} M[b][r][c] · x[b][v][c] + beta · y[b][v][r]
//
// for batch items b, vectors v < vectors, rows r ∈ [rBegin, rEnd) and the column range
// C = [0, cols). M[b] has row stride `ld` and starts at b·mStride; vectors are strided like in
// matVecT. This is J z (Jacobian operator), the CGS coefficients h = Q w, and the CSR-free dense
// products of the Lanczos and Golub–Kahan iterations.
//
// A group of 32 threads reads one row of M with consecutive threads on consecutive columns
// (coalesced), accumulates up to 8 vectors per thread, and reduces them with a binary tree in
// workgroup memory; a workgroup handles WORKGROUP_SIZE / 32 rows.
// The columns can be cut into `splits` chunks of `cChunk` handled by different workgroups
// (PARTIAL = true: raw partial sums go to a compact scratch bound as y, at
// yShift + split·partialStride + (b·vectors + v)·partialRows + r, finished by
// splitSum.wgsl).
//
// Index arithmetic is u32 and wraps; the *Shift values may therefore encode negative offsets
// (see bindWindow in src/gpu/kernel.ts).
//
// Bindings (group 0): params (uniform Params), m (read), x (read), y (read_write).
// Overrides: WORKGROUP_SIZE (power of two ≤ 256), PARTIAL.
// Grid: ceil(rows / (WORKGROUP_SIZE/32)) · vecGroups · splits · batch workgroups, folded 2-D.
// Precision: f32; each thread sums a strided subsequence, then a tree: |error| ≤ γ_C Σ_c |M_rc x_c|.
// Reference twin: src/reference/matVec.ts (matVecN).

struct Params {
  rBegin: u32,
  rEnd: u32,
  cols: u32,
  cChunk: u32,
  splits: u32,
  vectors: u32,
  batch: u32,
  ld: u32,
  mStride: u32,
  xStride: u32,
  xVecStride: u32,
  yStride: u32,
  yVecStride: u32,
  mShift: u32,
  xShift: u32,
  yShift: u32,
  partialStride: u32,
  partialRows: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WORKGROUP_SIZE: u32 = 256;
override PARTIAL: bool = false;
// Threads per row (power of two ≤ 32). 32 keeps reads coalesced on GPUs; 1 needs no barrier,
// which software adapters run much faster.
override TPR: u32 = 32u;

const VG: u32 = 8u;
var<workgroup> red: array<vec4f, 512>; // [WORKGROUP_SIZE][2]

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let rows = params.rEnd - params.rBegin;
  let rowsPerGroup = WORKGROUP_SIZE / TPR;
  let rowTiles = (rows + rowsPerGroup - 1u) / rowsPerGroup;
  let vecGroups = (params.vectors + VG - 1u) / VG;
  var index = wid.x + wid.y * nwg.x;
  if (index >= rowTiles * vecGroups * params.splits * params.batch) {
    return;
  }
  let tile = index % rowTiles;
  index = index / rowTiles;
  let vg = index % vecGroups;
  index = index / vecGroups;
  let split = index % params.splits;
  let b = index / params.splits;

  let lane = lid % TPR;
  let lr = tile * rowsPerGroup + lid / TPR;
  let live = lr < rows;
  let r = params.rBegin + lr;
  let v0 = vg * VG;
  let nv = min(VG, params.vectors - v0);
  let c0 = split * params.cChunk;
  let c1 = min(c0 + params.cChunk, params.cols);
  let mRow = params.mShift + b * params.mStride + r * params.ld;
  let xBase = params.xShift + b * params.xStride + v0 * params.xVecStride;

  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  if (live) {
    if (nv == 1u) {
      for (var c = c0 + lane; c < c1; c += TPR) {
        acc0.x += m[mRow + c] * x[xBase + c];
      }
    } else {
      for (var c = c0 + lane; c < c1; c += TPR) {
        let a = m[mRow + c];
        let xi = xBase + c;
        var lo = vec4f(0.0);
        var hi = vec4f(0.0);
        for (var v = 0u; v < nv; v++) {
          let value = x[xi + v * params.xVecStride];
          if (v < 4u) { lo[v] = value; } else { hi[v - 4u] = value; }
        }
        acc0 += a * lo;
        acc1 += a * hi;
      }
    }
  }
  if (TPR > 1u) {
    red[2u * lid] = acc0;
    red[2u * lid + 1u] = acc1;
    workgroupBarrier();
    for (var stride = TPR / 2u; stride > 0u; stride >>= 1u) {
      if (lane < stride) {
        red[2u * lid] += red[2u * (lid + stride)];
        red[2u * lid + 1u] += red[2u * (lid + stride) + 1u];
      }
      workgroupBarrier();
    }
    acc0 = red[2u * lid];
    acc1 = red[2u * lid + 1u];
  }
  if (lane != 0u || !live) {
    return;
  }
  let lo = acc0;
  let hi = acc1;
  let yBase = params.yShift + b * params.yStride + v0 * params.yVecStride + r;
  let pBase = params.yShift + split * params.partialStride + (b * params.vectors + v0) * params.partialRows + r;
  for (var v = 0u; v < nv; v++) {
    let sum = select(hi[v & 3u], lo[v & 3u], v < 4u);
    if (PARTIAL) {
      y[pBase + v * params.partialRows] = sum;
    } else {
      let yi = yBase + v * params.yVecStride;
      if (params.beta == 0.0) {
        y[yi] = params.alpha * sum;
      } else {
        y[yi] = params.alpha * sum + params.beta * y[yi];
      }
    }
  }
}
