export type Row = {
  figure: string;
  metric: string;
  value: string;
  target: string;
  /** null: reported only, no target. */
  pass: boolean | null;
};

/** A plain-text table; columns sized to their content. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function resultsTable(rows: Row[]): string {
  return table(
    ['figure', 'metric', 'measured', 'target', 'result'],
    rows.map((r) => [r.figure, r.metric, r.value, r.target, r.pass === null ? '-' : r.pass ? 'PASS' : 'FAIL']),
  );
}

export const fmt = (n: number, digits = 1) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
