import { useState, type ReactNode } from 'react';
import { api, ApiError } from '../api/client';

// Where the links of Settle's mails land (domain validation, email verification). Nothing
// happens on load: mail scanners open links, so the token is spent only by the button.

function ConfirmLink<T>({
  token, title, intro, action, busyLabel, endpoint, done,
}: {
  token: string;
  title: string;
  intro: ReactNode;
  action: string;
  busyLabel: string;
  endpoint: string;
  done: (out: T) => ReactNode;
}) {
  const [out, setOut] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setOut(await api.post<T>(endpoint, { token }));
    } catch (err) {
      setError((err as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="link-title">
        <div className="brand brand-large">
          <span className="logo" aria-hidden="true">S</span> Settle
        </div>
        <h1 id="link-title">{title}</h1>
        {!token && <div className="alert alert-error" role="alert">This link has no code. Open the link from your mail.</div>}
        {out ? (
          <>
            <div className="alert alert-ok" role="status">
              <div>{done(out)}</div>
            </div>
            <a className="btn btn-primary btn-block" href="/">Open Settle</a>
          </>
        ) : (
          <>
            <p className="muted">{intro}</p>
            {error && (
              <div className="alert alert-error" role="alert">
                {error}
              </div>
            )}
            <button className="btn btn-primary btn-block" type="submit" disabled={busy || !token}>
              {busy ? busyLabel : action}
            </button>
          </>
        )}
      </form>
    </main>
  );
}

/** /validate-domain?token=…: the postmaster (or admin) of a domain approves it for a workspace. */
export function ValidateDomain({ token }: { token: string }) {
  return (
    <ConfirmLink<{ id: string; domain: string; status: string; validatedAt: string }>
      token={token}
      title="Approve a domain"
      intro="A workspace on Settle asked to approve your domain: people with a verified address at it could then join the workspace. Approve it only if you expected this."
      action="Approve the domain"
      busyLabel="Approving…"
      endpoint="/auth/validate-domain"
      done={(d) => (
        <>
          <b>{d.domain}</b> is approved. People with a verified address at {d.domain} can now join the workspace.
        </>
      )}
    />
  );
}

/** /verify-email?token=…: a new account confirms its address. */
export function VerifyEmail({ token }: { token: string }) {
  return (
    <ConfirmLink<{ emailVerified: boolean }>
      token={token}
      title="Confirm your email address"
      intro="Confirm that this address is yours to finish setting up your Settle account."
      action="Confirm my address"
      busyLabel="Confirming…"
      endpoint="/auth/verify-email"
      done={() => <>Your address is confirmed.</>}
    />
  );
}
