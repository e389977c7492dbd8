// tridiagonalEigen — batched eigen-decomposition of the Lanczos tridiagonals, one thread per
// (lane l, eigenvalue index i).
//
// T_l is m_l × m_l (m_l = steps[l]) with diagonal alpha[l][0..m) and off-diagonal
// beta[l][0..m−1). Thread (l, i) finds the i-th smallest eigenvalue θ by bisection on the Sturm
// count (LDLᵀ inertia), then its eigenvector by a twisted factorization (Dhillon):
//   T − θI = L D⁺ Lᵀ (forward) = U D⁻ Uᵀ (backward); γ_k = d⁺_k + d⁻_k − (a_k − θ);
//   r = argmin |γ_k|; z_r = 1, z_j = −l_j z_{j+1} (j < r), z_{j+1} = −u_j z_j (j ≥ r); z /= ‖z‖.
// The eigenvector row is written to vectors[l][i][0..m) (it also serves as the O(m) scratch of
// the factorization), its first and last components to first[l][i] and last[l][i]: the Gauss
// quadrature weight is first², the Ritz error bound β_m·|last|.
//
// Bindings (group 0): params (uniform Params), alpha (read), beta (read), state (read:
// [l][1] = steps), values (rw), vectors (rw), first (rw), last (rw).
// Overrides: WORKGROUP_SIZE. Grid: ceil(lanes·tStride / WORKGROUP_SIZE), folded 2-D.
// Precision: f32. The Sturm count is backward stable, so θ is exact for a matrix within a few
// ulps of T entrywise: |θ − θ_exact| ≲ 4 u ‖T‖ after convergence (≤ 80 bisection steps).
// Vectors: residual ‖(T − θ)z‖ ≈ |γ_r| ≲ m u ‖T‖; vectors of close eigenvalues (gap ≲ u‖T‖·m)
// are individually accurate but not mutually orthogonal.
// Reference twin: src/reference/tridiagonalEigen.ts.

struct Params {
  lanes: u32,
  tStride: u32,
  sStride: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> alpha: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
@group(0) @binding(4) var<storage, read_write> values: array<f32>;
@group(0) @binding(5) var<storage, read_write> vectors: array<f32>;
@group(0) @binding(6) var<storage, read_write> first: array<f32>;
@group(0) @binding(7) var<storage, read_write> last: array<f32>;

override WORKGROUP_SIZE: u32 = 64;

const EPS: f32 = 5.9604645e-8; // 2^-24

fn safePivot(d: f32, pivmin: f32) -> f32 {
  return select(d, -pivmin, abs(d) < pivmin);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.lanes * params.tStride) {
    return;
  }
  let l = e / params.tStride;
  let i = e % params.tStride;
  let m = state[2u * l + 1u];
  if (i >= m) {
    return;
  }
  let t0 = l * params.tStride;
  let row = l * params.sStride + i * params.tStride;

  // Gershgorin interval and the pivot floor.
  var lo = 3.0e38;
  var hi = -3.0e38;
  var bmax = 0.0;
  for (var j = 0u; j < m; j++) {
    var r = 0.0;
    if (j > 0u) { r += abs(beta[t0 + j - 1u]); }
    if (j + 1u < m) { r += abs(beta[t0 + j]); bmax = max(bmax, abs(beta[t0 + j])); }
    let a = alpha[t0 + j];
    lo = min(lo, a - r);
    hi = max(hi, a + r);
  }
  let tnorm = max(max(abs(lo), abs(hi)), 1e-30);
  let pivmin = max(1e-30, EPS * EPS * max(bmax * bmax, tnorm * tnorm) * 1e-6);
  lo -= 2.0 * EPS * tnorm;
  hi += 2.0 * EPS * tnorm;

  // Bisection for the i-th smallest eigenvalue (count = number of eigenvalues < x).
  for (var it = 0u; it < 80u; it++) {
    let mid = 0.5 * (lo + hi);
    if (hi - lo <= 2.0 * EPS * max(abs(lo), abs(hi)) + pivmin || mid <= lo || mid >= hi) {
      break;
    }
    var count = 0u;
    var q = safePivot(alpha[t0] - mid, pivmin);
    if (q < 0.0) { count++; }
    for (var j = 1u; j < m; j++) {
      let b = beta[t0 + j - 1u];
      q = safePivot(alpha[t0 + j] - mid - b * b / q, pivmin);
      if (q < 0.0) { count++; }
    }
    if (count > i) { hi = mid; } else { lo = mid; }
  }
  let theta = 0.5 * (lo + hi);
  values[t0 + i] = theta;

  // Twisted factorization. Backward pass: d⁻ stored in the vector row.
  var dm = safePivot(alpha[t0 + m - 1u] - theta, pivmin);
  vectors[row + m - 1u] = dm;
  for (var jj = 1u; jj < m; jj++) {
    let j = m - 1u - jj;
    let b = beta[t0 + j];
    dm = safePivot(alpha[t0 + j] - theta - b * b / dm, pivmin);
    vectors[row + j] = dm;
  }
  // Forward pass: d⁺ on the fly, γ_k = d⁺_k + d⁻_k − (a_k − θ); twist index r = argmin |γ|.
  var dp = 0.0;
  var best = 3.0e38;
  var r = 0u;
  for (var j = 0u; j < m; j++) {
    let a = alpha[t0 + j] - theta;
    if (j == 0u) {
      dp = safePivot(a, pivmin);
    } else {
      let b = beta[t0 + j - 1u];
      dp = safePivot(a - b * b / dp, pivmin);
    }
    let g = abs(dp + vectors[row + j] - a);
    if (g < best) { best = g; r = j; }
  }
  // Upward from r: z_{j+1} = −(b_j / d⁻_{j+1}) z_j, overwriting d⁻_{j+1} as we go.
  var z = 1.0;
  var norm2 = 1.0;
  for (var j = r; j + 1u < m; j++) {
    z = -(beta[t0 + j] / vectors[row + j + 1u]) * z;
    vectors[row + j + 1u] = z;
    norm2 += z * z;
  }
  // Recompute d⁺_j for j < r into the row, then downward: z_j = −(b_j / d⁺_j) z_{j+1}.
  if (r > 0u) {
    dp = safePivot(alpha[t0] - theta, pivmin);
    vectors[row] = dp;
    for (var j = 1u; j < r; j++) {
      let b = beta[t0 + j - 1u];
      dp = safePivot(alpha[t0 + j] - theta - b * b / dp, pivmin);
      vectors[row + j] = dp;
    }
  }
  vectors[row + r] = 1.0;
  z = 1.0;
  for (var jj = 0u; jj < r; jj++) {
    let j = r - 1u - jj;
    z = -(beta[t0 + j] / vectors[row + j]) * z;
    vectors[row + j] = z;
    norm2 += z * z;
  }
  // Normalize. Components decay away from the twist index r, so |z_j| ≲ 1 and norm2 cannot overflow.
  let inv = 1.0 / sqrt(norm2);
  for (var j = 0u; j < m; j++) {
    vectors[row + j] = vectors[row + j] * inv;
  }
  first[t0 + i] = vectors[row];
  last[t0 + i] = vectors[row + m - 1u];
}
