// Events (list, paginate, filter, retrieve, 30-day retention), idempotent retries and the
// API's headers, plus API fault injection driving the SDK's own retries.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { assertMatchesFixture, control, newKey, plain, rawApi, stripeClient } from './helpers.js';

describe('events, idempotency and API faults', () => {
  after(() => control('DELETE', '/_sandbox/faults'));

  test('list and paginate events with limit, starting_after, ending_before, created and type', async () => {
    const stripe = stripeClient();
    const created = [];
    for (let i = 0; i < 25; ++i) created.push(await stripe.customers.create({ email: `p${i}@example.com` }));
    const first = await stripe.events.list({ limit: 10 });
    assert.equal(first.object, 'list');
    assert.equal(first.url, '/v1/events');
    assert.equal(first.has_more, true);
    assert.equal(first.data.length, 10);
    assertMatchesFixture('event', plain(first.data[0]));
    assert.equal(first.data[0].type, 'customer.created');
    assert.equal(first.data[0].data.object.id, created[24].id, 'newest first');

    const second = await stripe.events.list({ limit: 10, starting_after: first.data[9].id });
    assert.equal(second.data[0].data.object.id, created[14].id);
    const third = await stripe.events.list({ limit: 10, starting_after: second.data[9].id });
    assert.equal(third.data.length, 5);
    assert.equal(third.has_more, false);
    const back = await stripe.events.list({ limit: 10, ending_before: third.data[0].id });
    assert.deepEqual(back.data.map((e) => e.id), second.data.map((e) => e.id));

    const all = await stripe.events.list({ limit: 7 }).autoPagingToArray({ limit: 100 });
    assert.equal(all.length, 25);
    assert.equal(new Set(all.map((e) => e.id)).size, 25);

    const one = await stripe.events.retrieve(first.data[3].id);
    assert.equal(one.id, first.data[3].id);
    assert.equal(one.request.id === null || one.request.id.startsWith('req_'), true);
    const none = await stripe.events.list({ type: 'invoice.paid' });
    assert.equal(none.data.length, 0);
    const wildcard = await stripe.events.list({ type: 'customer.*', limit: 100 });
    assert.equal(wildcard.data.length, 25);
    const future = await stripe.events.list({ created: { gte: first.data[0].created + 1 } });
    assert.equal(future.data.length, 0);
    const recent = await stripe.events.list({ created: { gte: first.data[24 - 24].created - 5 }, limit: 100 });
    assert.equal(recent.data.length, 25);

    await assert.rejects(stripe.events.list({ limit: 1000 }), { param: 'limit' });
    await assert.rejects(stripe.events.list({ starting_after: 'evt_unknown' }), { code: 'resource_missing' });

    // Stripe keeps events for 30 days.
    await control('POST', '/_sandbox/clock/advance', { seconds: 31 * 86400 });
    await assert.rejects(stripe.events.retrieve(one.id), { statusCode: 404 });
    assert.equal((await stripe.events.list()).data.length, 0);
  });

  test('an Idempotency-Key replays the first answer; a different body is an idempotency_error', async () => {
    const key = newKey();
    const form = 'email=same%40example.com&metadata[crmId]=c-7';
    const a = await rawApi(key, 'POST', '/v1/customers', { form, headers: { 'Idempotency-Key': 'k-1', 'Stripe-Version': '2025-03-31.basil' } });
    const b = await rawApi(key, 'POST', '/v1/customers', { form, headers: { 'Idempotency-Key': 'k-1' } });
    assert.equal(a.status, 200);
    assert.equal(b.json.id, a.json.id);
    assert.equal(b.headers.get('idempotent-replayed'), 'true');
    assert.equal(a.headers.get('stripe-version'), '2025-03-31.basil');
    assert.match(a.headers.get('request-id'), /^req_/);
    const c = await rawApi(key, 'POST', '/v1/customers', { form: 'email=other%40example.com', headers: { 'Idempotency-Key': 'k-1' } });
    assert.equal(c.status, 400);
    assert.equal(c.json.error.type, 'idempotency_error');
    const listed = await rawApi(key, 'GET', '/v1/customers?limit=100');
    assert.equal(listed.json.data.length, 1);
    assert.match(listed.headers.get('request-id'), /^req_/);

    const stripe = stripeClient(key);
    const one = await stripe.customers.create({ email: 'sdk@example.com' }, { idempotencyKey: 'sdk-1' });
    const two = await stripe.customers.create({ email: 'sdk@example.com' }, { idempotencyKey: 'sdk-1' });
    assert.equal(one.id, two.id);
    // A different API key is a different account: the same key means nothing there.
    const elsewhere = await stripeClient().customers.create({ email: 'sdk@example.com' }, { idempotencyKey: 'sdk-1' });
    assert.notEqual(elsewhere.id, one.id);
    await assert.rejects(stripeClient().customers.retrieve(one.id), { code: 'resource_missing' });
  });

  test('injected 500s and 429s are retried by the SDK; one object is created', async () => {
    const stripe = stripeClient(newKey(), { maxNetworkRetries: 3 });
    await control('POST', '/_sandbox/faults', { api: { fail: { status: 500, count: 2, path: '/v1/customers' } } });
    const customer = await stripe.customers.create({ email: 'retry@example.com' });
    assert.match(customer.id, /^cus_/);
    await control('POST', '/_sandbox/faults', { api: { fail: { status: 429, count: 1, path: '/v1/customers' } } });
    const listed = await stripe.customers.list({ email: 'retry@example.com' });
    assert.equal(listed.data.length, 1);

    const noRetry = stripeClient(newKey());
    await control('POST', '/_sandbox/faults', { api: { fail: { status: 500, count: 1 } } });
    await assert.rejects(noRetry.customers.create({}), { type: 'StripeAPIError', statusCode: 500 });
    const faults = await control('GET', '/_sandbox/faults');
    assert.equal(faults.api.fail.count, 0);
  });

  test('a slow answer makes the SDK time out and retry with the same idempotency key', async () => {
    const key = newKey();
    const stripe = stripeClient(key, { maxNetworkRetries: 2, timeout: 500 });
    await control('POST', '/_sandbox/faults', { api: { timeout: { seconds: 1.5, count: 1, path: '/v1/customers' } } });
    const customer = await stripe.customers.create({ email: 'slow@example.com' });
    const listed = await stripeClient(key).customers.list({ email: 'slow@example.com' });
    assert.deepEqual(listed.data.map((c) => c.id), [customer.id], 'the retry replayed the first request');
  });

  test('authentication: no key, live key, malformed key', async () => {
    const none = await fetch(new URL('/v1/customers', process.env.STRIPE_SANDBOX_URL));
    assert.equal(none.status, 401);
    assert.equal((await none.json()).error.type, 'invalid_request_error');
    await assert.rejects(stripeClient('sk_live_abcdefghijklmnop').customers.list(), { statusCode: 401, type: 'StripeAuthenticationError' });
    await assert.rejects(stripeClient('pk_test_abc').customers.list(), { statusCode: 401 });
    const restricted = await stripeClient('rk_test_restricted1').customers.create({ name: 'ok' });
    assert.match(restricted.id, /^cus_/);
    const unknown = await rawApi(newKey(), 'GET', '/v1/nothing');
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.error.message, /^Unrecognized request URL \(GET: \/v1\/nothing\)/);
  });
});
