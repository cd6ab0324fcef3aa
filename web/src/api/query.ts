// The list-query language of Settle's REST API (Twenty CRM's conventions), built from
// plain objects so that no screen ever concatenates filter strings by hand. The grammar
// is in src/store/query.hpp on the server:
//   filter := expr ("," expr)*      expr := and(...) | or(...) | not(expr) | field[op]:operand
//   value  := bare | "quoted with \" and \\"      list := [v, v, ...]  (in, containsAny)

export type FilterOp =
  | 'eq' | 'neq' | 'in' | 'containsAny' | 'is' | 'gt' | 'gte' | 'lt' | 'lte'
  | 'startsWith' | 'endsWith' | 'like' | 'ilike';

export type Scalar = string | number | boolean;

export interface Condition {
  field: string;
  op: FilterOp;
  value: Scalar | Scalar[] | null; // null only with op 'is' (NULL); use 'NOT_NULL' as a string
}
export type FilterNode = Condition | { and: FilterNode[] } | { or: FilterNode[] } | { not: FilterNode };

export type Direction = 'AscNullsFirst' | 'AscNullsLast' | 'DescNullsFirst' | 'DescNullsLast';
export interface OrderBy {
  field: string;
  direction: Direction;
}

export interface ListParams {
  filter?: FilterNode[];
  orderBy?: OrderBy[];
  limit?: number;
  startingAfter?: string | null;
  endingBefore?: string | null;
}

// A bare value may not contain , ( ) [ ] or " and loses surrounding blanks: quote those,
// and empty strings, and the literal text NULL (bare NULL means SQL NULL).
const NEEDS_QUOTES = /[,()[\]"\\]|^\s|\s$|^$|^null$/i;

export function formatValue(v: Scalar): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('filter values must be finite numbers');
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (!NEEDS_QUOTES.test(v)) return v;
  return '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

function isCondition(n: FilterNode): n is Condition {
  return (n as Condition).field !== undefined;
}

export function formatNode(n: FilterNode): string {
  if (isCondition(n)) {
    let operand: string;
    if (n.op === 'is') {
      operand = n.value === null || n.value === 'NULL' ? 'NULL' : 'NOT_NULL';
    } else if (Array.isArray(n.value)) {
      operand = '[' + n.value.map(formatValue).join(',') + ']';
    } else if (n.value === null) {
      throw new Error(`${n.field}: use op 'is' to compare with NULL`);
    } else {
      operand = formatValue(n.value);
    }
    return `${n.field}[${n.op}]:${operand}`;
  }
  if ('and' in n) return `and(${n.and.map(formatNode).join(',')})`;
  if ('or' in n) return `or(${n.or.map(formatNode).join(',')})`;
  return `not(${formatNode(n.not)})`;
}

/** Top-level nodes are joined by commas: all must hold. Empty groups are dropped. */
export function buildFilter(nodes: FilterNode[]): string {
  return nodes.filter((n) => !isEmptyGroup(n)).map(formatNode).join(',');
}

function isEmptyGroup(n: FilterNode): boolean {
  return ('and' in n && n.and.length === 0) || ('or' in n && n.or.length === 0);
}

/** Escapes LIKE's wildcards (% and _) and its escape character so text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** A case-insensitive "contains" over several text fields: or(a[ilike]:"%x%", ...). */
export function searchFilter(fields: string[], text: string): FilterNode | null {
  const t = text.trim();
  if (!t || fields.length === 0) return null;
  const pattern = '%' + escapeLike(t) + '%';
  const conds: Condition[] = fields.map((field) => ({ field, op: 'ilike', value: pattern }));
  return conds.length === 1 ? conds[0] : { or: conds };
}

export function buildOrderBy(order: OrderBy[]): string {
  return order.map((o) => `${o.field}[${o.direction}]`).join(',');
}

/** The query string (without '?') of a list call. */
export function listQueryString(p: ListParams): string {
  const q = new URLSearchParams();
  const filter = p.filter ? buildFilter(p.filter) : '';
  if (filter) q.set('filter', filter);
  if (p.orderBy && p.orderBy.length) q.set('order_by', buildOrderBy(p.orderBy));
  if (p.limit !== undefined) q.set('limit', String(p.limit));
  if (p.startingAfter) q.set('starting_after', p.startingAfter);
  else if (p.endingBefore) q.set('ending_before', p.endingBefore);
  return q.toString();
}

/** Toggles a column's sort: none → ascending → descending → none. */
export function nextSort(current: OrderBy | null, field: string): OrderBy | null {
  // AscNullsFirst and DescNullsLast: the two orders an index yields on SQLite and PostgreSQL.
  if (!current || current.field !== field) return { field, direction: 'AscNullsFirst' };
  if (current.direction.startsWith('Asc')) return { field, direction: 'DescNullsLast' };
  return null;
}
