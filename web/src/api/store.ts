// A small cache over GET requests: one entry per URL, shared by every component that reads
// it, refetched when a write touches its object (invalidate) or on a polling interval.
// Components subscribe through useQuery (hooks.ts); this module has no React in it so that
// it can be unit-tested.
import { ApiError, api } from './client';
import { forgetRefs } from './refs';

export interface Snapshot<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  /** When data last arrived (ms). */
  at: number;
}

interface Entry {
  snap: Snapshot<unknown>;
  inflight?: Promise<unknown>;
  subs: Set<() => void>;
  stale: boolean;
}

const EMPTY: Snapshot<unknown> = { loading: true, at: 0 };

export class QueryStore {
  private entries = new Map<string, Entry>();
  constructor(
    private get: (path: string) => Promise<unknown> = (p) => api.get(p),
    private revalidateAfter = 2000,
  ) {}

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = { snap: EMPTY, subs: new Set(), stale: true };
      this.entries.set(key, e);
    }
    return e;
  }

  snapshot<T>(key: string): Snapshot<T> {
    return (this.entries.get(key)?.snap ?? EMPTY) as Snapshot<T>;
  }

  /**
   * Watches a key. The first watcher of an entry older than `revalidateAfter` ms (a screen
   * coming back to it) gets the cached data at once and a fresh copy in the background.
   */
  subscribe(key: string, fn: () => void): () => void {
    const e = this.entry(key);
    const first = e.subs.size === 0;
    e.subs.add(fn);
    const old = first && Date.now() - e.snap.at > this.revalidateAfter;
    if ((e.stale || old) && !e.inflight) void this.fetch(key);
    return () => {
      e.subs.delete(fn);
    };
  }

  /** Fetches (or joins the request already under way). Keeps the old data while loading. */
  fetch<T>(key: string): Promise<T | undefined> {
    const e = this.entry(key);
    if (e.inflight) return e.inflight as Promise<T | undefined>;
    this.set(e, { ...e.snap, loading: true });
    const p = this.get(key)
      .then((data) => {
        e.stale = false;
        this.set(e, { data, loading: false, at: Date.now() });
        return data as T;
      })
      .catch((error: unknown) => {
        e.stale = false;
        const err = error instanceof ApiError ? error : new ApiError(0, 'client', String((error as Error)?.message ?? error));
        this.set(e, { ...e.snap, error: err, loading: false });
        return undefined;
      })
      .finally(() => {
        e.inflight = undefined;
      });
    e.inflight = p;
    return p as Promise<T | undefined>;
  }

  /** Puts a value in the cache (a write's answer), so the screen updates without a round trip. */
  prime<T>(key: string, data: T): void {
    const e = this.entry(key);
    e.stale = false;
    this.set(e, { data, loading: false, at: Date.now() });
  }

  /**
   * Marks every entry whose key starts with one of the prefixes stale; entries someone is
   * watching are refetched at once, the others on their next use.
   */
  invalidate(...prefixes: string[]): void {
    for (const [key, e] of this.entries) {
      if (!prefixes.some((p) => key === p || key.startsWith(p + '/') || key.startsWith(p + '?'))) continue;
      e.stale = true;
      if (e.subs.size > 0) void this.fetch(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private set(e: Entry, snap: Snapshot<unknown>) {
    e.snap = snap;
    e.subs.forEach((fn) => fn());
  }
}

export const store = new QueryStore();

/** The collection a REST path belongs to: /rest/quotes/quo_1/timeline → /rest/quotes. */
export function collectionOf(path: string): string {
  const m = /^\/rest\/([^/?]+)/.exec(path);
  return m ? `/rest/${m[1]}` : path;
}

// Writes that change several collections at once (an action on a quote creates an order...).
const KNOCK_ON: Record<string, string[]> = {
  '/rest/quotes': ['/rest/orders', '/rest/dashboard'],
  '/rest/orders': ['/rest/invoices', '/rest/quotes', '/rest/dashboard'],
  '/rest/invoices': ['/rest/orders', '/rest/payments', '/rest/dashboard'],
  '/rest/payments': ['/rest/invoices', '/rest/dashboard'],
};

export function invalidateAfterWrite(path: string, s: QueryStore = store): void {
  const c = collectionOf(path);
  s.invalidate(c, ...(KNOCK_ON[c] ?? []));
}

/** A write through the API, followed by the invalidation of what it may have changed. */
export async function mutate<T = unknown>(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const out =
    method === 'POST' ? await api.post<T>(path, body ?? {})
    : method === 'PATCH' ? await api.patch<T>(path, body)
    : method === 'PUT' ? await api.put<T>(path, body)
    : await api.del<T>(path);
  invalidateAfterWrite(path);
  forgetRefs(collectionOf(path).slice('/rest/'.length));
  return out;
}
