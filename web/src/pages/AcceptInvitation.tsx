import { useState } from 'react';
import { api, ApiError } from '../api/client';

/** Where an invitation mail's link lands: the invited person chooses a password and is signed in. */
export function AcceptInvitation({ token }: { token: string }) {
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (password !== confirm) {
      setError('The passwords do not match.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post('/auth/accept-invitation', { token, password, firstName: firstName.trim(), lastName: lastName.trim() });
      // Signed in now: start the app afresh at its home screen.
      window.location.replace('/');
    } catch (err) {
      setError((err as ApiError).message);
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="invitation-title">
        <div className="brand brand-large">
          <span className="logo" aria-hidden="true">S</span> Settle
        </div>
        <h1 id="invitation-title">Accept your invitation</h1>
        {!token && <div className="alert alert-error" role="alert">This link has no invitation code. Open the link from your invitation mail.</div>}
        <div className="field">
          <label htmlFor="first-name" className="field-label">First name</label>
          <input id="first-name" className="input" autoComplete="given-name" value={firstName} onChange={(e) => setFirstName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="last-name" className="field-label">Last name</label>
          <input id="last-name" className="input" autoComplete="family-name" value={lastName} onChange={(e) => setLastName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="invite-password" className="field-label">Choose a password (at least 8 characters)</label>
          <input id="invite-password" className="input" type="password" autoComplete="new-password" minLength={8} required value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="invite-confirm" className="field-label">Password again</label>
          <input id="invite-confirm" className="input" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </div>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <button className="btn btn-primary btn-block" type="submit" disabled={busy || !token}>
          {busy ? 'Joining…' : 'Join the workspace'}
        </button>
      </form>
    </main>
  );
}
