// The shapes of Settle's reminder rules (GET/PUT /rest/settings/reminders, src/mail/reminders.cpp)
// and the Settings form over them: a rule is "N days before / on / N days after the due date"
// with an optional late fee in percent, sent to the server in whole days and basis points.

export interface ReminderRule {
  position: number;
  offsetDays: number;
  lateFeeBasisPoints: number;
  template: string;
  description: string;
}

export interface ReminderSettings {
  rules: ReminderRule[];
  catchUpDays: number;
  updatedAt?: string;
}

export type When = 'before' | 'on' | 'after';

/** One row of the form; numbers as typed so the server can refuse them on their field. */
export interface RuleRow {
  position: number;
  when: When;
  days: string;
  lateFeePercent: string;
}

export const MAX_RULES = 3;

export function rowFromRule(r: Pick<ReminderRule, 'position' | 'offsetDays' | 'lateFeeBasisPoints'>): RuleRow {
  const when: When = r.offsetDays < 0 ? 'before' : r.offsetDays === 0 ? 'on' : 'after';
  return {
    position: r.position,
    when,
    days: when === 'on' ? '' : String(Math.abs(r.offsetDays)),
    lateFeePercent: r.lateFeeBasisPoints ? String(r.lateFeeBasisPoints / 100) : '',
  };
}

/** The rows of the rules as the server answers them (ordered by day). */
export function rowsFromSettings(s: ReminderSettings | null | undefined): RuleRow[] {
  return (s?.rules ?? []).map(rowFromRule);
}

/** A new row: the first free position, a day after the last row's (or a week before the due date). */
export function newRow(rows: RuleRow[]): RuleRow | null {
  if (rows.length >= MAX_RULES) return null;
  const used = new Set(rows.map((r) => r.position));
  let position = 1;
  while (used.has(position)) position++;
  if (rows.length === 0) return { position, when: 'before', days: '7', lateFeePercent: '' };
  const last = offsetOf(rows[rows.length - 1]);
  const next = Number.isFinite(last) ? Math.max(last + 7, 0) : 0;
  return next === 0 ? { position, when: 'on', days: '', lateFeePercent: '' } : { position, when: 'after', days: String(next), lateFeePercent: '' };
}

/** The day of a row relative to the due date; NaN when its days are not a whole number. */
export function offsetOf(r: RuleRow): number {
  if (r.when === 'on') return 0;
  const t = r.days.trim();
  if (!/^\d+$/.test(t)) return NaN;
  return r.when === 'before' ? -Number(t) : Number(t);
}

/** Percent as typed ("1.5", "1,5", "") to basis points; NaN when it is not a number. */
export function basisPoints(percent: string): number {
  const t = percent.trim().replace(',', '.');
  if (t === '') return 0;
  if (!/^\d+(\.\d{0,2})?$/.test(t)) return NaN;
  return Math.round(Number(t) * 100);
}

/**
 * The PUT body. A value that is not a number goes as typed, for the server to refuse on its
 * field ("rules[1].offsetDays").
 */
export function rulesBody(rows: RuleRow[]): { rules: Record<string, unknown>[] } {
  return {
    rules: rows.map((r) => {
      const offset = offsetOf(r);
      const fee = basisPoints(r.lateFeePercent);
      return {
        position: r.position,
        offsetDays: Number.isNaN(offset) ? r.days : offset,
        lateFeeBasisPoints: Number.isNaN(fee) ? r.lateFeePercent : fee,
      };
    }),
  };
}

/** "7 days before the due date", "on the due date", "1 day after the due date" (as the server says it). */
export function describeOffset(offset: number): string {
  if (offset === 0) return 'on the due date';
  const n = Math.abs(offset);
  return `${n} ${n === 1 ? 'day' : 'days'} ${offset < 0 ? 'before' : 'after'} the due date`;
}

/** Which row a server error names: "rules[1].offsetDays" → { row: 1, field: "offsetDays" }. */
export function ruleErrorAt(field: string | null | undefined): { row: number; field: string } | null {
  const m = /^rules\[(\d+)\]\.(\w+)$/.exec(field ?? '');
  return m ? { row: Number(m[1]), field: m[2] } : null;
}
