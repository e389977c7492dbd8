/** Seeded test data. GRSD_TEST_SEED overrides the base seed (to hunt for flaky cases). */
import { Random } from '../../src/util/random.ts';

const baseSeed = Number(process.env.GRSD_TEST_SEED ?? 20261122);

/** A generator seeded from the base seed and a per-use label (stable across runs). */
export function rng(label: string): Random {
  let h = baseSeed >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return new Random(h);
}

/** `n` normal variates rounded to f32 (so reference and GPU see identical inputs). */
export function randomF32(n: number, label: string): Float32Array {
  const r = rng(label);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r.normal();
  return out;
}
