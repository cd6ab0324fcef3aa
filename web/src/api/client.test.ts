import { afterEach, describe, expect, it } from 'vitest';
import { csrfToken, request, setFetch } from './client';

afterEach(() => setFetch((i, init) => fetch(i, init)));

describe('csrfToken', () => {
  it.each([
    ['settle_csrf=abc123', 'abc123'],
    ['theme=dark; settle_csrf=abc123; other=1', 'abc123'],
    ['theme=dark', ''],
    ['', ''],
    ['settle_csrfx=wrong; settle_csrf=right', 'right'],
  ])('reads %j as %j', (cookies, want) => {
    expect(csrfToken(cookies)).toBe(want);
  });
});

describe('request', () => {
  it('sends no CSRF header on reads and none when there is no token', async () => {
    const seen: Headers[] = [];
    setFetch(async (_i, init) => {
      seen.push(new Headers(init?.headers));
      return new Response('{"data":{}}', { status: 200 });
    });
    await request('GET', '/rest/quotes');
    await request('POST', '/rest/quotes', {});
    expect(seen[0].get('X-CSRF-Token')).toBeNull();
    expect(seen[1].get('X-CSRF-Token')).toBeNull(); // no document.cookie in the unit tests
    expect(seen[1].get('Content-Type')).toBe('application/json');
  });
});
