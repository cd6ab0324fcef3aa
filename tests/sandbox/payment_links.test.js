// Payment links: create for products, pay on the hosted page with test cards (success,
// decline, insufficient funds, wrong number), completion limits, deactivation, and
// the hosted invoice page.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { assertMatchesFixture, newKey, plain, postForm, resultMessage, stripeClient } from './helpers.js';

const key = newKey();
const stripe = stripeClient(key);

describe('payment links and hosted pages', () => {
  let price;
  before(async () => {
    const product = await stripe.products.create({ name: 'Workshop seat' });
    price = await stripe.prices.create({ product: product.id, unit_amount: 4900, currency: 'usd' });
  });

  test('create, list line items, pay on the hosted page, checkout.session.completed', async () => {
    const link = await stripe.paymentLinks.create({ line_items: [{ price: price.id, quantity: 2 }], metadata: { crmId: 'deal-9' } });
    assertMatchesFixture('payment_link', plain(link));
    assert.equal(link.active, true);
    assert.match(link.url, /\/hosted\/payment_links\/plink_/);
    const items = await stripe.paymentLinks.listLineItems(link.id);
    assert.equal(items.data[0].amount_total, 9800);

    const pageHtml = await (await fetch(link.url)).text();
    assert.match(pageHtml, /<label for="card-number">Card number<\/label>/);
    assert.match(pageHtml, /<button type="submit" id="pay-button">Pay<\/button>/);

    const declined = await postForm(`${link.url}/pay`, { method: 'card', card_number: '4000 0000 0000 0002', email: 'x@example.com' });
    assert.equal(declined.status, 402);
    assert.equal(resultMessage(declined.text), 'Your card was declined.');
    const poor = await postForm(`${link.url}/pay`, { method: 'card', card_number: '4000000000009995' });
    assert.equal(resultMessage(poor.text), 'Your card has insufficient funds.');
    const typo = await postForm(`${link.url}/pay`, { method: 'card', card_number: '4242 4242 4242 4241' });
    assert.equal(resultMessage(typo.text), 'Your card number is incorrect.');

    const paid = await postForm(`${link.url}/pay`, { method: 'card', card_number: '4242 4242 4242 4242', email: 'buyer@example.com' });
    assert.equal(paid.status, 200);
    assert.equal(resultMessage(paid.text), 'Payment succeeded');

    const sessions = await stripe.checkout.sessions.list({ payment_link: link.id });
    const complete = sessions.data.filter((s) => s.status === 'complete');
    assert.equal(complete.length, 1);
    assert.equal(complete[0].payment_status, 'paid');
    assert.equal(complete[0].amount_total, 9800);
    assert.equal(complete[0].customer_details.email, 'buyer@example.com');
    assert.deepEqual(complete[0].metadata, { crmId: 'deal-9' });
    const events = await stripe.events.list({ type: 'checkout.session.completed' });
    assert.equal(events.data[0].data.object.payment_link, link.id);
    const intent = await stripe.paymentIntents.retrieve(complete[0].payment_intent);
    assert.equal(intent.status, 'succeeded');
    assert.equal(intent.amount_received, 9800);
  });

  test('active=false deactivates a link; a completion limit deactivates it too', async () => {
    const link = await stripe.paymentLinks.create({ line_items: [{ price: price.id, quantity: 1 }] });
    const off = await stripe.paymentLinks.update(link.id, { active: false });
    assert.equal(off.active, false);
    const refused = await postForm(`${link.url}/pay`, { method: 'card', card_number: '4242424242424242' });
    assert.equal(refused.status, 400);
    assert.match(resultMessage(refused.text), /no longer active/);
    const listed = await stripe.paymentLinks.list({ active: false });
    assert.ok(listed.data.some((l) => l.id === link.id));

    const once = await stripe.paymentLinks.create({
      line_items: [{ price: price.id, quantity: 1 }],
      restrictions: { completed_sessions: { limit: 1 } },
    });
    await postForm(`${once.url}/pay`, { method: 'card', card_number: '4242424242424242' });
    const used = await stripe.paymentLinks.retrieve(once.id);
    assert.equal(used.active, false);
    assert.equal(used.restrictions.completed_sessions.count, 1);
  });

  test('payment link errors', async () => {
    await assert.rejects(stripe.paymentLinks.create({}), { code: 'parameter_missing', param: 'line_items' });
    await assert.rejects(stripe.paymentLinks.create({ line_items: [{ price: 'price_missing', quantity: 1 }] }), {
      code: 'resource_missing',
      param: 'line_items[0][price]',
    });
    await assert.rejects(stripe.paymentLinks.create({ line_items: [{ price: price.id }] }), {
      param: 'line_items[0][quantity]',
    });
  });

  test('the hosted invoice page takes cards and the test bank account', async () => {
    const customer = await stripe.customers.create({ email: 'pay@example.com' });
    const invoice = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 7 });
    await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 12345, currency: 'usd' });
    const open = await stripe.invoices.finalizeInvoice(invoice.id);
    const pageHtml = await (await fetch(open.hosted_invoice_url)).text();
    assert.match(pageHtml, /123\.45 USD/);
    assert.match(pageHtml, /id="pay-with-bank"/);

    const declined = await postForm(`${open.hosted_invoice_url}/pay`, { method: 'card', card_number: '4000000000000002' });
    assert.equal(resultMessage(declined.text), 'Your card was declined.');
    assert.equal((await stripe.invoices.retrieve(invoice.id)).status, 'open');
    const paid = await postForm(`${open.hosted_invoice_url}/pay`, { method: 'card', card_number: '4242424242424242' });
    assert.equal(resultMessage(paid.text), 'Payment succeeded');
    assert.equal((await stripe.invoices.retrieve(invoice.id)).status, 'paid');
    const after = await (await fetch(open.hosted_invoice_url)).text();
    assert.match(resultMessage(after), /has been paid/);
    assert.doesNotMatch(after, /id="card-number"/);
  });
});
