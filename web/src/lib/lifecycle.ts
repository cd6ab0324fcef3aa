// The document lifecycles, mirrored from src/billing/lifecycle.cpp so that each screen
// shows only the buttons whose move the server would allow. The server stays the judge:
// a refused move answers 409 with details.allowedMoves, which explainRefusal() turns into
// a sentence.

export const QUOTE_STATUSES = ['Draft', 'Open', 'Accepted', 'Expired', 'Canceled'] as const;
export const ORDER_STATUSES = ['Pending Fulfillment', 'In Progress', 'Fulfilled', 'Invoiced', 'Cancelled'] as const;
export const INVOICE_STATUSES = [
  'Draft', 'Open', 'Paid', 'Partially Paid', 'Payment Failed', 'Void', 'Uncollectible', 'Refunded', 'Partially Refunded',
] as const;
export const PROJECT_STATUSES = ['Planned', 'Active', 'On Hold', 'Completed', 'Cancelled'] as const;
export const TASK_STATUSES = ['TODO', 'IN_PROGRESS', 'DONE'] as const;

export const MOVES: Record<'quotes' | 'orders' | 'invoices', Record<string, string[]>> = {
  quotes: {
    Draft: ['Open', 'Canceled'],
    Open: ['Accepted', 'Expired', 'Canceled'],
    Accepted: [],
    Expired: [],
    Canceled: [],
  },
  orders: {
    'Pending Fulfillment': ['In Progress', 'Fulfilled', 'Cancelled'],
    'In Progress': ['Fulfilled', 'Cancelled'],
    Fulfilled: ['Invoiced'],
    Invoiced: [],
    Cancelled: [],
  },
  invoices: {
    Draft: ['Open'],
    Open: ['Paid', 'Partially Paid', 'Payment Failed', 'Void', 'Uncollectible'],
    'Partially Paid': ['Paid', 'Partially Paid', 'Payment Failed', 'Uncollectible'],
    'Payment Failed': ['Open', 'Paid', 'Partially Paid', 'Payment Failed', 'Void', 'Uncollectible'],
    Uncollectible: ['Paid', 'Partially Paid', 'Void'],
    Paid: ['Refunded', 'Partially Refunded'],
    'Partially Refunded': ['Refunded', 'Partially Refunded'],
    Void: [],
    Refunded: [],
  },
};

export type DocObject = keyof typeof MOVES;

export function allowedMoves(object: DocObject, from: string): string[] {
  return MOVES[object][from] ?? [];
}

export function canMove(object: DocObject, from: string, to: string): boolean {
  return allowedMoves(object, from).includes(to);
}

/** Fields that stay editable after a document is finalized. */
export const ALWAYS_EDITABLE = ['notes', 'memo', 'fulfillmentNotes', 'shippingInfo'];

export function isEditable(object: string, status: string | undefined): boolean {
  if (object === 'quotes' || object === 'invoices') return status === 'Draft';
  if (object === 'orders') return status !== 'Invoiced' && status !== 'Cancelled';
  return true;
}

export function fieldEditable(object: string, status: string | undefined, field: string): boolean {
  return isEditable(object, status) || ALWAYS_EDITABLE.includes(field);
}

export type Tone = 'primary' | 'default' | 'danger';

export interface ActionSpec {
  /** The path segment: POST /rest/{object}/{id}/{action}; 'payment' and 'delete' are handled by the page. */
  action: string;
  label: string;
  tone: Tone;
  /** Asks before doing it. */
  confirm?: string;
  /** Talks to Stripe: a failure shows Stripe's reason and a retry. */
  stripe?: boolean;
}

export interface DocRecord {
  status?: string;
  orderId?: string | null;
  invoiceId?: string | null;
  stripeInvoiceId?: string | null;
  stripeQuoteUrl?: string | null;
  amountDue?: number | null;
  [k: string]: unknown;
}

/** The lifecycle buttons of a record, in the order they are shown (primary first). */
export function actionsFor(object: string, r: DocRecord, opts: { stripe: boolean } = { stripe: false }): ActionSpec[] {
  const s = r.status ?? '';
  const out: ActionSpec[] = [];
  if (object === 'quotes') {
    if (canMove('quotes', s, 'Open'))
      out.push({ action: 'finalize', label: 'Finalize quote', tone: 'primary', stripe: opts.stripe });
    if (s === 'Open' && !opts.stripe) out.push({ action: 'accept', label: 'Mark accepted', tone: 'primary' });
    if (s === 'Open' && opts.stripe)
      out.push({ action: 'accept', label: 'Mark accepted', tone: 'default', confirm: 'Mark this quote accepted without the customer accepting it on the quote page?' });
    if (canMove('quotes', s, 'Canceled'))
      out.push({ action: 'cancel', label: 'Cancel quote', tone: 'danger', confirm: 'Cancel this quote? It cannot be reopened.' });
  } else if (object === 'orders') {
    if (canMove('orders', s, 'In Progress')) out.push({ action: 'start', label: 'Start order', tone: 'default' });
    if (canMove('orders', s, 'Fulfilled')) out.push({ action: 'fulfill', label: 'Fulfill order', tone: 'primary' });
    // A fulfilled order's draft invoice is usually made at once by the built-in workflow
    // WF-004; `invoice` answers the existing one, so the same action opens it.
    if (s === 'Fulfilled')
      out.push({ action: 'invoice', label: r.invoiceId ? 'Open invoice' : 'Convert to invoice', tone: 'primary' });
    if (canMove('orders', s, 'Cancelled') && !r.invoiceId)
      out.push({ action: 'cancel', label: 'Cancel order', tone: 'danger', confirm: 'Cancel this order?' });
  } else if (object === 'invoices') {
    if (s === 'Draft')
      out.push({
        action: 'finalize',
        label: opts.stripe ? 'Finalize & send invoice' : 'Finalize invoice',
        tone: 'primary',
        stripe: opts.stripe,
      });
    const collectible = ['Open', 'Partially Paid', 'Payment Failed'].includes(s);
    if (collectible && (r.stripeInvoiceId || opts.stripe))
      out.push({ action: 'payment-link', label: 'Get payment link', tone: collectible && s !== 'Draft' ? 'primary' : 'default', stripe: true });
    if (collectible || s === 'Uncollectible')
      out.push({ action: 'payment', label: 'Record manual payment', tone: 'default' });
    if (canMove('invoices', s, 'Void'))
      out.push({ action: 'void', label: 'Void', tone: 'danger', stripe: opts.stripe && !!r.stripeInvoiceId, confirm: 'Void this invoice? Nothing more can be collected on it.' });
    if (canMove('invoices', s, 'Uncollectible') && s !== 'Uncollectible')
      out.push({ action: 'mark-uncollectible', label: 'Mark uncollectible', tone: 'default', stripe: opts.stripe && !!r.stripeInvoiceId, confirm: 'Write this invoice off as uncollectible?' });
  }
  return out;
}

/** The action that moves an order card from one Kanban column to another, or why none does. */
export function boardMove(
  object: 'orders' | 'projects',
  from: string,
  to: string,
  r: DocRecord = {},
): { action?: string; patch?: Record<string, unknown>; refused?: string } {
  if (from === to) return {};
  if (object === 'projects') return { patch: { status: to } };
  if (to === 'Invoiced') {
    if (from !== 'Fulfilled')
      return { refused: `An order is invoiced once it is Fulfilled; this one is ${from}. ${allowedSentence('orders', from)}` };
    return {
      refused: r.invoiceId
        ? 'This order becomes Invoiced when its invoice is finalized: open the invoice and finalize it.'
        : 'Open the order and use "Convert to invoice"; it becomes Invoiced when that invoice is finalized.',
    };
  }
  if (!canMove('orders', from, to)) return { refused: `An order cannot move from ${from} to ${to}. ${allowedSentence('orders', from)}` };
  if (to === 'Cancelled' && r.invoiceId) return { refused: 'The order has an invoice; void or delete the invoice first.' };
  const action = to === 'In Progress' ? 'start' : to === 'Fulfilled' ? 'fulfill' : to === 'Cancelled' ? 'cancel' : undefined;
  return action ? { action } : { refused: `No action moves an order to ${to}.` };
}

export function allowedSentence(object: DocObject, from: string): string {
  const moves = allowedMoves(object, from);
  return moves.length ? `From ${from} it can move to ${joinOr(moves)}.` : `${from} is final: it does not move any more.`;
}

function joinOr(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return items.slice(0, -1).join(', ') + ' or ' + items[items.length - 1];
}

/** A 409 from the server → a sentence: its message plus where the record can go. */
export function explainRefusal(err: { message: string; details?: unknown }): string {
  const d = (err.details ?? {}) as { allowedMoves?: unknown; from?: unknown };
  const moves = Array.isArray(d.allowedMoves) ? (d.allowedMoves as string[]) : null;
  let msg = err.message.charAt(0).toUpperCase() + err.message.slice(1);
  if (!/[.!?]$/.test(msg)) msg += '.';
  if (moves) {
    msg += moves.length ? ` Allowed from here: ${joinOr(moves)}.` : ' It cannot move any more.';
  }
  return msg;
}

/** Invoice statuses in which money is still expected. */
export const COLLECTING = ['Open', 'Partially Paid', 'Payment Failed'];

/**
 * How often a record page re-reads its record while Stripe is expected to change it (ms),
 * or false: an open quote waiting for the customer to accept it on Stripe's page, an
 * invoice waiting for a payment.
 */
export function pollInterval(object: string, r: DocRecord | undefined): number | false {
  if (!r) return false;
  if (object === 'quotes' && r.status === 'Open' && r.stripeQuoteId && !r.orderId) return 2000;
  if (object === 'invoices' && COLLECTING.includes(r.status ?? '') && r.stripeInvoiceId) return 2000;
  return false;
}
