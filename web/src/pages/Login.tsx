import { useState } from 'react';
import { ApiError } from '../api/client';
import { useSession } from '../session';

export function Login() {
  const { login } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [workspace, setWorkspace] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password, workspace.trim() || undefined);
    } catch (err) {
      const a = err as ApiError;
      setError(a.status === 401 ? 'Wrong email or password.' : a.message);
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand brand-large">
          <span className="logo" aria-hidden="true">S</span> Settle
        </div>
        <h1 id="login-title">Sign in</h1>
        <div className="field">
          <label htmlFor="email" className="field-label">Email</label>
          <input id="email" className="input" type="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="password" className="field-label">Password</label>
          <input id="password" className="input" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <details className="small">
          <summary>Sign in to a specific workspace</summary>
          <div className="field">
            <label htmlFor="workspace" className="field-label">Workspace (subdomain)</label>
            <input id="workspace" className="input" placeholder="phos-ind" value={workspace} onChange={(e) => setWorkspace(e.target.value)} />
          </div>
        </details>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <button className="btn btn-primary btn-block" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

export function NoWorkspace() {
  const { workspaces, switchWorkspace, join, logout } = useSession();
  const [error, setError] = useState<string | null>(null);
  const run = (p: Promise<void>) => p.catch((e: Error) => setError(e.message));
  return (
    <main className="login">
      <div className="login-card">
        <h1>Choose a workspace</h1>
        {(workspaces?.member ?? []).map((w) => (
          <button key={w.id} type="button" className="btn btn-block" onClick={() => void run(switchWorkspace(w.id))}>
            {w.name} <span className="muted">({w.role})</span>
          </button>
        ))}
        {(workspaces?.joinable ?? []).map((w) => (
          <button key={w.id} type="button" className="btn btn-block" onClick={() => void run(join(w.id))}>
            Join {w.name}
          </button>
        ))}
        {!workspaces?.member.length && !workspaces?.joinable.length && <p className="muted">You are not a member of any workspace yet.</p>}
        {error && <div className="alert alert-error" role="alert">{error}</div>}
        <button type="button" className="btn btn-ghost" onClick={() => void logout()}>
          Sign out
        </button>
      </div>
    </main>
  );
}
