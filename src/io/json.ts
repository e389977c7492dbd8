/**
 * Strict JSON output for results: `JSON.stringify` silently writes NaN and ±Infinity as `null`,
 * drops functions, and turns typed arrays into objects keyed by index; {@link toJsonText} refuses
 * the first two with the path of the bad value and writes typed arrays as arrays. Browser-safe.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

const TWO_53 = 2n ** 53n;

/**
 * Serializes `value` as pretty JSON (2-space indentation, a final newline), refusing anything
 * JSON cannot represent faithfully.
 *
 * - Typed arrays (`Float32Array`, `Int32Array`, …) become arrays of numbers; the elements of
 *   `BigInt64Array`/`BigUint64Array` become numbers when within ±2^53 (exact).
 * - `toJSON` methods (e.g. of `Date`) are honoured, as by `JSON.stringify`.
 * - Object properties whose value is `undefined` are omitted, as by `JSON.stringify`.
 *
 * Refused, with an {@link InvalidArgumentError} whose message names the JSON path of the first bad
 * value (e.g. `results[2].eigenvalues[5] is NaN`): NaN and ±Infinity; `undefined` in an array
 * or at the top level; BigInt (and 64-bit typed-array elements beyond ±2^53); functions and
 * symbols; `Map`, `Set`, `ArrayBuffer` and `DataView`; circular references.
 *
 * @param value - what to serialize.
 * @param file - the destination, named in errors (the error's `argument` is `value`).
 * @param options - `pretty: false` writes compact JSON (no indentation), for large documents.
 * @returns the JSON text, ending in a newline.
 * @throws {@link InvalidArgumentError} (`value`) as above.
 * @example
 * toJsonText({ eigenvalues: new Float64Array([1, 0.5]) }, 'out.json');
 * // '{\n  "eigenvalues": [\n    1,\n    0.5\n  ]\n}\n'
 * toJsonText({ results: [{ slope: NaN }] }, 'out.json');
 * // throws: Invalid argument `value`: cannot write out.json: results[0].slope is NaN …
 */
export function toJsonText(value: unknown, file: string, options: { readonly pretty?: boolean } = {}): string {
  const ancestors = new Set<object>();
  const fail = (path: string, problem: string): never => {
    throw new InvalidArgumentError('value', `cannot write ${file}: ${path === '' ? 'the value' : path} ${problem}`);
  };

  const clean = (v: unknown, path: string, key: string, inArray: boolean): unknown => {
    if (v !== null && (typeof v === 'object' || typeof v === 'bigint') && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON: (key: string) => unknown }).toJSON(key);
    }
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        if (Number.isNaN(v)) return fail(path, 'is NaN, which JSON cannot represent');
        if (!Number.isFinite(v)) return fail(path, `is ${v}, which JSON cannot represent`);
        return v;
      case 'bigint':
        return fail(path, `is a BigInt (${v}n), which JSON cannot represent; convert it to a number or a string`);
      case 'undefined':
        return inArray || path === '' ? fail(path, 'is undefined, which JSON cannot represent') : undefined;
      case 'function':
        return fail(path, 'is a function, which JSON cannot represent');
      case 'symbol':
        return fail(path, 'is a symbol, which JSON cannot represent');
    }
    if (v === null) return null;
    const obj = v as object;
    if (ArrayBuffer.isView(obj)) {
      if (obj instanceof DataView) return fail(path, 'is a DataView, which JSON cannot represent');
      const items = obj as unknown as ArrayLike<number | bigint>;
      const out = new Array<number>(items.length);
      for (let i = 0; i < items.length; i++) {
        const x = items[i]!;
        if (typeof x === 'bigint') {
          if (x > TWO_53 || x < -TWO_53) fail(`${path}[${i}]`, `is ${x}, outside ±2^53: a JSON number cannot hold it exactly`);
          out[i] = Number(x);
        } else {
          if (Number.isNaN(x)) fail(`${path}[${i}]`, 'is NaN, which JSON cannot represent');
          if (!Number.isFinite(x)) fail(`${path}[${i}]`, `is ${x}, which JSON cannot represent`);
          out[i] = x;
        }
      }
      return out;
    }
    if (obj instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && obj instanceof SharedArrayBuffer)) {
      return fail(path, 'is an ArrayBuffer, which JSON cannot represent; wrap it in a typed array');
    }
    if (obj instanceof Map) return fail(path, 'is a Map, which JSON cannot represent; convert it with Object.fromEntries');
    if (obj instanceof Set) return fail(path, 'is a Set, which JSON cannot represent; convert it to an array');
    if (obj instanceof Number || obj instanceof String || obj instanceof Boolean) return clean(obj.valueOf(), path, key, inArray);
    if (ancestors.has(obj)) return fail(path, 'is a circular reference');
    ancestors.add(obj);
    let result: unknown;
    if (Array.isArray(obj)) {
      const out = new Array<unknown>(obj.length);
      for (let i = 0; i < obj.length; i++) out[i] = clean(obj[i], `${path}[${i}]`, String(i), true);
      result = out;
    } else {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(obj)) {
        const item = clean((obj as Record<string, unknown>)[k], joinPath(path, k), k, false);
        if (item !== undefined) Object.defineProperty(out, k, { value: item, enumerable: true, writable: true, configurable: true });
      }
      result = out;
    }
    ancestors.delete(obj);
    return result;
  };

  return `${JSON.stringify(clean(value, '', '', false), null, options.pretty === false ? undefined : 2)}\n`;
}

/** `path.key`, or `path["odd key"]` when the key is not an identifier. */
function joinPath(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}
