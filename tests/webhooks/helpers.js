// Shared helpers of the webhook signature suite: a real `settle serve` over a fresh
// database (a SQLite file in a temporary directory, or a fresh database on the throwaway
// PostgreSQL of `make test` when SETTLE_TEST_PG is set), workspaces made with the CLI,
// Stripe-shaped events, deliveries signed with the official Stripe SDK for Node, and
// reads of what was stored: through the API (GET /rest/stripe/events) and straight from
// the database file or server, opened read-only.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';

const here = path.dirname(fileURLToPath(import.meta.url));

export const SETTLE = process.env.SETTLE_BINARY;
if (!SETTLE) throw new Error('SETTLE_BINARY is not set; run the suite with tests/webhooks/run.sh BUILD_DIR');

// The SDK is used offline only: its webhook helpers never call Stripe.
export const stripe = new Stripe('sk_test_webhook_suite_offline_only');

// The backends to run on: SQLite always, PostgreSQL when `make test` provides one.
export function backends() {
  return process.env.SETTLE_TEST_PG ? ['sqlite', 'postgres'] : ['sqlite'];
}

export function newWebhookSecret() {
  // Stripe's own secrets are whsec_ + 32 base62 characters; any of [A-Za-z0-9_-] is allowed.
  return `whsec_${crypto.randomBytes(24).toString('base64url')}`;
}

export function unixNow() {
  return Math.floor(Date.now() / 1000);
}

// An invoice.paid event around Stripe's own invoice fixture (about 4.5 KB), with a fresh
// id, pretty-printed as Stripe sends it: the signature covers these exact bytes.
const fixtures = JSON.parse(fs.readFileSync(path.join(here, '../../../shared/stripe/fixtures3.json'), 'utf8'));
export function invoicePaidEvent(overrides = {}) {
  const id = `evt_${crypto.randomBytes(12).toString('hex')}`;
  const event = {
    id,
    object: 'event',
    api_version: '2025-10-29.clover',
    created: unixNow(),
    data: { object: { ...fixtures.resources.invoice, status: 'paid' } },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'invoice.paid',
    ...overrides,
  };
  return { id: event.id, event, payload: JSON.stringify(event, null, 2) };
}

// The Stripe-Signature header of `payload` under `secret`, made by the SDK itself.
export function signed(payload, secret, timestamp = unixNow()) {
  return stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

// The v1 signature alone, out of an SDK-made header.
export function v1Of(header) {
  const part = header.split(',').find((p) => p.startsWith('v1='));
  assert.ok(part, `no v1 in ${header}`);
  return part.slice(3);
}

// PostgreSQL through psql (shipped with postgresql-15, which `make deps` installs): one
// statement, unaligned output without headers.
function psql(url, sql) {
  return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], {
    encoding: 'utf8',
  });
}

// Reads the server's SQLite file read-only (Python's sqlite3 module: Node 20 has no
// SQLite). Answers rows as arrays, or null when python3 is not installed.
function sqliteReadOnly(file, sql) {
  const script =
    'import json, sqlite3, sys\n' +
    'c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)\n' +
    'print(json.dumps(c.execute(sys.argv[2]).fetchall()))\n';
  try {
    return JSON.parse(execFileSync('python3', ['-c', script, file, sql], { encoding: 'utf8' }));
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
}

// A Settle server on a free loopback port over a fresh database. The workspaces are made
// with `settle workspace create` before it starts.
export class Server {
  constructor(backend) {
    this.backend = backend;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settle-webhooks-'));
    if (backend === 'sqlite') {
      this.file = path.join(this.dir, 'settle.db');
      this.db = `sqlite:${this.file}`;
    } else {
      const base = process.env.SETTLE_TEST_PG;
      this.dbName = `test_webhooks_${crypto.randomBytes(6).toString('hex')}`;
      psql(base, `CREATE DATABASE ${this.dbName}`);
      this.db = base.slice(0, base.lastIndexOf('/') + 1) + this.dbName;
    }
    this.env = {
      ...process.env,
      SETTLE_INSECURE_FAST_PASSWORD_HASH: '1',
      SETTLE_MASTER_KEY_FILE: path.join(this.dir, 'master.key'),
      SETTLE_MASTER_KEY: '',
    };
    this.workspaces = {};
  }

  // `settle workspace create`: {workspaceId, userId, apiKey} with an ADMIN's API key.
  createWorkspace(subdomain) {
    const out = execFileSync(
      SETTLE,
      ['workspace', 'create', '--db', this.db, '--name', `Webhooks ${subdomain}`, '--subdomain', subdomain,
        '--admin-email', `admin@${subdomain}.example.com`],
      { env: this.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ws = JSON.parse(out);
    assert.ok(ws.apiKey && ws.workspaceId, out);
    this.workspaces[subdomain] = ws;
    return ws;
  }

  async start() {
    this.logFile = path.join(this.dir, 'server.log');
    const log = fs.openSync(this.logFile, 'w');
    this.child = spawn(SETTLE, ['serve', '--db', this.db, '--port', '0', '--workers', '4'], {
      env: this.env,
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      const m = fs.readFileSync(this.logFile, 'utf8').match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        this.base = m[1];
        return this;
      }
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`settle serve did not start:\n${fs.readFileSync(this.logFile, 'utf8')}`);
  }

  async stop() {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    if (this.dbName) psql(process.env.SETTLE_TEST_PG, `DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // An authenticated JSON call as the workspace's ADMIN (its API key).
  async api(subdomain, method, route, body) {
    const response = await fetch(this.base + route, {
      method,
      headers: {
        authorization: `Bearer ${this.workspaces[subdomain].apiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: await response.json() };
  }

  async setWebhookSecrets(subdomain, secrets) {
    const r = await this.api(subdomain, 'PUT', '/rest/settings/stripe', { webhookSecrets: secrets });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data.webhookSecrets.length, secrets.length);
  }

  // POSTs a delivery as Stripe does: the raw body, the Stripe-Signature header (when not
  // undefined), no credentials. `route` is the path after /api/webhooks/stripe.
  async deliver(route, payload, signature) {
    const headers = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
    if (signature !== undefined) headers['stripe-signature'] = signature;
    const response = await fetch(`${this.base}/api/webhooks/stripe${route}`, { method: 'POST', headers, body: payload });
    const text = await response.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      // asserted by the caller
    }
    return { status: response.status, body, text };
  }

  // The workspace's inbox as the API shows it to its ADMIN, newest first.
  async events(subdomain) {
    const r = await this.api(subdomain, 'GET', '/rest/stripe/events?limit=200');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.data.length < 200, 'the suite stores fewer than 200 events per workspace');
    return r.body.data;
  }

  // Every stored event, read from the database itself (read-only), as
  // [workspace_id, event_id, payload] rows; null when SQLite cannot be read here (no python3).
  storedRows() {
    const sql = 'SELECT workspace_id, event_id, payload FROM stripe_events ORDER BY workspace_id, event_id';
    if (this.backend === 'sqlite') return sqliteReadOnly(this.file, sql);
    const json = psql(
      this.db,
      `SELECT coalesce(json_agg(json_build_array(workspace_id, event_id, payload)), '[]') FROM (${sql}) s`,
    );
    return JSON.parse(json);
  }

  logTail() {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  }
}

// A 400 naming Stripe-Signature with the given machine reason.
export function assertRefused(r, reason, what) {
  assert.equal(r.status, 400, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.body?.error?.field, 'Stripe-Signature', `${what}: ${r.text}`);
  if (reason) assert.equal(r.body.error.details?.reason, reason, `${what}: ${r.text}`);
}

export function assertAccepted(r, duplicate, what) {
  assert.equal(r.status, 200, `${what}: ${r.status} ${r.text}`);
  assert.deepEqual(r.body, { received: true, duplicate }, what);
}
