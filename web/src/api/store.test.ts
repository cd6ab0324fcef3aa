import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, request, setFetch } from './client';
import { QueryStore, collectionOf, invalidateAfterWrite } from './store';

function respond(status: number, body: unknown) {
  return new Response(body === undefined ? '' : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

afterEach(() => setFetch((i, init) => fetch(i, init)));

describe('request', () => {
  it('unwraps {data} and keeps lists whole', async () => {
    setFetch(async (url) => (url === '/rest/quotes/q1' ? respond(200, { data: { id: 'q1' } }) : respond(200, { data: [], pageInfo: {}, totalCount: 0 })));
    expect(await request('GET', '/rest/quotes/q1')).toEqual({ id: 'q1' });
    expect(await request('GET', '/rest/quotes')).toEqual({ data: [], pageInfo: {}, totalCount: 0 });
  });
  it('sends JSON with the session cookie', async () => {
    const seen: RequestInit[] = [];
    setFetch(async (_u, init) => {
      seen.push(init!);
      return respond(201, { data: { ok: true } });
    });
    await request('POST', '/rest/companies', { name: 'Acme' });
    expect(seen[0].method).toBe('POST');
    expect(seen[0].credentials).toBe('same-origin');
    expect(seen[0].body).toBe('{"name":"Acme"}');
    expect((seen[0].headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });
  it('turns error bodies into ApiError with code, field and details', async () => {
    setFetch(async () =>
      respond(409, { error: { code: 'conflict', message: 'cannot move order', field: 'status', details: { allowedMoves: ['Invoiced'] } } }),
    );
    const e = (await request('POST', '/rest/orders/o1/start').catch((x: ApiError) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(409);
    expect(e.field).toBe('status');
    expect(e.details).toEqual({ allowedMoves: ['Invoiced'] });
    expect(e.upstream).toBe(false);
  });
  it('marks Stripe failures as upstream', async () => {
    setFetch(async () => respond(502, { error: { code: 'upstream', message: 'Your card was declined.' } }));
    const e = (await request('POST', '/rest/quotes/q1/finalize').catch((x: ApiError) => x)) as ApiError;
    expect(e.upstream).toBe(true);
    expect(e.message).toBe('Your card was declined.');
  });
  it('reports an unreachable server', async () => {
    setFetch(async () => {
      throw new TypeError('fetch failed');
    });
    const e = (await request('GET', '/rest/quotes').catch((x: ApiError) => x)) as ApiError;
    expect(e.code).toBe('network');
  });
});

describe('QueryStore', () => {
  it('shares one request between subscribers and notifies them', async () => {
    const get = vi.fn(async () => ({ n: 1 }));
    const s = new QueryStore(get);
    const a = vi.fn();
    const b = vi.fn();
    s.subscribe('/rest/quotes', a);
    s.subscribe('/rest/quotes', b);
    await s.fetch('/rest/quotes');
    expect(get).toHaveBeenCalledTimes(1);
    expect(s.snapshot('/rest/quotes')).toMatchObject({ data: { n: 1 }, loading: false });
    expect(a).toHaveBeenCalled();
    expect(b).toHaveBeenCalled();
  });
  it('refetches watched entries of an invalidated collection only', async () => {
    let n = 0;
    const get = vi.fn(async () => ({ n: ++n }));
    const s = new QueryStore(get);
    s.subscribe('/rest/quotes?limit=50', () => {});
    s.subscribe('/rest/companies', () => {});
    await Promise.all([s.fetch('/rest/quotes?limit=50'), s.fetch('/rest/companies')]);
    get.mockClear();
    s.invalidate('/rest/quotes');
    await s.fetch('/rest/quotes?limit=50');
    expect(get.mock.calls.map((c) => (c as unknown[])[0])).toEqual(['/rest/quotes?limit=50']);
  });
  it('keeps old data and records the error when a refetch fails', async () => {
    let fail = false;
    const s = new QueryStore(async () => {
      if (fail) throw new ApiError(500, 'internal', 'boom');
      return { ok: 1 };
    });
    await s.fetch('/x');
    fail = true;
    await s.fetch('/x');
    expect(s.snapshot('/x')).toMatchObject({ data: { ok: 1 }, error: { message: 'boom' }, loading: false });
  });
  it('revalidates an entry a screen comes back to, showing the cached copy meanwhile', async () => {
    let n = 0;
    const s = new QueryStore(async () => ({ n: ++n }), 0);
    const off = s.subscribe('/rest/dashboard', () => {});
    await s.fetch('/rest/dashboard');
    off();
    await new Promise((r) => setTimeout(r, 5));
    s.subscribe('/rest/dashboard', () => {});
    expect(s.snapshot('/rest/dashboard')).toMatchObject({ data: { n: 1 }, loading: true });
    await s.fetch('/rest/dashboard');
    expect(s.snapshot('/rest/dashboard').data).toEqual({ n: 2 });
  });
  it('knows which collections a write touches', async () => {
    expect(collectionOf('/rest/orders/o1/fulfill')).toBe('/rest/orders');
    const get = vi.fn(async () => ({}));
    const s = new QueryStore(get);
    for (const k of ['/rest/orders/o1', '/rest/invoices?limit=5', '/rest/companies']) s.subscribe(k, () => {});
    await new Promise((r) => setTimeout(r, 0));
    get.mockClear();
    invalidateAfterWrite('/rest/orders/o1/invoice', s);
    await new Promise((r) => setTimeout(r, 0));
    expect(get.mock.calls.map((c) => (c as unknown[])[0]).sort()).toEqual(['/rest/invoices?limit=5', '/rest/orders/o1']);
  });
});
