import { describe, expect, it } from 'vitest';
import {
  canRetry, canSendByEmail, defaultPort, hasDocumentPdf, describeServer, describeTestResult, errorTitle, mailFormFrom, mailSettingsBody, outboxNote,
  outboxPath, portAfterSecurityChange, queuedMessage, sameParts, templateVariables, type MailForm, type MailSettings,
} from './mail';

const form = (over: Partial<MailForm> = {}): MailForm => ({
  host: 'smtp.example.com', port: '587', security: 'starttls', username: 'billing', password: null, clearPassword: false,
  fromAddress: 'billing@phos-ind.com', fromName: 'Phos Billing', replyTo: '', ...over,
});

describe('ports', () => {
  it.each([
    ['starttls', 587],
    ['tls', 465],
    ['none', 587],
  ] as const)('%s defaults to %i', (security, port) => expect(defaultPort(security)).toBe(port));

  it.each([
    ['587', 'starttls', 'tls', '465'],
    ['465', 'tls', 'starttls', '587'],
    ['', 'starttls', 'tls', '465'],
    [' 587 ', 'starttls', 'none', '587'],
    ['2525', 'starttls', 'tls', '2525'],
    ['2525', 'tls', 'none', '2525'],
    ['587', 'tls', 'starttls', '587'],
  ] as const)('port %j from %s to %s is %j', (port, from, to, want) => expect(portAfterSecurityChange(port, from, to)).toBe(want));
});

describe('mailFormFrom', () => {
  it.each<[string, MailSettings | null, Partial<MailForm>]>([
    ['no settings yet', null, { host: '', port: '587', security: 'starttls', fromAddress: '' }],
    ['no mail server', { source: 'none' }, { host: '', port: '587', security: 'starttls' }],
    // The server-wide server is shown, not copied into the workspace's own form.
    [
      'the server-wide one',
      { source: 'server', host: 'mail.internal', port: 25, security: 'none', fromAddress: 'noreply@settle.example', passwordSet: true },
      { host: '', port: '587', security: 'starttls', fromAddress: '' },
    ],
    [
      'its own',
      { source: 'workspace', host: '127.0.0.1', port: 2525, security: 'none', username: 'u', passwordSet: true, fromAddress: 'billing@phos-ind.com', fromName: 'Phos', replyTo: 'help@phos-ind.com' },
      { host: '127.0.0.1', port: '2525', security: 'none', username: 'u', fromAddress: 'billing@phos-ind.com', fromName: 'Phos', replyTo: 'help@phos-ind.com' },
    ],
    ['its own TLS without a port', { source: 'workspace', host: 'smtp.x.com', security: 'tls', fromAddress: 'a@x.com' }, { port: '465', security: 'tls' }],
  ])('%s', (_name, settings, want) => {
    const f = mailFormFrom(settings);
    expect(f).toMatchObject(want);
    // The password is write-only: never in the form.
    expect(f.password).toBeNull();
    expect(f.clearPassword).toBe(false);
  });
});

describe('mailSettingsBody', () => {
  const base = {
    host: 'smtp.example.com', port: 587, security: 'starttls', username: 'billing', fromAddress: 'billing@phos-ind.com',
    fromName: 'Phos Billing', replyTo: '',
  };
  // undefined in the expected body: the key must be absent.
  it.each<[string, Partial<MailForm>, Record<string, unknown>]>([
    ['an untouched password is left out', {}, {}],
    ['a typed password is sent', { password: 's3cret' }, { password: 's3cret' }],
    ['a password typed then erased is left out', { password: '' }, {}],
    ['forgetting the stored password sends ""', { clearPassword: true, password: 'ignored' }, { password: '' }],
    ['a blank port is left to the server', { port: '  ' }, { port: undefined }],
    ['a port is a number', { port: '2525' }, { port: 2525 }],
    ['a port that is not a number goes as typed', { port: '25x' }, { port: '25x' }],
    ['text is trimmed', { host: ' 127.0.0.1 ', fromAddress: ' billing@phos-ind.com ' }, { host: '127.0.0.1' }],
  ])('%s', (_name, over, want) => {
    const expected: Record<string, unknown> = { ...base, ...want };
    for (const k of Object.keys(expected)) if (expected[k] === undefined) delete expected[k];
    expect(mailSettingsBody(form(over))).toStrictEqual(expected);
  });
});

describe('describing the mail server and a test', () => {
  it.each<[MailSettings, string]>([
    [{ source: 'workspace', host: '127.0.0.1', port: 2525, security: 'none' }, '127.0.0.1:2525 (none)'],
    [{ source: 'server', host: 'smtp.example.com', security: 'tls' }, 'smtp.example.com:465 (tls)'],
    [{ source: 'none' }, 'no mail server'],
  ])('%j is %j', (s, want) => expect(describeServer(s)).toBe(want));

  it.each([
    [
      { delivered: true, to: 'ada@phos-ind.com', server: '127.0.0.1:2525 (none)', code: 250, reason: '250 OK queued' },
      { ok: true, text: 'Delivered to ada@phos-ind.com via 127.0.0.1:2525 (none) (250 OK queued)' },
    ],
    [
      { delivered: true, to: 'ada@phos-ind.com', server: 'smtp.x:587 (starttls)', code: 250, reason: '' },
      { ok: true, text: 'Delivered to ada@phos-ind.com via smtp.x:587 (starttls)' },
    ],
    [
      { delivered: false, to: 'ada@phos-ind.com', server: 'smtp.x:587 (starttls)', code: 535, reason: 'authentication failed' },
      { ok: false, text: 'Not delivered to ada@phos-ind.com via smtp.x:587 (starttls): 535 authentication failed' },
    ],
    [
      { delivered: false, to: 'ada@phos-ind.com', server: 'smtp.x:587 (starttls)', code: 550, reason: '550 mailbox unavailable' },
      { ok: false, text: 'Not delivered to ada@phos-ind.com via smtp.x:587 (starttls): 550 mailbox unavailable' },
    ],
    [
      { delivered: false, to: 'ada@phos-ind.com', server: '10.0.0.1:25 (none)', code: 0, reason: 'connection refused' },
      { ok: false, text: 'Not delivered to ada@phos-ind.com via 10.0.0.1:25 (none): connection refused' },
    ],
  ])('%j', (result, want) => expect(describeTestResult(result)).toEqual(want));
});

describe('outbox', () => {
  it.each([
    ['', 50, '/rest/outbox?limit=50'],
    ['failed', 50, '/rest/outbox?status=failed&limit=50'],
    ['sent', 10, '/rest/outbox?status=sent&limit=10'],
  ] as const)('status %j limit %i → %s', (status, limit, want) => expect(outboxPath(status, limit)).toBe(want));

  it.each([
    ['failed', true],
    ['queued', false],
    ['sent', false],
    ['cancelled', false],
    ['draft', false],
  ] as const)('%s can be retried: %s', (status, want) => expect(canRetry({ status })).toBe(want));

  it.each([
    [{ status: 'failed', lastError: '550 no such user', nextAttemptAt: null }, { error: true, text: '550 no such user', retryAt: null }],
    [{ status: 'failed', lastError: null, nextAttemptAt: null }, { error: true, text: 'failed', retryAt: null }],
    [
      { status: 'queued', lastError: 'connection refused', nextAttemptAt: '2026-03-01T10:05:00Z' },
      { error: false, text: 'connection refused', retryAt: '2026-03-01T10:05:00Z' },
    ],
    [{ status: 'queued', lastError: null, nextAttemptAt: null }, { error: false, text: '', retryAt: null }],
    [{ status: 'sent', lastError: 'connection refused', nextAttemptAt: null }, { error: false, text: '', retryAt: null }],
    [{ status: 'cancelled', lastError: 'the invoice was voided', nextAttemptAt: null }, { error: false, text: 'the invoice was voided', retryAt: null }],
  ] as const)('%j', (m, want) => expect(outboxNote(m)).toEqual(want));
});

describe('sending documents', () => {
  it.each([
    ['invoices', 'Draft', false],
    ['invoices', 'Open', true],
    ['invoices', 'Paid', true],
    ['invoices', 'Payment Failed', true],
    ['invoices', 'Void', false],
    ['invoices', 'Uncollectible', false],
    ['quotes', 'Draft', false],
    ['quotes', 'Open', true],
    ['quotes', 'Accepted', true],
    ['orders', 'Fulfilled', false],
    ['invoices', undefined, false],
  ] as const)('%s %s: %s', (object, status, want) => expect(canSendByEmail(object, status)).toBe(want));

  it.each([
    ['payments', 'succeeded', 'payment', true],
    ['payments', 'succeeded', 'refund', false],
    ['payments', 'failed', 'payment', false],
    ['payments', 'pending', 'payment', false],
    ['invoices', 'Draft', undefined, true],
    ['orders', 'Fulfilled', undefined, false],
  ] as const)('%s %s %s has a PDF: %s', (object, status, kind, want) => {
    expect(hasDocumentPdf(object, status, kind)).toBe(want);
    if (object === 'payments') expect(canSendByEmail(object, status, kind)).toBe(want);
  });

  it.each([
    ['invoices', 'INV-2026-042', 'chen@lvnlaser.com', 'Invoice INV-2026-042 queued for chen@lvnlaser.com'],
    ['quotes', 'QUO-2026-017', 'chen@lvnlaser.com', 'Quote QUO-2026-017 queued for chen@lvnlaser.com'],
    ['invoices', '', 'a@b.co', 'Invoice queued for a@b.co'],
    ['payments', '', 'a@b.co', 'Receipt queued for a@b.co'],
  ])('%s %s to %s', (object, number, to, want) => expect(queuedMessage(object, number, to)).toBe(want));
});

describe('templates', () => {
  it('knows unsaved edits', () => {
    const t = { subject: 's', html: '<p>h</p>', text: 't' };
    expect(sameParts(t, { ...t })).toBe(true);
    expect(sameParts(t, { ...t, subject: 'S' })).toBe(false);
    expect(sameParts(t, { ...t, html: '' })).toBe(false);
    expect(sameParts(t, { ...t, text: 't\n' })).toBe(false);
  });

  it.each([
    [{}, []],
    [{ payUrl: 'https://x' }, ['payUrl']],
    [
      { workspace: { name: 'Phos' }, invoice: { number: 'INV-2026-042', total: '$1.00' }, payUrl: null, hasPassword: false },
      ['hasPassword', 'invoice.number', 'invoice.total', 'payUrl', 'workspace.name'],
    ],
    [{ reminder: { when: 'soon', offsetDays: -3 }, lines: [{ a: 1 }] }, ['lines', 'reminder.offsetDays', 'reminder.when']],
  ])('variables of %j', (model, want) => expect(templateVariables(model)).toEqual(want));
});

describe('errorTitle', () => {
  it.each([
    [{ field: 'fromAddress' }, 'From address:'],
    [{ field: 'to' }, 'To:'],
    [{ field: 'html' }, 'HTML part:'],
    [{ field: 'somethingNew' }, 'somethingNew:'],
    [{ field: null }, undefined],
    [{}, undefined],
    [null, undefined],
  ])('%j → %j', (error, want) => expect(errorTitle(error)).toBe(want));
});
