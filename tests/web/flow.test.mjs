// The web UI in a real browser (Debian's chromium via playwright-core) against a real
// Settle and a real Stripe sandbox: sign in, the quote-to-cash flow end to end, a declined
// card, a Stripe failure and its retry, the order board, Settings for an ADMIN and not for
// a MEMBER, a workflow built in the editor and its run. Screenshots of each key screen go
// to <build>/test-artifacts/web/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launchBrowser, shot, startStack } from './harness.mjs';

const ADMIN = { email: 'admin@phos-ind.com', password: 'phos-demo-2026' };
const MEMBER = { email: 'sales@phos-ind.com', password: 'phos-demo-2026' };

let stack;
let browser;
let context;
let page;

async function signIn(p, who) {
  await p.goto(stack.url + '/');
  await p.getByLabel('Email').fill(who.email);
  await p.getByLabel('Password').fill(who.password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByTestId('role').waitFor();
}

const statusBadge = (p) => p.locator('.record-title .badge');

async function expectStatus(p, status, timeout = 15000) {
  await p.locator('.record-title .badge', { hasText: new RegExp(`^${status}$`) }).waitFor({ timeout });
}

describe('Settle web UI', { timeout: 170000 }, () => {
  before(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: stack.url });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('signs in and shows the workspace, the role and the dashboard within a second', async () => {
    await page.goto(stack.url + '/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(page, '01-sign-in');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('kpi-open-quotes').waitFor();
    assert.equal(await page.getByTestId('role').textContent(), 'ADMIN');
    assert.match(await page.locator('.ws-name').textContent(), /Phos Industries/);
    // The first screen of a signed-in user, from navigation to the figures drawn.
    const t0 = Date.now();
    await page.goto(stack.url + '/');
    await page.getByTestId('kpi-open-quotes').waitFor();
    await page.getByRole('img', { name: /Receivables by age/ }).waitFor();
    const ms = Date.now() - t0;
    console.log(`# first screen rendered in ${ms} ms`);
    assert.ok(ms < 1000, `the dashboard took ${ms} ms`);
    assert.match(await page.getByTestId('kpi-open-quotes').textContent(), /\$/);
    await page.getByRole('heading', { name: 'Receivables by age' }).waitFor();
    await shot(page, '02-dashboard');
  });

  it('lists records with sorting, search, status filters and the filter grammar', async () => {
    await page.getByRole('link', { name: 'Quotes', exact: true }).click();
    await page.getByRole('heading', { name: 'Quotes' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    assert.equal(await page.locator('tbody tr').count(), 5);
    await page.getByRole('group', { name: 'Status' }).getByRole('button', { name: 'Open' }).click();
    await page.locator('code', { hasText: 'filter=status[eq]:Open' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    await page.getByRole('group', { name: 'Status' }).getByRole('button', { name: 'All' }).click();
    await page.getByRole('button', { name: 'Total' }).click();
    await page.locator('th[aria-sort="ascending"]', { hasText: 'Total' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 5);
    const totals = await page.locator('tbody tr td:nth-child(4)').allTextContents();
    const values = totals.map((t) => Number(t.replace(/[^0-9.]/g, '')));
    assert.deepEqual(values, [...values].sort((a, b) => a - b), `sorted: ${totals}`);
    await shot(page, '03-quotes-table');

    // Cursor paging over 55 expenses, 50 a page.
    await Promise.all(
      Array.from({ length: 55 }, (_, i) =>
        stack.api('POST', '/rest/expenses', { description: `Fuel ${i + 1}`, amount: 1000 + i, currency: 'USD', date: '2026-03-01' }),
      ),
    );
    await page.getByRole('link', { name: 'Expenses', exact: true }).click();
    await page.getByText('55 expenses').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 50);
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 5);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 50);

    await page.getByRole('link', { name: 'Companies', exact: true }).click();
    await page.getByLabel('Search companies').fill('lumen');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    await page.locator('tbody tr', { hasText: 'Lumen Aesthetics Clinic' }).waitFor();
  });

  let quoteUrl;
  it('creates a company and a quote with two line items and tax, with live totals', async () => {
    const name = `Acme Robotics ${Date.now() % 100000}`;
    await page.getByRole('link', { name: 'New company' }).click();
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Domain').fill('acme-robotics.test');
    await page.getByRole('button', { name: 'Create company' }).click();
    await page.getByRole('heading', { name }).waitFor();

    await page.getByRole('link', { name: 'Quotes', exact: true }).click();
    await page.getByRole('link', { name: 'New quote' }).click();
    const company = page.getByRole('combobox', { name: 'Company' });
    await company.fill(name.slice(0, 12));
    await page.getByRole('option', { name }).click();
    await page.getByLabel('Line 1 description').fill('Robot arm, 6 axis');
    await page.getByLabel('Line 1 quantity').fill('2');
    await page.getByLabel('Line 1 unit price').fill('1,250.00');
    await page.getByRole('button', { name: '+ Add line' }).click();
    await page.getByLabel('Line 2 description').fill('Installation');
    await page.getByLabel('Line 2 quantity').fill('1');
    await page.getByLabel('Line 2 unit price').fill('480');
    await page.getByLabel('Tax').fill('238.40');
    assert.equal(await page.getByTestId('subtotal').textContent(), '$2,980.00');
    assert.equal(await page.getByTestId('total').textContent(), '$3,218.40');
    await shot(page, '04-quote-editor');
    await page.getByRole('button', { name: 'Create quote' }).click();
    await expectStatus(page, 'Draft');
    assert.equal(await page.getByTestId('total').textContent(), '$3,218.40');
    // A draft is editable: a note, saved, shows on the timeline.
    await page.getByLabel('Notes').fill('Delivery in two weeks.');
    await page.getByRole('button', { name: 'Save changes' }).first().click();
    await page.locator('.timeline li', { hasText: 'Delivery in two weeks.' }).waitFor();
    quoteUrl = page.url();
  });

  it('shows a Stripe failure with its reason and a retry, then finalizes the quote', async () => {
    // The next four calls to Stripe's quotes API fail (the client retries three times).
    await fetch(`${stack.sandboxUrl}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ api: { fail: { status: 500, count: 4, path: '/v1/quotes' } } }),
    });
    await page.getByRole('button', { name: 'Finalize quote' }).click();
    const alert = page.locator('.action-error');
    await alert.waitFor({ timeout: 30000 });
    assert.match(await alert.textContent(), /Stripe/);
    await expectStatus(page, 'Draft');
    await shot(page, '05-stripe-failure');
    await fetch(`${stack.sandboxUrl}/_sandbox/faults`, { method: 'DELETE' });
    await alert.getByRole('button', { name: 'Retry' }).click();
    await expectStatus(page, 'Open', 30000);
    await page.getByRole('link', { name: 'Open quote page ↗' }).waitFor();
    await shot(page, '06-quote-open');
  });

  let orderUrl;
  it('the customer accepts on the quote page and the order appears without a reload', async () => {
    const href = await page.getByRole('link', { name: 'Open quote page ↗' }).getAttribute('href');
    const customer = await context.newPage();
    await customer.goto(href);
    await customer.locator('#accept-quote').click();
    await customer.waitForLoadState();
    await shot(customer, '07-sandbox-quote-accepted');
    await customer.close();
    // The quote page polls while Stripe is expected to change it.
    await expectStatus(page, 'Accepted', 20000);
    assert.equal(page.url(), quoteUrl);
    await page.locator('.alert-ok').getByRole('link').click();
    await expectStatus(page, 'Pending Fulfillment');
    orderUrl = page.url();
    await shot(page, '08-order');
  });

  let invoiceUrl;
  it('fulfills the order and converts it to an invoice, then finalizes and sends it', async () => {
    await page.getByRole('button', { name: 'Fulfill order' }).click();
    await expectStatus(page, 'Fulfilled');
    // WF-004 may have drafted the invoice already: the button then opens it.
    await page.getByRole('button', { name: /^(Convert to invoice|Open invoice)$/ }).click();
    await page.waitForURL(/\/invoices\//);
    await expectStatus(page, 'Draft');
    assert.equal(await page.getByTestId('total').textContent(), '$3,218.40');
    await shot(page, '09-invoice-draft');
    await page.getByRole('button', { name: 'Finalize & send invoice' }).click();
    await expectStatus(page, 'Open', 30000);
    invoiceUrl = page.url();
    await page.getByRole('button', { name: 'Get payment link' }).click();
    await page.getByRole('textbox', { name: 'Payment link' }).waitFor();
    assert.match(await page.getByRole('textbox', { name: 'Payment link' }).inputValue(), /\/pay\//);
    await shot(page, '10-invoice-open-payment-link');
  });

  it('pays through the payment link with 4242… and the invoice shows Paid with its payment', async () => {
    const link = await page.getByRole('textbox', { name: 'Payment link' }).inputValue();
    const customer = await context.newPage();
    await customer.goto(link);
    await customer.locator('#card-number').fill('4242 4242 4242 4242');
    await customer.locator('#pay-button').click();
    await customer.locator('#result', { hasText: 'Payment succeeded' }).waitFor();
    await shot(customer, '11-sandbox-payment');
    await customer.close();
    await expectStatus(page, 'Paid', 20000);
    assert.equal(page.url(), invoiceUrl);
    await page.getByRole('table', { name: 'Payments' }).locator('tbody tr').first().waitFor();
    assert.match(await page.getByRole('table', { name: 'Payments' }).textContent(), /\$3,218\.40/);
    assert.equal(await page.getByTestId('amount-due').textContent(), '$0.00');
    await shot(page, '12-invoice-paid');
    // The order followed the invoice.
    await page.getByRole('link', { name: /^ORD-/ }).first().click();
    await expectStatus(page, 'Invoiced');
    assert.equal(page.url(), orderUrl);
  });

  it('a declined card shows Payment Failed', async () => {
    const company = await stack.api('POST', '/rest/companies', { name: 'Declined Dental' });
    const inv = await stack.api('POST', '/rest/invoices', {
      companyId: company.id,
      lineItems: [{ description: 'Consumables', quantity: 3, unitAmount: 12000 }],
    });
    await page.goto(`${stack.url}/invoices/${inv.id}`);
    await page.getByRole('button', { name: 'Finalize & send invoice' }).click();
    await expectStatus(page, 'Open', 30000);
    await page.getByRole('button', { name: 'Get payment link' }).click();
    const link = await page.getByRole('textbox', { name: 'Payment link' }).inputValue();
    const customer = await context.newPage();
    await customer.goto(link);
    await customer.locator('#card-number').fill('4000 0000 0000 0002');
    await customer.locator('#pay-button').click();
    await customer.locator('#result', { hasText: /declined/i }).waitFor();
    await customer.close();
    await expectStatus(page, 'Payment Failed', 20000);
    await shot(page, '13-invoice-payment-failed');
  });

  it('the dashboard shows the money that moved', async () => {
    await page.getByRole('link', { name: 'Home' }).click();
    const paid = page.locator('.kpi', { hasText: 'Payments in' });
    await paid.locator('.kpi-value', { hasText: '$3,218.40' }).waitFor();
    await page.locator('.kpi', { hasText: 'Receivables' }).locator('.kpi-value', { hasText: '$360.00' }).waitFor();
    await page.getByRole('img', { name: /Receivables by age/ }).waitFor();
    await page.locator('.events li', { hasText: 'processed' }).first().waitFor();
    await shot(page, '19-dashboard-after-payments');
  });

  it('moves orders on the board and explains a refused move', async () => {
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await page.getByRole('link', { name: 'Board' }).click();
    const pending = page.getByRole('region', { name: 'Pending Fulfillment' });
    const card = pending.locator('.board-card').first();
    await card.waitFor();
    const title = (await card.locator('.card-title').textContent()).trim();
    await card.dragTo(page.getByRole('region', { name: 'Invoiced' }));
    const alert = page.locator('.alert-error');
    await alert.waitFor();
    assert.match(await alert.textContent(), /cannot go to Invoiced/);
    await shot(page, '14-orders-board-refused');
    await card.dragTo(page.getByRole('region', { name: 'In Progress' }));
    await page.getByRole('region', { name: 'In Progress' }).locator('.card-title', { hasText: title }).waitFor();
    // The keyboard way: the card's "Move to" menu.
    const moved = page.getByRole('region', { name: 'In Progress' }).locator('.board-card', { hasText: title });
    await moved.getByLabel(`Move ${title} to`).selectOption('Pending Fulfillment');
    await page.locator('.alert-error', { hasText: 'cannot go to Pending Fulfillment' }).waitFor();
    await shot(page, '15-orders-board');
  });

  it('Settings: Stripe keys masked, test mode banner, webhook events with their outcome, members', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Test mode' }).first().waitFor();
    const masked = await page.locator('code', { hasText: /^sk_test_…/ }).textContent();
    assert.match(masked, /^sk_test_…\w{4}$/);
    await shot(page, '16-settings-stripe');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    const events = page.getByRole('table', { name: 'Stripe events' });
    await events.locator('tbody tr').first().waitFor();
    assert.match(await events.textContent(), /quote\.accepted|invoice\.paid/);
    await shot(page, '17-settings-webhooks');
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('table', { name: 'Members' }).getByRole('cell', { name: MEMBER.email, exact: true }).waitFor();
    await page.getByRole('link', { name: 'Approved domains' }).click();
    await page.getByRole('table', { name: 'Approved domains' }).getByText('VALIDATED').waitFor();
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('table', { name: 'API keys' }).locator('tbody tr').first().waitFor();
  });

  it('Settings, Mail: an ADMIN sets the mail server, then customizes a template and previews it with the sample invoice', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Mail', exact: true }).click();
    const server = page.getByRole('form', { name: 'Mail server' });
    await server.getByLabel('Host').fill('127.0.0.1');
    await server.getByLabel('Security').selectOption('none');
    await server.getByLabel('Port').fill('2525');
    await server.getByLabel('From address').fill('billing@phos-ind.com');
    await server.getByRole('button', { name: 'Save', exact: true }).click();
    await server.getByText('127.0.0.1:2525 (none)').waitFor();
    // Kept across a reload; the password is write-only and none was set.
    await page.reload();
    const kept = page.getByRole('form', { name: 'Mail server' });
    await kept.getByText('127.0.0.1:2525 (none)').waitFor();
    assert.equal(await kept.getByLabel('Host').inputValue(), '127.0.0.1');
    assert.equal(await kept.getByLabel('Port').inputValue(), '2525');
    assert.equal(await kept.getByLabel('Security').inputValue(), 'none');
    assert.equal(await kept.getByLabel('From address').inputValue(), 'billing@phos-ind.com');
    assert.equal(await kept.getByLabel('Password', { exact: true }).inputValue(), '');
    await kept.getByText('No password is stored.').waitFor();
    assert.equal(await kept.getByText('A password is stored').count(), 0);

    const row = page.getByRole('table', { name: 'Mail templates' }).locator('tbody tr', { has: page.locator('code', { hasText: /^invoice_sent$/ }) });
    assert.equal(await row.locator('.badge', { hasText: 'customized' }).count(), 0);
    await row.getByRole('button', { name: 'Invoice sent' }).click();
    const editor = page.getByRole('region', { name: 'Template invoice_sent' });
    const subject = 'Custom: invoice {{invoice.number}} from {{workspace.name}}';
    await editor.getByLabel('Subject').fill(subject);
    // The preview renders the unsaved edit with the sample model (its invoice is INV-2026-042).
    await editor.getByRole('button', { name: 'Preview', exact: true }).click();
    const preview = editor.getByRole('region', { name: 'Preview' });
    await preview.getByTestId('preview-subject').waitFor();
    assert.match(await preview.getByTestId('preview-subject').textContent(), /^Custom: invoice INV-2026-042 from /);
    const frame = preview.locator('iframe');
    assert.equal(await frame.getAttribute('sandbox'), '');
    assert.match(await frame.getAttribute('srcdoc'), /INV-2026-042/);
    assert.match(await preview.getByLabel('Text part, rendered').textContent(), /INV-2026-042/);
    await shot(page, '27-settings-mail-preview');
    await editor.getByRole('button', { name: 'Save', exact: true }).click();
    await row.locator('.badge', { hasText: 'customized' }).waitFor();
    const saved = (await stack.api('GET', '/rest/mail-templates')).find((t) => t.kind === 'invoice_sent');
    assert.equal(saved.subject, subject);
    assert.equal(saved.customized, true);
    await shot(page, '28-settings-mail-template-saved');
    // Back to the server's default (none here), so that no later test's mail goes to 127.0.0.1:2525.
    await stack.api('DELETE', '/rest/settings/mail');
  });

  it('Settings, Mail: an ADMIN sets three payment reminders; a bad day is refused on its rule; they stay after a reload', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Mail', exact: true }).click();
    const form = page.getByRole('form', { name: 'Reminder rules' });
    await form.getByText('No reminders are sent.').waitFor();
    for (let i = 0; i < 3; i++) await form.getByRole('button', { name: 'Add a reminder' }).click();
    assert.equal(await form.getByRole('button', { name: 'Add a reminder' }).isDisabled(), true, 'three at most');
    const first = form.getByRole('group', { name: 'Reminder 1' });
    const third = form.getByRole('group', { name: 'Reminder 3' });
    await first.getByText('Sent 7 days before the due date').waitFor();
    await form.getByRole('group', { name: 'Reminder 2' }).getByText('Sent on the due date').waitFor();
    await third.getByText('Sent 7 days after the due date').waitFor();
    await third.getByLabel('Days').fill('10');
    await third.getByLabel('Late fee %').fill('1.5');
    await first.getByLabel('Days').fill('400');
    await form.getByRole('button', { name: 'Save reminders' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /Reminder 1:.*365/);
    assert.equal(await first.getByLabel('Days').getAttribute('aria-invalid'), 'true');
    assert.equal((await stack.api('GET', '/rest/settings/reminders')).rules.length, 0, 'nothing saved');
    await first.getByLabel('Days').fill('3');
    await form.getByRole('button', { name: 'Save reminders' }).click();
    await page.getByText('3 reminder rules saved').waitFor();
    await page.reload();
    const kept = page.getByRole('form', { name: 'Reminder rules' });
    await kept.getByRole('group', { name: 'Reminder 3' }).getByText('Sent 10 days after the due date').waitFor();
    assert.equal(await kept.getByRole('group', { name: 'Reminder 3' }).getByLabel('Late fee %').inputValue(), '1.5');
    assert.equal(await kept.getByRole('group', { name: 'Reminder 1' }).getByLabel('Days').inputValue(), '3');
    const saved = await stack.api('GET', '/rest/settings/reminders');
    assert.deepEqual(saved.rules.map((r) => [r.offsetDays, r.lateFeeBasisPoints, r.template]),
      [[-3, 0, 'invoice_reminder_1'], [0, 0, 'invoice_reminder_2'], [10, 150, 'invoice_reminder_3']]);
    await kept.scrollIntoViewIfNeeded();
    await shot(page, '29-settings-reminders');
    // Off again, so that no later test's invoices are reminded.
    await stack.api('PUT', '/rest/settings/reminders', { rules: [] });
  });

  it('Settings, Workspace: an ADMIN sets the address and uploads a logo; a file that is not a PNG is refused', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Workspace', exact: true }).click();
    const form = page.getByRole('form', { name: 'Workspace' });
    await form.getByLabel('Address').fill('12 Harbour Road\nCork, Ireland');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Workspace saved').waitFor();
    await page.getByText('No logo: documents show the workspace’s name only.').waitFor();
    await page.getByLabel('Upload a logo').setInputFiles({ name: 'logo.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.getByRole('alert').getByText('The logo must be a PNG image.').waitFor();
    const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
    await page.getByLabel('Upload a logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from(pixel, 'base64') });
    const img = page.getByRole('img', { name: "The workspace's logo" });
    await img.waitFor();
    await page.waitForFunction(() => document.querySelector('img.logo-preview')?.naturalWidth === 1);
    const saved = await stack.api('GET', '/rest/settings/workspace');
    assert.equal(saved.address, '12 Harbour Road\nCork, Ireland');
    assert.equal(saved.logo.bytes, Buffer.from(pixel, 'base64').length);
    await shot(page, '30-settings-workspace');
    await stack.api('DELETE', '/rest/settings/workspace/logo');
    await stack.api('PATCH', '/rest/settings/workspace', { address: '' });
  });

  it('an ADMIN builds a workflow in the editor, activates it, and its run shows each step', async () => {
    await page.getByRole('link', { name: 'Workflows', exact: true }).click();
    await page.getByRole('heading', { name: 'Workflows' }).waitFor();
    await page.getByRole('table', { name: 'Workflows' }).locator('.badge', { hasText: 'WF-010' }).waitFor();
    await shot(page, '20-workflows');
    await page.getByRole('button', { name: 'New workflow' }).click();
    await page.getByLabel('Name').fill('Call new companies');
    await page.getByRole('button', { name: 'Create workflow' }).click();
    await page.getByRole('heading', { name: 'Call new companies' }).waitFor();
    await page.getByLabel('Trigger type').selectOption('RECORD_CREATED');
    assert.equal(await page.locator('#wf-trigger-object').inputValue(), 'companies');
    await page.getByLabel('New step type (workflow)').selectOption('CREATE_TASK');
    await page.getByRole('button', { name: 'Add step', exact: true }).click();
    const step = page.getByRole('region', { name: 'Step create_task' });
    // A reference to a step that does not exist: the server's problem shows at the input.
    await step.getByLabel('Title').fill('Call {{steps.nope.x}}');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await step.locator('.problem', { hasText: "'steps.nope.x'" }).waitFor();
    assert.equal(await step.getByLabel('Title').getAttribute('aria-invalid'), 'true');
    assert.match(await page.getByTestId('wf-problems').textContent(), /steps\[0\]\.title/);
    // Activation refuses it too, naming the field.
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.locator('.action-error, .record-actions .alert-error', { hasText: 'Not activated' }).waitFor();
    await shot(page, '21-workflow-problem');
    await step.getByLabel('Title').fill('Call {{trigger.record.name}}');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByTestId('wf-problems').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.locator('.record-title .badge', { hasText: /^ACTIVE$/ }).waitFor();
    await shot(page, '22-workflow-active');

    const company = await stack.api('POST', '/rest/companies', { name: 'Workflow Widgets' });
    await page.getByRole('tab', { name: 'Runs' }).click();
    const runs = page.getByRole('table', { name: 'Runs' });
    await runs.locator('tbody tr', { has: page.locator('.badge', { hasText: /^COMPLETED$/ }) }).first().waitFor({ timeout: 20000 });
    await shot(page, '23-workflow-runs');
    await runs.locator('tbody tr').first().getByRole('link').click();
    await page.locator('.record-title .badge', { hasText: /^COMPLETED$/ }).waitFor();
    const ran = page.locator('.wf-run-step', { hasText: 'create_task' });
    await ran.locator('.badge', { hasText: /^COMPLETED$/ }).waitFor();
    assert.match(await ran.getByLabel('Output of', { exact: false }).textContent(), /Call Workflow Widgets/);
    await page.locator('.wf-json-block summary', { hasText: 'Show' }).first().click();
    assert.match(await page.getByLabel('Trigger data').textContent(), new RegExp(company.id));
    await shot(page, '24-workflow-run');
    const tasks = await stack.api('GET', '/rest/tasks?filter=title[eq]:%22Call%20Workflow%20Widgets%22');
    assert.equal(tasks.length, 1);

    // A MEMBER sees Workflows, read-only.
    const memberContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: stack.url });
    const m = await memberContext.newPage();
    await signIn(m, MEMBER);
    await m.getByRole('link', { name: 'Workflows', exact: true }).click();
    await m.getByRole('link', { name: 'Call new companies', exact: true }).click();
    await m.getByRole('heading', { name: 'Call new companies' }).waitFor();
    assert.equal(await m.getByRole('button', { name: 'Save draft' }).count(), 0);
    assert.equal(await m.getByRole('button', { name: 'New workflow' }).count(), 0);
    assert.ok(await m.getByRole('region', { name: 'Step create_task' }).getByLabel('Title').isDisabled());
    await memberContext.close();
  });

  it('"Run now" on a record starts a MANUAL workflow on it and opens its run', async () => {
    const wf = await stack.api('POST', '/rest/workflows', {
      name: 'Ask for a review',
      definition: {
        trigger: { type: 'MANUAL', object: 'companies' },
        steps: [{ id: 'review', type: 'CREATE_TASK', title: 'Review {{trigger.record.name}}' }],
      },
    });
    await stack.api('POST', `/rest/workflow-versions/${wf.draftVersionId}/activate`);
    const company = await stack.api('POST', '/rest/companies', { name: 'Manual Run Optics' });
    await page.goto(`${stack.url}/companies/${company.id}`);
    const card = page.locator('.card', { has: page.getByRole('heading', { name: 'Workflows' }) });
    await card.getByLabel('Workflow to run').selectOption({ label: 'Ask for a review' });
    await card.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/workflow-runs\//);
    await page.locator('.record-title .badge', { hasText: /^COMPLETED$/ }).waitFor({ timeout: 20000 });
    const tasks = await stack.api('GET', '/rest/tasks?filter=title[eq]:%22Review%20Manual%20Run%20Optics%22');
    assert.equal(tasks.length, 1);
    await shot(page, '25-workflow-run-on-record');
  });

  it('WF-001 is an ACTION workflow: finalizing a quote on its page leaves a completed run of it', async () => {
    const company = await stack.api('POST', '/rest/companies', { name: 'Action Trigger Optics' });
    const quote = await stack.api('POST', '/rest/quotes', {
      companyId: company.id, currency: 'USD', lineItems: [{ description: 'Alignment', quantity: 1, unitAmount: 45000 }],
    });
    await page.goto(`${stack.url}/quotes/${quote.id}`);
    await page.getByRole('button', { name: 'Finalize quote' }).click();
    await page.locator('.record-title .badge', { hasText: /^Open$/ }).waitFor({ timeout: 20000 });
    await page.getByRole('link', { name: 'Workflows', exact: true }).click();
    await page.getByRole('link', { name: 'Finalize quotes through Stripe', exact: true }).click();
    await page.getByRole('heading', { name: 'Finalize quotes through Stripe' }).waitFor();
    assert.equal(await page.getByLabel('Trigger type').inputValue(), 'ACTION');
    assert.equal(await page.locator('#wf-trigger-object').inputValue(), 'quotes');
    assert.equal(await page.locator('#wf-trigger-action').inputValue(), 'finalize');
    await page.getByRole('tab', { name: 'Runs' }).click();
    const runs = page.getByRole('table', { name: 'Runs' });
    await runs.locator('tbody tr', { has: page.locator('.badge', { hasText: /^COMPLETED$/ }) }).first().waitFor({ timeout: 20000 });
    await runs.locator('tbody tr').first().getByRole('link').click();
    const step = page.locator('.wf-run-step', { hasText: 'stripe' });
    await step.locator('.badge', { hasText: /^COMPLETED$/ }).waitFor();
    assert.match(await step.getByLabel('Output of', { exact: false }).textContent(), new RegExp(quote.id));
    await shot(page, '26-wf001-run');
  });

  it('downloads an invoice PDF from the record page, with the invoice in it', async () => {
    const company = await stack.api('POST', '/rest/companies', { name: 'Download Dental' });
    const invoice = await stack.api('POST', '/rest/invoices', {
      companyId: company.id, currency: 'EUR', lineItems: [{ description: 'Handpiece repair', quantity: 2, unitAmount: 12345 }],
    });
    await page.goto(`${stack.url}/invoices/${invoice.id}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PDF' }).click()]);
    const file = await download.path();
    const text = execFileSync('pdftotext', ['-layout', file, '-']).toString();
    assert.match(text, /Download Dental/);
    assert.match(text, /Handpiece repair/);
    assert.match(text, /246[.,]90/);
    assert.match(execFileSync('pdfinfo', [file]).toString(), /Pages:\s+1\n/);
  });

  it('a recorded payment has a receipt to download from its page', async () => {
    const company = await stack.api('POST', '/rest/companies', { name: 'Receipt Radiology' });
    const invoice = await stack.api('POST', '/rest/invoices', {
      companyId: company.id, currency: 'USD', lineItems: [{ description: 'Probe calibration', quantity: 1, unitAmount: 40000 }],
    });
    await stack.api('POST', `/rest/invoices/${invoice.id}/finalize`);
    const payment = await stack.api('POST', '/rest/payments', { invoiceId: invoice.id, amount: 15000, method: 'manual' });
    await page.goto(`${stack.url}/payments/${payment.id}`);
    await page.getByRole('button', { name: 'Send receipt' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download receipt' }).click()]);
    const text = execFileSync('pdftotext', ['-layout', await download.path(), '-']).toString();
    assert.match(text, /Receipt/);
    assert.match(text, /Receipt Radiology/);
    assert.match(text, /This payment\s+\$150\.00/);
    assert.match(text, /Amount due\s+\$250\.00/);
  });

  it('switches workspace when the user belongs to several', async () => {
    await stack.cli('workspace', 'create', '--name', 'Phos Labs', '--subdomain', 'phos-labs', '--admin-email', ADMIN.email);
    await page.goto(stack.url + '/');
    await page.locator('.ws-button').click();
    await page.getByRole('menuitem', { name: /Phos Labs/ }).click();
    await page.locator('.ws-name', { hasText: 'Phos Labs' }).waitFor();
    await page.getByRole('link', { name: 'Quotes', exact: true }).click();
    await page.getByText('No quotes match.').waitFor();
    await page.locator('.ws-button').click();
    await page.getByRole('menuitem', { name: /Phos Industries/ }).click();
    await page.locator('.ws-name', { hasText: 'Phos Industries' }).waitFor();
  });

  it('a MEMBER does not see Settings, cannot open them, and the server refuses them', async () => {
    const memberContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: stack.url });
    const m = await memberContext.newPage();
    await signIn(m, MEMBER);
    assert.equal(await m.getByTestId('role').textContent(), 'MEMBER');
    assert.equal(await m.getByRole('link', { name: 'Settings' }).count(), 0);
    await m.goto(stack.url + '/settings/stripe');
    await m.getByRole('alert').filter({ hasText: 'Settings are for workspace admins' }).waitFor();
    await shot(m, '18-member-settings-refused');
    // The page's own session asks the server directly: refused.
    const statuses = await m.evaluate(async () =>
      Promise.all(
        ['/rest/settings/stripe', '/rest/stripe/events', '/rest/api-keys', '/rest/approved-domains'].map((u) => fetch(u).then((r) => r.status)),
      ),
    );
    assert.deepEqual(statuses, [403, 403, 403, 403]);
    const put = await m.evaluate(async () =>
      (await fetch('/rest/settings/stripe', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"mode":"live"}' })).status,
    );
    assert.equal(put, 403);
    await memberContext.close();
  });
  it('a forged cross-site request is refused, and a password change signs out the other sessions', async () => {
    const newMember = async () => {
      const c = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: stack.url });
      const p = await c.newPage();
      p.setDefaultTimeout(15000);
      await signIn(p, MEMBER);
      return { c, p };
    };
    const laptop = await newMember();
    const phone = await newMember();
    // The page's own requests carry X-CSRF-Token; one without it (what a forged form or a
    // script on another site would send along with the cookie) changes nothing.
    const forged = await laptop.p.evaluate(async () => {
      const r = await fetch('/rest/companies', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"Forged Ltd"}' });
      return { status: r.status, body: await r.json() };
    });
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error.field, 'X-CSRF-Token');
    const found = await stack.api('GET', '/rest/companies?filter=name[eq]:%22Forged%20Ltd%22');
    assert.equal(found.length, 0);

    await laptop.p.getByRole('link', { name: /Your account/ }).click();
    await laptop.p.getByRole('heading', { name: 'Your account' }).waitFor();
    await laptop.p.getByLabel('Current password').fill('not my password');
    await laptop.p.getByLabel('New password (at least 8 characters)').fill('a new long password');
    await laptop.p.getByLabel('New password again').fill('a new long password');
    await laptop.p.getByRole('button', { name: 'Change password' }).click();
    await laptop.p.getByRole('alert').filter({ hasText: 'The current password is wrong.' }).waitFor();
    await laptop.p.getByLabel('Current password').fill(MEMBER.password);
    await laptop.p.getByRole('button', { name: 'Change password' }).click();
    await laptop.p.getByText('Password changed; your other sessions were signed out').waitFor();
    await shot(laptop.p, '19-password-changed');
    // The phone's session ended: its next request shows the sign-in screen.
    await phone.p.getByRole('link', { name: 'Companies', exact: true }).click();
    await phone.p.getByRole('heading', { name: 'Sign in' }).waitFor();
    // The laptop stays signed in; the old password no longer works, the new one does.
    await laptop.p.getByRole('link', { name: 'Companies', exact: true }).click();
    await laptop.p.getByRole('heading', { name: 'Companies' }).waitFor();
    await signIn(phone.p, { email: MEMBER.email, password: 'a new long password' });
    await laptop.c.close();
    await phone.c.close();
  });
});
