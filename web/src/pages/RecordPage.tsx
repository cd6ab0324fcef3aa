import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useList, useQuery } from '../api/hooks';
import { ApiError } from '../api/client';
import { mutate, store } from '../api/store';
import { rememberRecord, labelOf, useRecordRef } from '../api/refs';
import { OBJECT_BY_NAME, fieldOf, type ObjectMeta } from '../lib/objects';
import { COLLECTING, actionsFor, explainRefusal, fieldEditable, pollInterval, type ActionSpec } from '../lib/lifecycle';
import { FieldInput } from '../components/inputs';
import { FieldValue } from '../components/values';
import { Card, CopyButton, ErrorBox, Modal, Money, RefLink, Spinner, StatusBadge, useToast } from '../components/ui';
import { LineItemsEditor, toApiLines, toEditLines, type ApiLine, type EditLine } from '../components/LineItems';
import { Timeline } from '../components/Timeline';
import { MoneyInput } from '../components/inputs';
import { useFormat } from '../session';
import { useStripeSettings } from '../lib/stripe';
import { manualWorkflowsFor, type Workflow } from '../lib/workflows';
import { canSendByEmail, errorTitle, hasDocumentPdf, queuedMessage, type QueuedMail } from '../lib/mail';

type Rec = Record<string, unknown> & { id: string; status?: string; lineItems?: ApiLine[] };

const DONE: Record<string, string> = {
  finalize: 'Finalized',
  accept: 'Marked accepted',
  cancel: 'Canceled',
  start: 'Order started',
  fulfill: 'Order fulfilled',
  void: 'Invoice voided',
  'mark-uncollectible': 'Marked uncollectible',
};


export function RecordPage({ object }: { object: string }) {
  const { id = '' } = useParams();
  const meta = OBJECT_BY_NAME[object];
  const path = `/rest/${object}/${id}`;
  const first = useQuery<Rec>(path);
  const poll = pollInterval(object, first.data);
  const { data: rec, error, loading, reload } = useQuery<Rec>(path, { poll });

  useEffect(() => {
    if (rec) rememberRecord(object, rec);
  }, [rec, object]);

  if (!rec) {
    return (
      <div className="page">
        <Breadcrumb meta={meta} title={loading ? '…' : 'Not found'} />
        {loading ? <Spinner /> : <ErrorBox error={error} onRetry={() => void reload()} />}
      </div>
    );
  }
  return <RecordView key={rec.id} meta={meta} rec={rec} reload={reload} polling={!!poll} />;
}

function Breadcrumb({ meta, title }: { meta: ObjectMeta; title: string }) {
  return (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <Link to={`/${meta.name}`}>{meta.label}</Link>
      <span aria-hidden="true"> / </span>
      <span aria-current="page">{title}</span>
    </nav>
  );
}

function RecordView({ meta, rec, reload, polling }: { meta: ObjectMeta; rec: Rec; reload: () => Promise<unknown>; polling: boolean }) {
  const object = meta.name;
  const fmt = useFormat();
  const toast = useToast();
  const navigate = useNavigate();
  const stripe = useStripeSettings();
  const [draft, setDraft] = useState<Record<string, unknown>>({});
  const [lines, setLines] = useState<EditLine[]>(() => toEditLines(rec.lineItems));
  const [linesDirty, setLinesDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | null>(null);

  // A fresh copy from the server (after an action or a poll) replaces what is shown, unless
  // the user is in the middle of editing.
  const dirty = Object.keys(draft).length > 0 || linesDirty;
  useEffect(() => {
    if (!dirty) setLines(toEditLines(rec.lineItems));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rec.updatedAt, rec.lineItems]);

  const merged = { ...rec, ...draft };
  const currency = (merged.currency as string) || fmt.currency;
  const title = meta.title(rec);
  const status = rec.status;
  const editableLines = meta.hasLineItems && fieldEditable(object, status, 'lineItems');

  const save = async () => {
    setSaving(true);
    setSaveError(null);
    try {
      const body: Record<string, unknown> = { ...draft };
      if (linesDirty) body.lineItems = toApiLines(lines);
      const out = await mutate<Rec>('PATCH', `/rest/${object}/${rec.id}`, body);
      store.prime(`/rest/${object}/${rec.id}`, out);
      setDraft({});
      setLinesDirty(false);
      setLines(toEditLines(out.lineItems));
      toast('Saved');
    } catch (e) {
      setSaveError(e as ApiError);
    } finally {
      setSaving(false);
    }
  };
  const discard = () => {
    setDraft({});
    setLinesDirty(false);
    setLines(toEditLines(rec.lineItems));
    setSaveError(null);
  };

  const formFields = meta.fields.filter((f) => !['status', 'subtotal', 'total', 'totalAmount', 'taxAmount'].includes(f.name) || !meta.hasLineItems);
  const headerFields = formFields.filter((f) => f.name !== 'status' || !meta.hasLineItems);

  return (
    <div className="page record-page">
      <Breadcrumb meta={meta} title={title} />
      <header className="record-head">
        <div className="record-title">
          <h1>{title}</h1>
          {status && <StatusBadge status={status} />}
          {polling && (
            <span className="live" title="This page refreshes itself while Stripe may change the record">
              <span className="live-dot" aria-hidden="true" /> Live
            </span>
          )}
        </div>
        <ActionBar meta={meta} rec={rec} stripe={!!stripe?.configured || !!rec.stripeInvoiceId || !!rec.stripeQuoteId} onDone={reload} navigate={navigate} />
      </header>

      <StripePanel object={object} rec={rec} />

      {meta.hasLineItems && (
        <Card title="Line items">
          <LineItemsEditor
            lines={lines}
            onChange={(l) => {
              setLines(l);
              setLinesDirty(true);
            }}
            tax={(merged.taxAmount as number) ?? 0}
            onTaxChange={(v) => setDraft((d) => ({ ...d, taxAmount: v ?? 0 }))}
            currency={currency}
            editable={!!editableLines}
          />
          {dirty && (
            <div className="form-actions">
              <button type="button" className="btn btn-primary" disabled={saving} onClick={() => void save()}>
                {saving ? 'Saving…' : 'Save changes'}
              </button>
              <button type="button" className="btn btn-ghost" onClick={discard}>
                Discard
              </button>
            </div>
          )}
          {object === 'invoices' && (
            <dl className="totals paid-totals">
              <dt>Paid</dt>
              <dd><Money value={rec.amountPaid as number} currency={currency} /></dd>
              <dt className="total">Amount due</dt>
              <dd className="total" data-testid="amount-due"><Money value={rec.amountDue as number} currency={currency} /></dd>
            </dl>
          )}
        </Card>
      )}
      <div className="record-grid">
        <div className="record-main">
          <Card title="Details">
            <form
              className="fields"
              onSubmit={(e) => {
                e.preventDefault();
                void save();
              }}
            >
              {headerFields.map((f) => {
                const editable = !f.readOnly && !f.createOnly && fieldEditable(object, status, f.name);
                if (!editable && (merged[f.name] === null || merged[f.name] === undefined || merged[f.name] === '') && f.name.startsWith('stripe')) return null;
                const id = `fld-${f.name}`;
                return (
                  <div className="field" key={f.name}>
                    <label htmlFor={editable ? id : undefined} className="field-label">
                      {f.label}
                    </label>
                    <div className="field-value">
                      {editable ? (
                        <FieldInput
                          id={id}
                          field={f}
                          value={merged[f.name]}
                          record={merged}
                          onChange={(v) => setDraft((d) => ({ ...d, [f.name]: v }))}
                        />
                      ) : (
                        <FieldValue field={f} record={merged} />
                      )}
                    </div>
                  </div>
                );
              })}
              {(dirty || saveError) && (
                <div className="form-actions sticky-actions">
                  <ErrorBox error={saveError} />
                  <button type="submit" className="btn btn-primary" disabled={saving}>
                    {saving ? 'Saving…' : 'Save changes'}
                  </button>
                  <button type="button" className="btn btn-ghost" onClick={discard}>
                    Discard
                  </button>
                </div>
              )}
            </form>
          </Card>

          {object === 'invoices' && <InvoicePayments rec={rec} poll={polling} />}
        </div>
        <aside className="record-side">
          <Related meta={meta} rec={rec} />
          <RunWorkflow object={object} id={rec.id} />
          <Card title="Timeline">
            <Timeline object={object} id={rec.id} version={String(rec.updatedAt ?? '')} />
          </Card>
          <DeleteRecord meta={meta} rec={rec} />
        </aside>
      </div>
    </div>
  );
}

/** Stripe's side of a quote or invoice: its hosted page, its PDF, a failed sync. */
function StripePanel({ object, rec }: { object: string; rec: Rec }) {
  const fmt = useFormat();
  if (object === 'quotes') {
    if (rec.status === 'Open' && rec.stripeQuoteUrl)
      return (
        <div className="alert alert-info" role="status">
          <div>
            <strong>Waiting for the customer.</strong> Send them the quote page; when they accept it, the order appears here by
            itself.
          </div>
          <div className="alert-actions">
            <a className="btn btn-small" href={String(rec.stripeQuoteUrl)} target="_blank" rel="noreferrer">
              Open quote page ↗
            </a>
            <CopyButton text={String(rec.stripeQuoteUrl)} label="Copy link" />
            {!!rec.stripePdfUrl && (
              <a className="btn btn-small btn-ghost" href={String(rec.stripePdfUrl)} target="_blank" rel="noreferrer">
                PDF
              </a>
            )}
          </div>
        </div>
      );
    if (rec.status === 'Accepted' && rec.orderId)
      return (
        <div className="alert alert-ok" role="status">
          <div>
            Accepted {rec.acceptedDate ? fmt.relative(String(rec.acceptedDate)) : ''}. Order <RefLink object="orders" id={String(rec.orderId)} /> was
            created.
          </div>
        </div>
      );
  }
  if (object === 'invoices') {
    if (rec.status === 'Paid')
      return (
        <div className="alert alert-ok" role="status">
          <div>
            Paid in full: <Money value={rec.amountPaid as number} currency={rec.currency as string} /> received.
          </div>
        </div>
      );
    if (rec.status === 'Payment Failed')
      return (
        <div className="alert alert-error" role="alert">
          <div>
            <strong>Payment failed.</strong> The customer’s last payment attempt was declined. They can try again with the
            payment link, or you can record a payment made another way.
          </div>
        </div>
      );
  }
  return null;
}

function ActionBar({
  meta, rec, stripe, onDone, navigate,
}: {
  meta: ObjectMeta;
  rec: Rec;
  stripe: boolean;
  onDone: () => Promise<unknown>;
  navigate: ReturnType<typeof useNavigate>;
}) {
  const object = meta.name;
  const toast = useToast();
  const [running, setRunning] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ spec: ActionSpec; error: ApiError } | null>(null);
  const [paying, setPaying] = useState(false);
  const [sending, setSending] = useState(false);
  const [link, setLink] = useState<{ url: string; expiresAt?: string } | null>(null);
  const actions = actionsFor(object, rec, { stripe });
  const syncFailed = rec.stripeSyncStatus === "failed" && !!rec.stripeSyncError;

  const run = async (spec: ActionSpec) => {
    if (spec.action === 'payment') {
      setPaying(true);
      return;
    }
    if (spec.confirm && !window.confirm(spec.confirm)) return;
    setRunning(spec.action);
    setFailure(null);
    try {
      const out = await mutate<Record<string, unknown>>('POST', `/rest/${object}/${rec.id}/${spec.action}`, {});
      if (spec.action === 'payment-link') {
        setLink(out as { url: string; expiresAt?: string });
        await onDone();
      } else if (object === 'orders' && spec.action === 'invoice') {
        toast('Invoice draft created');
        navigate(`/invoices/${out.id}`);
      } else {
        store.prime(`/rest/${object}/${rec.id}`, out);
        toast(DONE[spec.action] ?? 'Done');
      }
    } catch (e) {
      const err = e as ApiError;
      setFailure({ spec, error: err });
      await onDone();
    } finally {
      setRunning(null);
    }
  };

  const refresh = async () => {
    setRunning('refresh');
    setFailure(null);
    try {
      const out = await mutate<Record<string, unknown>>('POST', `/rest/${object}/${rec.id}/refresh`, {});
      store.prime(`/rest/${object}/${rec.id}`, out);
      toast('Up to date with Stripe');
    } catch (e) {
      setFailure({ spec: { action: 'refresh', label: 'Refresh from Stripe', tone: 'default', stripe: true }, error: e as ApiError });
    } finally {
      setRunning(null);
    }
  };
  const retrySpec: ActionSpec | null = failure?.spec ?? (syncFailed ? actions.find((a) => a.stripe) ?? null : null);
  const shownLink = link?.url ?? (rec.stripePaymentLink as string | undefined);

  return (
    <div className="record-actions">
      <div className="btn-row">
        {actions.map((a) => (
          <button
            key={a.action}
            type="button"
            className={`btn ${a.tone === 'primary' ? 'btn-primary' : a.tone === 'danger' ? 'btn-danger' : ''}`}
            disabled={running !== null}
            onClick={() => void run(a)}
          >
            {running === a.action ? `${a.label}…` : a.label}
          </button>
        ))}
        {hasDocumentPdf(object, rec.status as string | undefined, rec.kind as string | undefined) && (
          <a className="btn btn-ghost" href={`/rest/${object}/${rec.id}/pdf`} download>
            {object === 'payments' ? 'Download receipt' : 'Download PDF'}
          </a>
        )}
        {canSendByEmail(object, rec.status as string | undefined, rec.kind as string | undefined) && (
          <button type="button" className="btn btn-ghost" disabled={running !== null} onClick={() => setSending(true)}>
            {object === 'payments' ? 'Send receipt' : 'Send by email'}
          </button>
        )}
        {object === 'invoices' && !!rec.stripeInvoiceId && (
          <button type="button" className="btn btn-ghost" disabled={running !== null} onClick={() => void refresh()} title="Re-read this invoice and its payments from Stripe">
            {running === 'refresh' ? 'Refreshing…' : 'Refresh from Stripe'}
          </button>
        )}
      </div>
      {(failure || syncFailed) && (
        <div className="alert alert-error action-error" role="alert">
          <div>
            {failure && !failure.error.upstream && failure.error.status === 409 ? (
              <>{explainRefusal(failure.error)}</>
            ) : (
              <>
                <strong>Stripe could not complete this.</strong> {failure?.error.message ?? String(rec.stripeSyncError)}
              </>
            )}
          </div>
          {retrySpec && (
            <button type="button" className="btn btn-small" onClick={() => void (retrySpec.action === 'refresh' ? refresh() : run(retrySpec))} disabled={running !== null}>
              Retry
            </button>
          )}
        </div>
      )}
      {shownLink && COLLECTING.includes(rec.status ?? '') && (
        <div className="paylink">
          <label htmlFor="paylink-url" className="small muted">
            Payment link
          </label>
          <input id="paylink-url" className="input" readOnly value={shownLink} onFocus={(e) => e.target.select()} />
          <CopyButton text={shownLink} />
          <a className="btn btn-small" href={shownLink} target="_blank" rel="noreferrer">
            Open payment page ↗
          </a>
        </div>
      )}
      {paying && <PaymentModal rec={rec} onClose={() => setPaying(false)} onDone={onDone} />}
      {sending && <SendByEmailModal meta={meta} rec={rec} onClose={() => setSending(false)} />}
    </div>
  );
}

function PaymentModal({ rec, onClose, onDone }: { rec: Rec; onClose: () => void; onDone: () => Promise<unknown> }) {
  const currency = String(rec.currency || 'USD');
  const [amount, setAmount] = useState<number | null>((rec.amountDue as number) ?? null);
  const [receivedAt, setReceivedAt] = useState(new Date().toISOString().slice(0, 10));
  const [notes, setNotes] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const toast = useToast();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await mutate('POST', '/rest/payments', {
        invoiceId: rec.id,
        amount,
        method: 'manual',
        receivedAt: `${receivedAt}T12:00:00Z`,
        ...(notes ? { notes } : {}),
      });
      toast('Payment recorded');
      await onDone();
      onClose();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="Record manual payment" onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <div className="field">
          <label htmlFor="pay-amount" className="field-label">Amount ({currency})</label>
          <MoneyInput id="pay-amount" value={amount} currency={currency} onChange={setAmount} required />
        </div>
        <div className="field">
          <label htmlFor="pay-date" className="field-label">Received on</label>
          <input id="pay-date" type="date" className="input" value={receivedAt} onChange={(e) => setReceivedAt(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="pay-notes" className="field-label">Notes</label>
          <input id="pay-notes" className="input" value={notes} onChange={(e) => setNotes(e.target.value)} placeholder="Wire reference, cheque number…" />
        </div>
        <ErrorBox error={error} />
        <div className="form-actions">
          <button className="btn btn-primary" type="submit" disabled={busy || !amount}>
            {busy ? 'Recording…' : 'Record payment'}
          </button>
          <button className="btn btn-ghost" type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Mails a quote or an invoice (its PDF attached) to the contact, or to the address given. */
function SendByEmailModal({ meta, rec, onClose }: { meta: ObjectMeta; rec: Rec; onClose: () => void }) {
  const object = meta.name;
  const toast = useToast();
  // Who gets it when no address is given: the document's contact, else the company's primary contact.
  const company = useRecordRef('companies', rec.companyId as string | undefined);
  const contact = useRecordRef('people', (rec.personId as string | undefined) || (company?.primaryContactId as string | undefined));
  const contactEmail = typeof contact?.email === 'string' && contact.email ? contact.email : null;
  const receipt = object === 'payments';
  const number = receipt ? '' : String((object === 'invoices' ? rec.invoiceNumber : rec.quoteNumber) ?? '');
  const [to, setTo] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const out = await mutate<QueuedMail>('POST', `/rest/${object}/${rec.id}/send`, to.trim() ? { to: to.trim() } : {});
      toast(queuedMessage(object, number, out.to));
      onClose();
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };
  return (
    <Modal title={receipt ? 'Send the receipt of this payment' : number ? `Send ${meta.singular} ${number} by email` : `Send this ${meta.singular} by email`} onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <p className="muted">
          {receipt ? 'The receipt' : `The ${meta.singular}`} goes out with its PDF attached
          {object === 'invoices' ? ' and a button to pay it' : object === 'quotes' ? ' and a link to accept it' : ''}, through
          the workspace’s mail server.
        </p>
        <div className="field">
          <label htmlFor="send-to" className="field-label">To</label>
          <input
            id="send-to"
            type="email"
            className="input"
            placeholder={contactEmail ? `${contactEmail} (primary contact)` : 'The primary contact'}
            value={to}
            onChange={(e) => setTo(e.target.value)}
            {...(error?.field === 'to' ? { 'aria-invalid': true as const } : {})}
          />
          <span className="hint">Leave it empty to send it to {contactEmail ?? 'the company’s primary contact'}.</span>
        </div>
        <ErrorBox error={error} title={errorTitle(error)} />
        <div className="form-actions">
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {busy ? 'Sending…' : 'Send'}
          </button>
          <button className="btn btn-ghost" type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

function InvoicePayments({ rec, poll }: { rec: Rec; poll: boolean }) {
  const fmt = useFormat();
  const { data } = useList<Record<string, unknown>>(
    'payments',
    { filter: [{ field: 'invoiceId', op: 'eq', value: rec.id }], orderBy: [{ field: 'receivedAt', direction: 'DescNullsLast' }], limit: 50 },
    { poll: poll ? 2000 : false },
  );
  const rows = data?.data ?? [];
  return (
    <Card title="Payments">
      {rows.length === 0 ? (
        <p className="muted">No payments yet.</p>
      ) : (
        <table className="table compact" aria-label="Payments">
          <thead>
            <tr>
              <th>Received</th>
              <th>Method</th>
              <th>Status</th>
              <th className="num">Amount</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.id as string}>
                <td>
                  <Link to={`/payments/${p.id}`}>{fmt.dateTime(p.receivedAt as string)}</Link>
                </td>
                <td>{String(p.method ?? '')}</td>
                <td>
                  <StatusBadge status={p.kind === 'refund' ? 'Refunded' : (p.status as string)} />
                </td>
                <td className="num">
                  <Money value={p.amount as number} currency={p.currency as string} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

const CHILDREN: Record<string, { object: string; field: string; label: string }[]> = {
  companies: [
    { object: 'people', field: 'companyId', label: 'People' },
    { object: 'quotes', field: 'companyId', label: 'Quotes' },
    { object: 'orders', field: 'companyId', label: 'Orders' },
    { object: 'invoices', field: 'companyId', label: 'Invoices' },
  ],
  projects: [
    { object: 'orders', field: 'projectId', label: 'Orders' },
    { object: 'invoices', field: 'projectId', label: 'Invoices' },
    { object: 'expenses', field: 'projectId', label: 'Expenses' },
  ],
  products: [],
};

function Related({ meta, rec }: { meta: ObjectMeta; rec: Rec }) {
  const refs = meta.fields.filter((f) => f.kind === 'ref' && rec[f.name]);
  const children = CHILDREN[meta.name] ?? [];
  if (refs.length === 0 && children.length === 0 && meta.name !== 'tasks') return null;
  return (
    <Card title="Related">
      <ul className="related">
        {refs.map((f) => (
          <li key={f.name}>
            <span className="muted">{f.label}</span> <RefLink object={f.ref} id={rec[f.name] as string} />
          </li>
        ))}
        {meta.name === 'tasks' && !!rec.targetObject && !!rec.targetId && (
          <li>
            <span className="muted">About</span> <RefLink object={rec.targetObject as string} id={rec.targetId as string} />
          </li>
        )}
      </ul>
      {children.map((c) => (
        <ChildList key={c.object} parent={rec.id} {...c} />
      ))}
    </Card>
  );
}

function ChildList({ object, field, label, parent }: { object: string; field: string; label: string; parent: string }) {
  const meta = OBJECT_BY_NAME[object];
  const { data } = useList<Record<string, unknown>>(object, {
    filter: [{ field, op: 'eq', value: parent }],
    orderBy: [meta.defaultSort],
    limit: 5,
  });
  if (!data || data.data.length === 0) return null;
  const moneyField = meta.fields.find((f) => f.kind === 'money' && ['total', 'totalAmount', 'amount', 'budget'].includes(f.name));
  const all = `/${object}?f=${encodeURIComponent(JSON.stringify([{ field, op: 'eq', value: parent }]))}`;
  return (
    <div className="child-list">
      <h3>
        {label} <span className="muted">({data.totalCount})</span>
      </h3>
      <ul>
        {data.data.map((r) => (
          <li key={r.id as string}>
            <Link to={`/${object}/${r.id}`}>{labelOf(object, r)}</Link>
            {typeof r.status === 'string' && <StatusBadge status={r.status} />}
            {moneyField && <Money value={r[moneyField.name] as number} currency={r.currency as string} />}
          </li>
        ))}
      </ul>
      {data.totalCount > data.data.length && <Link to={all}>View all</Link>}
    </div>
  );
}

function DeleteRecord({ meta, rec }: { meta: ObjectMeta; rec: Rec }) {
  const navigate = useNavigate();
  const toast = useToast();
  const [error, setError] = useState<ApiError | null>(null);
  const deletable = useMemo(() => {
    if (meta.name === 'payments') return false;
    if (meta.name === 'invoices') return rec.status === 'Draft';
    if (meta.name === 'orders') return !rec.invoiceId;
    return true;
  }, [meta.name, rec]);
  if (!deletable) return null;
  return (
    <div className="danger-zone">
      <button
        type="button"
        className="btn btn-ghost btn-danger-text"
        onClick={async () => {
          if (!window.confirm(`Delete this ${meta.singular}?`)) return;
          try {
            await mutate('DELETE', `/rest/${meta.name}/${rec.id}`);
            toast(`${meta.singular[0].toUpperCase()}${meta.singular.slice(1)} deleted`);
            navigate(`/${meta.name}`);
          } catch (e) {
            setError(e as ApiError);
          }
        }}
      >
        Delete {meta.singular}
      </button>
      <ErrorBox error={error} />
    </div>
  );
}

export { fieldOf };

/** "Run now" on this record: the workspace's active MANUAL workflows of this object. */
function RunWorkflow({ object, id }: { object: string; id: string }) {
  const navigate = useNavigate();
  const toast = useToast();
  const { data } = useQuery<Workflow[]>('/rest/workflows');
  const runnable = manualWorkflowsFor(data, object);
  const [chosen, setChosen] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);
  if (runnable.length === 0) return null;
  const workflowId = chosen || runnable[0].id;
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const out = await mutate<{ runs?: { id: string }[] }>('POST', `/rest/workflows/${workflowId}/run`, { recordIds: [id] });
      store.invalidate('/rest/workflows', '/rest/workflow-runs');
      const runs = out?.runs ?? [];
      toast(runs.length === 1 ? 'Workflow started' : 'Nothing started (the run limit may be reached)');
      if (runs.length === 1) navigate(`/workflow-runs/${runs[0].id}`);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Workflows">
      <div className="stack">
        <label className="field">
          <span>Workflow</span>
          <select className="input" value={workflowId} onChange={(e) => setChosen(e.target.value)} aria-label="Workflow to run">
            {runnable.map((w) => (
              <option key={w.id} value={w.id}>{w.name}</option>
            ))}
          </select>
        </label>
        <button type="button" className="btn" onClick={() => void run()} disabled={busy}>
          {busy ? 'Starting…' : 'Run now'}
        </button>
        <ErrorBox error={error} />
      </div>
    </Card>
  );
}
