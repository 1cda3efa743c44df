// Token amounts: decimal strings typed by people <-> native u64 units.
export const U64_MAX = (1n << 64n) - 1n;

/** Parses "1.5" with `decimals` into native units; null when malformed, too precise or out of u64. */
export function parseAmount(text: string, decimals: number): bigint | null {
  const m = /^\s*(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!m) return null;
  const [, int = '', frac = ''] = m;
  if (int === '' && frac === '') return null;
  if (frac.length > decimals) return null;
  const v = BigInt((int || '0') + frac.padEnd(decimals, '0'));
  return v <= U64_MAX ? v : null;
}

/** Native units as a decimal string with `decimals` (trailing zeros dropped). */
export function formatAmount(native: bigint, decimals: number, maxFraction = decimals): string {
  const negative = native < 0n;
  const mag = negative ? -native : native;
  const base = 10n ** BigInt(decimals);
  const int = mag / base;
  const frac = (mag % base).toString().padStart(decimals, '0').slice(0, maxFraction).replace(/0+$/, '');
  const s = frac ? `${int}.${frac}` : `${int}`;
  return negative && s !== '0' ? `-${s}` : s;
}

/** `formatAmount` with thousands separators in the integer part (display only). */
export function formatTokens(native: bigint, decimals: number, maxFraction = decimals): string {
  const s = formatAmount(native, decimals, maxFraction);
  const [int = '', frac] = s.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac ? `${grouped}.${frac}` : grouped;
}

const usdFmt = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });

export function formatUsd(v: number | string | null | undefined): string {
  if (v === null || v === undefined) return '—';
  const n = typeof v === 'string' ? Number(v) : v;
  return Number.isFinite(n) ? usdFmt.format(n) : '—';
}

export function formatPct(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(digits)}%`;
}

/** A price with enough significant digits for cheap coins. */
export function formatPrice(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const digits = v >= 1000 ? 2 : v >= 1 ? 4 : 6;
  return v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits });
}
