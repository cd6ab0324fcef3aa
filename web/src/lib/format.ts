// Money and dates for the workspace's locale and currency. Money travels as an integer in
// minor units of its currency (docs/api.md); the number of minor digits comes from Intl
// (USD 2, JPY 0, KWD 3), so nothing here assumes cents.

const fmtCache = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = locale + JSON.stringify(options);
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, options);
    fmtCache.set(key, f);
  }
  return f;
}

/** Minor-unit digits of an ISO 4217 currency (2 for USD, 0 for JPY, 3 for KWD). */
export function currencyDigits(currency: string): number {
  try {
    return numberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function toMajor(minor: number, currency: string): number {
  return minor / 10 ** currencyDigits(currency);
}

/** 123456 USD → "$1,234.56" in en-US, "1.234,56 $" in de-DE. */
export function formatMoney(
  minor: number | null | undefined,
  currency: string | null | undefined,
  locale = 'en-US',
  opts: { compact?: boolean } = {},
): string {
  if (minor === null || minor === undefined || Number.isNaN(minor)) return '—';
  const cur = (currency || 'USD').toUpperCase();
  const digits = currencyDigits(cur);
  const options: Intl.NumberFormatOptions = opts.compact
    ? { style: 'currency', currency: cur, notation: 'compact', maximumFractionDigits: 1 }
    : { style: 'currency', currency: cur, minimumFractionDigits: digits, maximumFractionDigits: digits };
  try {
    return numberFormat(locale, options).format(minor / 10 ** digits);
  } catch {
    return `${cur} ${(minor / 10 ** digits).toFixed(digits)}`;
  }
}

/**
 * Parses what a person typed as an amount ("1,234.50", "1234,5" in de-DE, "$12") into minor
 * units; null when it is not a number. Rounds half away from zero to the currency's digits.
 */
export function parseMoney(text: string, currency: string, locale = 'en-US'): number | null {
  const parts = numberFormat(locale, { useGrouping: true }).formatToParts(12345.6);
  const group = parts.find((p) => p.type === 'group')?.value ?? ',';
  const decimal = parts.find((p) => p.type === 'decimal')?.value ?? '.';
  let t = text.trim().replace(/[\s\u00a0\u202f]/g, '');
  if (!t) return null;
  const negative = /^-|^\(.*\)$/.test(t);
  t = t.replace(/[^\d.,'-]/g, '').replace(/-/g, '');
  if (group) t = t.split(group).join('');
  if (decimal !== '.') t = t.replace(decimal, '.');
  if (!/^\d*\.?\d*$/.test(t) || t === '' || t === '.') return null;
  const digits = currencyDigits(currency);
  const value = Number(t);
  if (!Number.isFinite(value)) return null;
  const minor = Math.round(value * 10 ** digits + (value >= 0 ? 1e-9 : -1e-9));
  return negative ? -minor : minor;
}

/** Minor units → the text an input shows for editing: "1234.50" (no grouping, locale decimal). */
export function moneyInputValue(minor: number | null | undefined, currency: string, locale = 'en-US'): string {
  if (minor === null || minor === undefined) return '';
  const digits = currencyDigits(currency);
  return numberFormat(locale, { useGrouping: false, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
    minor / 10 ** digits,
  );
}

const dtCache = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = locale + JSON.stringify(options);
  let f = dtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    dtCache.set(key, f);
  }
  return f;
}

/** "YYYY-MM-DD" is a calendar date: shown as that day whatever the viewer's time zone. */
export function formatDate(value: string | null | undefined, locale = 'en-US'): string {
  if (!value) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) {
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return dateFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d);
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return dateFormat(locale, { year: 'numeric', month: 'short', day: 'numeric' }).format(d);
}

export function formatDateTime(value: string | null | undefined, locale = 'en-US', timeZone?: string): string {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return dateFormat(locale, { dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(d);
}

/** "3 min ago", "in 2 days" relative to `now`. */
export function formatRelative(value: string | null | undefined, locale = 'en-US', now = Date.now()): string {
  if (!value) return '—';
  const t = new Date(value).getTime();
  if (Number.isNaN(t)) return value;
  const diff = (t - now) / 1000;
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(diff);
  if (abs < 45) return rtf.format(Math.round(diff), 'second');
  if (abs < 2700) return rtf.format(Math.round(diff / 60), 'minute');
  if (abs < 79200) return rtf.format(Math.round(diff / 3600), 'hour');
  if (abs < 86400 * 26) return rtf.format(Math.round(diff / 86400), 'day');
  if (abs < 86400 * 320) return rtf.format(Math.round(diff / (86400 * 30)), 'month');
  return rtf.format(Math.round(diff / (86400 * 365)), 'year');
}

/** An ISO timestamp → the value of an <input type="datetime-local"> in local time. */
export function toDateTimeLocal(value: string | null | undefined): string {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromDateTimeLocal(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Sum of amounts per currency → one line per currency, largest first. */
export function formatMoneyByCurrency(
  totals: Record<string, number>,
  locale = 'en-US',
  opts: { compact?: boolean } = {},
): string {
  const entries = Object.entries(totals).filter(([, v]) => v !== 0);
  if (entries.length === 0) return formatMoney(0, Object.keys(totals)[0] ?? 'USD', locale, opts);
  return entries
    .sort((a, b) => b[1] - a[1])
    .map(([c, v]) => formatMoney(v, c, locale, opts))
    .join(' + ');
}
