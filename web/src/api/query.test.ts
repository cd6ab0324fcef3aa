import { describe, expect, it } from 'vitest';
import { buildFilter, escapeLike, formatValue, listQueryString, nextSort, searchFilter } from './query';

describe('formatValue', () => {
  it('leaves plain values bare', () => {
    expect(formatValue('Open')).toBe('Open');
    expect(formatValue('2026-01-31T00:00:00Z')).toBe('2026-01-31T00:00:00Z');
    expect(formatValue(1000)).toBe('1000');
    expect(formatValue(true)).toBe('true');
  });
  it('quotes values the grammar would misread', () => {
    expect(formatValue('Acme, Inc.')).toBe('"Acme, Inc."');
    expect(formatValue('a(b)')).toBe('"a(b)"');
    expect(formatValue('[x]')).toBe('"[x]"');
    expect(formatValue(' padded ')).toBe('" padded "');
    expect(formatValue('')).toBe('""');
    expect(formatValue('NULL')).toBe('"NULL"');
  });
  it('escapes quotes and backslashes inside quotes', () => {
    expect(formatValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(formatValue('C:\\dir')).toBe('"C:\\\\dir"');
  });
  it('refuses non-finite numbers', () => {
    expect(() => formatValue(NaN)).toThrow();
  });
});

describe('buildFilter', () => {
  it('joins top-level conditions with commas (all must hold)', () => {
    expect(
      buildFilter([
        { field: 'status', op: 'eq', value: 'Open' },
        { field: 'total', op: 'gte', value: 1000 },
      ]),
    ).toBe('status[eq]:Open,total[gte]:1000');
  });
  it('writes lists, NULL tests and groups', () => {
    expect(buildFilter([{ field: 'status', op: 'in', value: ['Open', 'Partially Paid', 'Payment Failed'] }])).toBe(
      'status[in]:[Open,Partially Paid,Payment Failed]',
    );
    expect(buildFilter([{ field: 'orderId', op: 'is', value: null }])).toBe('orderId[is]:NULL');
    expect(buildFilter([{ field: 'orderId', op: 'is', value: 'NOT_NULL' }])).toBe('orderId[is]:NOT_NULL');
    expect(
      buildFilter([
        { or: [{ field: 'name', op: 'eq', value: 'Acme, Inc.' }, { not: { field: 'status', op: 'eq', value: 'Draft' } }] },
        { and: [] },
      ]),
    ).toBe('or(name[eq]:"Acme, Inc.",not(status[eq]:Draft))');
  });
  it('refuses null outside is', () => {
    expect(() => buildFilter([{ field: 'x', op: 'eq', value: null }])).toThrow(/is/);
  });
});

describe('search', () => {
  it('escapes LIKE wildcards', () => {
    expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\');
  });
  it('builds a case-insensitive contains over several fields', () => {
    const node = searchFilter(['name', 'domainName'], ' lumen ');
    expect(buildFilter([node!])).toBe('or(name[ilike]:%lumen%,domainName[ilike]:%lumen%)');
    expect(searchFilter(['name'], '   ')).toBeNull();
    expect(buildFilter([searchFilter(['name'], 'a,b')!])).toBe('name[ilike]:"%a,b%"');
  });
});

describe('listQueryString', () => {
  it('encodes filter, order, limit and cursor', () => {
    const q = listQueryString({
      filter: [{ field: 'status', op: 'eq', value: 'Open' }],
      orderBy: [{ field: 'createdAt', direction: 'DescNullsLast' }],
      limit: 50,
      startingAfter: 'abc',
    });
    const p = new URLSearchParams(q);
    expect(p.get('filter')).toBe('status[eq]:Open');
    expect(p.get('order_by')).toBe('createdAt[DescNullsLast]');
    expect(p.get('limit')).toBe('50');
    expect(p.get('starting_after')).toBe('abc');
    expect(p.has('ending_before')).toBe(false);
  });
  it('omits what is not set', () => {
    expect(listQueryString({})).toBe('');
    expect(listQueryString({ endingBefore: 'c1' })).toBe('ending_before=c1');
  });
});

describe('nextSort', () => {
  it('cycles none → asc → desc → none', () => {
    const a = nextSort(null, 'total');
    expect(a).toEqual({ field: 'total', direction: 'AscNullsFirst' });
    const d = nextSort(a, 'total');
    expect(d).toEqual({ field: 'total', direction: 'DescNullsLast' });
    expect(nextSort(d, 'total')).toBeNull();
    expect(nextSort(d, 'name')).toEqual({ field: 'name', direction: 'AscNullsFirst' });
  });
});
