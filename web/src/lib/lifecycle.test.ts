import { describe, expect, it } from 'vitest';
import { actionsFor, allowedMoves, boardMove, canMove, explainRefusal, fieldEditable, pollInterval } from './lifecycle';

const labels = (object: string, r: Record<string, unknown>, stripe = true) => actionsFor(object, r, { stripe }).map((a) => a.action);

describe('moves (mirror of src/billing/lifecycle.cpp)', () => {
  it('follows the quote, order and invoice tables', () => {
    expect(allowedMoves('quotes', 'Draft')).toEqual(['Open', 'Canceled']);
    expect(canMove('orders', 'Pending Fulfillment', 'Fulfilled')).toBe(true);
    expect(canMove('orders', 'Fulfilled', 'In Progress')).toBe(false);
    expect(canMove('invoices', 'Partially Paid', 'Void')).toBe(false);
    expect(allowedMoves('invoices', 'Void')).toEqual([]);
    expect(allowedMoves('orders', 'Unknown')).toEqual([]);
  });
  it('keeps notes editable after finalizing', () => {
    expect(fieldEditable('quotes', 'Open', 'taxAmount')).toBe(false);
    expect(fieldEditable('quotes', 'Open', 'notes')).toBe(true);
    expect(fieldEditable('orders', 'In Progress', 'taxAmount')).toBe(true);
    expect(fieldEditable('orders', 'Invoiced', 'shippingInfo')).toBe(true);
    expect(fieldEditable('companies', undefined, 'name')).toBe(true);
  });
});

describe('lifecycle buttons', () => {
  it('shows only what the status allows', () => {
    expect(labels('quotes', { status: 'Draft' })).toEqual(['finalize', 'cancel']);
    expect(labels('quotes', { status: 'Accepted' })).toEqual([]);
    expect(labels('orders', { status: 'Pending Fulfillment' })).toEqual(['start', 'fulfill', 'cancel']);
    expect(labels('orders', { status: 'In Progress' })).toEqual(['fulfill', 'cancel']);
    expect(labels('orders', { status: 'Fulfilled' })).toEqual(['invoice']);
    expect(labels('orders', { status: 'Fulfilled', invoiceId: 'inv_1' })).toEqual(['invoice']);
    expect(actionsFor('orders', { status: 'Fulfilled', invoiceId: 'inv_1' }, { stripe: true }).map((a) => a.label)).toEqual(['Open invoice']);
    expect(labels('invoices', { status: 'Draft' })).toEqual(['finalize']);
    expect(labels('invoices', { status: 'Open', stripeInvoiceId: 'in_1' })).toEqual([
      'payment-link', 'payment', 'void', 'mark-uncollectible',
    ]);
    expect(labels('invoices', { status: 'Partially Paid', stripeInvoiceId: 'in_1' })).toEqual([
      'payment-link', 'payment', 'mark-uncollectible',
    ]);
    expect(labels('invoices', { status: 'Paid' })).toEqual([]);
  });
  it('offers no payment link without Stripe', () => {
    expect(labels('invoices', { status: 'Open' }, false)).toEqual(['payment', 'void', 'mark-uncollectible']);
    expect(actionsFor('invoices', { status: 'Draft' }, { stripe: false })[0].label).toBe('Finalize invoice');
    expect(actionsFor('invoices', { status: 'Draft' }, { stripe: true })[0]).toMatchObject({ label: 'Finalize & send invoice', stripe: true });
  });
});

describe('board moves', () => {
  it('maps columns to actions', () => {
    expect(boardMove('orders', 'Pending Fulfillment', 'In Progress')).toEqual({ action: 'start' });
    expect(boardMove('orders', 'In Progress', 'Fulfilled')).toEqual({ action: 'fulfill' });
    expect(boardMove('orders', 'In Progress', 'Cancelled')).toEqual({ action: 'cancel' });
    expect(boardMove('projects', 'Planned', 'Active')).toEqual({ patch: { status: 'Active' } });
    expect(boardMove('orders', 'Fulfilled', 'Fulfilled')).toEqual({});
  });
  it('explains refused moves', () => {
    expect(boardMove('orders', 'Fulfilled', 'In Progress').refused).toBe(
      'An order cannot move from Fulfilled to In Progress. From Fulfilled it can move to Invoiced.',
    );
    expect(boardMove('orders', 'Cancelled', 'Fulfilled').refused).toMatch(/Cancelled is final/);
    expect(boardMove('orders', 'Fulfilled', 'Invoiced').refused).toMatch(/Convert to invoice/);
    expect(boardMove('orders', 'In Progress', 'Cancelled', { invoiceId: 'inv_1' }).refused).toMatch(/void or delete the invoice/);
  });
  it('turns a 409 into a sentence', () => {
    expect(
      explainRefusal({ message: 'cannot move order from Fulfilled to In Progress', details: { allowedMoves: ['Invoiced'] } }),
    ).toBe('Cannot move order from Fulfilled to In Progress. Allowed from here: Invoiced.');
    expect(explainRefusal({ message: 'x', details: { allowedMoves: [] } })).toBe('X. It cannot move any more.');
  });
});

describe('polling while Stripe is expected to act', () => {
  it('polls an open Stripe quote until its order exists, and an unpaid Stripe invoice', () => {
    expect(pollInterval('quotes', { status: 'Open', stripeQuoteId: 'qt_1' })).toBe(2000);
    expect(pollInterval('quotes', { status: 'Accepted', stripeQuoteId: 'qt_1', orderId: 'ord_1' })).toBe(false);
    expect(pollInterval('quotes', { status: 'Open' })).toBe(false);
    expect(pollInterval('invoices', { status: 'Payment Failed', stripeInvoiceId: 'in_1' })).toBe(2000);
    expect(pollInterval('invoices', { status: 'Paid', stripeInvoiceId: 'in_1' })).toBe(false);
    expect(pollInterval('orders', { status: 'In Progress' })).toBe(false);
    expect(pollInterval('invoices', undefined)).toBe(false);
  });
});
