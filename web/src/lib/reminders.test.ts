import { describe, expect, it } from 'vitest';
import { basisPoints, describeOffset, newRow, offsetOf, ruleErrorAt, rowFromRule, rowsFromSettings, rulesBody, type RuleRow } from './reminders';

const row = (over: Partial<RuleRow> = {}): RuleRow => ({ position: 1, when: 'before', days: '7', lateFeePercent: '', ...over });

describe('rows and rules', () => {
  it.each([
    [-7, 0, { when: 'before', days: '7', lateFeePercent: '' }],
    [0, 0, { when: 'on', days: '', lateFeePercent: '' }],
    [10, 150, { when: 'after', days: '10', lateFeePercent: '1.5' }],
    [1, 10000, { when: 'after', days: '1', lateFeePercent: '100' }],
  ] as const)('offset %i fee %i', (offsetDays, lateFeeBasisPoints, want) =>
    expect(rowFromRule({ position: 2, offsetDays, lateFeeBasisPoints })).toEqual({ position: 2, ...want }));

  it('reads the settings in the order the server gives', () => {
    const rows = rowsFromSettings({
      catchUpDays: 14,
      rules: [
        { position: 2, offsetDays: -3, lateFeeBasisPoints: 0, template: 'invoice_reminder_2', description: '' },
        { position: 1, offsetDays: 5, lateFeeBasisPoints: 200, template: 'invoice_reminder_1', description: '' },
      ],
    });
    expect(rows.map(offsetOf)).toEqual([-3, 5]);
    expect(rows.map((r) => r.position)).toEqual([2, 1]);
    expect(rowsFromSettings(null)).toEqual([]);
  });

  it.each([
    [row({ when: 'before', days: '7' }), -7],
    [row({ when: 'after', days: ' 12 ' }), 12],
    [row({ when: 'on', days: 'ignored' }), 0],
    [row({ when: 'after', days: '1.5' }), NaN],
    [row({ when: 'before', days: '' }), NaN],
  ])('offsetOf %j is %d', (r, want) => expect(offsetOf(r)).toBe(want));

  it.each([
    ['', 0],
    ['1.5', 150],
    ['1,5', 150],
    ['0.25', 25],
    ['100', 10000],
    ['abc', NaN],
    ['-1', NaN],
    ['1.555', NaN],
  ])('basisPoints(%j) = %d', (text, want) => expect(basisPoints(text)).toBe(want));
});

describe('newRow', () => {
  it('starts a week before the due date, then goes later, up to three', () => {
    const first = newRow([])!;
    expect(first).toEqual({ position: 1, when: 'before', days: '7', lateFeePercent: '' });
    const second = newRow([first])!;
    expect(second.position).toBe(2);
    expect(offsetOf(second)).toBe(0);
    const third = newRow([first, second])!;
    expect(offsetOf(third)).toBe(7);
    expect(newRow([first, second, third])).toBeNull();
  });
  it('takes the first free position', () => {
    expect(newRow([row({ position: 2 }), row({ position: 3, when: 'on' })])!.position).toBe(1);
  });
});

describe('rulesBody', () => {
  it('sends days and basis points', () => {
    expect(rulesBody([row(), row({ position: 2, when: 'after', days: '10', lateFeePercent: '2.5' })])).toEqual({
      rules: [
        { position: 1, offsetDays: -7, lateFeeBasisPoints: 0 },
        { position: 2, offsetDays: 10, lateFeeBasisPoints: 250 },
      ],
    });
  });
  it('sends what is not a number as typed, for the server to name', () => {
    const body = rulesBody([row({ days: 'soon', lateFeePercent: 'lots' })]);
    expect(body.rules[0]).toEqual({ position: 1, offsetDays: 'soon', lateFeeBasisPoints: 'lots' });
  });
  it('sends no rules to turn reminders off', () => expect(rulesBody([])).toEqual({ rules: [] }));
});

describe('describeOffset and errors', () => {
  it.each([
    [-7, '7 days before the due date'],
    [-1, '1 day before the due date'],
    [0, 'on the due date'],
    [1, '1 day after the due date'],
    [30, '30 days after the due date'],
  ])('%i: %s', (offset, text) => expect(describeOffset(offset)).toBe(text));
  it.each([
    ['rules[1].offsetDays', { row: 1, field: 'offsetDays' }],
    ['rules[0].lateFeeBasisPoints', { row: 0, field: 'lateFeeBasisPoints' }],
    ['rules', null],
    [null, null],
  ])('%j', (field, want) => expect(ruleErrorAt(field)).toEqual(want));
});
