/**
 * Tensor file formats, browser-safe: `.npy`, `.npz` and `.safetensors` readers and writers working
 * on bytes in memory, and strict JSON output. Node file access is in `src/node/files.ts`.
 * @module
 */
export {
  type DType,
  type TensorData,
  type Tensor,
  DTYPES,
  DTYPE_ARRAY,
  DTYPE_ITEMSIZE,
  isDType,
  elementCount,
  checkTensor,
  tensorToFloat64,
  tensorToFloat32,
} from './tensor.ts';
export { parseNpy, encodeNpy, NPY_MAGIC } from './npy.ts';
export { parseNpz, encodeNpz, NPZ_LIMITS, type EncodeNpzOptions, type NpzLimits } from './npz.ts';
export { parseSafetensors, parseSafetensorsMetadata, encodeSafetensors, SAFETENSORS_MAX_HEADER_BYTES } from './safetensors.ts';
export { toJsonText } from './json.ts';
export { MAX_TENSOR_BYTES } from './binary.ts';
