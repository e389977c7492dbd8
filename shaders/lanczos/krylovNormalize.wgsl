// krylovNormalize — per lane, after a candidate has been orthogonalized (src/algorithms/krylovGpu.ts):
// decide whether it is a new direction or a hole, and record what happened for the host.
//
// For lanes l = firstLane + t·laneStride, t < count, with ν₀ = √norm0[l] (before orthogonalization)
// and ν = √norm2[norm2Base + t] (after; compact, as a strided batchedDot writes it):
//   nonFinite = ν₀² or ν² is ±Inf or NaN
//   isHole    = nonFinite or not (ν > tol·max(ν₀, minNorm0))
//   inv[l]    = isHole ? 0 : 1/ν          (scales the candidate into the next basis row)
//   recNorm[recBase + l]  = ν (0 if not finite)
//   recFlags[recBase + l] = isHole·1 + hole[l]·2 + nonFinite·4   (hole[l]: the candidate was random)
//   hole[l]   = isHole
//
// minNorm0 (default 0) is a lower bound on the operator's norm in its scaled units: one-sided
// Golub–Kahan's Jᵀ candidates below the rounding level of the apply become holes even when ν₀ is
// itself at that level (src/algorithms/krylovGpu.ts).
//
// Bindings (group 0): params (uniform Params), norm0 (read), norm2 (read), hole (read_write, u32),
// inv (read_write), recNorm (read_write), recFlags (read_write, u32).
// Overrides: WORKGROUP_SIZE. Grid: ceil(count / WORKGROUP_SIZE); one thread per lane.
// Precision: f32 sqrt and division (≤ 2.5 ulp); the finiteness test is on the bits.
// Reference twin: src/reference/krylovKernels.ts (krylovNormalizeF64).

struct Params {
  count: u32,
  firstLane: u32,
  laneStride: u32,
  recBase: u32,
  tol: f32,
  norm2Base: u32,
  minNorm0: f32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> norm0: array<f32>;
@group(0) @binding(2) var<storage, read> norm2: array<f32>;
@group(0) @binding(3) var<storage, read_write> hole: array<u32>;
@group(0) @binding(4) var<storage, read_write> inv: array<f32>;
@group(0) @binding(5) var<storage, read_write> recNorm: array<f32>;
@group(0) @binding(6) var<storage, read_write> recFlags: array<u32>;

override WORKGROUP_SIZE: u32 = 256;

fn finite(x: f32) -> bool {
  // A bit test, not arithmetic: WGSL lets compilers assume finite math.
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (t >= params.count) {
    return;
  }
  let l = params.firstLane + t * params.laneStride;
  let a = norm0[l];
  let b = norm2[params.norm2Base + t];
  let nonFinite = !finite(a) || !finite(b);
  let nu0 = max(sqrt(max(a, 0.0)), params.minNorm0);
  let nu = sqrt(max(b, 0.0));
  let isHole = nonFinite || !(nu > params.tol * nu0);
  inv[l] = select(1.0 / nu, 0.0, isHole);
  recNorm[params.recBase + l] = select(0.0, nu, finite(nu));
  recFlags[params.recBase + l] = select(0u, 1u, isHole) | select(0u, 2u, hole[l] != 0u) | select(0u, 4u, nonFinite);
  hole[l] = select(0u, 1u, isHole);
}
