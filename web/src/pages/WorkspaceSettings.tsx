import { useRef, useState } from 'react';
import { useQuery } from '../api/hooks';
import { ApiError } from '../api/client';
import { mutate, store } from '../api/store';
import { Card, ErrorBox, Spinner, useToast } from '../components/ui';
import { errorTitle } from '../lib/mail';
import {
  LOCALE_OPTIONS, logoFileProblem, logoUrl, profileBody, profileForm, type ProfileForm, type WorkspaceProfile,
} from '../lib/workspace';

const PATH = '/rest/settings/workspace';

/** Settings → Workspace: the name, address and logo every quote and invoice PDF shows, and how amounts are written. */
export function WorkspaceTab() {
  const { data, error, reload } = useQuery<WorkspaceProfile>(PATH);
  if (!data) return error ? <ErrorBox error={error} onRetry={() => void reload()} /> : <Spinner />;
  return (
    <>
      <Card title="On your documents">
        <ProfileFormCard key={`${data.name}|${data.address}|${data.locale}|${data.defaultCurrency}`} profile={data} />
      </Card>
      <Card title="Logo">
        <LogoCard profile={data} />
      </Card>
    </>
  );
}

function ProfileFormCard({ profile }: { profile: WorkspaceProfile }) {
  const toast = useToast();
  const [form, setForm] = useState<ProfileForm>(() => profileForm(profile));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<ProfileForm>) => setForm((f) => ({ ...f, ...patch }));
  const invalid = (field: string) => (error?.field === field ? { 'aria-invalid': true as const } : {});
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const body = profileBody(profile, form);
    if (Object.keys(body).length === 0) return;
    setBusy(true);
    setError(null);
    try {
      const out = await mutate<WorkspaceProfile>('PATCH', PATH, body);
      store.prime(PATH, out);
      toast('Workspace saved');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const locales = LOCALE_OPTIONS.some((o) => o.value === form.locale) ? LOCALE_OPTIONS : [{ value: form.locale, label: form.locale }, ...LOCALE_OPTIONS];
  return (
    <form onSubmit={save} className="stack narrow" aria-label="Workspace">
      <p className="muted">
        Shown at the top of every quote and invoice PDF. A document already finalized keeps what it was made with.
      </p>
      <div className="field">
        <label htmlFor="ws-name" className="field-label">Name</label>
        <input id="ws-name" className="input" required value={form.name} onChange={(e) => set({ name: e.target.value })} {...invalid('name')} />
      </div>
      <div className="field">
        <label htmlFor="ws-address" className="field-label">Address</label>
        <textarea id="ws-address" className="input" rows={4} placeholder={'12 Harbour Road\nCork, Ireland'} value={form.address} onChange={(e) => set({ address: e.target.value })} {...invalid('address')} />
      </div>
      <div className="field">
        <label htmlFor="ws-locale" className="field-label">Amounts written as</label>
        <select id="ws-locale" className="input" value={form.locale} onChange={(e) => set({ locale: e.target.value })} {...invalid('locale')}>
          {locales.map((o) => (
            <option key={o.value} value={o.value}>{o.label}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="ws-currency" className="field-label">Default currency</label>
        <input id="ws-currency" className="input mono" maxLength={3} value={form.defaultCurrency} onChange={(e) => set({ defaultCurrency: e.target.value })} {...invalid('defaultCurrency')} />
      </div>
      <ErrorBox error={error} title={errorTitle(error)} />
      <div className="form-actions">
        <button className="btn btn-primary" type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save'}</button>
      </div>
    </form>
  );
}

function LogoCard({ profile }: { profile: WorkspaceProfile }) {
  const toast = useToast();
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const url = logoUrl(profile);
  const upload = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    const problem = logoFileProblem(file);
    if (problem) {
      setError(new Error(problem));
      return;
    }
    setBusy(true);
    try {
      const dataUrl = await new Promise<string>((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result));
        reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
        reader.readAsDataURL(file);
      });
      const out = await mutate<WorkspaceProfile>('PUT', `${PATH}/logo`, { dataUrl });
      store.prime(PATH, out);
      toast('Logo saved');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  };
  const remove = async () => {
    if (!window.confirm('Remove the logo from new documents?')) return;
    setBusy(true);
    setError(null);
    try {
      await mutate('DELETE', `${PATH}/logo`);
      store.prime(PATH, { ...profile, logo: null });
      toast('Logo removed');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="stack narrow">
      {url ? (
        <img src={url} alt="The workspace's logo" className="logo-preview" />
      ) : (
        <p className="muted" role="status">No logo: documents show the workspace’s name only.</p>
      )}
      <label htmlFor="ws-logo" className="field-label">{url ? 'Replace the logo' : 'Upload a logo'}</label>
      <input id="ws-logo" ref={input} type="file" accept="image/png" disabled={busy} onChange={(e) => void upload(e.target.files?.[0])} />
      <span className="hint">A PNG of at most 512 KB and 4096 pixels a side; drawn up to 180 × 56 points at the top left of each PDF.</span>
      <ErrorBox error={error} />
      {url && (
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" disabled={busy} onClick={() => void remove()}>Remove the logo</button>
        </div>
      )}
    </div>
  );
}
