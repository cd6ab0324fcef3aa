import { describe, expect, it } from 'vitest';
import { ageBucket, currenciesOf, dailySeries, receivablesSeries, totalIn, type Dashboard } from './dashboard';

const d: Dashboard = {
  asOf: '2026-03-04',
  currency: 'USD',
  openQuotes: [{ currency: 'USD', count: 2, total: 500 }, { currency: 'EUR', count: 1, total: 100 }],
  quotesByStatus: [],
  ordersAwaitingFulfillment: [{ status: 'Pending Fulfillment', currency: 'USD', count: 1, total: 10 }],
  receivables: [
    { bucket: '31-60', currency: 'USD', count: 1, amountDue: 300 },
    { bucket: 'current', currency: 'USD', count: 2, amountDue: 200 },
    { bucket: 'current', currency: 'EUR', count: 1, amountDue: 999 },
  ],
  paymentsThisMonth: {
    since: '2026-03-01T00:00:00.000Z',
    totals: [{ currency: 'USD', count: 2, total: 700 }],
    byDay: [{ date: '2026-03-02', currency: 'USD', total: 700 }],
  },
};

describe('dashboard helpers', () => {
  it('ages an invoice by days past due', () => {
    expect(ageBucket(null, '2026-03-04')).toBe('current');
    expect(ageBucket('2026-03-04', '2026-03-04')).toBe('current');
    expect(ageBucket('2026-03-03', '2026-03-04')).toBe('1-30');
    expect(ageBucket('2026-02-02', '2026-03-04')).toBe('1-30');
    expect(ageBucket('2026-02-01', '2026-03-04')).toBe('31-60');
    expect(ageBucket('2025-12-04', '2026-03-04')).toBe('61-90');
    expect(ageBucket('2025-12-03', '2026-03-04')).toBe('90+');
  });
  it('gives every bucket in order for one currency', () => {
    expect(receivablesSeries(d, 'USD').map((r) => [r.bucket, r.amountDue])).toEqual([
      ['current', 200], ['1-30', 0], ['31-60', 300], ['61-90', 0], ['90+', 0],
    ]);
  });
  it('fills every day of the month so far', () => {
    expect(dailySeries(d, 'USD')).toEqual([
      { date: '2026-03-01', total: 0 }, { date: '2026-03-02', total: 700 }, { date: '2026-03-03', total: 0 }, { date: '2026-03-04', total: 0 },
    ]);
  });
  it('lists currencies, the workspace’s first', () => {
    expect(currenciesOf(d)).toEqual(['USD', 'EUR']);
    expect(totalIn(d.openQuotes, 'USD')).toEqual({ count: 2, total: 500 });
  });
});
