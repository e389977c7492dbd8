/**
 * Figure data as CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote or
 * line break quoted, quotes doubled). Columns: the union of the rows' keys in first-seen order;
 * null and missing cells are empty. Browser-safe.
 * @module
 */
import type { Cell } from './specs.ts';

const quote = (v: Cell | undefined): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The rows of a figure as CSV text (header line first, a final line end). */
export function toCsv(rows: readonly Record<string, Cell>[]): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of rows)
    for (const k of Object.keys(r))
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
  const lines = [columns.map((c) => quote(c)).join(','), ...rows.map((r) => columns.map((c) => quote(r[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
