import { useQuery } from '../api/hooks';
import { OBJECT_BY_NAME, fieldOf } from '../lib/objects';
import { useFormat } from '../session';
import { Spinner } from './ui';

/** stripePaymentLink → "Stripe payment link". */
export function humanize(field: string): string {
  const words = field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

interface Event {
  id: string;
  kind: string;
  field: string | null;
  oldValue: string | null;
  newValue: string | null;
  actorLabel: string;
  createdAt: string;
}

/** What happened to a record, newest first. `version` refetches it when the record changes. */
export function Timeline({ object, id, version }: { object: string; id: string; version: string }) {
  const { data, loading } = useQuery<Event[]>(`/rest/${object}/${id}/timeline?v=${encodeURIComponent(version)}`);
  const fmt = useFormat();
  const meta = OBJECT_BY_NAME[object];
  if (!data) return loading ? <Spinner /> : null;
  const events = [...data].reverse();
  const value = (field: string | null, v: string | null) => {
    if (v === null || v === '') return '—';
    const f = field ? fieldOf(meta, field) : undefined;
    if (f?.kind === 'money' && /^-?\d+$/.test(v)) return fmt.money(Number(v));
    if (f?.kind === 'datetime') return fmt.dateTime(v);
    if (f?.kind === 'date') return fmt.date(v);
    return v;
  };
  const describe = (e: Event) => {
    const label = e.field ? fieldOf(meta, e.field)?.label ?? humanize(e.field) : '';
    switch (e.kind) {
      case 'created':
        return <>Created</>;
      case 'deleted':
        return <>Deleted</>;
      case 'restored':
        return <>Restored</>;
      case 'status_changed':
        return (
          <>
            Status <b>{e.oldValue}</b> → <b>{e.newValue}</b>
          </>
        );
      case 'payment_recorded':
        return (
          <>
            Payment recorded: paid {value('amountPaid', e.oldValue)} → <b>{value('amountPaid', e.newValue)}</b>
          </>
        );
      case 'email_queued':
        return <>Email queued: {e.newValue}</>;
      case 'email_sent':
        return <>Email sent: {e.newValue}</>;
      case 'email_failed':
        return <span className="text-red">Email failed: {e.newValue}</span>;
      case 'field_changed':
        if (e.field === 'lineItems') return <>Line items changed</>;
        if (e.oldValue === null && e.newValue === null) return <>{label} changed</>;
        return (
          <>
            {label} {e.oldValue !== null && <>{value(e.field, e.oldValue)} → </>}
            <b>{value(e.field, e.newValue)}</b>
          </>
        );
      default:
        return (
          <>
            {e.kind.replace(/_/g, ' ')} {label}
          </>
        );
    }
  };
  return (
    <ol className="timeline">
      {events.map((e) => (
        <li key={e.id}>
          <div className="tl-text">{describe(e)}</div>
          <div className="tl-meta small muted">
            {e.actorLabel || 'system'} · <time dateTime={e.createdAt} title={fmt.dateTime(e.createdAt)}>{fmt.relative(e.createdAt)}</time>
          </div>
        </li>
      ))}
    </ol>
  );
}
