// Issue 11: the admin console in a real browser (Debian's chromium, driven by playwright-core).
//
//   node admin.test.mjs PARLEY_BINARY SOURCE_DIR OUTPUT_DIR
//
// Starts a real `parley serve` on port 0 with a fresh SQLite database and an admin user made
// with `parley admin create-user`, seeds messages through the Twilio webhook, then in
// Chromium: a wrong password is refused, the right one logs in, the dashboard shows the seeded
// number, the contact search finds a contact, its page shows its transcript and a one-off
// message sent from it, a webhook's message appears on the open page without a reload (the
// live transcript), the flows list and a flow's page (its graph), a reload of a broken
// flow file shows its error while the old revision keeps answering webhooks (the transcript
// shows its reply and the transition), the message log shows the messages and filters by
// direction, a 10-number broadcast with an invalid line is previewed, queued, reaches 10
// started and lists the invalid line as its failed recipient (also as CSV), a POST
// without the CSRF token gets 403, logout ends the session. Screenshots of each page go to
// OUTPUT_DIR (one at a phone's width).
// Exit 0: passed; 77: skipped (no chromium); anything else: failed. Bounded to 60 s.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const [parley, sourceDir, outDir] = process.argv.slice(2);
if (!parley || !sourceDir || !outDir) {
  console.error('usage: node admin.test.mjs PARLEY_BINARY SOURCE_DIR OUTPUT_DIR');
  process.exit(2);
}
const chromiumPath = process.env.PARLEY_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.log(`SKIPPED: ${chromiumPath} is not installed (scripts/install-deps.sh installs chromium)`);
  process.exit(77);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error('playwright-core is not installed: run scripts/install-deps.sh (npm ci in test/browser)');
  process.exit(1);
}

const deadline = setTimeout(() => {
  console.error('FAILED: the browser test took longer than 60 s');
  cleanup();
  process.exit(1);
}, 60_000);

const work = mkdtempSync(path.join(tmpdir(), 'parley-browser-'));
mkdirSync(outDir, { recursive: true });
// A copy of the flows folder: the test breaks a file in it and reloads.
const flowsDir = path.join(work, 'flows');
// dereference: the folder's files may be symlinks into examples/, which must stay as they are.
cpSync(path.join(sourceDir, 'flows'), flowsDir, { recursive: true, dereference: true });
const env = {
  PATH: process.env.PATH,
  DATABASE_URL: `sqlite:${path.join(work, 'parley.db')}`,
  PARLEY_FLOWS: flowsDir,
  PARLEY_VALIDATE_SIGNATURE: 'false',  // the seeding webhooks below are unsigned
  PARLEY_WORKERS: '2',
};
const EMAIL = 'admin@example.org';
const PASSWORD = 'correct horse battery';
let server;
let browser;

function cleanup() {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}

function run(args, input = '') {
  const r = spawnSync(parley, [...args, '--env', '/dev/null'], { env, input, encoding: 'utf8' });
  assert.equal(r.status, 0, `parley ${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

// `parley serve` on port 0; resolves with its port from the "listening on" line.
function serve() {
  return new Promise((resolve, reject) => {
    server = spawn(parley, ['serve', '--listen', '127.0.0.1:0', '--env', '/dev/null'], { env });
    let log = '';
    server.stderr.on('data', (chunk) => {
      log += chunk;
      const m = log.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', (code) => reject(new Error(`parley serve exited with ${code}:\n${log}`)));
  });
}

function hex(n, i) { return String(i).padStart(n, '0'); }

async function webhook(base, from, i, body = 'hello') {
  const form = new URLSearchParams({
    MessageSid: `SM${hex(32, 100 + i)}`, AccountSid: `AC${hex(32, 1)}`, From: from,
    To: '+15005550006', Body: body, NumMedia: '0',
  });
  const r = await fetch(`${base}/twilio/messages`, { method: 'POST', body: form });
  assert.equal(r.status, 200, `webhook: ${r.status} ${await r.text()}`);
}

try {
  run(['migrate']);
  run(['admin', 'create-user', EMAIL, '--role', 'admin'], `${PASSWORD}\n`);
  const port = await serve();
  const base = `http://127.0.0.1:${port}`;
  // Three inbound messages from two contacts today.
  await webhook(base, '+15551230001', 1);
  await webhook(base, '+15551230002', 2);
  await webhook(base, '+15551230002', 3);

  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const shot = (name) => page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });

  // Not logged in: the admin sends the browser to the login form.
  await page.goto(`${base}/admin`);
  assert.equal(new URL(page.url()).pathname, '/admin/login');
  await shot('login');

  // A wrong password is refused.
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await page.getByRole('alert').textContent(), 'Wrong email or password.');
  assert.equal(new URL(page.url()).pathname, '/admin/login');

  // The right one logs in, to the dashboard with the seeded number.
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${base}/admin`);
  assert.equal((await page.locator('#messages-in').textContent()).trim(), '3');
  assert.equal((await page.locator('#messages-out').textContent()).trim(), '0');
  const cookie = (await context.cookies()).find((c) => c.name === 'parley_admin');
  assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Lax', JSON.stringify(cookie));
  await shot('dashboard');

  // The contact search finds one contact by part of its number.
  await page.getByRole('link', { name: 'Contacts' }).click();
  await page.waitForURL(`${base}/admin/contacts`);
  assert.equal(await page.locator('table.contacts tbody tr').count(), 2);
  await page.getByLabel('Number or name').fill('555 123 0002');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/admin\/contacts\?q=/);
  const rows = page.locator('table.contacts tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /\+15551230002/);
  await shot('contacts');

  // The contact's page: its transcript; a one-off message sent from it appears there.
  await rows.first().getByRole('link', { name: '+15551230002' }).click();
  await page.waitForURL(/\/admin\/contacts\/\d+$/);
  const transcript = page.locator('#transcript-list li');
  assert.equal(await transcript.count(), 2);
  assert.match(await transcript.first().textContent(), /hello/);
  await page.getByLabel('One-off message').fill('Your appointment is at 10:00 <Tuesday>');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForURL(/\/admin\/contacts\/\d+\?done=send$/);
  assert.equal(await transcript.count(), 3);
  assert.match(await transcript.last().textContent(), /Your appointment is at 10:00 <Tuesday>/);
  assert.match(await transcript.last().getAttribute('class'), /outbound/);
  await shot('contact');

  // Live transcript: a webhook arrives while the page is open; its message appears without
  // a reload (the script served as /admin/static/transcript.js polls; the CSP holds).
  await page.goto(page.url().replace(/\?done=send$/, ''));
  await page.evaluate(() => { window.parleyNotReloaded = true; });
  const shown = await transcript.count();
  await webhook(base, '+15551230002', 4, 'Arrived while you were looking');
  await page.locator('#transcript-list li', { hasText: 'Arrived while you were looking' })
    .waitFor({ timeout: 10_000 });
  assert.equal(await page.evaluate(() => window.parleyNotReloaded), true, 'the page reloaded');
  assert.equal(await transcript.count(), shown + 1);
  assert.match(await transcript.last().getAttribute('class'), /inbound/);

  // The users and audit pages (admin role) show the user and the failed login.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.waitForURL(`${base}/admin/audit`);
  assert.match(await page.locator('main').textContent(), /login_failed/);
  assert.match(await page.locator('main').textContent(), /contact_send/);
  await shot('audit');
  await page.getByRole('link', { name: 'Users' }).click();
  assert.match(await page.locator('main').textContent(), /admin@example\.org/);

  // Flows: the list, then a flow's page with its graph and per-state numbers.
  await page.getByRole('link', { name: 'Flows' }).click();
  await page.waitForURL(`${base}/admin/flows`);
  await shot('flows');
  await page.getByRole('link', { name: 'checkin', exact: true }).click();
  await page.waitForURL(`${base}/admin/flows/checkin`);
  assert.ok(await page.locator('svg.flow-graph g.state').count() > 5);
  await shot('flow');

  // A broken flow file: the reload shows its error and applies nothing; the old revision
  // keeps serving (a JOIN still starts it and gets its first question).
  const checkin = path.join(flowsDir, 'checkin.json');
  writeFileSync(checkin, readFileSync(checkin, 'utf8').replace('"condition": "yes"', '"condition": "yse"'));
  await page.getByRole('button', { name: 'Reload the flows folder' }).click();
  await page.waitForURL(`${base}/admin/flows/checkin/reload`);
  assert.match(await page.locator('.diagnostics').first().textContent(), /unknown condition 'yse'/);
  await shot('flow-reload-error');
  await webhook(base, '+15551230009', 9, 'JOIN');
  await page.goto(`${base}/admin/contacts?q=5551230009`);
  await page.getByRole('link', { name: '+15551230009' }).click();
  await page.waitForURL(/\/admin\/contacts\/\d+$/);
  const joined = await page.locator('#transcript-list').textContent();
  assert.match(joined, /started checkin at OPTIN/);
  assert.match(joined, /daily blood sugar check-in/);
  await shot('contact-transitions');
  await page.goto(`${base}/admin/flows/checkin`);
  assert.match(await page.locator('svg.flow-graph').textContent(), /now 1/);
  await shot('flow-numbers');

  // A POST with the session's cookie but without its CSRF token is refused.
  const forged = await context.request.post(`${base}/admin/logout`, {
    form: { nothing: 'here' }, maxRedirects: 0,
  });
  assert.equal(forged.status(), 403);
  await page.goto(`${base}/admin`);
  assert.equal(new URL(page.url()).pathname, '/admin');  // still logged in

  // The message log: the seeded messages and the one-off message, linked to their contacts.
  await page.getByRole('link', { name: 'Messages' }).click();
  await page.waitForURL(`${base}/admin/messages`);
  assert.match(await page.locator('main').textContent(), /Your appointment is at 10:00 <Tuesday>/);
  await page.getByLabel('Direction').selectOption('inbound');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/direction=inbound/);
  assert.doesNotMatch(await page.locator('main').textContent(), /Your appointment/);
  await shot('messages');

  // A 10-number broadcast: preview (nothing queued), confirm, progress reaches 10 started.
  await page.getByRole('link', { name: 'Broadcast' }).click();
  await page.waitForURL(`${base}/admin/broadcast`);
  const numbers = Array.from({ length: 10 }, (_, i) => `+1555123050${i},Person ${i}`);
  await page.getByLabel('Contacts').fill(['phone,name', ...numbers, 'not a number'].join('\n'));
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.waitForURL(`${base}/admin/broadcast/preview`);
  assert.equal(await page.locator('#count-start').textContent(), '10');
  assert.equal(await page.locator('#count-invalid').textContent(), '1');
  await shot('broadcast-preview');
  await page.getByRole('button', { name: 'Queue the broadcast' }).click();
  await page.waitForURL(/\/admin\/broadcasts\/\d+$/);
  for (let i = 0; i < 50; i++) {  // the job works in the background: reload, as a person would
    if (await page.locator('#count-started').textContent() === '10') break;
    await new Promise((r) => setTimeout(r, 200));
    await page.reload();
  }
  assert.equal(await page.locator('#count-started').textContent(), '10');
  assert.equal(await page.locator('#count-queued').textContent(), '0');
  // The invalid line is the broadcast's one failed recipient, with why; also as CSV.
  assert.equal(await page.locator('#count-failed').textContent(), '1');
  const failures = page.locator('table.failures tbody tr');
  assert.equal(await failures.count(), 1);
  assert.match(await failures.first().textContent(), /not a number.*line 12: not a phone number/);
  const csv = await context.request.get(`${base}${new URL(page.url()).pathname}/failed.csv`);
  assert.equal(csv.status(), 200);
  assert.equal(await csv.text(), 'number,name,reason\r\nnot a number,,line 12: not a phone number\r\n');
  await shot('broadcast-progress');

  // At a phone's width the dashboard still renders (checked by eye in the screenshot).
  await page.goto(`${base}/admin`);
  await shot('dashboard-later');  // with the broadcast's sessions and messages
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('dashboard-phone');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Logout ends the session: the old cookie no longer opens the admin.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${base}/admin/login`);
  const replay = await context.request.get(`${base}/admin`, {
    headers: { Cookie: `parley_admin=${cookie.value}` }, maxRedirects: 0,
  });
  assert.equal(replay.status(), 303);
  assert.equal(replay.headers()['location'], '/admin/login');
  await page.goto(`${base}/admin`);
  assert.equal(new URL(page.url()).pathname, '/admin/login');
  console.log(`PASSED (screenshots in ${outDir})`);
} catch (e) {
  console.error('FAILED:', e);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  clearTimeout(deadline);
  cleanup();
}
