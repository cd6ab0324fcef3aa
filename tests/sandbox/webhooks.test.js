// Webhooks: endpoints, signed deliveries verified with the SDK's constructEvent, the
// events of the quote-to-cash flow, retries with back-off, and the fault-injection knobs
// (duplicate, drop then redeliver, reorder, delay).
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';

import { assertMatchesFixture, control, newKey, plain, stripeClient, waitFor, webhookReceiver } from './helpers.js';

async function setup(options = {}, endpoint = { enabled_events: ['*'] }) {
  const stripe = stripeClient(newKey());
  const receiver = await webhookReceiver(stripe, options);
  const created = await stripe.webhookEndpoints.create({ url: receiver.url, ...endpoint });
  receiver.setSecret(created.secret);
  return { stripe, receiver, endpoint: created };
}

async function paidInvoice(stripe) {
  const customer = await stripe.customers.create({ email: 'hooks@example.com' });
  const invoice = await stripe.invoices.create({ customer: customer.id });
  await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 4200, currency: 'usd' });
  await stripe.invoices.finalizeInvoice(invoice.id);
  return stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
}

describe('webhooks', () => {
  afterEach(() => control('DELETE', '/_sandbox/faults'));

  test('endpoints: create returns the secret once; list, update, delete', async () => {
    const { stripe, receiver, endpoint } = await setup({}, { enabled_events: ['invoice.paid', 'charge.succeeded'], description: 'Settle' });
    assertMatchesFixture('webhook_endpoint', plain(endpoint));
    assert.match(endpoint.secret, /^whsec_/);
    assert.deepEqual(endpoint.enabled_events, ['invoice.paid', 'charge.succeeded']);
    const fetched = await stripe.webhookEndpoints.retrieve(endpoint.id);
    assert.equal(fetched.secret, undefined);
    const updated = await stripe.webhookEndpoints.update(endpoint.id, { enabled_events: ['*'], disabled: true });
    assert.equal(updated.status, 'disabled');
    assert.equal((await stripe.webhookEndpoints.list()).data.length, 1);
    assert.equal((await stripe.webhookEndpoints.del(endpoint.id)).deleted, true);
    await assert.rejects(stripe.webhookEndpoints.create({ url: receiver.url }), { code: 'parameter_missing', param: 'enabled_events' });
    await assert.rejects(stripe.webhookEndpoints.create({ url: 'ftp://x', enabled_events: ['*'] }), { param: 'url' });
    await receiver.close();
  });

  test('deliveries are signed as Stripe signs them and carry the flow events', async () => {
    const { stripe, receiver } = await setup();
    const invoice = await paidInvoice(stripe);
    const wanted = ['invoice.created', 'invoice.finalized', 'payment_intent.succeeded', 'charge.succeeded',
      'invoice_payment.paid', 'invoice.paid', 'invoice.payment_succeeded'];
    await waitFor(() => wanted.every((t) => receiver.events(t).length > 0), { what: 'the invoice events' });
    for (const r of receiver.received) {
      assert.equal(r.error, null, `constructEvent verified ${r.event?.type}: ${r.error}`);
      assert.match(r.signature, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    }
    const paid = receiver.events('invoice.paid')[0];
    assertMatchesFixture('event', paid);
    assert.equal(paid.data.object.id, invoice.id);
    assert.equal(paid.data.object.status, 'paid');
    assert.equal(paid.livemode, false);

    // A tampered body fails verification with the SDK.
    const raw = receiver.received[0].raw;
    assert.throws(() => stripe.webhooks.constructEvent(raw.replace('"livemode": false', '"livemode": true'),
      receiver.received[0].signature, 'whsec_wrong'));

    const charge = (await stripe.charges.list({ limit: 1 })).data[0];
    await stripe.refunds.create({ charge: charge.id, amount: 1000 });
    await waitFor(() => receiver.events('charge.refunded').length && receiver.events('refund.created').length, { what: 'refund events' });

    // Stripe counts down pending_webhooks as deliveries succeed.
    await waitFor(async () => (await stripe.events.retrieve(paid.id)).pending_webhooks === 0, { what: 'pending_webhooks 0' });
    await receiver.close();
  });

  test('only enabled events are delivered; failed deliveries are retried with back-off', async () => {
    let failuresLeft = 2;
    const { stripe, receiver } = await setup(
      { respond: () => (failuresLeft-- > 0 ? 500 : 200) },
      { enabled_events: ['invoice.paid'] },
    );
    await paidInvoice(stripe);
    await waitFor(() => receiver.events('invoice.paid').length === 3, { timeoutMs: 15000, what: 'two retries' });
    assert.deepEqual([...new Set(receiver.received.map((r) => r.event.type))], ['invoice.paid']);
    assert.deepEqual(receiver.received.map((r) => r.status), [500, 500, 200]);
    const log = await control('GET', '/_sandbox/webhooks/deliveries?limit=5');
    const delivery = log.deliveries.find((d) => d.type === 'invoice.paid' && d.url === receiver.url);
    assert.equal(delivery.status, 'succeeded');
    assert.equal(delivery.attempts, 3);
    await receiver.close();
  });

  test('faults: duplicate, drop then redeliver, reorder, delay', async () => {
    const { stripe, receiver } = await setup({}, { enabled_events: ['customer.created'] });
    const emails = (n, tag) => Array.from({ length: n }, (_, i) => `${tag}${i}@example.com`);
    const createAll = async (list) => {
      for (const email of list) await stripe.customers.create({ email });
    };
    const received = (tag) => receiver.events('customer.created').map((e) => e.data.object.email).filter((e) => e.startsWith(tag));

    await control('POST', '/_sandbox/faults', { webhooks: { duplicate: 1 } });
    await createAll(emails(1, 'dup'));
    await waitFor(() => received('dup').length === 2, { what: 'the duplicate' });
    const dups = receiver.events('customer.created').filter((e) => e.data.object.email.startsWith('dup'));
    assert.equal(dups[0].id, dups[1].id, 'a duplicate is the same event');

    await control('POST', '/_sandbox/faults', { webhooks: { drop: 1 } });
    await createAll(emails(2, 'drop'));
    await waitFor(() => received('drop').length === 1, { what: 'the undropped event' });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(received('drop'), ['drop1@example.com']);
    const redelivered = await control('POST', '/_sandbox/webhooks/redeliver', {});
    assert.equal(redelivered.redelivered, 1);
    await waitFor(() => received('drop').length === 2, { what: 'the redelivery' });
    assert.deepEqual(received('drop'), ['drop1@example.com', 'drop0@example.com']);

    await control('POST', '/_sandbox/faults', { webhooks: { reorder: 3 } });
    await createAll(emails(3, 'order'));
    await waitFor(() => received('order').length === 3, { what: 'the reordered batch' });
    assert.deepEqual(received('order'), ['order2@example.com', 'order1@example.com', 'order0@example.com']);

    await control('POST', '/_sandbox/faults', { webhooks: { delay_seconds: 1 } });
    const started = Date.now();
    await createAll(emails(1, 'late'));
    await waitFor(() => received('late').length === 1, { what: 'the delayed event' });
    assert.ok(Date.now() - started >= 900, 'delivered after the delay');
    await receiver.close();
  });

  test('the control API refuses malformed fault settings', async () => {
    await assert.rejects(control('POST', '/_sandbox/faults', { webhooks: { duplicate: -1 } }), /400/);
    await assert.rejects(control('POST', '/_sandbox/faults', { api: { fail: { status: 418 } } }), /400/);
    await assert.rejects(control('POST', '/_sandbox/faults', { bogus: {} }), /400/);
    await assert.rejects(control('POST', '/_sandbox/clock/advance', {}), /400/);
    const state = await control('GET', '/_sandbox/state');
    assert.equal(typeof state.clock.now, 'number');
    assert.ok(Array.isArray(state.accounts));
  });
});
