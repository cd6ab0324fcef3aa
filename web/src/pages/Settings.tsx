import { useState } from 'react';
import { Link, NavLink, Navigate, Route, Routes } from 'react-router-dom';
import { useQuery } from '../api/hooks';
import { ApiError } from '../api/client';
import { mutate, store } from '../api/store';
import { api } from '../api/client';
import { Card, CopyButton, ErrorBox, Spinner, StatusBadge, useToast } from '../components/ui';
import { useFormat, useSession } from '../session';
import type { StripeSettings } from '../lib/stripe';
import { TestModeBanner } from '../components/TestModeBanner';
import { MailTab } from './MailSettings';
import { WorkspaceTab } from './WorkspaceSettings';
import { errorTitle } from '../lib/mail';

export function Settings() {
  const { isAdmin } = useSession();
  // A MEMBER may read the mail templates (the server lets them); the rest is for ADMINs.
  if (!isAdmin)
    return (
      <div className="page">
        <h1>Settings</h1>
        <Routes>
          <Route path="mail" element={<MailTab />} />
          <Route
            path="*"
            element={
              <div className="alert alert-error" role="alert">
                <div>
                  Settings are for workspace admins. Ask an ADMIN of this workspace if you need a change. You can read the{' '}
                  <Link to="/settings/mail">mail templates</Link>.
                </div>
              </div>
            }
          />
        </Routes>
      </div>
    );
  return (
    <div className="page">
      <h1>Settings</h1>
      <TestModeBanner />
      <nav className="tabs" aria-label="Settings sections">
        <NavLink to="/settings/workspace">Workspace</NavLink>
        <NavLink to="/settings/stripe">Stripe</NavLink>
        <NavLink to="/settings/webhooks">Webhooks</NavLink>
        <NavLink to="/settings/mail">Mail</NavLink>
        <NavLink to="/settings/members">Members</NavLink>
        <NavLink to="/settings/domains">Approved domains</NavLink>
        <NavLink to="/settings/api-keys">API keys</NavLink>
      </nav>
      <Routes>
        <Route index element={<Navigate to="stripe" replace />} />
        <Route path="workspace" element={<WorkspaceTab />} />
        <Route path="stripe" element={<StripeTab />} />
        <Route path="webhooks" element={<WebhooksTab />} />
        <Route path="mail" element={<MailTab />} />
        <Route path="members" element={<MembersTab />} />
        <Route path="domains" element={<DomainsTab />} />
        <Route path="api-keys" element={<ApiKeysTab />} />
      </Routes>
    </div>
  );
}

function StripeTab() {
  const fmt = useFormat();
  const { data, error, reload } = useQuery<StripeSettings>('/rest/settings/stripe');
  const toast = useToast();
  const [mode, setMode] = useState<'test' | 'live' | null>(null);
  const [secretKey, setSecretKey] = useState('');
  const [publishableKey, setPublishableKey] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  if (!data) return error ? <ErrorBox error={error} onRetry={() => void reload()} /> : <Spinner />;
  const currentMode = mode ?? data.mode;
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    if (mode && mode !== data.mode) body.mode = mode;
    if (secretKey) body.secretKey = secretKey;
    if (publishableKey !== null && publishableKey !== (data.publishableKey ?? '')) body.publishableKey = publishableKey;
    if (Object.keys(body).length === 0) return;
    setBusy(true);
    setSaveError(null);
    try {
      const out = await mutate<StripeSettings>('PUT', '/rest/settings/stripe', body);
      store.prime('/rest/settings/stripe', out);
      setMode(null);
      setSecretKey('');
      setPublishableKey(null);
      toast('Stripe settings saved');
    } catch (err) {
      setSaveError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Stripe account">
      <form onSubmit={save} className="stack narrow">
        <p className="muted">
          {data.configured ? (
            <>
              Connected with <code>{data.secretKey}</code>
              {data.updatedAt && <> · updated {fmt.dateTime(data.updatedAt)}</>}
            </>
          ) : (
            'Not connected. Paste your Stripe API keys to sync quotes, invoices and payments.'
          )}
        </p>
        <fieldset className="radio-group">
          <legend className="field-label">Mode</legend>
          <label>
            <input type="radio" name="mode" value="test" checked={currentMode === 'test'} onChange={() => setMode('test')} /> Test
          </label>
          <label>
            <input type="radio" name="mode" value="live" checked={currentMode === 'live'} onChange={() => setMode('live')} /> Live
          </label>
        </fieldset>
        {currentMode !== data.mode && (
          <div className="alert alert-warn" role="status">
            Switching to {currentMode} mode needs {currentMode} keys: enter both keys below before saving.
          </div>
        )}
        <div className="field">
          <label htmlFor="sk" className="field-label">Secret key</label>
          <input
            id="sk"
            className="input mono"
            type="password"
            autoComplete="off"
            placeholder={data.secretKey ?? `sk_${currentMode}_…`}
            value={secretKey}
            onChange={(e) => setSecretKey(e.target.value)}
          />
          <span className="hint">Stored encrypted; shown masked. Leave empty to keep the current key.</span>
        </div>
        <div className="field">
          <label htmlFor="pk" className="field-label">Publishable key</label>
          <input
            id="pk"
            className="input mono"
            autoComplete="off"
            placeholder={`pk_${currentMode}_…`}
            value={publishableKey ?? data.publishableKey ?? ''}
            onChange={(e) => setPublishableKey(e.target.value)}
          />
        </div>
        <ErrorBox error={saveError} title={saveError?.field ? `${saveError.field}:` : undefined} />
        <div className="form-actions">
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Card>
  );
}

interface StripeEvent {
  id: string;
  type: string;
  status: string;
  receivedAt: string;
  attempts: number;
  lastError: string | null;
  livemode: boolean;
  outcome?: string | null;
  source?: string | null;
  nextAttemptAt?: string | null;
}

function WebhooksTab() {
  const { me } = useSession();
  const fmt = useFormat();
  const toast = useToast();
  const settings = useQuery<StripeSettings>('/rest/settings/stripe');
  const events = useQuery<StripeEvent[]>('/rest/stripe/events?limit=50', { poll: 5000 });
  const defaultUrl = `${window.location.origin}/api/webhooks/stripe/${me?.workspace.subdomain ?? ''}`;
  const [url, setUrl] = useState(defaultUrl);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const register = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await mutate('POST', '/rest/stripe/webhook-endpoint', { url });
      store.invalidate('/rest/settings/stripe');
      toast('Webhook endpoint registered with Stripe');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const ep = settings.data?.webhookEndpoint;
  const retry = async (id: string) => {
    setError(null);
    try {
      await api.post(`/rest/stripe/events/${encodeURIComponent(id)}/retry`);
      toast('Event queued again');
      void events.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const reconcile = async () => {
    setBusy(true);
    setError(null);
    try {
      const out = await api.post<{ fetched?: number; stored?: number }>('/rest/stripe/reconcile');
      toast(`Asked Stripe: ${out.fetched ?? 0} events seen, ${out.stored ?? 0} new`);
      void events.reload();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Card title="Webhook endpoint">
        {ep ? (
          <p>
            Stripe sends events to <code>{ep.url}</code> <span className="muted small">({ep.id})</span>. Signing secrets:{' '}
            {settings.data?.webhookSecrets.map((s) => <code key={s}>{s} </code>)}
          </p>
        ) : (
          <p className="muted">No endpoint registered: Stripe cannot tell Settle about payments yet.</p>
        )}
        <form onSubmit={register} className="inline-form">
          <label htmlFor="wh-url" className="field-label">Endpoint URL</label>
          <input id="wh-url" className="input mono grow" value={url} onChange={(e) => setUrl(e.target.value)} />
          <button className="btn btn-primary" type="submit" disabled={busy || !settings.data?.configured}>
            {busy ? 'Registering…' : ep ? 'Register again' : 'Register with Stripe'}
          </button>
        </form>
        {!settings.data?.configured && <p className="hint">Save the Stripe keys first.</p>}
        <ErrorBox error={error} />
      </Card>
      <Card
        title="Last events received"
        actions={
          <>
            <button className="btn btn-small" type="button" onClick={() => void reconcile()} disabled={busy}>
              Fetch missed events
            </button>
            <button className="btn btn-small" type="button" onClick={() => void events.reload()}>
              Refresh
            </button>
          </>
        }
      >
        <ErrorBox error={events.error} />
        {events.data && events.data.length === 0 && <p className="muted">No events received yet.</p>}
        {events.data && events.data.length > 0 && (
          <table className="table compact" aria-label="Stripe events">
            <thead>
              <tr>
                <th>Received</th>
                <th>Type</th>
                <th>Outcome</th>
                <th>What it did</th>
                <th className="num">Attempts</th>
                <th><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {events.data.map((e) => (
                <tr key={e.id}>
                  <td className="nowrap" title={e.id}>
                    {fmt.dateTime(e.receivedAt)}
                    {e.source === 'reconcile' && <span className="muted small"> · fetched</span>}
                  </td>
                  <td><code>{e.type}</code></td>
                  <td><StatusBadge status={e.status} /></td>
                  <td className="small">
                    {e.status === 'failed' ? <span className="text-red">{e.lastError}</span> : e.outcome ?? e.lastError ?? ''}
                    {e.status === 'failed' && e.nextAttemptAt && <span className="muted"> · next try {fmt.relative(e.nextAttemptAt)}</span>}
                  </td>
                  <td className="num">{e.attempts}</td>
                  <td>
                    {(e.status === 'failed' || e.status === 'ignored') && (
                      <button type="button" className="btn btn-small" onClick={() => void retry(e.id)}>
                        Retry
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}

interface Member {
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  role: 'ADMIN' | 'MEMBER';
  createdAt: string;
}

function MembersTab() {
  const { me } = useSession();
  const fmt = useFormat();
  const toast = useToast();
  const { data, error, reload } = useQuery<Member[]>('/rest/workspace-members');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('MEMBER');
  const [password, setPassword] = useState('');
  const [formError, setFormError] = useState<ApiError | null>(null);
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setFormError(null);
    try {
      const out = await mutate<{ status: 'created' | 'invited' }>('POST', '/rest/workspace-members', {
        email,
        role,
        ...(password ? { password } : {}),
      });
      setEmail('');
      setPassword('');
      // An existing account keeps its own password; it and a new account without one get a mail.
      toast(out.status === 'invited' ? `${email} invited: an invitation mail is queued` : `${email} added`);
    } catch (err) {
      setFormError(err as ApiError);
    }
  };
  const act = async (fn: () => Promise<unknown>, done: string) => {
    setFormError(null);
    try {
      await fn();
      store.invalidate('/rest/workspace-members');
      toast(done);
    } catch (err) {
      setFormError(err as ApiError);
    }
  };
  return (
    <Card title="Members and roles">
      <ErrorBox error={error} onRetry={() => void reload()} />
      <table className="table compact" aria-label="Members">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
            <th>Joined</th>
            <th><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((m) => (
            <tr key={m.userId}>
              <td>{m.email}{m.userId === me?.userId && <span className="muted small"> (you)</span>}</td>
              <td>{[m.firstName, m.lastName].filter(Boolean).join(' ') || <span className="muted">—</span>}</td>
              <td>
                <label className="visually-hidden" htmlFor={`role-${m.userId}`}>Role of {m.email}</label>
                <select
                  id={`role-${m.userId}`}
                  className="input input-small"
                  value={m.role}
                  onChange={(e) => void act(() => api.patch(`/rest/workspace-members/${m.userId}`, { role: e.target.value }), `${m.email} is now ${e.target.value}`)}
                >
                  <option>ADMIN</option>
                  <option>MEMBER</option>
                </select>
              </td>
              <td>{fmt.date(m.createdAt)}</td>
              <td>
                <button
                  type="button"
                  className="btn btn-ghost btn-small btn-danger-text"
                  onClick={() => window.confirm(`Remove ${m.email} from the workspace?`) && void act(() => api.del(`/rest/workspace-members/${m.userId}`), `${m.email} removed`)}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={add} className="inline-form" aria-label="Add a member">
        <label htmlFor="m-email" className="field-label">Email</label>
        <input id="m-email" type="email" required className="input" value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="m-role" className="field-label">Role</label>
        <select id="m-role" className="input" value={role} onChange={(e) => setRole(e.target.value)}>
          <option>MEMBER</option>
          <option>ADMIN</option>
        </select>
        <label htmlFor="m-pw" className="field-label" title="Only for a new account. Leave it empty to mail an invitation link; an existing account keeps its password.">
          Initial password (new accounts; optional)
        </label>
        <input id="m-pw" type="password" className="input" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <button className="btn btn-primary" type="submit">Add member</button>
      </form>
      <ErrorBox error={formError} />
    </Card>
  );
}

interface Domain {
  id: string;
  domain: string;
  status: string;
  validationEmail: string;
  createdAt: string;
  validatedAt: string | null;
  tokenExpiresAt: string | null;
}

function DomainsTab() {
  const fmt = useFormat();
  const { data, error } = useQuery<Domain[]>('/rest/approved-domains');
  const [domain, setDomain] = useState('');
  const [validationEmail, setValidationEmail] = useState('');
  const [mailed, setMailed] = useState<{ domain: string; validationEmail: string } | null>(null);
  const [formError, setFormError] = useState<ApiError | null>(null);
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setFormError(null);
    setMailed(null);
    try {
      const out = await mutate<Domain>('POST', '/rest/approved-domains', {
        domain,
        ...(validationEmail ? { validationEmail } : {}),
      });
      setMailed({ domain: out.domain, validationEmail: out.validationEmail });
      setDomain('');
      setValidationEmail('');
    } catch (err) {
      setFormError(err as ApiError);
    }
  };
  return (
    <Card title="Approved domains">
      <p className="muted">People with a verified address at a validated domain can join this workspace as members.</p>
      <ErrorBox error={error} />
      <table className="table compact" aria-label="Approved domains">
        <thead>
          <tr>
            <th>Domain</th>
            <th>Status</th>
            <th>Validation sent to</th>
            <th>Added</th>
            <th><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((d) => (
            <tr key={d.id}>
              <td>{d.domain}</td>
              <td>
                <StatusBadge status={d.status} />
                {d.status === 'PENDING' && d.tokenExpiresAt && <span className="muted small"> link valid until {fmt.date(d.tokenExpiresAt)}</span>}
              </td>
              <td>{d.validationEmail}</td>
              <td>{fmt.date(d.createdAt)}</td>
              <td>
                <button
                  type="button"
                  className="btn btn-ghost btn-small btn-danger-text"
                  onClick={async () => {
                    if (!window.confirm(`Remove ${d.domain}?`)) return;
                    try {
                      await mutate('DELETE', `/rest/approved-domains/${d.id}`);
                    } catch (err) {
                      setFormError(err as ApiError);
                    }
                  }}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={add} className="inline-form" aria-label="Add a domain">
        <label htmlFor="d-domain" className="field-label">Domain</label>
        <input id="d-domain" required className="input" placeholder="example.com" value={domain} onChange={(e) => setDomain(e.target.value)} />
        <label htmlFor="d-email" className="field-label">Validation address</label>
        <input
          id="d-email"
          type="email"
          className="input"
          placeholder="postmaster@…"
          aria-describedby="d-email-hint"
          value={validationEmail}
          onChange={(e) => setValidationEmail(e.target.value)}
          {...(formError?.field === 'validationEmail' ? { 'aria-invalid': true as const } : {})}
        />
        <button className="btn btn-primary" type="submit">Add domain</button>
      </form>
      <p id="d-email-hint" className="hint">
        The validation link goes to postmaster@, admin@ or your own address at the domain. Left empty: your own address if it
        is at the domain, postmaster@ otherwise.
      </p>
      {mailed && (
        <div className="alert alert-info" role="status">
          <div>
            A validation link was mailed to <b>{mailed.validationEmail}</b>. <b>{mailed.domain}</b> is approved once someone opens
            it and confirms.
          </div>
        </div>
      )}
      <ErrorBox error={formError} title={errorTitle(formError)} />
    </Card>
  );
}

interface ApiKey {
  id: string;
  name: string;
  last4: string;
  role: string;
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

function ApiKeysTab() {
  const fmt = useFormat();
  const { data, error } = useQuery<ApiKey[]>('/rest/api-keys');
  const [name, setName] = useState('');
  const [role, setRole] = useState('MEMBER');
  const [expiresAt, setExpiresAt] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [formError, setFormError] = useState<ApiError | null>(null);
  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    setFormError(null);
    try {
      const out = await mutate<{ key: string }>('POST', '/rest/api-keys', {
        name,
        role,
        ...(expiresAt ? { expiresAt: `${expiresAt}T23:59:59Z` } : {}),
      });
      setCreated(out.key);
      setName('');
    } catch (err) {
      setFormError(err as ApiError);
    }
  };
  return (
    <Card title="API keys">
      <ErrorBox error={error} />
      {created && (
        <div className="alert alert-ok" role="status">
          <div>
            New key (shown once): <code className="mono">{created}</code>
          </div>
          <div className="alert-actions">
            <CopyButton text={created} />
          </div>
        </div>
      )}
      <table className="table compact" aria-label="API keys">
        <thead>
          <tr>
            <th>Name</th>
            <th>Key</th>
            <th>Role</th>
            <th>Created</th>
            <th>Expires</th>
            <th>Status</th>
            <th><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td><code>sk_settle_…{k.last4}</code></td>
              <td>{k.role}</td>
              <td>{fmt.date(k.createdAt)}</td>
              <td>{k.expiresAt ? fmt.date(k.expiresAt) : 'never'}</td>
              <td>{k.revokedAt ? <StatusBadge status="Void" /> : <StatusBadge status="Active" />}</td>
              <td>
                {!k.revokedAt && (
                  <button
                    type="button"
                    className="btn btn-ghost btn-small btn-danger-text"
                    onClick={async () => {
                      if (!window.confirm(`Revoke “${k.name}”? Programs using it stop working at once.`)) return;
                      try {
                        await mutate('DELETE', `/rest/api-keys/${k.id}`);
                      } catch (err) {
                        setFormError(err as ApiError);
                      }
                    }}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={create} className="inline-form" aria-label="Create an API key">
        <label htmlFor="k-name" className="field-label">Name</label>
        <input id="k-name" required className="input" value={name} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="k-role" className="field-label">Role</label>
        <select id="k-role" className="input" value={role} onChange={(e) => setRole(e.target.value)}>
          <option>MEMBER</option>
          <option>ADMIN</option>
        </select>
        <label htmlFor="k-exp" className="field-label">Expires</label>
        <input id="k-exp" type="date" className="input" value={expiresAt} onChange={(e) => setExpiresAt(e.target.value)} />
        <button className="btn btn-primary" type="submit">Create key</button>
      </form>
      <ErrorBox error={formError} />
    </Card>
  );
}
