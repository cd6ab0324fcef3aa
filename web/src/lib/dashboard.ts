// The shape of GET /rest/dashboard (src/crm/dashboard.cpp) and the helpers that turn it
// into what the home screen draws.

export interface CurrencyTotal {
  currency: string;
  count: number;
  total: number;
}
export interface Dashboard {
  asOf: string; // today, YYYY-MM-DD (UTC)
  currency: string; // the workspace's default currency
  openQuotes: CurrencyTotal[];
  quotesByStatus: (CurrencyTotal & { status: string })[];
  ordersAwaitingFulfillment: (CurrencyTotal & { status: string })[];
  receivables: { bucket: string; currency: string; count: number; amountDue: number }[];
  paymentsThisMonth: {
    since: string;
    totals: CurrencyTotal[];
    byDay: { date: string; currency: string; total: number }[];
  };
}

export const AGE_BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export const AGE_LABELS: Record<string, string> = {
  current: 'Current',
  '1-30': '1–30 days',
  '31-60': '31–60 days',
  '61-90': '61–90 days',
  '90+': '90+ days',
};

/** The bucket of an unpaid invoice by days past due (the same rule as the server's SQL). */
export function ageBucket(dueDate: string | null, today: string): (typeof AGE_BUCKETS)[number] {
  if (!dueDate || dueDate >= today) return 'current';
  const days = Math.round((Date.parse(today + 'T00:00:00Z') - Date.parse(dueDate + 'T00:00:00Z')) / 86400000);
  if (days <= 30) return '1-30';
  if (days <= 60) return '31-60';
  if (days <= 90) return '61-90';
  return '90+';
}

/** Amount due per bucket, in one currency, every bucket present and in order. */
export function receivablesSeries(d: Dashboard, currency: string): { bucket: string; amountDue: number; count: number }[] {
  return AGE_BUCKETS.map((bucket) => {
    const rows = d.receivables.filter((r) => r.bucket === bucket && r.currency === currency);
    return { bucket, amountDue: rows.reduce((s, r) => s + r.amountDue, 0), count: rows.reduce((s, r) => s + r.count, 0) };
  });
}

/** Payments per day of the month so far (every day present), in one currency. */
export function dailySeries(d: Dashboard, currency: string): { date: string; total: number }[] {
  const start = new Date(d.paymentsThisMonth.since.slice(0, 10) + 'T00:00:00Z');
  const end = new Date(d.asOf + 'T00:00:00Z');
  const out: { date: string; total: number }[] = [];
  for (let t = start.getTime(); t <= end.getTime(); t += 86400000) {
    const date = new Date(t).toISOString().slice(0, 10);
    const total = d.paymentsThisMonth.byDay.filter((x) => x.date === date && x.currency === currency).reduce((s, x) => s + x.total, 0);
    out.push({ date, total });
  }
  return out;
}

/** The currencies that appear anywhere, the workspace's first. */
export function currenciesOf(d: Dashboard): string[] {
  const all = new Set<string>([d.currency]);
  for (const r of [...d.openQuotes, ...d.ordersAwaitingFulfillment, ...d.receivables, ...d.paymentsThisMonth.totals]) all.add(r.currency);
  return [...all];
}

export function totalIn(rows: CurrencyTotal[], currency: string): { count: number; total: number } {
  const r = rows.filter((x) => x.currency === currency);
  return { count: r.reduce((s, x) => s + x.count, 0), total: r.reduce((s, x) => s + x.total, 0) };
}
