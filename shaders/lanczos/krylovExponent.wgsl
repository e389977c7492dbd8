// krylovExponent — per item, once: the power of two its operator is divided by for the rest of a
// Krylov run (src/algorithms/krylovGpu.ts), from the largest magnitude m of its first apply:
//
//   exponent[b] = clamp(⌊log₂ m⌋, −126, 126)   if exponent[b] is unset (UNSET = −2³¹) and m > 0 is finite
//   exponent[b] = 0                             if unset and m = 0 or m is not finite
//
// ⌊log₂ m⌋ comes from the exponent bits (−127 for subnormal m). Scaled by 2^−exponent, the
// candidates have entries of magnitude < 2, so no later square or product over/underflows f32.
//
// Bindings (group 0): params (uniform Params), maxAbs (read), exponent (read_write, i32).
// Overrides: WORKGROUP_SIZE. Grid: ceil(items / WORKGROUP_SIZE); one thread per item.
// Precision: exact.
// Reference twin: src/reference/krylovKernels.ts (krylovExponentF64).

struct Params {
  items: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> maxAbs: array<f32>;
@group(0) @binding(2) var<storage, read_write> exponent: array<i32>;

override WORKGROUP_SIZE: u32 = 256;

const UNSET: i32 = -2147483647 - 1;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let b = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (b >= params.items || exponent[b] != UNSET) {
    return;
  }
  let bits = bitcast<u32>(maxAbs[b]);
  let biased = i32((bits >> 23u) & 0xffu);
  if (biased == 255 || (bits & 0x7fffffffu) == 0u) {
    exponent[b] = 0; // not finite (reported by krylovNormalize) or zero
  } else {
    exponent[b] = clamp(biased - 127, -126, 126);
  }
}
