// The one way the page talks to Settle: JSON over its REST API, with the session cookie.
// Every error becomes an ApiError carrying the server's {code, message, field, details}.

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field?: string | null,
    public details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  /** A Stripe (upstream) failure: show its reason and offer a retry. */
  get upstream(): boolean {
    return this.code === 'upstream' || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
  /** false when more than 10,000 records match: totalCount is then a lower bound. */
  totalCountExact?: boolean;
}

/** "10,000+" when the server stopped counting, the exact count otherwise. */
export function countText(r: ListResponse<unknown>): string {
  const n = r.totalCount.toLocaleString('en-US');
  return r.pageInfo.totalCountExact === false ? `${n}+` : n;
}
export interface ListResponse<T> {
  data: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();
/** Called when a request answers 401 (the session ended): the app shows the sign-in screen. */
export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;
let fetchImpl: Fetch = (input, init) => fetch(input, init);
/** For unit tests. */
export function setFetch(f: Fetch): void {
  fetchImpl = f;
}

/** The session's CSRF token, which the server sets in the readable `settle_csrf` cookie at
 * sign-in: every request that changes something must echo it in X-CSRF-Token. */
export function csrfToken(cookies: string = typeof document === 'undefined' ? '' : document.cookie): string {
  for (const part of cookies.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'settle_csrf') return decodeURIComponent(rest.join('='));
  }
  return '';
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function request<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  init: { signal?: AbortSignal; raw?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const csrf = SAFE_METHODS.has(method) ? '' : csrfToken();
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let res: Response;
  try {
    res = await fetchImpl(path, {
      method,
      credentials: 'same-origin',
      headers,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: init.signal,
    });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Settle cannot be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; field?: string; details?: unknown } })?.error;
    const err = new ApiError(
      res.status,
      e?.code ?? `http_${res.status}`,
      e?.message ?? (res.statusText || `request failed (${res.status})`),
      e?.field ?? null,
      e?.details,
    );
    // A session from before CSRF tokens has no settle_csrf cookie: signing in again makes one.
    const staleSession = res.status === 403 && err.field === 'X-CSRF-Token';
    if ((res.status === 401 && !path.startsWith('/auth/login')) || staleSession) unauthorizedListeners.forEach((l) => l());
    throw err;
  }
  if (init.raw) return json as T;
  // Single records and results come as {"data": ...}; lists as {data, pageInfo, totalCount}.
  if (json && typeof json === 'object' && 'data' in json && !('pageInfo' in json)) return (json as { data: T }).data;
  return json as T;
}

export const api = {
  get: <T = unknown>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, { signal }),
  post: <T = unknown>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T = unknown>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T = unknown>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T = unknown>(path: string) => request<T>('DELETE', path),
};
