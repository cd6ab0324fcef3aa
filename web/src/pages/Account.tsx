import { useState } from 'react';
import { api, ApiError } from '../api/client';
import { useToast } from '../components/ui';
import { useSession } from '../session';

/** The signed-in person's own account: their password. Changing it signs out their other sessions. */
export function Account() {
  const { me } = useSession();
  const toast = useToast();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<{ field?: string | null; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (next !== confirm) {
      setError({ field: 'confirm', message: 'The new passwords do not match.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post('/auth/change-password', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      toast('Password changed; your other sessions were signed out');
    } catch (err) {
      const a = err as ApiError;
      setError({
        field: a.field,
        message: a.status === 422 && a.field === 'currentPassword' ? 'The current password is wrong.' : a.message,
      });
    } finally {
      setBusy(false);
    }
  };
  const invalid = (field: string) => (error?.field === field ? { 'aria-invalid': true, 'aria-describedby': 'account-error' } : {});
  return (
    <div className="page">
      <h1>Your account</h1>
      <p className="muted">Signed in as {me?.email ?? me?.label}.</p>
      <form onSubmit={submit} className="stack narrow" aria-label="Change your password">
        <h2>Change your password</h2>
        <div className="field">
          <label htmlFor="current-password" className="field-label">Current password</label>
          <input id="current-password" className="input" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} {...invalid('currentPassword')} />
        </div>
        <div className="field">
          <label htmlFor="new-password" className="field-label">New password (at least 8 characters)</label>
          <input id="new-password" className="input" type="password" autoComplete="new-password" minLength={8} required value={next} onChange={(e) => setNext(e.target.value)} {...invalid('newPassword')} />
        </div>
        <div className="field">
          <label htmlFor="confirm-password" className="field-label">New password again</label>
          <input id="confirm-password" className="input" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} {...invalid('confirm')} />
        </div>
        {error && (
          <div id="account-error" className="alert alert-error" role="alert">
            {error.message}
          </div>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </div>
  );
}
