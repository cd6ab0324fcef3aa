import type { Field } from '../lib/objects';
import { useFormat } from '../session';
import { Money, RefLink, StatusBadge } from './ui';

/** A field's value as text for tables and read-only forms. */
export function FieldValue({ field, record }: { field: Field; record: Record<string, unknown> }) {
  const fmt = useFormat();
  const v = record[field.name];
  switch (field.kind) {
    case 'money':
      return <Money value={v as number | null} currency={(record[field.currencyField ?? 'currency'] as string) || undefined} />;
    case 'ref':
      return <RefLink object={field.ref} id={v as string | null} />;
    case 'enum':
      return field.name === 'status' || field.name === 'kind' ? <StatusBadge status={v as string} /> : <span>{(v as string) || '—'}</span>;
    case 'date':
      return <span className="nowrap">{fmt.date(v as string)}</span>;
    case 'datetime':
      return <span className="nowrap" title={v ? String(v) : undefined}>{fmt.date(v as string)}</span>;
    case 'bool':
      return <span>{v ? 'Yes' : 'No'}</span>;
    case 'email':
      return v ? <a href={`mailto:${v}`}>{String(v)}</a> : <span className="muted">—</span>;
    default:
      return v === null || v === undefined || v === '' ? <span className="muted">—</span> : <span>{String(v)}</span>;
  }
}
