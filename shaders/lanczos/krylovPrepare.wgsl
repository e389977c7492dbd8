// krylovPrepare — the candidate vectors of a block Lanczos step, before orthogonalization
// (src/algorithms/krylovGpu.ts):
//
//   w[l][i] = krylovRandom(seed, l mod p, tick, i)    if hole[l] ≠ 0 (the lane's frontier row is zero)
//   w[l][i] = 0                                        instead, if hole[l] ≠ 0 and zeroHoles ≠ 0
//   w[l][i] = w[l][i] · 2^−exponent[l / p]           otherwise (A q, scaled by a power of two: exact)
//
// for lanes l in [firstLane, firstLane + lanes) and i < n. The random vector is uniform in (−1, 1):
// odd multiples of 2⁻²³, exact in f32, from the lowbias32 integer hash (u32 arithmetic wraps in
// WGSL), identical to krylovRandom in src/reference/krylov.ts.
//
// Bindings (group 0): params (uniform Params), w (read_write), hole (read, u32 per lane),
// exponent (read, i32 per item).
// Overrides: WORKGROUP_SIZE. Grid: ceil(lanes·n / WORKGROUP_SIZE), folded 2-D.
// Precision: exact (a power-of-two scaling, unless the result under/overflows f32).
// Reference twin: src/reference/krylovKernels.ts (krylovPrepareF64).

struct Params {
  n: u32,
  lanes: u32,
  firstLane: u32,
  block: u32,
  seed: u32,
  tick: u32,
  wShift: u32,
  zeroHoles: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> hole: array<u32>;
@group(0) @binding(3) var<storage, read> exponent: array<i32>;

override WORKGROUP_SIZE: u32 = 256;

fn mix(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}

fn krylovRandom(seed: u32, v: u32, tick: u32, i: u32) -> f32 {
  let key = mix(seed ^ mix(tick ^ mix(v + 0x9e3779b9u)));
  let h = mix(key + i * 0x85ebca6bu);
  return (f32(h >> 9u) + 0.5) * (1.0 / 4194304.0) - 1.0;
}

// 2^e for −126 ≤ e ≤ 127, built from its bits (exact; exp2 need not be).
fn pow2(e: i32) -> f32 {
  return bitcast<f32>(u32(e + 127) << 23u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.lanes * params.n) {
    return;
  }
  let t = e / params.n;
  let i = e % params.n;
  let l = params.firstLane + t;
  let k = params.wShift + e;
  if (hole[l] != 0u) {
    w[k] = select(krylovRandom(params.seed, l % params.block, params.tick, i), 0.0, params.zeroHoles != 0u);
  } else {
    w[k] = w[k] * pow2(-exponent[l / params.block]);
  }
}
