import { useState } from 'react';
import { useQuery } from '../api/hooks';
import { api, ApiError } from '../api/client';
import { mutate, store } from '../api/store';
import { Card, ErrorBox, RefLink, Spinner, StatusBadge, useToast } from '../components/ui';
import { useFormat, useSession } from '../session';
import { OBJECT_BY_NAME } from '../lib/objects';
import {
  OUTBOX_STATUSES, SECURITY_OPTIONS, canRetry, describeServer, describeTestResult, errorTitle, mailFormFrom, mailSettingsBody,
  outboxNote, outboxPath, portAfterSecurityChange, sameParts, templateVariables,
  type MailForm, type MailSettings, type MailTemplate, type MailTemplateParts, type MailTestResult, type OutboxMail,
  type OutboxStatus, type RenderedMail, type Security,
} from '../lib/mail';
import {
  MAX_RULES, describeOffset, newRow, offsetOf, ruleErrorAt, rowsFromSettings, rulesBody,
  type ReminderSettings, type RuleRow, type When,
} from '../lib/reminders';

/** Settings → Mail: the workspace's mail server, its templates and its outbox. A MEMBER reads the templates only. */
export function MailTab() {
  const { isAdmin } = useSession();
  return (
    <>
      {isAdmin ? <MailServerCard /> : <p className="muted">The mail server and the outbox are for workspace admins.</p>}
      <RemindersCard readOnly={!isAdmin} />
      <TemplatesCard readOnly={!isAdmin} />
      {isAdmin && <OutboxCard />}
    </>
  );
}

const invalid = (error: ApiError | null, field: string) => (error?.field === field ? { 'aria-invalid': true as const } : {});

function MailServerCard() {
  const { data, error, reload } = useQuery<MailSettings>('/rest/settings/mail');
  return (
    <Card title="Mail server">
      {!data ? (
        error ? <ErrorBox error={error} onRetry={() => void reload()} /> : <Spinner />
      ) : (
        <>
          {/* A new answer from the server (saved, or back to the default) starts the form afresh. */}
          <MailServerForm key={`${data.source}:${data.updatedAt ?? ''}`} settings={data} />
          <TestMessage settings={data} />
        </>
      )}
    </Card>
  );
}

function MailServerForm({ settings }: { settings: MailSettings }) {
  const fmt = useFormat();
  const toast = useToast();
  const [form, setForm] = useState<MailForm>(() => mailFormFrom(settings));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const own = settings.source === 'workspace';
  const set = (patch: Partial<MailForm>) => setForm((f) => ({ ...f, ...patch }));
  const setSecurity = (security: Security) => setForm((f) => ({ ...f, security, port: portAfterSecurityChange(f.port, f.security, security) }));
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const out = await mutate<MailSettings>('PUT', '/rest/settings/mail', mailSettingsBody(form));
      store.prime('/rest/settings/mail', out);
      toast('Mail server saved');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const backToDefault = async () => {
    if (!window.confirm("Forget this workspace's mail server and use the server's default?")) return;
    setBusy(true);
    setError(null);
    try {
      await mutate('DELETE', '/rest/settings/mail');
      toast("This workspace now uses the server's default");
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };
  return (
    <form onSubmit={save} className="stack narrow" aria-label="Mail server">
      {own && (
        <p className="muted">
          Mail is sent through <code>{describeServer(settings)}</code> from <b>{settings.fromAddress}</b>
          {settings.updatedAt && <> · updated {fmt.dateTime(settings.updatedAt)}</>}
        </p>
      )}
      {settings.source === 'server' && (
        <div className="alert alert-info" role="status">
          <div>
            This workspace uses the server’s mail server, set where Settle runs: <code>{describeServer(settings)}</code>, from{' '}
            <b>{settings.fromAddress}</b>
            {settings.fromName && <> ({settings.fromName})</>}. Fill in the form to send this workspace’s mail through a server of its own.
          </div>
        </div>
      )}
      {settings.source === 'none' && (
        <div className="alert alert-warn" role="status">
          <div>
            <strong>No mail server.</strong> Mail waits in the outbox until one is set here.
          </div>
        </div>
      )}
      <div className="mail-server-grid">
        <div className="field">
          <label htmlFor="mail-host" className="field-label">Host</label>
          <input id="mail-host" className="input mono" required placeholder="smtp.example.com" value={form.host} onChange={(e) => set({ host: e.target.value })} {...invalid(error, 'host')} />
        </div>
        <div className="field">
          <label htmlFor="mail-security" className="field-label">Security</label>
          <select id="mail-security" className="input" value={form.security} onChange={(e) => setSecurity(e.target.value as Security)} {...invalid(error, 'security')}>
            {SECURITY_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>{o.label}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="mail-port" className="field-label">Port</label>
          <input id="mail-port" className="input" type="number" min={1} max={65535} value={form.port} onChange={(e) => set({ port: e.target.value })} {...invalid(error, 'port')} />
        </div>
      </div>
      <div className="field">
        <label htmlFor="mail-username" className="field-label">Username</label>
        <input id="mail-username" className="input" autoComplete="off" value={form.username} onChange={(e) => set({ username: e.target.value })} {...invalid(error, 'username')} />
      </div>
      <div className="field">
        <label htmlFor="mail-password" className="field-label">Password</label>
        <input
          id="mail-password"
          className="input"
          type="password"
          autoComplete="new-password"
          disabled={form.clearPassword}
          placeholder={own && settings.passwordSet ? '••••••••' : ''}
          value={form.password ?? ''}
          onChange={(e) => set({ password: e.target.value })}
          {...invalid(error, 'password')}
        />
        <span className="hint">
          {own && settings.passwordSet ? 'A password is stored; leave this empty to keep it.' : 'No password is stored.'} Stored encrypted, never shown.
        </span>
        {own && settings.passwordSet && (
          <label className="small">
            <input type="checkbox" checked={form.clearPassword} onChange={(e) => set({ clearPassword: e.target.checked })} /> Forget the stored password
          </label>
        )}
      </div>
      <div className="field">
        <label htmlFor="mail-from" className="field-label">From address</label>
        <input id="mail-from" className="input" type="email" required placeholder="billing@example.com" value={form.fromAddress} onChange={(e) => set({ fromAddress: e.target.value })} {...invalid(error, 'fromAddress')} />
      </div>
      <div className="field">
        <label htmlFor="mail-from-name" className="field-label">From name</label>
        <input id="mail-from-name" className="input" placeholder="Your company" value={form.fromName} onChange={(e) => set({ fromName: e.target.value })} {...invalid(error, 'fromName')} />
      </div>
      <div className="field">
        <label htmlFor="mail-reply-to" className="field-label">Reply-to</label>
        <input id="mail-reply-to" className="input" type="email" value={form.replyTo} onChange={(e) => set({ replyTo: e.target.value })} {...invalid(error, 'replyTo')} />
        <span className="hint">Optional: where customers’ answers go, if not to the From address.</span>
      </div>
      <ErrorBox error={error} title={errorTitle(error)} />
      <div className="form-actions">
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        {own && (
          <button className="btn btn-ghost" type="button" disabled={busy} onClick={() => void backToDefault()}>
            Use the server’s default
          </button>
        )}
      </div>
    </form>
  );
}

function TestMessage({ settings }: { settings: MailSettings }) {
  const { me } = useSession();
  const [to, setTo] = useState('');
  const [result, setResult] = useState<MailTestResult | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.post<MailTestResult>('/rest/settings/mail/test', to.trim() ? { to: to.trim() } : {}));
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const shown = result ? describeTestResult(result) : null;
  return (
    <>
      <form onSubmit={send} className="inline-form" aria-label="Send a test message">
        <label htmlFor="mail-test-to" className="field-label">Test address (optional)</label>
        <input id="mail-test-to" className="input" type="email" placeholder={me?.email ?? 'you@example.com'} value={to} onChange={(e) => setTo(e.target.value)} {...invalid(error, 'to')} />
        <button className="btn" type="submit" disabled={busy || settings.source === 'none'}>
          {busy ? 'Sending…' : 'Send test message'}
        </button>
      </form>
      <p className="hint">{settings.source === 'none' ? 'Save a mail server first.' : 'Sent at once with the saved settings, to your own address unless you name another.'}</p>
      {shown && (
        <div className={`alert ${shown.ok ? 'alert-ok' : 'alert-error'}`} role={shown.ok ? 'status' : 'alert'} data-testid="mail-test-result">
          <div>{shown.text}</div>
        </div>
      )}
      <ErrorBox error={error} title={errorTitle(error)} />
    </>
  );
}

function TemplatesCard({ readOnly }: { readOnly: boolean }) {
  const { data, error, reload } = useQuery<MailTemplate[]>('/rest/mail-templates');
  // The template open in the editor and its (maybe unsaved) parts.
  const [editing, setEditing] = useState<{ kind: string; parts: MailTemplateParts } | null>(null);
  const open = data?.find((t) => t.kind === editing?.kind);
  const dirty = !!open && !!editing && !sameParts(open, editing.parts);
  const choose = (t: MailTemplate | null) => {
    if (t?.kind === editing?.kind) return;
    if (dirty && !window.confirm(`Discard your changes to “${open?.title}”?`)) return;
    setEditing(t ? { kind: t.kind, parts: { subject: t.subject, html: t.html, text: t.text } } : null);
  };
  return (
    <Card title="Templates">
      <p className="muted">
        What each mail Settle sends says. They use Mustache: <code>{'{{invoice.number}}'}</code> inserts a value,{' '}
        <code>{'{{#payUrl}}…{{/payUrl}}'}</code> shows a part only when there is one.
        {readOnly && ' Only workspace admins can change them.'}
      </p>
      <ErrorBox error={error} onRetry={() => void reload()} />
      {!data && !error && <Spinner />}
      {data && (
        <table className="table compact" aria-label="Mail templates">
          <thead>
            <tr>
              <th>Template</th>
              <th>Sent when</th>
              <th><span className="visually-hidden">Customized</span></th>
            </tr>
          </thead>
          <tbody>
            {data.map((t) => (
              <tr key={t.kind} className={t.kind === editing?.kind ? 'selected' : undefined} aria-current={t.kind === editing?.kind ? 'true' : undefined}>
                <td className="nowrap">
                  <button type="button" className="link-button" onClick={() => choose(t)}>
                    {t.title}
                  </button>{' '}
                  <code className="muted">{t.kind}</code>
                </td>
                <td className="small">{t.description}</td>
                <td>{t.customized ? <span className="badge badge-blue">customized</span> : <span className="muted small">default</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && editing && (
        <TemplateEditor
          key={open.kind}
          tpl={open}
          parts={editing.parts}
          readOnly={readOnly}
          onChange={(parts) => setEditing({ kind: open.kind, parts })}
          onClose={() => choose(null)}
        />
      )}
    </Card>
  );
}

function TemplateEditor({
  tpl, parts, readOnly, onChange, onClose,
}: {
  tpl: MailTemplate;
  parts: MailTemplateParts;
  readOnly: boolean;
  onChange: (parts: MailTemplateParts) => void;
  onClose: () => void;
}) {
  const toast = useToast();
  const [preview, setPreview] = useState<{ of: MailTemplateParts; mail: RenderedMail } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'preview' | 'save' | 'reset' | null>(null);
  const dirty = !sameParts(tpl, parts);
  const set = (patch: Partial<MailTemplateParts>) => onChange({ ...parts, ...patch });
  const path = `/rest/mail-templates/${encodeURIComponent(tpl.kind)}`;
  const run = async (what: 'preview' | 'save' | 'reset', fn: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(null);
    }
  };
  const showPreview = () =>
    run('preview', async () => {
      // Unsaved edits are rendered as they are; otherwise the saved template.
      const mail = await api.post<RenderedMail>(`${path}/preview`, dirty ? parts : {});
      setPreview({ of: parts, mail });
    });
  const save = () =>
    run('save', async () => {
      const out = await mutate<MailTemplateParts>('PUT', path, parts);
      onChange({ subject: out.subject, html: out.html, text: out.text });
      toast(`“${tpl.title}” saved`);
    });
  const reset = () => {
    if (!window.confirm(`Reset “${tpl.title}” to the template Settle ships with? Your version is lost.`)) return;
    void run('reset', async () => {
      await mutate('DELETE', path);
      onChange({ ...tpl.default });
      setPreview(null);
      toast(`“${tpl.title}” is the default again`);
    });
  };
  const vars = templateVariables(tpl.sample);
  return (
    <section className="tpl-editor" aria-label={`Template ${tpl.kind}`}>
      <header className="tpl-editor-head">
        <h3>
          {readOnly ? '' : 'Editing '}“{tpl.title}” {tpl.customized && <span className="badge badge-blue">customized</span>}
        </h3>
        <button type="button" className="btn btn-ghost btn-smallall" onClick={onClose}>
          Close
        </button>
      </header>
      <div className="stack">
        <div className="field">
          <label htmlFor="tpl-subject" className="field-label">Subject</label>
          <input id="tpl-subject" className="input mono" readOnly={readOnly} value={parts.subject} onChange={(e) => set({ subject: e.target.value })} {...invalid(error, 'subject')} />
        </div>
        <div className="field">
          <label htmlFor="tpl-html" className="field-label">HTML part</label>
          <textarea id="tpl-html" className="input mono" rows={10} readOnly={readOnly} value={parts.html} onChange={(e) => set({ html: e.target.value })} {...invalid(error, 'html')} />
          <span className="hint">Values are HTML-escaped; Settle wraps the part in its mail layout.</span>
        </div>
        <div className="field">
          <label htmlFor="tpl-text" className="field-label">Text part</label>
          <textarea id="tpl-text" className="input mono" rows={7} readOnly={readOnly} value={parts.text} onChange={(e) => set({ text: e.target.value })} {...invalid(error, 'text')} />
        </div>
        {vars.length > 0 && (
          <details>
            <summary className="small">Values this mail can use</summary>
            <ul className="tpl-vars">
              {vars.map((v) => (
                <li key={v}><code>{`{{${v}}}`}</code></li>
              ))}
            </ul>
          </details>
        )}
        <ErrorBox error={error} title={errorTitle(error)} />
        <div className="form-actions">
          <button type="button" className="btn" disabled={busy !== null} onClick={() => void showPreview()}>
            {busy === 'preview' ? 'Rendering…' : 'Preview'}
          </button>
          {!readOnly && (
            <>
              <button type="button" className="btn btn-primary" disabled={busy !== null || !dirty} onClick={() => void save()}>
                {busy === 'save' ? 'Saving…' : 'Save'}
              </button>
              {dirty && (
                <button type="button" className="btn btn-ghost" disabled={busy !== null} onClick={() => onChange({ subject: tpl.subject, html: tpl.html, text: tpl.text })}>
                  Discard changes
                </button>
              )}
              {tpl.customized && (
                <button type="button" className="btn btn-ghost btn-danger-text" disabled={busy !== null} onClick={reset}>
                  Reset to default
                </button>
              )}
            </>
          )}
        </div>
      </div>
      {preview && (
        <section className="mail-preview" aria-label="Preview">
          <h3>
            Preview <span className="muted small">with sample data</span>
            {!sameParts(preview.of, parts) && <span className="muted small"> · out of date, preview again</span>}
          </h3>
          <dl className="mail-preview-head">
            <dt>Subject</dt>
            <dd data-testid="preview-subject">{preview.mail.subject}</dd>
          </dl>
          <iframe className="mail-preview-html" title="HTML part, rendered" sandbox="" srcDoc={preview.mail.html} />
          <h3>Text part</h3>
          <pre className="wf-pre" aria-label="Text part, rendered">{preview.mail.text}</pre>
        </section>
      )}
    </section>
  );
}

function OutboxCard() {
  const fmt = useFormat();
  const toast = useToast();
  const [status, setStatus] = useState<OutboxStatus | ''>('');
  const outbox = useQuery<OutboxMail[]>(outboxPath(status), { poll: 5000 });
  const [error, setError] = useState<ApiError | null>(null);
  const retry = async (m: OutboxMail) => {
    setError(null);
    try {
      await mutate('POST', `/rest/outbox/${encodeURIComponent(m.id)}/retry`);
      toast(`Mail to ${m.to} queued again`);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const label = OUTBOX_STATUSES.find((s) => s.value === status)?.label ?? '';
  return (
    <Card
      title="Outbox"
      actions={
        <>
          <label htmlFor="outbox-status" className="small muted">Show</label>
          <select id="outbox-status" className="input input-small" aria-label="Outbox status" value={status} onChange={(e) => setStatus(e.target.value as OutboxStatus | '')}>
            {OUTBOX_STATUSES.map((s) => (
              <option key={s.value} value={s.value}>{s.label}</option>
            ))}
          </select>
          <button className="btn btn-small" type="button" onClick={() => void outbox.reload()}>
            Refresh
          </button>
        </>
      }
    >
      <ErrorBox error={outbox.error} onRetry={() => void outbox.reload()} />
      <ErrorBox error={error} />
      {!outbox.data && !outbox.error && <Spinner />}
      {outbox.data && outbox.data.length === 0 && <p className="muted">{status ? `No ${label.toLowerCase()} mail.` : 'No mail yet.'}</p>}
      {outbox.data && outbox.data.length > 0 && (
        <table className="table compact" aria-label="Outbox">
          <thead>
            <tr>
              <th>Queued</th>
              <th>To</th>
              <th>Subject</th>
              <th>Status</th>
              <th className="num">Attempts</th>
              <th>Last error</th>
              <th>Sent</th>
              <th><span className="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {outbox.data.map((m) => {
              const note = outboxNote(m);
              return (
                <tr key={m.id}>
                  <td className="nowrap" title={m.id}>{fmt.dateTime(m.createdAt)}</td>
                  <td>{m.to}</td>
                  <td>
                    {m.subject}
                    <div className="muted small">
                      <code>{m.kind}</code>
                      {m.about && OBJECT_BY_NAME[m.about.object] && <> · <RefLink object={m.about.object} id={m.about.id} /></>}
                    </div>
                  </td>
                  <td><StatusBadge status={m.status} /></td>
                  <td className="num">{m.attempts}</td>
                  <td className="small">
                    {note.error ? <span className="text-red">{note.text}</span> : note.text}
                    {note.retryAt && <span className="muted">{note.text ? ' · ' : ''}next try {fmt.relative(note.retryAt)}</span>}
                  </td>
                  <td className="nowrap">{m.sentAt ? fmt.dateTime(m.sentAt) : <span className="muted">—</span>}</td>
                  <td>
                    {canRetry(m) && (
                      <button type="button" className="btn btn-small" onClick={() => void retry(m)}>
                        Retry
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}

/** Settings → Mail → Reminders: up to three rules relative to the due date, each with its template and late fee. */
function RemindersCard({ readOnly }: { readOnly: boolean }) {
  const { data, error, reload } = useQuery<ReminderSettings>('/rest/settings/reminders');
  return (
    <Card title="Payment reminders">
      <p className="muted">
        Unpaid invoices (open, partially paid or with a failed payment) are reminded by mail on the days set here, each
        reminder once, with the invoice attached. They stop when the invoice is paid, voided or written off. A late fee is
        only mentioned in that reminder&rsquo;s mail: the invoice itself never changes.
        {readOnly && ' Only workspace admins can change them.'}
      </p>
      <ErrorBox error={error} onRetry={() => void reload()} />
      {!data && !error && <Spinner />}
      {data && <RemindersForm key={data.updatedAt ?? 'none'} settings={data} readOnly={readOnly} />}
    </Card>
  );
}

function RemindersForm({ settings, readOnly }: { settings: ReminderSettings; readOnly: boolean }) {
  const toast = useToast();
  const [rows, setRows] = useState<RuleRow[]>(() => rowsFromSettings(settings));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const at = ruleErrorAt(error?.field);
  const set = (i: number, patch: Partial<RuleRow>) => setRows((rs) => rs.map((r, k) => (k === i ? { ...r, ...patch } : r)));
  const add = () => {
    const r = newRow(rows);
    if (r) setRows([...rows, r]);
  };
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const out = await mutate<ReminderSettings>('PUT', '/rest/settings/reminders', rulesBody(rows));
      store.prime('/rest/settings/reminders', out);
      setRows(rowsFromSettings(out));
      toast(out.rules.length ? `${out.rules.length} reminder rule${out.rules.length === 1 ? '' : 's'} saved` : 'Reminders are off');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const bad = (i: number, field: string) => (at?.row === i && at.field === field ? { 'aria-invalid': true as const } : {});
  return (
    <form onSubmit={save} className="stack" aria-label="Reminder rules">
      {rows.length === 0 && <p className="muted" role="status">No reminders are sent.</p>}
      {rows.map((r, i) => {
        const offset = offsetOf(r);
        return (
          <fieldset key={r.position} className="reminder-rule" aria-label={`Reminder ${r.position}`} disabled={readOnly}>
            <legend>Reminder {r.position}</legend>
            <div className="inline-form">
              {r.when !== 'on' && (
                <>
                  <label htmlFor={`rem-days-${i}`} className="visually-hidden">Days</label>
                  <input id={`rem-days-${i}`} className="input narrow-number" inputMode="numeric" value={r.days}
                    onChange={(e) => set(i, { days: e.target.value })} {...bad(i, 'offsetDays')} />
                  <span>days</span>
                </>
              )}
              <label htmlFor={`rem-when-${i}`} className="visually-hidden">When</label>
              <select id={`rem-when-${i}`} className="input" value={r.when} onChange={(e) => set(i, { when: e.target.value as When, days: e.target.value === 'on' ? '' : r.days || '7' })} {...bad(i, 'offsetDays')}>
                <option value="before">before the due date</option>
                <option value="on">on the due date</option>
                <option value="after">after the due date</option>
              </select>
              <label htmlFor={`rem-fee-${i}`} className="field-label">Late fee %</label>
              <input id={`rem-fee-${i}`} className="input narrow-number" inputMode="decimal" placeholder="none" value={r.lateFeePercent}
                onChange={(e) => set(i, { lateFeePercent: e.target.value })} {...bad(i, 'lateFeeBasisPoints')} />
              {!readOnly && (
                <button type="button" className="btn btn-ghost btn-small" onClick={() => setRows(rows.filter((_, k) => k !== i))}>
                  Remove
                </button>
              )}
            </div>
            <span className="hint">
              {Number.isNaN(offset) ? 'Enter a whole number of days.' : `Sent ${describeOffset(offset)}`} · mail template “Reminder {r.position}”
              (<code>invoice_reminder_{r.position}</code>, below)
            </span>
          </fieldset>
        );
      })}
      <ErrorBox error={error} title={at ? `Reminder ${rows[at.row]?.position ?? at.row + 1}:` : undefined} />
      {!readOnly && (
        <div className="form-actions">
          <button className="btn btn-ghost" type="button" onClick={add} disabled={rows.length >= MAX_RULES}>
            Add a reminder
          </button>
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Save reminders'}
          </button>
        </div>
      )}
      <p className="hint">
        A reminder more than {settings.catchUpDays} days late (the server was off, or the rule is new) is not sent any more.
      </p>
    </form>
  );
}
