// Terminal output helpers: colours only on a TTY without NO_COLOR, plain tables, human-readable sizes.
export interface Palette {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function palette(enabled: boolean): Palette {
  if (!enabled) {
    const id = (s: string) => s;
    return { green: id, red: id, yellow: id, bold: id, dim: id };
  }
  return { green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), bold: wrap(1, 22), dim: wrap(2, 22) };
}

const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, '').length;

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat((widths[i] ?? 0) - visible(c))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function box(title: string, rows: Array<[string, string]>): string {
  const labelWidth = Math.max(...rows.map(([l]) => l.length)) + 1;
  const body = rows.map(([l, v]) => ` ${`${l}:`.padEnd(labelWidth + 1)}${v}`);
  const width = Math.max(title.length + 2, ...body.map((b) => visible(b) + 1));
  const pad = (s: string) => s + ' '.repeat(width - visible(s));
  return [`╔${'═'.repeat(width)}╗`, `║${pad(` ${title}`)}║`, `╠${'═'.repeat(width)}╣`, ...body.map((b) => `║${pad(b)}║`), `╚${'═'.repeat(width)}╝`].join('\n');
}

export function bytes(n: number | null): string {
  if (n === null) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

export function duration(secs: number | null): string {
  if (secs === null) return '-';
  const s = Math.floor(secs);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}
