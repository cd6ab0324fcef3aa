// Customer -> invoice items -> invoice -> finalize -> pay (success, decline, insufficient
// funds, bank debit) -> refund, driven with the official SDK; the objects are checked
// against Stripe's fixtures and the errors against Stripe's error shape.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { assertMatchesFixture, control, newKey, plain, rawApi, stripeClient } from './helpers.js';

const key = newKey();
const stripe = stripeClient(key);

async function openInvoice(customer, amounts) {
  const invoice = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 14 });
  for (const amount of amounts)
    await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount, currency: 'usd', description: `Item ${amount}` });
  return stripe.invoices.finalizeInvoice(invoice.id);
}

describe('invoices', () => {
  let customer;
  before(async () => {
    customer = await stripe.customers.create({ email: 'ada@example.com', name: 'Ada Lovelace', metadata: { crmId: 'acc-1' } });
  });

  test('customer create, retrieve, update and search by metadata', async () => {
    assertMatchesFixture('customer', plain(customer));
    assert.match(customer.id, /^cus_/);
    assert.equal(customer.livemode, false);
    assert.equal(typeof customer.created, 'number');
    assert.deepEqual(customer.metadata, { crmId: 'acc-1' });

    const updated = await stripe.customers.update(customer.id, { phone: '+15550100', metadata: { tier: 'gold' } });
    assert.equal(updated.phone, '+15550100');
    assert.deepEqual(updated.metadata, { crmId: 'acc-1', tier: 'gold' });
    const again = await stripe.customers.retrieve(customer.id);
    assert.equal(again.phone, '+15550100');

    await stripe.customers.create({ email: 'other@example.com', metadata: { crmId: 'acc-2' } });
    const found = await stripe.customers.search({ query: "metadata['crmId']:'acc-1'" });
    assert.equal(found.object, 'search_result');
    assert.deepEqual(found.data.map((c) => c.id), [customer.id]);
    const none = await stripe.customers.search({ query: "metadata['crmId']:'nobody'" });
    assert.equal(none.data.length, 0);
  });

  test('products, prices and invoice items match the fixtures', async () => {
    const product = await stripe.products.create({ name: 'Consulting day', metadata: { sku: 'CD' } });
    assertMatchesFixture('product', plain(product));
    const price = await stripe.prices.create({ product: product.id, unit_amount: 120000, currency: 'usd' });
    // The SDK turns decimal strings into Decimal objects: compare the wire JSON.
    const wirePrice = (await rawApi(key, 'GET', `/v1/prices/${price.id}`)).json;
    assertMatchesFixture('price', wirePrice);
    assert.equal(wirePrice.unit_amount_decimal, '120000');
    const item = await stripe.invoiceItems.create({ customer: customer.id, pricing: { price: price.id }, quantity: 2 });
    assertMatchesFixture('invoiceitem', (await rawApi(key, 'GET', `/v1/invoiceitems/${item.id}`)).json);
    assert.equal(item.amount, 240000);
    assert.equal(item.pricing.price_details.price, price.id);
    assert.equal(item.invoice, null);
  });

  test('draft -> add lines -> finalize -> pay with pm_card_visa -> paid, with invoice payments', async () => {
    const product = await stripe.products.create({ name: 'Licence' });
    const draft = await stripe.invoices.create({ customer: customer.id, metadata: { crmId: 'inv-1' } });
    assert.equal(draft.status, 'draft');
    assert.equal(draft.hosted_invoice_url, null);
    assertMatchesFixture('invoice', (await rawApi(key, 'GET', `/v1/invoices/${draft.id}`)).json);

    const withLines = await stripe.invoices.addLines(draft.id, {
      lines: [
        { price_data: { product: product.id, unit_amount: 5000, currency: 'usd' }, quantity: 3 },
        { amount: 2500, description: 'Setup fee' },
      ],
    });
    assert.equal(withLines.lines.data.length, 2);
    assert.equal(withLines.amount_due, 17500);
    assertMatchesFixture('line_item', (await rawApi(key, 'GET', `/v1/invoices/${draft.id}/lines`)).json.data[0]);

    const open = await stripe.invoices.finalizeInvoice(draft.id);
    assert.equal(open.status, 'open');
    assert.match(open.number, /^[0-9A-F]{8}-0001$/);
    assert.match(open.hosted_invoice_url, /^http:\/\/127\.0\.0\.1:\d+\/hosted\/invoices\/in_/);
    assert.match(open.invoice_pdf, /\/pdf$/);
    assert.equal(open.amount_remaining, 17500);
    assert.equal(typeof open.status_transitions.finalized_at, 'number');
    assert.equal('payment_intent' in open, false, 'basil invoices have no top-level payment_intent');

    const pdf = await fetch(open.invoice_pdf);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.match(Buffer.from(await pdf.arrayBuffer()).toString('latin1'), /^%PDF-1\.4[\s\S]*%%EOF\n$/);

    const paid = await stripe.invoices.pay(open.id, { payment_method: 'pm_card_visa' });
    assert.equal(paid.status, 'paid');
    assert.equal(paid.amount_paid, 17500);
    assert.equal(paid.amount_remaining, 0);
    assert.equal(typeof paid.status_transitions.paid_at, 'number');
    assertMatchesFixture('invoice', (await rawApi(key, 'GET', `/v1/invoices/${paid.id}`)).json);

    const expanded = await stripe.invoices.retrieve(open.id, { expand: ['payments', 'confirmation_secret'] });
    assert.equal(expanded.payments.data.length, 1);
    const payment = expanded.payments.data[0];
    assertMatchesFixture('invoice_payment', plain(payment));
    assert.equal(payment.status, 'paid');
    assert.equal(payment.amount_paid, 17500);
    assert.equal(payment.is_default, true);
    assert.equal(payment.payment.type, 'payment_intent');
    assert.match(expanded.confirmation_secret.client_secret, /^pi_.*_secret_/);

    const intent = await stripe.paymentIntents.retrieve(payment.payment.payment_intent, { expand: ['latest_charge'] });
    assertMatchesFixture('payment_intent', plain({ ...intent, latest_charge: intent.latest_charge.id }));
    assert.equal(intent.status, 'succeeded');
    assert.equal(intent.amount_received, 17500);
    assertMatchesFixture('charge', plain(intent.latest_charge));
    assert.equal(intent.latest_charge.paid, true);
    assert.equal(intent.latest_charge.payment_method_details.card.last4, '4242');

    const listed = await stripe.invoicePayments.list({ invoice: open.id });
    assert.deepEqual(listed.data.map((p) => p.id), [payment.id]);
  });

  test('declined cards answer card_error 402 and leave the invoice open', async () => {
    const invoice = await openInvoice(customer, [9900]);
    const cases = [
      ['pm_card_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card', 'Your card has expired.'],
    ];
    for (const [method, code, declineCode, message] of cases) {
      await assert.rejects(stripe.invoices.pay(invoice.id, { payment_method: method }), (err) => {
        assert.equal(err.type, 'StripeCardError');
        assert.equal(err.statusCode, 402);
        assert.equal(err.code, code);
        assert.equal(err.decline_code, declineCode);
        assert.equal(err.message, message);
        assert.match(err.raw.charge, /^ch_/);
        return true;
      });
    }
    const after = await stripe.invoices.retrieve(invoice.id);
    assert.equal(after.status, 'open');
    assert.equal(after.attempt_count, 3);
    assert.equal(after.attempted, true);
    const charges = await stripe.charges.list({ customer: customer.id, limit: 3 });
    assert.ok(charges.data.every((c) => c.status === 'failed' && c.paid === false));
    assert.equal(charges.data[0].outcome.type, 'issuer_declined');

    const paid = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_mastercard' });
    assert.equal(paid.status, 'paid');
  });

  test('a bank debit stays processing until it settles on the sandbox clock', async () => {
    const invoice = await openInvoice(customer, [30000]);
    const processing = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_usBankAccount' });
    assert.equal(processing.status, 'open');
    const { data: [payment] } = await stripe.invoicePayments.list({ invoice: invoice.id });
    const intent = await stripe.paymentIntents.retrieve(payment.payment.payment_intent);
    assert.equal(intent.status, 'processing');
    await control('POST', '/_sandbox/clock/advance', { seconds: 120 });
    const settled = await stripe.invoices.retrieve(invoice.id);
    assert.equal(settled.status, 'paid');
    assert.equal(settled.amount_paid, 30000);
  });

  test('full and partial refunds', async () => {
    const invoice = await openInvoice(customer, [10000]);
    await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
    const { data: [payment] } = await stripe.invoicePayments.list({ invoice: invoice.id });
    const intent = await stripe.paymentIntents.retrieve(payment.payment.payment_intent);

    const partial = await stripe.refunds.create({ payment_intent: intent.id, amount: 2500, reason: 'requested_by_customer' });
    assertMatchesFixture('refund', plain(partial));
    assert.equal(partial.status, 'succeeded');
    assert.equal(partial.charge, intent.latest_charge);
    let charge = await stripe.charges.retrieve(intent.latest_charge);
    assert.equal(charge.amount_refunded, 2500);
    assert.equal(charge.refunded, false);

    await assert.rejects(stripe.refunds.create({ charge: charge.id, amount: 9000 }), (err) => {
      assert.equal(err.type, 'StripeInvalidRequestError');
      assert.equal(err.param, 'amount');
      return true;
    });
    const rest = await stripe.refunds.create({ charge: charge.id });
    assert.equal(rest.amount, 7500);
    charge = await stripe.charges.retrieve(charge.id);
    assert.equal(charge.refunded, true);
    assert.equal(charge.refunds.data.length, 2);
    await assert.rejects(stripe.refunds.create({ charge: charge.id }), { code: 'charge_already_refunded' });
    const refunds = await stripe.refunds.list({ charge: charge.id });
    assert.deepEqual(refunds.data.map((r) => r.id), [rest.id, partial.id]);
  });

  test('partial payments through attach_payment emit invoice_payment.paid', async () => {
    const invoice = await openInvoice(customer, [20000]);
    const first = await stripe.paymentIntents.create({ amount: 5000, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true });
    assert.equal(first.status, 'succeeded');
    let updated = await stripe.invoices.attachPayment(invoice.id, { payment_intent: first.id });
    assert.equal(updated.status, 'open');
    assert.equal(updated.amount_paid, 5000);
    assert.equal(updated.amount_remaining, 15000);
    const paidEvents = await stripe.events.list({ type: 'invoice_payment.paid', limit: 5 });
    assert.equal(paidEvents.data[0].data.object.payment.payment_intent, first.id);

    updated = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
    assert.equal(updated.status, 'paid');
    assert.equal(updated.amount_paid, 20000);
    const payments = await stripe.invoicePayments.list({ invoice: invoice.id });
    assert.equal(payments.data.length, 2);
  });

  test('void, mark_uncollectible, send and their state errors', async () => {
    const a = await openInvoice(customer, [1000]);
    const sent = await stripe.invoices.sendInvoice(a.id);
    assert.equal(sent.id, a.id);
    const voided = await stripe.invoices.voidInvoice(a.id);
    assert.equal(voided.status, 'void');
    assert.equal(typeof voided.status_transitions.voided_at, 'number');
    await assert.rejects(stripe.invoices.pay(a.id, { payment_method: 'pm_card_visa' }), { type: 'StripeInvalidRequestError', statusCode: 400 });

    const b = await openInvoice(customer, [1000]);
    const uncollectible = await stripe.invoices.markUncollectible(b.id);
    assert.equal(uncollectible.status, 'uncollectible');
    const paidLate = await stripe.invoices.pay(b.id, { payment_method: 'pm_card_visa' });
    assert.equal(paidLate.status, 'paid');

    const draft = await stripe.invoices.create({ customer: customer.id });
    await assert.rejects(stripe.invoices.pay(draft.id, { payment_method: 'pm_card_visa' }), (err) => {
      assert.equal(err.type, 'StripeInvalidRequestError');
      assert.equal(err.statusCode, 400);
      assert.match(err.message, /draft/);
      return true;
    });
    await assert.rejects(stripe.invoices.voidInvoice(draft.id), { statusCode: 400 });
    const deleted = await stripe.invoices.del(draft.id);
    assert.equal(deleted.deleted, true);
  });

  test('bad input gets Stripe errors: missing param, unknown id, unknown param, bad integer', async () => {
    await assert.rejects(stripe.invoices.create({}), (err) => {
      assert.equal(err.type, 'StripeInvalidRequestError');
      assert.equal(err.code, 'parameter_missing');
      assert.equal(err.param, 'customer');
      assert.equal(err.message, 'Missing required param: customer.');
      return true;
    });
    await assert.rejects(stripe.customers.retrieve('cus_doesnotexist'), (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.code, 'resource_missing');
      assert.equal(err.param, 'id');
      assert.equal(err.message, "No such customer: 'cus_doesnotexist'");
      return true;
    });
    await assert.rejects(stripe.invoices.pay('in_nothing', { payment_method: 'pm_card_visa' }), { code: 'resource_missing' });
    await assert.rejects(stripe.invoiceItems.create({ customer: customer.id, amount: 5, currency: 'usd', colour: 'red' }), {
      code: 'parameter_unknown',
      param: 'colour',
    });
    const raw = await rawApi(key, 'POST', '/v1/invoiceitems', { form: `customer=${customer.id}&amount=ten&currency=usd` });
    assert.equal(raw.status, 400);
    assert.deepEqual(Object.keys(raw.json.error).sort(), ['code', 'doc_url', 'message', 'param', 'type']);
    assert.equal(raw.json.error.code, 'parameter_invalid_integer');
    assert.equal(raw.json.error.param, 'amount');
    const unknownPm = rawApi(key, 'POST', `/v1/invoices/in_x/pay`, { form: 'payment_method=pm_nope' });
    assert.equal((await unknownPm).status, 404);
  });

  test('a refused request changes nothing', async () => {
    const before = await stripe.invoiceItems.list({ customer: customer.id, limit: 100 });
    const invoice = await stripe.invoices.create({ customer: customer.id });
    await assert.rejects(
      stripe.invoices.addLines(invoice.id, { lines: [{ amount: 100, description: 'ok' }, { description: 'no amount' }] }),
      { code: 'parameter_missing', param: 'lines[1][amount]' },
    );
    const after = await stripe.invoiceItems.list({ customer: customer.id, limit: 100 });
    assert.equal(after.data.length, before.data.length);
    assert.equal((await stripe.invoices.retrieve(invoice.id)).lines.data.length, 0);
  });
});
