import { describe, expect, it } from 'vitest';
import {
  currencyDigits, formatDate, formatDateTime, formatMoney, formatMoneyByCurrency, formatRelative, moneyInputValue, parseMoney,
} from './format';

// Intl output uses narrow/no-break spaces in some locales; compare with them normalised.
const n = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('money', () => {
  it('knows each currency’s minor digits', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KWD')).toBe(3);
  });
  it('formats minor units for the locale', () => {
    expect(formatMoney(123456, 'USD', 'en-US')).toBe('$1,234.56');
    expect(n(formatMoney(123456, 'EUR', 'de-DE'))).toBe('1.234,56 €');
    expect(formatMoney(5000, 'JPY', 'en-US')).toBe('¥5,000');
    expect(formatMoney(0, 'USD', 'en-US')).toBe('$0.00');
    expect(formatMoney(-250, 'USD', 'en-US')).toBe('-$2.50');
    expect(formatMoney(null, 'USD')).toBe('—');
  });
  it('compacts large amounts for charts', () => {
    expect(formatMoney(245000000, 'USD', 'en-US', { compact: true })).toBe('$2.5M');
  });
  it('parses what a person types', () => {
    expect(parseMoney('1,234.56', 'USD', 'en-US')).toBe(123456);
    expect(parseMoney('$12', 'USD', 'en-US')).toBe(1200);
    expect(parseMoney('0.1', 'USD', 'en-US')).toBe(10);
    expect(parseMoney('1.005', 'USD', 'en-US')).toBe(101);
    expect(parseMoney('1.234,5', 'EUR', 'de-DE')).toBe(123450);
    expect(parseMoney('5000', 'JPY', 'en-US')).toBe(5000);
    expect(parseMoney('-3', 'USD', 'en-US')).toBe(-300);
    expect(parseMoney('', 'USD')).toBeNull();
    expect(parseMoney('abc', 'USD')).toBeNull();
    expect(parseMoney('1.2.3', 'USD')).toBeNull();
  });
  it('round-trips through the input value', () => {
    expect(moneyInputValue(123450, 'USD', 'en-US')).toBe('1234.50');
    expect(moneyInputValue(123450, 'EUR', 'de-DE')).toBe('1234,50');
    expect(parseMoney(moneyInputValue(987654321, 'USD', 'en-US'), 'USD', 'en-US')).toBe(987654321);
  });
  it('sums per currency', () => {
    expect(formatMoneyByCurrency({ USD: 100, EUR: 0 }, 'en-US')).toBe('$1.00');
    expect(formatMoneyByCurrency({ USD: 100, EUR: 500 }, 'en-US')).toBe('€5.00 + $1.00');
    expect(formatMoneyByCurrency({}, 'en-US')).toBe('$0.00');
  });
});

describe('dates', () => {
  it('shows a calendar date as that day in any time zone', () => {
    expect(formatDate('2026-03-01', 'en-US')).toBe('Mar 1, 2026');
    expect(formatDate('2026-03-01', 'de-DE')).toBe('1. März 2026');
    expect(formatDate(null)).toBe('—');
  });
  it('formats timestamps in the given zone', () => {
    expect(formatDateTime('2026-03-01T15:04:00.000Z', 'en-US', 'UTC')).toBe('Mar 1, 2026, 3:04 PM');
    expect(n(formatDateTime('2026-03-01T15:04:00.000Z', 'en-GB', 'UTC'))).toBe('1 Mar 2026, 15:04');
  });
  it('says how long ago', () => {
    const now = Date.parse('2026-03-10T12:00:00Z');
    expect(formatRelative('2026-03-10T11:57:00Z', 'en-US', now)).toBe('3 minutes ago');
    expect(formatRelative('2026-03-12T12:00:00Z', 'en-US', now)).toBe('in 2 days');
    expect(formatRelative('2026-03-09T12:00:00Z', 'en-US', now)).toBe('yesterday');
  });
});
