// matVecT — batched multi-vector transposed matrix–vector product.
//
//   y[b][v][c] = alpha · Σ_{k ∈ K} M[b][k][c] · x[b][v][k] + beta · y[b][v][c]
//
// for batch items b, vectors v < vectors, columns c < cols, and the row range K = [kBegin, kEnd).
// M[b] is a rows × cols matrix with row stride `ld`; batch item b starts at b·mStride. Vector v of
// batch item b starts at b·xStride + v·xVecStride in x (and likewise in y). With a symmetric M this
// is the dense symmetric operator apply (Mᵀ = M); it is also Jᵀx, the CGS update w −= Qᵀh and the
// Ritz vectors Sᵀ Q.
//
// Each thread owns one column c and walks the rows, so a warp reads consecutive M[k][c]: M is
// streamed from memory exactly once per group of 8 vectors. The rows are cut into `splits` ranges
// of `kChunk` rows handled by different workgroups (more parallelism for few columns); with
// splits > 1 (PARTIAL = true) every workgroup writes its raw partial sum to a compact scratch
// bound as y, at yShift + split·partialStride + (b·vectors + v)·cols + c, and
// splitSum.wgsl finishes with alpha and beta. Row ranges too large for one binding run as
// separate dispatches that accumulate into y (beta = 1 after the first).
//
// Index arithmetic is u32 and wraps; the *Shift values may therefore encode negative offsets
// (see bindWindow in src/gpu/kernel.ts).
//
// Bindings (group 0): params (uniform Params), m (read), x (read), y (read_write).
// Overrides: WORKGROUP_SIZE (power of two ≤ 256), PARTIAL.
// Grid: colTiles · vecGroups · splits · batch workgroups, folded 2-D.
// Precision: f32 multiply-adds accumulated per thread in row order; |error| ≤ γ_K Σ_k |M_kc x_k|.
// Reference twin: src/reference/matVec.ts (matVecT).

struct Params {
  cols: u32,
  kBegin: u32,
  kEnd: u32,
  kChunk: u32,
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
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WORKGROUP_SIZE: u32 = 256;
override PARTIAL: bool = false;

const VG: u32 = 8u; // vectors per workgroup
var<workgroup> xs: array<vec4f, 512>; // [WORKGROUP_SIZE][2] (two vec4 = 8 vectors per row)

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let colTiles = (params.cols + WORKGROUP_SIZE - 1u) / WORKGROUP_SIZE;
  let vecGroups = (params.vectors + VG - 1u) / VG;
  var index = wid.x + wid.y * nwg.x;
  if (index >= colTiles * vecGroups * params.splits * params.batch) {
    return;
  }
  let tile = index % colTiles;
  index = index / colTiles;
  let vg = index % vecGroups;
  index = index / vecGroups;
  let split = index % params.splits;
  let b = index / params.splits;

  let c = tile * WORKGROUP_SIZE + lid;
  let v0 = vg * VG;
  let nv = min(VG, params.vectors - v0);
  let k0 = params.kBegin + split * params.kChunk;
  let k1 = min(k0 + params.kChunk, params.kEnd);
  let mBase = params.mShift + b * params.mStride;
  let xBase = params.xShift + b * params.xStride + v0 * params.xVecStride;

  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  for (var kt = k0; kt < k1; kt += WORKGROUP_SIZE) {
    // Stage x[v][kt + lid] for the 8 vectors of this group (zeros past the end).
    let kk = kt + lid;
    var lo = vec4f(0.0);
    var hi = vec4f(0.0);
    if (kk < k1) {
      let xi = xBase + kk;
      for (var v = 0u; v < nv; v++) {
        let value = x[xi + v * params.xVecStride];
        if (v < 4u) { lo[v] = value; } else { hi[v - 4u] = value; }
      }
    }
    xs[2u * lid] = lo;
    xs[2u * lid + 1u] = hi;
    workgroupBarrier();
    let count = min(WORKGROUP_SIZE, k1 - kt);
    if (c < params.cols) {
      var mi = mBase + kt * params.ld + c;
      for (var j = 0u; j < count; j++) {
        let a = m[mi];
        acc0 += a * xs[2u * j];
        acc1 += a * xs[2u * j + 1u];
        mi += params.ld;
      }
    }
    workgroupBarrier();
  }
  if (c >= params.cols) {
    return;
  }
  let yBase = params.yShift + b * params.yStride + v0 * params.yVecStride + c;
  let pBase = params.yShift + split * params.partialStride + (b * params.vectors + v0) * params.cols + c;
  for (var v = 0u; v < nv; v++) {
    let sum = select(acc1[v & 3u], acc0[v & 3u], v < 4u);
    if (PARTIAL) {
      y[pBase + v * params.cols] = sum;
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
