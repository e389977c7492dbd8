/**
 * Float64 twin of the copyBandwidth kernel (shaders/bench/copyBandwidth.wgsl).
 * @module
 */

/** `dst[i] = src[i]`: a float64 copy of `src`. */
export function copy(src: ArrayLike<number>): Float64Array {
  return Float64Array.from(src);
}
