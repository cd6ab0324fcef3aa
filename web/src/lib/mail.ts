// The shapes of Settle's mail API (src/mail/mail.cpp) and what the Mail settings, the
// outbox and "Send by email" need from them: default ports, the PUT body of the mail
// server form, a test result as a sentence, outbox filters and labels.

export type Security = 'starttls' | 'tls' | 'none';

export interface MailSettings {
  /** workspace: its own server; server: the server-wide one from the environment; none: mail waits. */
  source: 'workspace' | 'server' | 'none';
  host?: string;
  port?: number;
  security?: Security;
  username?: string;
  passwordSet?: boolean;
  fromAddress?: string;
  fromName?: string;
  replyTo?: string;
  updatedAt?: string;
}

export interface MailTestResult {
  delivered: boolean;
  to: string;
  server: string;
  code: number;
  reason: string;
}

export interface MailTemplateParts {
  subject: string;
  html: string;
  text: string;
}

export interface MailTemplate extends MailTemplateParts {
  kind: string;
  title: string;
  description: string;
  customized: boolean;
  updatedAt?: string | null;
  default: MailTemplateParts;
  sample: Record<string, unknown>;
}

export interface RenderedMail extends MailTemplateParts {
  kind: string;
}

export type OutboxStatus = 'draft' | 'queued' | 'sent' | 'failed' | 'cancelled';

export interface OutboxMail {
  id: string;
  kind: string;
  to: string;
  subject: string;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  nextAttemptAt: string | null;
  messageId: string | null;
  source: string | null;
  about?: { object: string; id: string };
  attachment?: { object: string; id: string };
}

export interface QueuedMail {
  id: string;
  kind: string;
  to: string;
  subject: string;
  status: 'queued';
}

export const SECURITY_OPTIONS: { value: Security; label: string }[] = [
  { value: 'starttls', label: 'STARTTLS' },
  { value: 'tls', label: 'TLS from the start' },
  { value: 'none', label: 'None (plain text)' },
];

/** The port the server assumes when none is given: 465 for TLS, 587 otherwise. */
export function defaultPort(security: Security): number {
  return security === 'tls' ? 465 : 587;
}

/** The port to show after the security changes: a default follows along, a chosen port stays. */
export function portAfterSecurityChange(port: string, from: Security, to: Security): string {
  const t = port.trim();
  if (t === '' || t === String(defaultPort(from))) return String(defaultPort(to));
  return port;
}

/** What the mail server form holds. `password` is null while the field is untouched. */
export interface MailForm {
  host: string;
  port: string;
  security: Security;
  username: string;
  password: string | null;
  /** Forget the stored password (sends ""). */
  clearPassword: boolean;
  fromAddress: string;
  fromName: string;
  replyTo: string;
}

/** The form for the workspace's own server; empty (with defaults) when it has none. */
export function mailFormFrom(s: MailSettings | null | undefined): MailForm {
  const own = s?.source === 'workspace';
  const security: Security = own && s?.security ? s.security : 'starttls';
  return {
    host: own ? s?.host ?? '' : '',
    port: own && s?.port ? String(s.port) : String(defaultPort(security)),
    security,
    username: own ? s?.username ?? '' : '',
    password: null,
    clearPassword: false,
    fromAddress: own ? s?.fromAddress ?? '' : '',
    fromName: own ? s?.fromName ?? '' : '',
    replyTo: own ? s?.replyTo ?? '' : '',
  };
}

/**
 * The body of PUT /rest/settings/mail. The password is write-only: left out (the stored one
 * is kept) unless a new one was typed, or "" when the stored one is to be forgotten. A port
 * that is not a number goes as typed, for the server to refuse on its field.
 */
export function mailSettingsBody(f: MailForm): Record<string, unknown> {
  const port = f.port.trim();
  const body: Record<string, unknown> = {
    host: f.host.trim(),
    security: f.security,
    username: f.username.trim(),
    fromAddress: f.fromAddress.trim(),
    fromName: f.fromName.trim(),
    replyTo: f.replyTo.trim(),
  };
  if (port !== '') body.port = /^\d+$/.test(port) ? Number(port) : port;
  if (f.clearPassword) body.password = '';
  else if (f.password) body.password = f.password;
  return body;
}

/** "smtp.example.com:587 (starttls)", as the server describes a mail server. */
export function describeServer(s: MailSettings): string {
  if (s.source === 'none' || !s.host) return 'no mail server';
  return `${s.host}:${s.port ?? defaultPort(s.security ?? 'starttls')} (${s.security ?? 'starttls'})`;
}

/** A test message's outcome as one sentence, and whether it is good news. */
export function describeTestResult(r: MailTestResult): { ok: boolean; text: string } {
  const reason = r.reason?.trim() ?? '';
  if (r.delivered) return { ok: true, text: `Delivered to ${r.to} via ${r.server}${reason ? ` (${reason})` : ''}` };
  const code = r.code > 0 && !reason.startsWith(String(r.code)) ? `${r.code} ` : '';
  return { ok: false, text: `Not delivered to ${r.to} via ${r.server}: ${code}${reason || 'no reason given'}` };
}

export const OUTBOX_STATUSES: { value: OutboxStatus | ''; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'queued', label: 'Queued' },
  { value: 'sent', label: 'Sent' },
  { value: 'failed', label: 'Failed' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'draft', label: 'Draft' },
];

/** GET path of the outbox, newest first, optionally of one status. */
export function outboxPath(status: OutboxStatus | '', limit = 50): string {
  const q = new URLSearchParams();
  if (status) q.set('status', status);
  q.set('limit', String(limit));
  return `/rest/outbox?${q}`;
}

export function canRetry(m: Pick<OutboxMail, 'status'>): boolean {
  return m.status === 'failed';
}

/** What the outbox says of a mail besides its status: its last error, or when it is tried again. */
export function outboxNote(m: Pick<OutboxMail, 'status' | 'lastError' | 'nextAttemptAt'>): { error: boolean; text: string; retryAt: string | null } {
  switch (m.status) {
    case 'failed':
      return { error: true, text: m.lastError ?? 'failed', retryAt: null };
    case 'queued':
      return { error: false, text: m.lastError ?? '', retryAt: m.nextAttemptAt };
    default:
      return { error: false, text: m.status === 'sent' ? '' : m.lastError ?? '', retryAt: null };
  }
}

/** Whether a record has a PDF of Settle's: quotes and invoices, and a succeeded payment's receipt. */
export function hasDocumentPdf(object: string, status: string | null | undefined, kind?: string | null): boolean {
  if (object === 'payments') return status === 'succeeded' && kind !== 'refund';
  return object === 'invoices' || object === 'quotes';
}

/**
 * Whether "Send by email" is offered: the server refuses drafts, void or uncollectible
 * invoices, and payments that did not go through (or refunds: only a payment has a receipt).
 */
export function canSendByEmail(object: string, status: string | null | undefined, kind?: string | null): boolean {
  if (object === 'payments') return hasDocumentPdf(object, status, kind);
  if (object !== 'invoices' && object !== 'quotes') return false;
  if (!status || status === 'Draft') return false;
  return !(object === 'invoices' && (status === 'Void' || status === 'Uncollectible'));
}

/** "Invoice INV-2026-042 queued for chen@lvnlaser.com". */
export function queuedMessage(object: string, number: string | null | undefined, to: string): string {
  const what = object === 'quotes' ? 'Quote' : object === 'payments' ? 'Receipt' : 'Invoice';
  return `${what}${number ? ` ${number}` : ''} queued for ${to}`;
}

export function sameParts(a: MailTemplateParts, b: MailTemplateParts): boolean {
  return a.subject === b.subject && a.html === b.html && a.text === b.text;
}

/** The variables of a sample model, as a template names them: "invoice.number", "payUrl". */
export function templateVariables(model: unknown, prefix = ''): string[] {
  if (model === null || typeof model !== 'object' || Array.isArray(model)) return prefix ? [prefix] : [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(model as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(...templateVariables(v, path));
    else out.push(path);
  }
  return out.sort();
}

const FIELD_LABELS: Record<string, string> = {
  host: 'Host', port: 'Port', security: 'Security', username: 'Username', password: 'Password', fromAddress: 'From address',
  fromName: 'From name', replyTo: 'Reply-to', to: 'To', subject: 'Subject', html: 'HTML part', text: 'Text part',
  validationEmail: 'Validation address', name: 'Name', address: 'Address', locale: 'Amounts written as',
  defaultCurrency: 'Default currency', logo: 'Logo',
};

/** The title of an error box naming the field the server refused ("From address:"), if any. */
export function errorTitle(error: { field?: string | null } | null | undefined): string | undefined {
  if (!error?.field) return undefined;
  return `${FIELD_LABELS[error.field] ?? error.field}:`;
}
