// Quote -> finalize -> accept (Stripe creates the invoice and links both ways), cancel,
// expiry on the sandbox clock, the PDF and the hosted accept page.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { assertMatchesFixture, control, newKey, plain, postForm, rawApi, resultMessage, stripeClient } from './helpers.js';

const key = newKey();
const stripe = stripeClient(key);

describe('quotes', () => {
  let customer;
  let price;
  before(async () => {
    customer = await stripe.customers.create({ name: 'Grace Hopper', email: 'grace@example.com' });
    const product = await stripe.products.create({ name: 'Annual licence' });
    price = await stripe.prices.create({ product: product.id, unit_amount: 25000, currency: 'eur' });
  });

  test('create with line items, finalize, accept: the invoice points back at the quote', async () => {
    const quote = await stripe.quotes.create({
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 4 }],
      description: 'Licences for 2026',
      metadata: { crmId: 'q-1' },
    });
    assert.equal(quote.status, 'draft');
    assert.equal(quote.amount_total, 100000);
    assert.equal(quote.currency, 'eur');
    assertMatchesFixture('quote', plain(quote));
    const items = await stripe.quotes.listLineItems(quote.id);
    assert.equal(items.data.length, 1);
    assertMatchesFixture('item', (await rawApi(key, 'GET', `/v1/quotes/${quote.id}/line_items`)).json.data[0]);
    assert.equal(items.data[0].price.id, price.id);

    const open = await stripe.quotes.finalizeQuote(quote.id);
    assert.equal(open.status, 'open');
    assert.match(open.number, /^QT-/);
    assert.equal(typeof open.status_transitions.finalized_at, 'number');

    const accepted = await stripe.quotes.accept(quote.id);
    assert.equal(accepted.status, 'accepted');
    assert.match(accepted.invoice, /^in_/);
    const invoice = (await rawApi(key, 'GET', `/v1/invoices/${accepted.invoice}`)).json;
    assertMatchesFixture('invoice', invoice);
    assert.equal(invoice.parent.type, 'quote_details');
    assert.equal(invoice.parent.quote_details.quote, quote.id);
    assert.equal(invoice.status, 'draft');
    assert.equal(invoice.billing_reason, 'quote_accept');
    assert.equal(invoice.amount_due, 100000);
    assert.equal(invoice.currency, 'eur');
    assert.equal(typeof invoice.automatically_finalizes_at, 'number');

    // Stripe finalizes such an invoice about an hour later on its own.
    await control('POST', '/_sandbox/clock/advance', { seconds: 3600 });
    const finalized = await stripe.invoices.retrieve(invoice.id);
    assert.equal(finalized.status, 'open');
    const paid = await stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_visa' });
    assert.equal(paid.status, 'paid');
  });

  test('the PDF of a finalized quote; a draft has none', async () => {
    const quote = await stripe.quotes.create({ customer: customer.id, line_items: [{ price: price.id, quantity: 1 }] });
    const draftPdf = await rawApi(key, 'GET', `/v1/quotes/${quote.id}/pdf`);
    assert.equal(draftPdf.status, 400);
    assert.equal(draftPdf.json.error.type, 'invalid_request_error');
    await stripe.quotes.finalizeQuote(quote.id);
    const pdf = await rawApi(key, 'GET', `/v1/quotes/${quote.id}/pdf`);
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.match(pdf.text, /^%PDF-1\.4/);
    assert.match(pdf.text, /Annual licence/);
  });

  test('cancel, and the state errors around it', async () => {
    const quote = await stripe.quotes.create({ customer: customer.id, line_items: [{ price: price.id, quantity: 1 }] });
    await assert.rejects(stripe.quotes.accept(quote.id), { statusCode: 400, type: 'StripeInvalidRequestError' });
    await stripe.quotes.finalizeQuote(quote.id);
    const canceled = await stripe.quotes.cancel(quote.id);
    assert.equal(canceled.status, 'canceled');
    assert.equal(typeof canceled.status_transitions.canceled_at, 'number');
    await assert.rejects(stripe.quotes.accept(quote.id), { statusCode: 400 });
    await assert.rejects(stripe.quotes.finalizeQuote(quote.id), { statusCode: 400 });
    const noCustomer = await stripe.quotes.create({ line_items: [{ price: price.id, quantity: 1 }] });
    await assert.rejects(stripe.quotes.finalizeQuote(noCustomer.id), { param: 'customer' });
  });

  test('an open quote expires when the sandbox clock passes expires_at', async () => {
    const state = await control('GET', '/_sandbox/state');
    const quote = await stripe.quotes.create({
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 1 }],
      expires_at: state.clock.now + 2 * 86400,
    });
    await stripe.quotes.finalizeQuote(quote.id);
    await control('POST', '/_sandbox/clock/advance', { seconds: 2 * 86400 + 1 });
    const expired = await stripe.quotes.retrieve(quote.id);
    assert.equal(expired.status, 'canceled');
    const events = await stripe.events.list({ type: 'quote.canceled', limit: 1 });
    assert.equal(events.data[0].data.object.id, quote.id);
  });

  test('the hosted quote page lets the customer accept it', async () => {
    const quote = await stripe.quotes.create({ customer: customer.id, line_items: [{ price: price.id, quantity: 2 }] });
    await stripe.quotes.finalizeQuote(quote.id);
    const url = new URL(`/hosted/quotes/${quote.id}`, process.env.STRIPE_SANDBOX_URL);
    const pageHtml = await (await fetch(url)).text();
    assert.match(pageHtml, /<button type="submit" id="accept-quote">Accept quote<\/button>/);
    assert.match(pageHtml, /500\.00 EUR/);
    const response = await postForm(`${url}/accept`, {});
    assert.equal(response.status, 200);
    assert.match(resultMessage(response.text), /^Quote accepted/);
    const accepted = await stripe.quotes.retrieve(quote.id);
    assert.equal(accepted.status, 'accepted');
    assert.match(accepted.invoice, /^in_/);
    const again = await postForm(`${url}/accept`, {});
    assert.equal(again.status, 409);
  });
});
