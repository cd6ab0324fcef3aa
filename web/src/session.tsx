// Who is signed in, in which workspace and with which role; sign-in, sign-out and the
// workspace switch. The workspace's locale and currency drive every formatted amount.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, api, onUnauthorized } from './api/client';
import { store } from './api/store';
import { forgetRefs } from './api/refs';
import { formatDate, formatDateTime, formatMoney, formatRelative } from './lib/format';

export interface Me {
  role: 'ADMIN' | 'MEMBER';
  userId: string | null;
  label: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  workspace: { id: string; name: string; subdomain: string; defaultCurrency: string; locale: string };
}
export interface WorkspaceRef {
  id: string;
  name: string;
  subdomain: string;
  role?: string;
}
interface Workspaces {
  member: WorkspaceRef[];
  joinable: WorkspaceRef[];
}

interface SessionValue {
  status: 'loading' | 'signedOut' | 'signedIn' | 'noWorkspace';
  me: Me | null;
  workspaces: Workspaces | null;
  isAdmin: boolean;
  login: (email: string, password: string, workspace?: string) => Promise<void>;
  logout: () => Promise<void>;
  switchWorkspace: (id: string) => Promise<void>;
  join: (id: string) => Promise<void>;
}

const Ctx = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<SessionValue['status']>('loading');
  const [me, setMe] = useState<Me | null>(null);
  const [workspaces, setWorkspaces] = useState<Workspaces | null>(null);

  const loadWorkspaces = useCallback(() => {
    api.get<Workspaces>('/auth/workspaces').then(setWorkspaces, () => setWorkspaces(null));
  }, []);

  const load = useCallback(async () => {
    try {
      const m = await api.get<Me>('/rest/workspace-members/me');
      setMe(m);
      setStatus('signedIn');
      loadWorkspaces();
    } catch (e) {
      setMe(null);
      if (e instanceof ApiError && e.status === 403) {
        // Signed in, but the session has no workspace yet: pick or join one.
        setStatus('noWorkspace');
        loadWorkspaces();
      } else {
        setStatus('signedOut');
      }
    }
  }, [loadWorkspaces]);

  useEffect(() => {
    void load();
    return onUnauthorized(() => {
      store.clear();
      setMe(null);
      setStatus('signedOut');
    });
  }, [load]);

  const reset = () => {
    store.clear();
    forgetRefs();
  };

  const value = useMemo<SessionValue>(
    () => ({
      status,
      me,
      workspaces,
      isAdmin: me?.role === 'ADMIN',
      login: async (email, password, workspace) => {
        await api.post('/auth/login', workspace ? { email, password, workspace } : { email, password });
        reset();
        await load();
      },
      logout: async () => {
        await api.post('/auth/logout').catch(() => undefined);
        reset();
        setMe(null);
        setStatus('signedOut');
      },
      switchWorkspace: async (id) => {
        await api.post('/auth/switch-workspace', { workspaceId: id });
        reset();
        await load();
      },
      join: async (id) => {
        await api.post('/auth/join', { workspaceId: id });
        reset();
        await load();
      },
    }),
    [status, me, workspaces, load],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

/** Formatting bound to the workspace's locale and default currency. */
export function useFormat() {
  const { me } = useSession();
  const locale = me?.workspace.locale || 'en-US';
  const currency = me?.workspace.defaultCurrency || 'USD';
  return useMemo(
    () => ({
      locale,
      currency,
      money: (minor: number | null | undefined, cur?: string | null, compact = false) =>
        formatMoney(minor, cur || currency, locale, { compact }),
      date: (v: string | null | undefined) => formatDate(v, locale),
      dateTime: (v: string | null | undefined) => formatDateTime(v, locale),
      relative: (v: string | null | undefined) => formatRelative(v, locale),
    }),
    [locale, currency],
  );
}
