/**
 * Builders of hostile inputs for the hardening tests (docs/formats.md, Security and limits):
 * deflate bombs written bit by bit (so that a multi-gigabyte expansion costs kilobytes to build)
 * and zip archives whose directory says whatever the test wants.
 */
import { crc32 } from '../../src/io/binary.ts';

/** An LSB-first bit writer, as DEFLATE packs its fields. */
class BitWriter {
  readonly #bytes: number[] = [];
  #bit = 0;
  /** Writes the `count` low bits of `value`, least significant first (header fields, extra bits). */
  bits(value: number, count: number): void {
    for (let i = 0; i < count; i++) this.#push((value >>> i) & 1);
  }
  /** Writes a Huffman code: its bits from the most significant one (RFC 1951 §3.1.1). */
  code(text: string): void {
    for (const c of text) this.#push(c === '1' ? 1 : 0);
  }
  #push(b: number): void {
    if (this.#bit === 0) this.#bytes.push(0);
    this.#bytes[this.#bytes.length - 1]! |= b << this.#bit;
    this.#bit = (this.#bit + 1) % 8;
  }
  /** Appends `count` copies of `byte` (whole bytes: only valid at a byte boundary). */
  repeatByte(byte: number, count: number): void {
    if (count > 0 && this.#bit !== 0) throw new Error('repeatByte needs a byte boundary');
    for (let i = 0; i < count; i++) this.#bytes.push(byte);
  }
  get aligned(): boolean {
    return this.#bit === 0;
  }
  toBytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/**
 * A raw DEFLATE stream (one dynamic-Huffman block) that inflates to `1 + 258·copies` zero bytes:
 * a literal 0, then `copies` back-references "258 bytes at distance 1", each coded in 2 bits, so
 * about 1032 output bytes per input byte, the format's maximum.
 */
export function deflateBomb(copies: number): { readonly data: Uint8Array; readonly size: number } {
  const w = new BitWriter();
  w.bits(1, 1); // BFINAL
  w.bits(2, 2); // BTYPE = dynamic Huffman
  w.bits(29, 5); // HLIT: 286 literal/length codes (symbol 285 = length 258)
  w.bits(0, 5); // HDIST: 1 distance code (symbol 0 = distance 1)
  w.bits(14, 4); // HCLEN: 18 code-length code lengths
  // Code-length alphabet: 18 → "0", 1 → "10", 2 → "11" (order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1).
  const clLengths = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2];
  for (const l of clLengths) w.bits(l, 3);
  const zeros = (n: number): void => {
    w.code('0'); // symbol 18: n = 11…138 zeros
    w.bits(n - 11, 7);
  };
  // Literal/length lengths: 0 → 2, 1…255 → 0, 256 → 2, 257…284 → 0, 285 → 1; distance 0 → 1.
  w.code('11');
  zeros(138);
  zeros(117);
  w.code('11');
  zeros(28);
  w.code('10');
  w.code('10');
  // Canonical codes: 285 → "0", 0 → "10", 256 → "11"; distance 0 → "0".
  w.code('10'); // literal 0
  // Each copy is the two codes "0" "0": single copies up to a byte boundary, then whole bytes of four.
  let written = 0;
  const copy = (): void => {
    w.code('0');
    w.code('0');
    written++;
  };
  while (!w.aligned && written < copies) copy();
  const wholeBytes = Math.floor((copies - written) / 4);
  w.repeatByte(0x00, wholeBytes);
  written += wholeBytes * 4;
  while (written < copies) copy();
  w.code('11'); // end of block
  return { data: w.toBytes(), size: 1 + 258 * written };
}

/** One member of {@link zipArchive}: raw member bytes as stored, and what the directory claims. */
export interface RawMember {
  readonly name: string;
  readonly data: Uint8Array;
  /** 0 stored, 8 deflate. */
  readonly method: 0 | 8;
  /** The uncompressed size the directory claims. */
  readonly size: number;
  /** The CRC-32 the directory claims (default: of `data` when stored, else 0). */
  readonly crc?: number;
}

/** A zip archive whose directory says exactly what `members` claim (no ZIP64: sizes < 4 GiB). */
export function zipArchive(members: readonly RawMember[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = enc.encode(m.name);
    const crc = m.crc ?? (m.method === 0 ? crc32(m.data) : 0);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, m.method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, m.data.length, true);
    lv.setUint32(22, m.size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, m.method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, m.data.length, true);
    cv.setUint32(24, m.size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    parts.push(local, m.data);
    centrals.push(central);
    offset += local.length + m.data.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...centrals, end];
  const out = new Uint8Array(all.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
