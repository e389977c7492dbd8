// gemm — batched, register-tiled f32 matrix product.
//
//   C[b][m][n] = alpha · Σ_{k ∈ K} op(A[b])[m][k] · op(B[b])[k][n] + beta · C[b][m][n]
//
// for batch items b < batch, rows m ∈ [mBegin, mEnd), columns n ∈ [nBegin, nEnd) and the reduction
// range K = [kBegin, kEnd). All operands are row-major with a leading dimension (row stride):
// op(A)[m][k] = A[m·lda + k] (transA = 0) or A[k·lda + m] (transA = 1); op(B)[k][n] = B[k·ldb + n]
// (transB = 0) or B[n·ldb + k] (transB = 1); C[m][n] = C[m·ldc + n]. Batch item b of an operand
// starts b·stride after its shift (stride 0 broadcasts one matrix to every batch item).
//
// Tiling: a workgroup of WORKGROUP_SIZE threads (16 across × WORKGROUP_SIZE/16 down) owns a
// BM × 64 tile of C with BM = WORKGROUP_SIZE / 4 (64 × 64 at 256 threads); each thread owns a 4 × 4
// block of it, kept in four vec4 registers. K is walked in steps of 16: the BM × 16 slice of op(A)
// and the 16 × 64 slice of op(B) are staged in workgroup memory as vec4 columns ([k][m/4] and
// [k][n/4]), and every thread then does 16 rank-1 updates of its block from two vec4 reads per k.
// The transposes are absorbed by the staging loads, which always let consecutive threads read
// consecutive addresses (for a non-transposed A, 16 threads read one 16-float row segment; for a
// transposed A, 16 threads read one 64-float row segment). Elements past the end of M, N or K are
// staged as zeros (both operands are zero past K, so no 0·∞ can arise), and results are written
// only inside [mBegin, mEnd) × [nBegin, nEnd). Threads whose whole 4 × 4 block lies outside skip
// the arithmetic (small M·N wastes less).
//
// Split-K: the reduction range is cut into `splits` chunks of `kChunk` (a multiple of 16) handled
// by different workgroups; workgroup `split` writes to cShift + split·partialStride + b·strideC +
// m·ldc + n. With splits > 1 the host binds a compact scratch as c (ldc = N, strideC = M·N,
// alpha = 1, beta = 0, so the raw sums are stored exactly) and splitSum.wgsl finishes with alpha
// and beta; with splits = 1 the workgroup writes alpha·sum + beta·C (beta = 0: C is write-only,
// NaNs in it do not propagate). Problems too large for one binding run as several dispatches over
// blocks of C and K ranges; the K ranges of a block add up in a compact scratch bound as c
// (alpha = 1, beta = 0 for the first range and 1 after it), finished by splitSum.wgsl.
//
// Index arithmetic is u32 and wraps; the *Shift values may therefore encode negative offsets
// (see bindWindow in src/gpu/kernel.ts).
//
// Bindings (group 0): params (uniform Params), a (read), b (read), c (read_write).
// Overrides: WORKGROUP_SIZE (power of two, 16 ≤ WORKGROUP_SIZE ≤ 256).
// Grid: tilesN · tilesM · splits · batch workgroups, folded 2-D (index = wid.x + wid.y · nwg.x).
// Workgroup memory: 8 KiB.
// Precision: f32 multiply-adds accumulated per entry in k order (per split, then splits in order);
// |error| ≤ γ_{K+2} |alpha| Σ_k |op(A)_mk op(B)_kn| + γ_2 |beta C_mn| (alpha and beta are applied
// once, to the complete sum, on every path).
// Reference twin: src/reference/gemm.ts (gemm, gemmErrorBound).

struct Params {
  mBegin: u32,
  mEnd: u32,
  nBegin: u32,
  nEnd: u32,
  kBegin: u32,
  kEnd: u32,
  kChunk: u32,
  splits: u32,
  batch: u32,
  transA: u32,
  transB: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  strideA: u32,
  strideB: u32,
  strideC: u32,
  aShift: u32,
  bShift: u32,
  cShift: u32,
  partialStride: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

override WORKGROUP_SIZE: u32 = 256;

const BK: u32 = 16u; // K step
const BN: u32 = 64u; // tile columns
const TX: u32 = 16u; // threads across a tile row (4 columns each)

var<workgroup> tileA: array<vec4f, 256>; // [BK][BM / 4]: op(A)[m0 + 4q .. + 3][k0 + k] at k · (BM / 4) + q
var<workgroup> tileB: array<vec4f, 256>; // [BK][BN / 4]: op(B)[k0 + k][n0 + 4q .. + 3] at k · 16 + q

/** Writes the four entries C[m][n .. n + 3] (those inside the range) from `v`. */
fn storeRow(base: u32, m: u32, n: u32, v: vec4f) {
  if (m >= params.mEnd) {
    return;
  }
  let row = base + m * params.ldc + n;
  let count = min(4u, params.nEnd - n);
  for (var j = 0u; j < count; j++) {
    let ci = row + j;
    if (params.beta == 0.0) {
      c[ci] = params.alpha * v[j];
    } else {
      c[ci] = params.alpha * v[j] + params.beta * c[ci];
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let TY = WORKGROUP_SIZE / TX; // threads down a tile column (4 rows each)
  let BM = 4u * TY; // tile rows
  let tilesM = (params.mEnd - params.mBegin + BM - 1u) / BM;
  let tilesN = (params.nEnd - params.nBegin + BN - 1u) / BN;
  var index = wid.x + wid.y * nwg.x;
  if (index >= tilesN * tilesM * params.splits * params.batch) {
    return;
  }
  let tn = index % tilesN;
  index = index / tilesN;
  let tm = index % tilesM;
  index = index / tilesM;
  let split = index % params.splits;
  let item = index / params.splits;

  let m0 = params.mBegin + tm * BM;
  let n0 = params.nBegin + tn * BN;
  let kStart = params.kBegin + split * params.kChunk;
  let kStop = min(kStart + params.kChunk, params.kEnd);
  let aBase = params.aShift + item * params.strideA;
  let bBase = params.bShift + item * params.strideB;

  // This thread's 4 × 4 block of C.
  let tx = lid % TX;
  let ty = lid / TX;
  let owns = m0 + 4u * ty < params.mEnd && n0 + 4u * tx < params.nEnd;

  // The A slot this thread stages: op(A)[m0 + 4·aq .. + 3][k0 + ak], at a[ai + r·aStep] for
  // k0 = kStart. Consecutive threads walk k (contiguous when A is not transposed) or m
  // (contiguous when it is).
  var ak = lid % BK;
  var aq = lid / BK;
  var aStep = params.lda; // between the slot's 4 rows
  var aKStep = 1u; // per k
  if (params.transA != 0u) {
    aq = lid % TY;
    ak = lid / TY;
    aStep = 1u;
    aKStep = params.lda;
  }
  let am = m0 + 4u * aq;
  var ai = aBase + am * aStep + (kStart + ak) * aKStep;
  let aRows = min(4u, params.mEnd - min(am, params.mEnd)); // valid rows of the slot

  // The B slots (256 of them: 16 k × 16 column quads, WORKGROUP_SIZE at a time) likewise:
  // op(B)[k0 + bk][n0 + 4·bq .. + 3] at b[bIdx + r·bStep].
  let bSlots = 256u / WORKGROUP_SIZE;

  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k0 = kStart; k0 < kStop; k0 += BK) {
    var va = vec4f(0.0);
    if (k0 + ak < kStop) {
      if (aRows > 0u) { va.x = a[ai]; }
      if (aRows > 1u) { va.y = a[ai + aStep]; }
      if (aRows > 2u) { va.z = a[ai + 2u * aStep]; }
      if (aRows > 3u) { va.w = a[ai + 3u * aStep]; }
    }
    tileA[ak * TY + aq] = va;
    ai += BK * aKStep;
    for (var j = 0u; j < bSlots; j++) {
      let s = lid + j * WORKGROUP_SIZE;
      var bk = s / 16u;
      var bq = s % 16u;
      var bStep = 1u; // between the slot's 4 columns
      var bkStep = params.ldb; // per k
      if (params.transB != 0u) {
        bk = s % BK;
        bq = s / BK;
        bStep = params.ldb;
        bkStep = 1u;
      }
      let bn = n0 + 4u * bq;
      let bCols = min(4u, params.nEnd - min(bn, params.nEnd));
      let bIdx = bBase + bn * bStep + (k0 + bk) * bkStep;
      var vb = vec4f(0.0);
      if (k0 + bk < kStop) {
        if (bCols > 0u) { vb.x = b[bIdx]; }
        if (bCols > 1u) { vb.y = b[bIdx + bStep]; }
        if (bCols > 2u) { vb.z = b[bIdx + 2u * bStep]; }
        if (bCols > 3u) { vb.w = b[bIdx + 3u * bStep]; }
      }
      tileB[bk * 16u + bq] = vb;
    }
    workgroupBarrier();
    if (owns) {
      for (var k = 0u; k < BK; k++) {
        let av = tileA[k * TY + ty];
        let bv = tileB[k * 16u + tx];
        acc0 += av.x * bv;
        acc1 += av.y * bv;
        acc2 += av.z * bv;
        acc3 += av.w * bv;
      }
    }
    workgroupBarrier();
  }

  if (!owns) {
    return;
  }
  let cBase = params.cShift + split * params.partialStride + item * params.strideC;
  let m = m0 + 4u * ty;
  let n = n0 + 4u * tx;
  storeRow(cBase, m, n, acc0);
  storeRow(cBase, m + 1u, n, acc1);
  storeRow(cBase, m + 2u, n, acc2);
  storeRow(cBase, m + 3u, n, acc3);
}
