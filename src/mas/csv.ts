/**
 * RFC 4180 CSV output. A field is quoted when it holds a comma, a quote, a line break, or
 * leading/trailing spaces (which many readers would trim); quotes inside are doubled. Rows end in
 * "\n", which every mainstream reader accepts and keeps files diff-friendly.
 */
export type Cell = string | number | boolean | null | undefined;

export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'number' ? numberText(value) : String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',') + '\n').join('');
}

// String(n) is the shortest text that parses back to the same double; -0 would print as "0".
function numberText(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}
