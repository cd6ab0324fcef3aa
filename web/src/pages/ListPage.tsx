import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useList } from '../api/hooks';
import { countText } from '../api/client';
import { buildFilter, nextSort, searchFilter, type Condition, type FilterNode, type OrderBy } from '../api/query';
import { OBJECT_BY_NAME, fieldOf, type Field, type ObjectMeta } from '../lib/objects';
import { FieldValue } from '../components/values';
import { EmptyState, ErrorBox, Spinner } from '../components/ui';
import { MoneyInput, RefSelect } from '../components/inputs';
import { useFormat } from '../session';
import { labelOf, useRecordRef } from '../api/refs';

const PAGE = 50;

function parseConds(raw: string | null): Condition[] {
  if (!raw) return [];
  try {
    const v = JSON.parse(raw);
    return Array.isArray(v) ? (v as Condition[]).filter((c) => c && typeof c.field === 'string') : [];
  } catch {
    return [];
  }
}

export function ListPage({ object }: { object: string }) {
  const meta = OBJECT_BY_NAME[object];
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const q = params.get('q') ?? '';
  const [searchText, setSearchText] = useState(q);
  const status = params.get('status');
  const conds = parseConds(params.get('f'));
  const sortParam = params.get('sort');
  const sort: OrderBy | null = sortParam
    ? { field: sortParam.split(':')[0], direction: (sortParam.split(':')[1] as OrderBy['direction']) || 'AscNullsFirst' }
    : null;
  const after = params.get('after');
  const before = params.get('before');

  const update = (changes: Record<string, string | null>, keepCursor = false) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === '') next.delete(k);
      else next.set(k, v);
    }
    if (!keepCursor) {
      next.delete('after');
      next.delete('before');
    }
    setParams(next, { replace: true });
  };

  // Search as you type, 250 ms after the last key.
  useEffect(() => setSearchText(q), [q]);
  useEffect(() => {
    if (searchText === q) return;
    const t = window.setTimeout(() => update({ q: searchText || null }), 250);
    return () => window.clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [searchText]);

  const filter = useMemo(() => {
    const nodes: FilterNode[] = [];
    const s = searchFilter(meta.search, q);
    if (s) nodes.push(s);
    if (status) nodes.push({ field: 'status', op: 'eq', value: status });
    nodes.push(...conds);
    return nodes;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q, status, params.get('f'), meta]);

  const orderBy = sort ? [sort] : [meta.defaultSort];
  const { data, error, loading, reload } = useList<Record<string, unknown>>(object, {
    filter,
    orderBy,
    limit: PAGE,
    startingAfter: after,
    endingBefore: before,
  });
  const rows = data?.data ?? [];
  const statusField = fieldOf(meta, 'status');
  const columns = meta.columns.map((c) => fieldOf(meta, c)!).filter(Boolean);
  const filterText = buildFilter(filter);

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>{meta.label}</h1>
          <p className="muted small" aria-live="polite">
            {data ? `${countText(data)} ${data.totalCount === 1 ? meta.singular : meta.label.toLowerCase()}` : '\u00a0'}
          </p>
        </div>
        <div className="page-actions">
          {meta.board && (
            <Link className="btn" to={`/${object}/board`}>
              Board
            </Link>
          )}
          {object !== 'payments' && (
            <Link className="btn btn-primary" to={`/${object}/new`}>
              New {meta.singular}
            </Link>
          )}
        </div>
      </header>

      <div className="toolbar">
        <label className="search">
          <span className="visually-hidden">Search {meta.label.toLowerCase()}</span>
          <input
            className="input"
            type="search"
            placeholder={`Search ${meta.label.toLowerCase()}…`}
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
          />
        </label>
        {statusField?.options && (
          <div className="segmented" role="group" aria-label="Status">
            <button type="button" aria-pressed={!status} onClick={() => update({ status: null })}>
              All
            </button>
            {statusField.options.map((s) => (
              <button type="button" key={s} aria-pressed={status === s} onClick={() => update({ status: s })}>
                {s}
              </button>
            ))}
          </div>
        )}
        <FilterBuilder meta={meta} onAdd={(c) => update({ f: JSON.stringify([...conds, c]) })} />
      </div>
      {conds.length > 0 && (
        <div className="chips" aria-label="Filters">
          {conds.map((c, i) => (
            <span className="chip" key={i}>
              <ConditionLabel meta={meta} cond={c} />
              <button
                type="button"
                aria-label="Remove filter"
                onClick={() => update({ f: conds.length > 1 ? JSON.stringify(conds.filter((_, j) => j !== i)) : null })}
              >
                ×
              </button>
            </span>
          ))}
          <button type="button" className="btn btn-ghost btn-small" onClick={() => update({ f: null })}>
            Clear
          </button>
        </div>
      )}
      {filterText && (
        <p className="filter-text small muted">
          <code>filter={filterText}</code>
        </p>
      )}

      <ErrorBox error={error} onRetry={() => void reload()} />
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              {columns.map((c) => {
                const active = (sort ?? null)?.field === c.name;
                const dir = active ? (sort!.direction.startsWith('Asc') ? 'ascending' : 'descending') : 'none';
                return (
                  <th key={c.name} aria-sort={dir} className={c.kind === 'money' ? 'num' : ''}>
                    <button type="button" className="th-sort" onClick={() => {
                      const n = nextSort(sort, c.name);
                      update({ sort: n ? `${n.field}:${n.direction}` : null });
                    }}>
                      {c.label}
                      <span aria-hidden="true" className="sort-ind">
                        {dir === 'ascending' ? '↑' : dir === 'descending' ? '↓' : ''}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id as string} onClick={() => navigate(`/${object}/${r.id}`)} className="clickable">
                {columns.map((c, i) => (
                  <td key={c.name} className={c.kind === 'money' ? 'num' : ''}>
                    {i === 0 ? (
                      <Link to={`/${object}/${r.id}`} className="row-link">
                        {c.kind === 'text' && r[c.name] ? String(r[c.name]) : <FieldValue field={c} record={r} />}
                      </Link>
                    ) : (
                      <FieldValue field={c} record={r} />
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {loading && !data && (
          <div className="table-loading">
            <Spinner />
          </div>
        )}
        {data && rows.length === 0 && <EmptyState>No {meta.label.toLowerCase()} match.</EmptyState>}
      </div>
      {data && (data.pageInfo.hasNextPage || data.pageInfo.hasPreviousPage || after || before) && (
        <nav className="pager" aria-label="Pages">
          <button
            type="button"
            className="btn"
            disabled={!data.pageInfo.hasPreviousPage && !after}
            onClick={() => update({ before: data.pageInfo.startCursor, after: null }, true)}
          >
            ← Previous
          </button>
          <button
            type="button"
            className="btn"
            disabled={!data.pageInfo.hasNextPage}
            onClick={() => update({ after: data.pageInfo.endCursor, before: null }, true)}
          >
            Next →
          </button>
        </nav>
      )}
    </div>
  );
}

const OPS: Record<string, { op: Condition['op'] | 'contains' | 'empty' | 'notEmpty'; label: string }[]> = {
  text: [
    { op: 'contains', label: 'contains' }, { op: 'eq', label: 'is' }, { op: 'neq', label: 'is not' },
    { op: 'startsWith', label: 'starts with' }, { op: 'empty', label: 'is empty' }, { op: 'notEmpty', label: 'is not empty' },
  ],
  money: [{ op: 'gte', label: '≥' }, { op: 'lte', label: '≤' }, { op: 'eq', label: '=' }],
  date: [{ op: 'gte', label: 'on or after' }, { op: 'lte', label: 'on or before' }, { op: 'eq', label: 'on' }, { op: 'empty', label: 'is empty' }],
  enum: [{ op: 'eq', label: 'is' }, { op: 'neq', label: 'is not' }],
  ref: [{ op: 'eq', label: 'is' }, { op: 'empty', label: 'is empty' }, { op: 'notEmpty', label: 'is not empty' }],
  bool: [{ op: 'eq', label: 'is' }],
};
function opsFor(f: Field) {
  if (f.kind === 'money') return OPS.money;
  if (f.kind === 'date' || f.kind === 'datetime') return OPS.date;
  if (f.kind === 'enum' || f.kind === 'currency') return OPS.enum;
  if (f.kind === 'ref') return OPS.ref;
  if (f.kind === 'bool') return OPS.bool;
  return OPS.text;
}

function FilterBuilder({ meta, onAdd }: { meta: ObjectMeta; onAdd: (c: Condition) => void }) {
  const [open, setOpen] = useState(false);
  const fields = meta.fields.filter((f) => f.name !== 'status');
  const [fieldName, setFieldName] = useState(fields[0]?.name ?? '');
  const field = fieldOf(meta, fieldName)!;
  const ops = field ? opsFor(field) : OPS.text;
  const [op, setOp] = useState<string>(ops[0].op);
  const [value, setValue] = useState<unknown>('');
  const fmt = useFormat();
  useEffect(() => {
    setOp(opsFor(field).at(0)!.op);
    setValue(field.kind === 'bool' ? true : '');
  }, [fieldName]); // eslint-disable-line react-hooks/exhaustive-deps

  if (!open)
    return (
      <button type="button" className="btn" onClick={() => setOpen(true)}>
        + Filter
      </button>
    );
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    let c: Condition;
    if (op === 'empty') c = { field: field.name, op: 'is', value: null };
    else if (op === 'notEmpty') c = { field: field.name, op: 'is', value: 'NOT_NULL' };
    else if (op === 'contains') c = { field: field.name, op: 'ilike', value: `%${String(value).replace(/[\\%_]/g, (x) => '\\' + x)}%` };
    else if (field.kind === 'datetime' && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value))
      c = { field: field.name, op: op as Condition['op'], value: op === 'lte' ? `${value}T23:59:59.999Z` : `${value}T00:00:00Z` };
    else c = { field: field.name, op: op as Condition['op'], value: value as string };
    if (c.op !== 'is' && (c.value === '' || c.value === null)) return;
    onAdd(c);
    setOpen(false);
    setValue('');
  };
  const needsValue = op !== 'empty' && op !== 'notEmpty';
  return (
    <form className="filter-form" onSubmit={submit} aria-label="Add a filter">
      <label className="visually-hidden" htmlFor="flt-field">Field</label>
      <select id="flt-field" className="input" value={fieldName} onChange={(e) => setFieldName(e.target.value)}>
        {fields.map((f) => (
          <option key={f.name} value={f.name}>
            {f.label}
          </option>
        ))}
      </select>
      <label className="visually-hidden" htmlFor="flt-op">Condition</label>
      <select id="flt-op" className="input" value={op} onChange={(e) => setOp(e.target.value)}>
        {ops.map((o) => (
          <option key={o.op} value={o.op}>
            {o.label}
          </option>
        ))}
      </select>
      {needsValue && (
        <>
          <label className="visually-hidden" htmlFor="flt-value">Value</label>
          {field.kind === 'money' ? (
            <MoneyInput id="flt-value" value={(value as number) || null} currency={fmt.currency} onChange={(v) => setValue(v ?? '')} />
          ) : field.kind === 'ref' ? (
            <RefSelect id="flt-value" object={field.ref!} value={(value as string) || null} onChange={(v) => setValue(v ?? '')} label="Value" />
          ) : field.kind === 'enum' || field.kind === 'bool' ? (
            <select id="flt-value" className="input" value={String(value)} onChange={(e) => setValue(field.kind === 'bool' ? e.target.value === 'true' : e.target.value)}>
              {field.kind === 'bool' ? (
                <>
                  <option value="true">Yes</option>
                  <option value="false">No</option>
                </>
              ) : (
                <>
                  <option value="">Choose…</option>
                  {field.options!.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </>
              )}
            </select>
          ) : (
            <input
              id="flt-value"
              className="input"
              type={field.kind === 'date' || field.kind === 'datetime' ? 'date' : 'text'}
              value={String(value)}
              onChange={(e) => setValue(e.target.value)}
            />
          )}
        </>
      )}
      <button type="submit" className="btn btn-primary">Apply</button>
      <button type="button" className="btn btn-ghost" onClick={() => setOpen(false)}>Cancel</button>
    </form>
  );
}

function ConditionLabel({ meta, cond }: { meta: ObjectMeta; cond: Condition }) {
  const fmt = useFormat();
  const field = fieldOf(meta, cond.field);
  const ref = useRecordRef(field?.kind === 'ref' ? field.ref : undefined, field?.kind === 'ref' && cond.op === 'eq' ? (cond.value as string) : null);
  const name = field?.label ?? cond.field;
  if (cond.op === 'is') return <>{name} {cond.value === null ? 'is empty' : 'is not empty'}</>;
  if (cond.op === 'ilike' && typeof cond.value === 'string')
    return <>{name} contains “{cond.value.slice(1, -1).replace(/\\(.)/g, '$1')}”</>;
  let v: string = String(cond.value);
  if (field?.kind === 'money') v = fmt.money(cond.value as number);
  if (field?.kind === 'date' || field?.kind === 'datetime') v = fmt.date(String(cond.value).slice(0, 10));
  if (field?.kind === 'ref') v = labelOf(field.ref!, ref, cond.value as string);
  const ops: Record<string, string> = { eq: 'is', neq: 'is not', gte: '≥', lte: '≤', gt: '>', lt: '<', startsWith: 'starts with', in: 'in' };
  return <>{name} {ops[cond.op] ?? cond.op} {v}</>;
}
