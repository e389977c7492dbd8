// powerLawScan — the power-law x_min scan (Clauset–Shalizi–Newman): for every candidate c, with
// tail x[start_c] … x[end_c − 1] (sorted ascending, n_c = end_c − start_c points, x_min = x[start_c])
//
//   alpha[c] = 1 + n_c / logSum[c]                          (the MLE α̂; logSum = Σ ln(x_j/x_min))
//   ks[c]    = max_{0≤i<n_c} | i/n_c − (1 − (x[start_c+i]/x_min)^{1−α̂}) |   (the KS distance D)
//
// Work is split into `segments` segments of `segment` tail points per candidate: thread
// e = s·candidates + c scans segment s of candidate c and folds its maximum into ks[c] with
// atomicMax on the f32 bit pattern (non-negative floats order like their u32 bits), so there are
// no workgroup barriers. Neighbouring threads are neighbouring candidates: their tails overlap, so
// reads are shared. ks must be zeroed before the dispatch. Several data sets may share one
// dispatch: candidates carry their own [start, end) ranges into x.
//
// Bindings (group 0): params (uniform Params), x (read, f32, each data set scaled by a constant),
// tailStart (read, u32), tailEnd (read, u32), logSum (read, f32), alpha (rw, f32),
// ks (rw, atomic<u32> holding f32 bits).
// Overrides: WORKGROUP_SIZE. Grid: ceil(candidates·segments / WORKGROUP_SIZE), folded 2-D.
// Precision: f32. logSum is computed on the host in float64 (the f32 error of a long prefix sum
// never enters); α̂ to ≈ 3 ulp; D to ≈ 1e-6 absolute (f32 ratio, log and exp: ≲ 4 ulp each, scaled
// by (α̂−1)·u·e^{−(α̂−1)u} ≤ 1/e).
// Reference twin: src/reference/powerLawTail.ts (powerLawScan).

struct Params {
  candidates: u32,
  segment: u32,
  segments: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> tailStart: array<u32>;
@group(0) @binding(3) var<storage, read> tailEnd: array<u32>;
@group(0) @binding(4) var<storage, read> logSum: array<f32>;
@group(0) @binding(5) var<storage, read_write> alpha: array<f32>;
@group(0) @binding(6) var<storage, read_write> ks: array<atomic<u32>>;

override WORKGROUP_SIZE: u32 = 64;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (e >= params.candidates * params.segments) {
    return;
  }
  let c = e % params.candidates;
  let s = e / params.candidates;
  let start = tailStart[c];
  let n = tailEnd[c] - start;
  let first = s * params.segment;
  if (first >= n) {
    return;
  }
  let nf = f32(n);
  let a1 = nf / logSum[c];
  if (s == 0u) {
    alpha[c] = 1.0 + a1;
  }
  let last = min(n, first + params.segment);
  let xmin = x[start];
  var d = 0.0;
  for (var i = first; i < last; i++) {
    let p = 1.0 - exp(-a1 * log(x[start + i] / xmin));
    d = max(d, abs(f32(i) / nf - p));
  }
  atomicMax(&ks[c], bitcast<u32>(d));
}
