// Shared helpers of the Stripe sandbox conformance suite: an official Stripe SDK client
// pointed at the sandbox (each test file uses its own sk_test_ key, i.e. its own
// account), the sandbox's control API, a local webhook receiver, and the field-by-field
// comparison of returned objects with Stripe's fixtures (../shared/stripe/fixtures3.json)
// using the SDK's own type declarations to know which fields Stripe may leave null.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';

const here = path.dirname(fileURLToPath(import.meta.url));

export const SANDBOX_URL = process.env.STRIPE_SANDBOX_URL;
if (!SANDBOX_URL) throw new Error('STRIPE_SANDBOX_URL is not set; run the suite with tests/sandbox/run.sh BUILD_DIR');
const sandbox = new URL(SANDBOX_URL);

export function newKey() {
  return `sk_test_${crypto.randomBytes(12).toString('hex')}`;
}

// The official SDK, talking plain HTTP to the sandbox.
export function stripeClient(key = newKey(), options = {}) {
  return new Stripe(key, {
    host: sandbox.hostname,
    port: Number(sandbox.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    ...options,
  });
}

// The sandbox's control API (JSON).
export async function control(method, route, body) {
  const response = await fetch(new URL(route, SANDBOX_URL), {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

// A raw API call, for what the SDK does not expose (headers, exact bodies).
export async function rawApi(key, method, route, { form, headers = {} } = {}) {
  const response = await fetch(new URL(route, SANDBOX_URL), {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...headers,
    },
    body: form,
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // binary or HTML answers
  }
  return { status: response.status, headers: response.headers, text, json };
}

// A hosted page form post (what a person's browser does).
export async function postForm(url, fields) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export function resultMessage(html) {
  const m = html.match(/<p id="result"[^>]*>([^<]*)<\/p>/);
  return m ? m[1].replace(/&#39;/g, "'").replace(/&amp;/g, '&') : null;
}

export async function waitFor(predicate, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// A local HTTP server receiving webhooks; verifies each with the SDK's constructEvent.
export async function webhookReceiver(stripe, { respond = () => 200 } = {}) {
  const received = []; // {event, raw, signature, verified, status}
  let secret = null;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const signature = req.headers['stripe-signature'];
      let event = null;
      let error = null;
      try {
        event = stripe.webhooks.constructEvent(raw, signature, secret);
      } catch (e) {
        error = e;
      }
      const status = respond(event, received.length);
      received.push({ event, raw, signature, error, status, headers: req.headers });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: true }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/webhooks`;
  return {
    url,
    received,
    setSecret(s) {
      secret = s;
    },
    events(type) {
      return received.filter((r) => r.event && (!type || r.event.type === type)).map((r) => r.event);
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

// ---- Field-by-field comparison with Stripe's fixtures ---------------------------------------

export const fixtures = JSON.parse(
  fs.readFileSync(path.resolve(here, '../../../shared/stripe/fixtures3.json'), 'utf8'),
).resources;

// The SDK's declarations: interface name (qualified by namespace, e.g. "Invoice.Parent")
// -> fields {name: {type, optional, nullable}}.
function loadDeclarations() {
  const root = path.join(here, 'node_modules/stripe/esm');
  const interfaces = {};
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(root);
  for (const file of files) {
    const stack = [];
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const open = line.match(/^(\s*)(?:export )?(?:declare )?(namespace|interface) (\w+)(?:<[^>]*>)?(?: extends [^{]*)? \{\s*$/);
      if (open) {
        stack.push({ indent: open[1].length, name: open[3], kind: open[2] });
        if (open[2] === 'interface') {
          const name = stack.map((s) => s.name).join('.');
          interfaces[name] ??= { fields: {} };
        }
        continue;
      }
      const close = line.match(/^(\s*)\}/);
      if (close && stack.length && close[1].length === stack[stack.length - 1].indent) {
        stack.pop();
        continue;
      }
      const top = stack[stack.length - 1];
      if (!top || top.kind !== 'interface') continue;
      const field = line.match(/^(\s*)(\w+)(\?)?: (.*?);?$/);
      if (field && field[1].length === top.indent + 4) {
        const type = field[4];
        interfaces[stack.map((s) => s.name).join('.')].fields[field[2]] = {
          type,
          optional: Boolean(field[3]),
          nullable: /\|\s*null\b/.test(type),
        };
      }
    }
  }
  return interfaces;
}
const declarations = loadDeclarations();

function resolveType(type, scope) {
  if (!type) return null;
  const list = type.match(/ApiList<(\w+)>/);
  if (list) {
    const element = resolveType(list[1], scope);
    return element ? { fields: { data: { type: `Array<${list[1]}>`, element } } } : null;
  }
  for (const ref of type.match(/[A-Z][\w.]*/g) ?? []) {
    const parts = scope.split('.');
    for (let i = parts.length; i >= 0; --i) {
      const name = [...parts.slice(0, i), ref].filter(Boolean).join('.');
      if (declarations[name]) return { ...declarations[name], name };
    }
  }
  return null;
}

function jsonType(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function compare(fixture, actual, iface, where, depth, problems) {
  for (const [key, expected] of Object.entries(fixture)) {
    const field = iface?.fields?.[key];
    const at = `${where}.${key}`;
    if (!(key in actual)) {
      // Top level: every fixture key must be there. Nested: unless Stripe marks it optional.
      if (depth === 0 || (field && !field.optional)) problems.push(`${at} is missing`);
      continue;
    }
    const value = actual[key];
    if (expected === null || value === null) {
      if (value === null && expected !== null && field && !field.nullable && !field.optional)
        problems.push(`${at} is null, but Stripe never leaves it null`);
      if (value === null && expected !== null && !field && depth === 0)
        problems.push(`${at} is null, but the fixture has a ${jsonType(expected)}`);
      continue;
    }
    if (jsonType(expected) !== jsonType(value)) {
      problems.push(`${at} is a ${jsonType(value)}, Stripe's is a ${jsonType(expected)}`);
      continue;
    }
    if (depth >= 4) continue;
    const scope = iface?.name ?? '';
    if (jsonType(expected) === 'object') {
      compare(expected, value, field?.element ? field : resolveType(field?.type, scope), at, depth + 1, problems);
    } else if (jsonType(expected) === 'array' && expected.length && value.length && jsonType(expected[0]) === 'object') {
      const element = field?.element ?? resolveType(field?.type, scope);
      compare(expected[0], value[0], element, `${at}[0]`, depth + 1, problems);
    }
  }
}

const interfaceOf = {
  customer: 'Customer', product: 'Product', price: 'Price', invoiceitem: 'InvoiceItem', invoice: 'Invoice',
  invoice_payment: 'InvoicePayment', line_item: 'InvoiceLineItem', item: 'LineItem', quote: 'Quote',
  payment_intent: 'PaymentIntent', charge: 'Charge', refund: 'Refund', payment_link: 'PaymentLink', event: 'EventBase',
  webhook_endpoint: 'WebhookEndpoint',
};

// Differences between a sandbox object and Stripe's fixture of that resource.
export function fixtureProblems(resource, actual) {
  const name = interfaceOf[resource];
  const iface = name ? { ...declarations[name], name } : null;
  const problems = [];
  compare(fixtures[resource], actual, iface, resource, 0, problems);
  if (actual.object !== fixtures[resource].object) problems.push(`object is ${actual.object}, not ${fixtures[resource].object}`);
  if (typeof actual.id === 'string' && typeof fixtures[resource].id === 'string' && !fixtures[resource].id.startsWith('obj_')) {
    const prefix = fixtures[resource].id.split('_')[0];
    if (!actual.id.startsWith(`${prefix}_`)) problems.push(`id ${actual.id} lacks Stripe's prefix ${prefix}_`);
  }
  return problems;
}

export function assertMatchesFixture(resource, actual) {
  assert.ok(declarations[interfaceOf[resource]], `the SDK declares ${interfaceOf[resource]}`);
  assert.deepEqual(fixtureProblems(resource, actual), [], `${resource} ${actual.id} differs from Stripe's fixture`);
}

// The object without the SDK's non-enumerable extras (lastResponse).
export function plain(o) {
  return JSON.parse(JSON.stringify(o));
}
