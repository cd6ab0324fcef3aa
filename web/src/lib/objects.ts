// What the screens know about each REST object: labels, the fields they show and edit, and
// which fields search looks in. It follows src/crm/objects.cpp (GET /rest/openapi.json has
// the same catalog); read-only fields are set by the server.
import { INVOICE_STATUSES, ORDER_STATUSES, PROJECT_STATUSES, QUOTE_STATUSES, TASK_STATUSES } from './lifecycle';

export type FieldKind = 'text' | 'longtext' | 'money' | 'date' | 'datetime' | 'ref' | 'enum' | 'bool' | 'currency' | 'email' | 'url';

export interface Field {
  name: string;
  label: string;
  kind: FieldKind;
  ref?: string; // referenced object for kind 'ref'
  options?: readonly string[];
  readOnly?: boolean; // set by the server
  createOnly?: boolean;
  required?: boolean;
  /** The field holding the currency of a money field (default 'currency'). */
  currencyField?: string;
}

export interface ObjectMeta {
  name: string;
  label: string;
  singular: string;
  /** How a record is named in links and titles. */
  title: (r: Record<string, unknown>) => string;
  fields: Field[];
  columns: string[];
  search: string[];
  defaultSort: { field: string; direction: 'AscNullsLast' | 'DescNullsLast' };
  hasLineItems?: boolean;
  board?: boolean;
  /** Fields the create form asks for (in order). */
  createFields: string[];
}

const f = (name: string, label: string, kind: FieldKind, extra: Partial<Field> = {}): Field => ({ name, label, kind, ...extra });
const ro = (field: Field): Field => ({ ...field, readOnly: true });

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export const OBJECTS: ObjectMeta[] = [
  {
    name: 'companies', label: 'Companies', singular: 'company',
    title: (r) => str(r.name) || 'Company',
    fields: [
      f('name', 'Name', 'text', { required: true }), f('domainName', 'Domain', 'text'), f('address', 'Address', 'longtext'),
      f('primaryContactId', 'Primary contact', 'ref', { ref: 'people' }),
      ro(f('stripeCustomerId', 'Stripe customer', 'text')), ro(f('createdAt', 'Created', 'datetime')),
    ],
    columns: ['name', 'domainName', 'address', 'createdAt'],
    search: ['name', 'domainName'],
    defaultSort: { field: 'name', direction: 'AscNullsLast' },
    createFields: ['name', 'domainName', 'address', 'primaryContactId'],
  },
  {
    name: 'people', label: 'People', singular: 'person',
    title: (r) => [str(r.firstName), str(r.lastName)].filter(Boolean).join(' ') || 'Person',
    fields: [
      f('firstName', 'First name', 'text', { required: true }), f('lastName', 'Last name', 'text'),
      f('email', 'Email', 'email'), f('phone', 'Phone', 'text'), f('companyId', 'Company', 'ref', { ref: 'companies' }),
      ro(f('createdAt', 'Created', 'datetime')),
    ],
    columns: ['firstName', 'lastName', 'email', 'phone', 'companyId'],
    search: ['firstName', 'lastName', 'email'],
    defaultSort: { field: 'lastName', direction: 'AscNullsLast' },
    createFields: ['firstName', 'lastName', 'email', 'phone', 'companyId'],
  },
  {
    name: 'products', label: 'Products', singular: 'product',
    title: (r) => str(r.name) || 'Product',
    fields: [
      f('name', 'Name', 'text', { required: true }), f('description', 'Description', 'longtext'),
      f('unitAmount', 'Unit price', 'money', { required: true }), f('currency', 'Currency', 'currency', { required: true }),
      f('active', 'Active', 'bool'), ro(f('stripeProductId', 'Stripe product', 'text')), ro(f('createdAt', 'Created', 'datetime')),
    ],
    columns: ['name', 'unitAmount', 'currency', 'active', 'createdAt'],
    search: ['name', 'description'],
    defaultSort: { field: 'name', direction: 'AscNullsLast' },
    createFields: ['name', 'description', 'unitAmount', 'currency'],
  },
  {
    name: 'quotes', label: 'Quotes', singular: 'quote', hasLineItems: true,
    title: (r) => str(r.quoteNumber) || 'Quote',
    fields: [
      ro(f('quoteNumber', 'Number', 'text')), ro(f('status', 'Status', 'enum', { options: QUOTE_STATUSES })),
      f('companyId', 'Company', 'ref', { ref: 'companies', required: true }), f('personId', 'Contact', 'ref', { ref: 'people' }),
      f('currency', 'Currency', 'currency'), ro(f('subtotal', 'Subtotal', 'money')), f('taxAmount', 'Tax', 'money'),
      ro(f('total', 'Total', 'money')), f('expiresAt', 'Expires', 'datetime'), ro(f('acceptedDate', 'Accepted', 'datetime')),
      ro(f('orderId', 'Order', 'ref', { ref: 'orders' })), f('notes', 'Notes', 'longtext'), f('terms', 'Terms', 'longtext'),
      ro(f('stripeQuoteId', 'Stripe quote', 'text')), ro(f('createdAt', 'Created', 'datetime')),
    ],
    columns: ['quoteNumber', 'status', 'companyId', 'total', 'expiresAt', 'createdAt'],
    search: ['quoteNumber', 'notes'],
    defaultSort: { field: 'createdAt', direction: 'DescNullsLast' },
    createFields: ['companyId', 'personId', 'currency', 'expiresAt', 'notes'],
  },
  {
    name: 'orders', label: 'Orders', singular: 'order', hasLineItems: true, board: true,
    title: (r) => str(r.orderNumber) || 'Order',
    fields: [
      ro(f('orderNumber', 'Number', 'text')), ro(f('status', 'Status', 'enum', { options: ORDER_STATUSES })),
      f('companyId', 'Company', 'ref', { ref: 'companies', required: true }), f('orderDate', 'Order date', 'datetime'),
      ro(f('fulfillmentDate', 'Fulfilled', 'datetime')), f('currency', 'Currency', 'currency'),
      ro(f('subtotal', 'Subtotal', 'money')), f('taxAmount', 'Tax', 'money'), ro(f('totalAmount', 'Total', 'money')),
      ro(f('quoteId', 'Quote', 'ref', { ref: 'quotes' })), ro(f('invoiceId', 'Invoice', 'ref', { ref: 'invoices' })),
      f('projectId', 'Project', 'ref', { ref: 'projects' }), f('fulfillmentNotes', 'Fulfilment notes', 'longtext'),
      f('shippingInfo', 'Shipping', 'longtext'), ro(f('createdAt', 'Created', 'datetime')),
    ],
    columns: ['orderNumber', 'status', 'companyId', 'totalAmount', 'orderDate', 'fulfillmentDate'],
    search: ['orderNumber', 'fulfillmentNotes'],
    defaultSort: { field: 'createdAt', direction: 'DescNullsLast' },
    createFields: ['companyId', 'currency', 'projectId', 'shippingInfo'],
  },
  {
    name: 'invoices', label: 'Invoices', singular: 'invoice', hasLineItems: true,
    title: (r) => str(r.invoiceNumber) || 'Draft invoice',
    fields: [
      ro(f('invoiceNumber', 'Number', 'text')), ro(f('status', 'Status', 'enum', { options: INVOICE_STATUSES })),
      f('companyId', 'Company', 'ref', { ref: 'companies', required: true }), ro(f('orderId', 'Order', 'ref', { ref: 'orders' })),
      f('projectId', 'Project', 'ref', { ref: 'projects' }), f('issueDate', 'Issued', 'date'), f('dueDate', 'Due', 'date'),
      f('currency', 'Currency', 'currency'), ro(f('subtotal', 'Subtotal', 'money')), f('taxAmount', 'Tax', 'money'),
      ro(f('total', 'Total', 'money')), ro(f('amountPaid', 'Paid', 'money')), ro(f('amountDue', 'Due amount', 'money')),
      f('notes', 'Notes', 'longtext'), f('terms', 'Terms', 'longtext'), ro(f('stripeInvoiceId', 'Stripe invoice', 'text')), ro(f('createdAt', 'Created', 'datetime')),
    ],
    columns: ['invoiceNumber', 'status', 'companyId', 'total', 'amountDue', 'dueDate', 'issueDate'],
    search: ['invoiceNumber', 'notes'],
    defaultSort: { field: 'createdAt', direction: 'DescNullsLast' },
    createFields: ['companyId', 'currency', 'dueDate', 'notes'],
  },
  {
    name: 'payments', label: 'Payments', singular: 'payment',
    title: (r) => `Payment ${str(r.id).slice(-6)}`,
    fields: [
      f('invoiceId', 'Invoice', 'ref', { ref: 'invoices', required: true, createOnly: true }),
      ro(f('companyId', 'Company', 'ref', { ref: 'companies' })), ro(f('kind', 'Kind', 'enum', { options: ['payment', 'refund'] })),
      f('amount', 'Amount', 'money', { required: true, createOnly: true }), ro(f('currency', 'Currency', 'currency')),
      ro(f('status', 'Status', 'enum', { options: ['succeeded', 'pending', 'failed'] })),
      f('method', 'Method', 'enum', { options: ['card', 'us_bank_account', 'manual'], createOnly: true }),
      f('receivedAt', 'Received', 'datetime', { createOnly: true }), f('notes', 'Notes', 'longtext'),
      ro(f('stripePaymentIntentId', 'Stripe payment', 'text')),
    ],
    columns: ['receivedAt', 'invoiceId', 'companyId', 'amount', 'method', 'status', 'kind'],
    search: ['notes', 'stripePaymentIntentId'],
    defaultSort: { field: 'receivedAt', direction: 'DescNullsLast' },
    createFields: ['invoiceId', 'amount', 'method', 'receivedAt', 'notes'],
  },
  {
    name: 'projects', label: 'Projects', singular: 'project', board: true,
    title: (r) => str(r.name) || 'Project',
    fields: [
      f('name', 'Name', 'text', { required: true }), f('status', 'Status', 'enum', { options: PROJECT_STATUSES }),
      f('budget', 'Budget', 'money'), f('currency', 'Currency', 'currency'), f('companyId', 'Company', 'ref', { ref: 'companies' }),
      f('code', 'Code', 'text'), f('startDate', 'Start', 'date'), f('endDate', 'End', 'date'),
      ro(f('createdAt', 'Created', 'datetime')),
    ],
    columns: ['name', 'code', 'status', 'companyId', 'budget', 'startDate', 'endDate'],
    search: ['name', 'code'],
    defaultSort: { field: 'name', direction: 'AscNullsLast' },
    createFields: ['name', 'code', 'status', 'companyId', 'budget', 'currency', 'startDate', 'endDate'],
  },
  {
    name: 'expenses', label: 'Expenses', singular: 'expense',
    title: (r) => str(r.description) || 'Expense',
    fields: [
      f('description', 'Description', 'text', { required: true }), f('amount', 'Amount', 'money', { required: true }),
      f('currency', 'Currency', 'currency', { required: true }), f('date', 'Date', 'date', { required: true }),
      f('vendor', 'Vendor', 'text'), f('category', 'Category', 'text'), f('projectId', 'Project', 'ref', { ref: 'projects' }),
      f('companyId', 'Company', 'ref', { ref: 'companies' }),
    ],
    columns: ['date', 'description', 'vendor', 'category', 'amount', 'projectId'],
    search: ['description', 'vendor', 'category'],
    defaultSort: { field: 'date', direction: 'DescNullsLast' },
    createFields: ['description', 'amount', 'currency', 'date', 'vendor', 'category', 'projectId', 'companyId'],
  },
  {
    name: 'tasks', label: 'Tasks', singular: 'task',
    title: (r) => str(r.title) || 'Task',
    fields: [
      f('title', 'Title', 'text', { required: true }), f('status', 'Status', 'enum', { options: TASK_STATUSES }),
      f('dueAt', 'Due', 'datetime'), f('body', 'Details', 'longtext'),
      f('targetObject', 'About (object)', 'enum', {
        options: ['companies', 'people', 'products', 'projects', 'quotes', 'orders', 'invoices', 'payments', 'expenses'],
      }),
      f('targetId', 'About (id)', 'text'), ro(f('createdAt', 'Created', 'datetime')),
    ],
    columns: ['title', 'status', 'dueAt', 'targetObject', 'createdAt'],
    search: ['title', 'body'],
    defaultSort: { field: 'dueAt', direction: 'AscNullsLast' },
    createFields: ['title', 'status', 'dueAt', 'body'],
  },
  {
    name: 'notes', label: 'Notes', singular: 'note',
    title: (r) => str(r.title) || 'Note',
    fields: [
      f('title', 'Title', 'text', { required: true }), f('body', 'Body', 'longtext'),
      f('targetObject', 'About (object)', 'enum', {
        options: ['companies', 'people', 'products', 'projects', 'quotes', 'orders', 'invoices', 'payments', 'expenses'],
      }),
      f('targetId', 'About (id)', 'text'), ro(f('createdAt', 'Created', 'datetime')),
    ],
    columns: ['title', 'targetObject', 'createdAt'],
    search: ['title', 'body'],
    defaultSort: { field: 'createdAt', direction: 'DescNullsLast' },
    createFields: ['title', 'body', 'targetObject', 'targetId'],
  },
];

export const OBJECT_BY_NAME: Record<string, ObjectMeta> = Object.fromEntries(OBJECTS.map((o) => [o.name, o]));

export function fieldOf(o: ObjectMeta, name: string): Field | undefined {
  return o.fields.find((x) => x.name === name);
}

export const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'CHF', 'JPY', 'SEK', 'NOK', 'DKK', 'NZD', 'SGD'];
