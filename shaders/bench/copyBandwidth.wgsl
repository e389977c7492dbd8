// copyBandwidth — streaming copy dst[i] = src[i] of vec4<f32>, the memory-bandwidth ceiling of the
// GEMM roofline benchmark.
//
// Each thread copies vec4 i, i + threads, i + 2·threads, ... (grid-stride loop) for i < count, so
// a fixed number of workgroups covers any length and every load/store is a 16-byte access. The
// host binds src and dst at the same aligned byte range per dispatch (ranges above the binding
// limit run as several dispatches) and copies the last count mod 4 scalars with
// copyBufferToBuffer.
//
// Bindings (group 0): params (uniform Params), src (read), dst (read_write).
// Overrides: WORKGROUP_SIZE.
// Grid: threads / WORKGROUP_SIZE workgroups, folded 2-D (index = wid.x + wid.y · nwg.x).
// Precision: exact (a bit copy).
// Reference twin: src/reference/copy.ts (copy).

struct Params {
  count: u32,
  threads: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4f>;

override WORKGROUP_SIZE: u32 = 256;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let first = (wid.x + wid.y * nwg.x) * WORKGROUP_SIZE + lid;
  if (first >= params.threads) {
    return;
  }
  for (var i = first; i < params.count; i += params.threads) {
    dst[i] = src[i];
  }
}
