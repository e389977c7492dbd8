/**
 * Which device limits grsd requests and how it reports them.
 *
 * grsd asks for the adapter's maximum of every limit its kernels can use (buffer and binding
 * sizes, storage buffers per stage, workgroup storage), capped for the workgroup size at
 * {@link WORKGROUP_SIZE_CAP}. Kernels read the *effective* limits from the context and split
 * work that exceeds them.
 * @module
 */

/** Largest workgroup size any grsd kernel uses. Kernels pick `min(cap, device limit)`. */
export const WORKGROUP_SIZE_CAP = 256;

/** The limits grsd kernels depend on, as granted by the device (and possibly capped for testing). */
export interface EffectiveLimits {
  /** Largest storage-buffer binding, bytes. */
  readonly maxStorageBufferBindingSize: number;
  /** Largest buffer, bytes. */
  readonly maxBufferSize: number;
  /** Storage buffers one compute shader may bind. */
  readonly maxStorageBuffersPerShaderStage: number;
  /** Largest uniform-buffer binding, bytes. */
  readonly maxUniformBufferBindingSize: number;
  /** Workgroup (shared) memory per workgroup, bytes. */
  readonly maxComputeWorkgroupStorageSize: number;
  /** Invocations per workgroup. */
  readonly maxComputeInvocationsPerWorkgroup: number;
  /** Workgroup size along x. */
  readonly maxComputeWorkgroupSizeX: number;
  /** Workgroups per dispatch dimension. */
  readonly maxComputeWorkgroupsPerDimension: number;
  /** Alignment of storage-buffer binding offsets, bytes. */
  readonly minStorageBufferOffsetAlignment: number;
  /** Alignment of uniform-buffer binding offsets, bytes. */
  readonly minUniformBufferOffsetAlignment: number;
  /** Bind groups per pipeline. */
  readonly maxBindGroups: number;
}

/** Names of the limits in {@link EffectiveLimits}, in a stable order for reports. */
export const LIMIT_NAMES: readonly (keyof EffectiveLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
  'maxBindGroups',
];

const CAPPED: Partial<Record<keyof EffectiveLimits, number>> = {
  maxComputeInvocationsPerWorkgroup: WORKGROUP_SIZE_CAP,
  maxComputeWorkgroupSizeX: WORKGROUP_SIZE_CAP,
};

/** Limits whose smaller value is better (alignments): never requested, taken as granted. */
const ALIGNMENTS = new Set<keyof EffectiveLimits>(['minStorageBufferOffsetAlignment', 'minUniformBufferOffsetAlignment']);

/**
 * The `requiredLimits` grsd passes to `requestDevice`: the adapter's maximum for every limit in
 * {@link LIMIT_NAMES} (workgroup sizes capped at {@link WORKGROUP_SIZE_CAP}).
 */
export function requiredLimitsFor(adapterLimits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    if (ALIGNMENTS.has(name)) continue;
    const available = adapterLimits[name];
    if (typeof available !== 'number') continue;
    const cap = CAPPED[name];
    out[name] = cap === undefined ? available : Math.min(available, cap);
  }
  return out;
}

/**
 * Reads the effective limits of `device`. `maxBindingBytes`, when given, lowers the storage
 * binding and buffer sizes kernels will use (it must be a multiple of 256): the split paths can
 * then be exercised with small data, or memory per binding bounded.
 */
export function effectiveLimits(device: GPUDevice, maxBindingBytes?: number): EffectiveLimits {
  const l = device.limits;
  const cap = maxBindingBytes ?? Number.POSITIVE_INFINITY;
  return {
    maxStorageBufferBindingSize: Math.min(l.maxStorageBufferBindingSize, cap),
    maxBufferSize: l.maxBufferSize,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxUniformBufferBindingSize: l.maxUniformBufferBindingSize,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment,
    minUniformBufferOffsetAlignment: l.minUniformBufferOffsetAlignment,
    maxBindGroups: l.maxBindGroups,
  };
}

/** Largest power of two ≤ min(cap, the device's workgroup limits): the 1-D workgroup size kernels use. */
export function workgroupSizeFor(limits: EffectiveLimits, cap = WORKGROUP_SIZE_CAP): number {
  const max = Math.min(cap, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  let size = 1;
  while (size * 2 <= max) size *= 2;
  return size;
}
