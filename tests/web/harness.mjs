// Starts what the browser tests drive: a Stripe sandbox and a Settle server on free
// loopback ports, over a fresh SQLite file in a temp directory, seeded with the demo
// workspace and connected to the sandbox (test keys and a registered webhook endpoint).
// Nothing is mocked: the page talks to the real server, the server to the real sandbox.
import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync, createWriteStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
const require = createRequire(path.join(root, 'web/package.json'));
export const { chromium } = require('playwright-core');

export const build = path.resolve(process.env.SETTLE_BUILD ?? path.join(root, 'build'));
export const bin = path.join(build, 'settle');
export const artifacts = path.join(build, 'test-artifacts/web');
const webRoot = path.join(root, 'web/dist');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url, proc, what) {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited (${proc.exitCode}); see its log`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer ${url}`);
}

export async function startStack() {
  if (!existsSync(bin)) throw new Error(`no settle binary at ${bin}`);
  if (!existsSync(path.join(webRoot, 'index.html'))) throw new Error('web/dist is not built (npm run build in web/)');
  mkdirSync(artifacts, { recursive: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'settle-web-'));
  const db = `sqlite:${path.join(dir, 'settle.db')}`;
  const env = {
    ...process.env,
    SETTLE_INSECURE_FAST_PASSWORD_HASH: '1',
    SETTLE_MASTER_KEY_FILE: path.join(dir, 'master.key'),
  };
  const procs = [];
  const logOf = (name) => createWriteStream(path.join(artifacts, `${name}.log`));

  const sandboxPort = await freePort();
  const sandbox = spawn(bin, ['stripe-sandbox', '--port', String(sandboxPort)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const sandboxLog = logOf('stripe-sandbox');
  sandbox.stdout.pipe(sandboxLog);
  sandbox.stderr.pipe(sandboxLog);
  procs.push(sandbox);
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;

  const { stdout } = await promisify(execFile)(bin, ['demo', '--db', db], { env });
  const demo = JSON.parse(stdout);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const settle = spawn(bin, ['serve', '--db', db, '--port', String(port), '--web-root', webRoot], {
    env: { ...env, SETTLE_STRIPE_API_BASE: sandboxUrl, SETTLE_PUBLIC_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const settleLog = logOf('settle');
  settle.stdout.pipe(settleLog);
  settle.stderr.pipe(settleLog);
  procs.push(settle);
  await Promise.all([waitFor(`${sandboxUrl}/_sandbox/state`, sandbox, 'the sandbox'), waitFor(`${url}/healthz`, settle, 'settle')]);

  const api = async (method, p, body) => {
    const r = await fetch(url + p, {
      method,
      headers: { Authorization: `Bearer ${demo.apiKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    const json = text ? JSON.parse(text) : null;
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
    return json?.data ?? json;
  };
  // A test key of 24 characters after the prefix: each key is an account of its own in the sandbox.
  const suffix = Array.from({ length: 24 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]).join('');
  await api('PUT', '/rest/settings/stripe', { mode: 'test', secretKey: `sk_test_${suffix}`, publishableKey: `pk_test_${suffix}` });
  await api('POST', '/rest/stripe/webhook-endpoint', { url: `${url}/api/webhooks/stripe/${demo.subdomain}` });

  const cli = (...args) => promisify(execFile)(bin, [...args, '--db', db], { env }).then((r) => r.stdout);

  const stop = async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => (p.exitCode !== null ? null : new Promise((r) => { p.once('exit', r); setTimeout(() => { p.kill('SIGKILL'); r(); }, 3000); }))),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => procs.forEach((p) => p.exitCode === null && p.kill('SIGKILL')));
  return { url, sandboxUrl, demo, api, cli, stop };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/** Saves a screenshot of the page as test-artifacts/web/<name>.png. */
export async function shot(page, name) {
  // Toasts come and go: leave them out so that screenshots show the screen itself.
  const hide = (v) => page.evaluate((vis) => document.querySelectorAll('.toasts').forEach((t) => (t.style.visibility = vis)), v).catch(() => {});
  await hide('hidden');
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: false });
  await hide('');
}
