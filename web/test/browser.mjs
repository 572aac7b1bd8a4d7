// browser.mjs — the dashboard's browser test: demo data → `patron serve` → Debian's Chromium,
// headless, driven by playwright-core (no browser download). For every page it checks that the
// page rendered, that every chart drew data points, and that the chart's numbers are the API's
// (the sum of each chart's values against the same sum computed from the JSON); that the
// overview's KPIs equal `patron kpi --json` for the same period; that the channel filter
// changes the numbers; that the language switch changes labels and number formatting; that the
// member 360 search finds a member, masked for an admin key and without any personal field for
// an analyst key; and that the console stayed free of errors. Screenshots go to
// tests/artifacts/ (not committed); the overview's load time is measured and printed (a figure
// for bench/README.md, never asserted).
//
// Run by tests/test_dashboard.c (make test) or alone:
//   PATRON_BIN=build/release/bin/patron node web/test/browser.mjs
// Exit 0 passed, 1 failed, 77 skipped (no Chromium or no node_modules; in CI=true that is a
// failure instead).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
const CI = process.env.CI === 'true';
const chromiumPath = process.env.PATRON_CHROMIUM || '/usr/bin/chromium';
const artifacts = join(root, 'tests/artifacts');

function skip(why) {
  if (CI) {
    console.error(`FAIL: ${why} (CI=true: the browser test must run)`);
    process.exit(1);
  }
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

if (!existsSync(chromiumPath)) skip(`no Chromium at ${chromiumPath} (scripts/install-deps installs Debian's chromium)`);
if (!existsSync(join(web, 'node_modules/playwright-core'))) skip('web/node_modules is absent (run `make web`)');
const bin = resolve(process.env.PATRON_BIN || join(root, 'build/release/bin/patron'));
if (!existsSync(bin)) skip(`no patron program at ${bin}`);
if (!existsSync(join(web, 'dist/index.html')) || process.env.PATRON_WEB_REBUILD !== '0') {
  execFileSync(process.execPath, [join(web, 'build.mjs')], { stdio: 'inherit' });
}
const { chromium } = await import('playwright-core');

let failures = 0;
function check(cond, what) {
  if (cond) {
    console.log(`  ok   ${what}`);
  } else {
    failures += 1;
    console.log(`  FAIL ${what}`);
  }
}
const near = (a, b) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

// --- the server on demo data -------------------------------------------------------------------
const work = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'patron-dash-'));
// PATRON_DASH_DATA: an existing data directory (e.g. `make demo`'s, for bench/run-dashboard);
// it gets two more API keys. Otherwise fresh demo data of PATRON_DASH_MEMBERS people.
const data = process.env.PATRON_DASH_DATA ? resolve(process.env.PATRON_DASH_DATA) : join(work, 'data');
const members = process.env.PATRON_DASH_DATA ? 'existing' : process.env.PATRON_DASH_MEMBERS || '3000';
// From the source tree, so `patron demo` finds examples/programme.json (points and tiers).
const run = (...args) => execFileSync(bin, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (!process.env.PATRON_DASH_DATA) {
  console.log(`demo data: ${members} members into ${data}`);
  run('demo', '--members', members, '--seed', '7', '--data', data);
  // stored churn scores, so the churn page draws them (the model: patron churn, docs/churn.md)
  run('churn', 'score', '--model', 'lr', '--data', data);
}

// `patron key create` prints the key alone on its last line.
function createKey(role) {
  const out = run('key', 'create', '--role', role, '--name', `dash-${role}`, '--data', data);
  return out.trim().split('\n').pop().trim();
}
const keys = { admin: createKey('admin'), analyst: createKey('analyst') };

// Port 0: the server picks a free port and prints "listening on http://ADDR:PORT".
const server = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data', data], {
  cwd: root, env: { ...process.env, PATRON_WEB: join(web, 'dist') }, stdio: ['ignore', 'pipe', 'inherit'],
});
let serverExited = false;
let serverStatus = null;
server.on('exit', (code, signal) => {
  serverExited = true;
  serverStatus = code ?? signal;
});
let base = null;
server.stdout.setEncoding('utf8');
server.stdout.on('data', (s) => {
  process.stdout.write(s);
  const m = /listening on (http:\/\/[^\s]+)/.exec(s);
  if (m && !base) base = m[1];
});

async function api(path, key = keys.admin) {
  const res = await fetch(`${base}/v1/dashboard/${path}`, { headers: { Authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

async function waitForServer() {
  for (let i = 0; i < 300; i++) {
    if (serverExited) throw new Error('patron serve exited');
    if (!base) {
      await new Promise((f) => setTimeout(f, 100));
      continue;
    }
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((f) => setTimeout(f, 100));
  }
  throw new Error('patron serve did not answer /healthz within 30 s');
}

// --- what each page must show ---------------------------------------------------------------------
const sum = (xs) => xs.reduce((a, x) => a + (typeof x === 'number' ? x : 0), 0);
const PAGES = {
  overview: { api: 'overview', charts: (d) => Object.fromEntries(['members', 'active', 'members_new', 'repurchase_bp', 'churn_bp', 'revenue_cents', 'orders', 'aov_cents'].map((k) => [`spark-${k}`, sum(d.spark.map((m) => m[k]))])) },
  trends: { api: 'trends', charts: (d) => ({
    'ch-trend-members': sum(d.months.flatMap((m) => [m.members, m.active, m.members_new, m.churned])),
    'ch-trend-revenue': sum(d.months.flatMap((m) => [m.revenue_cents, m.orders])),
    'ch-trend-aov': sum(d.months.map((m) => m.aov_cents)),
  }) },
  segments: { api: 'segments?map=11', charts: (d) => ({ 'ch-seg-treemap': sum(d.segments.filter((s) => s.listable && s.members > 0).map((s) => s.members)) }) },
  lifecycle: { api: 'lifecycle', charts: (d) => ({
    'ch-lc-counts': sum(d.months.flatMap((m) => m.counts)),
    'ch-lc-matrix': sum(d.transitions.matrix.flat()),
  }) },
  cohorts: { api: 'cohorts?months=12', charts: (d) => ({
    'ch-cohorts': sum(d.cohorts.filter((c) => c.size > 0).flatMap((c) => c.retained.slice(1, c.observed + 1).map((x) => Number((x / c.size).toFixed(4))))),
  }) },
  tiers: { api: 'tiers', charts: (d) => ({
    'ch-tiers': sum(d.tiers.map((x) => x.members)) + d.no_tier,
    'ch-points': sum(d.months.flatMap((m) => [m.earned, m.redeemed, m.expired, m.reversed])),
    'ch-tier-flows': sum(d.months.flatMap((m) => [m.tier_up, -m.tier_down, m.redemptions])),
  }) },
  value: { api: 'value', charts: (d) => ({
    'ch-clv-hist': sum(d.histogram.map((b) => b.members)),
    'ch-clv-scatter': sum(d.scatter.map((p) => p[1])),
  }) },
};

const consoleErrors = [];
function watch(page) {
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
}

async function ready(page, id) {
  await page.waitForFunction((p) => document.body.dataset.ready === p, id, { timeout: 60000 });
}

async function signIn(page, key) {
  await page.goto(`${base}/#/overview`);
  await page.waitForSelector('#api-key', { state: 'visible' });
  await page.fill('#api-key', key);
  await page.click('#login-btn');
  await ready(page, 'overview');
}

async function charts(page) {
  return page.evaluate(() => globalThis.__patron.charts);
}

async function run_() {
  mkdirSync(artifacts, { recursive: true });
  await waitForServer();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US' });
    const page = await ctx.newPage();
    watch(page);
    const meta = await api('meta');

    // Sign-in, then the overview's load time, measured from navigation to the rendered page:
    // the first one after the server started (the snapshot is loaded then), then warm ones.
    const t0first = Date.now();
    await signIn(page, keys.admin);
    const first = Date.now() - t0first;
    console.log(`overview first load after sign-in (snapshot loaded by it): ${first} ms`);
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      await page.evaluate(() => { delete document.body.dataset.ready; });
      await page.reload();
      await ready(page, 'overview');
      times.push(Date.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`overview page load (reload → rendered), 5 runs: median ${times[2]} ms, min ${times[0]} ms, max ${times[4]} ms`);
    const timing = { members, first_ms: first, runs_ms: times, api_ms: {} };
    if (process.env.PATRON_DASH_BENCH === '1') {
      // each panel's API time, first call (computes and caches) and a second call
      for (const p of ['meta', 'overview', 'trends', 'segments', 'lifecycle', 'cohorts', 'tiers', 'value', 'churn']) {
        const ms = [];
        for (let i = 0; i < 2; i++) {
          const t = Date.now();
          await api(p);
          ms.push(Date.now() - t);
        }
        timing.api_ms[p] = ms;
        console.log(`API ${p}: first ${ms[0]} ms, again ${ms[1]} ms`);
      }
    }
    writeFileSync(join(artifacts, 'dashboard-timing.json'), JSON.stringify(timing, null, 1));

    // The overview against `patron kpi --json` for the same period.
    const kpi = JSON.parse(run('kpi', '--from', meta.default_from, '--to', meta.default_to, '--json', '--data', data));
    const ov = await api(`overview?from=${meta.default_from}&to=${meta.default_to}`);
    for (const k of ['members', 'active', 'members_new', 'repurchase_bp', 'churn_bp', 'revenue_cents', 'orders', 'aov_cents']) {
      const shown = await page.getAttribute(`#kpi-${k} .kpi`, 'data-value');
      check(String(kpi.period[k] ?? '') === shown && ov.period[k] === kpi.period[k], `overview ${k}: page ${shown}, API ${ov.period[k]}, patron kpi ${kpi.period[k]}`);
    }
    check(kpi.points && kpi.points.liability_points > 0, `the demo has points (liability ${kpi.points?.liability_points})`);
    if (kpi.points) {
      const shown = await page.getAttribute('#kpi-liability_points .kpi', 'data-value');
      check(String(kpi.points.liability_points) === shown, `overview points liability: page ${shown}, patron kpi ${kpi.points.liability_points}`);
    }

    // Every page: rendered, charts non-empty, chart sums equal the API's.
    for (const [id, spec] of Object.entries(PAGES)) {
      await page.click(`#nav-${id}`);
      await ready(page, id);
      const drawn = await charts(page);
      const want = spec.charts(await api(spec.api));
      for (const [chartId, total] of Object.entries(want)) {
        const got = drawn[chartId];
        check(got && got.n > 0, `${id}: chart ${chartId} drew ${got ? got.n : 0} points`);
        check(got && near(got.sum, total), `${id}: chart ${chartId} sums to ${got?.sum}, the API to ${total}`);
      }
      await page.screenshot({ path: join(artifacts, `dashboard-${id}.png`), fullPage: true });
    }
    await page.click('#nav-churn');
    await ready(page, 'churn');
    const churn = await api('churn');
    if (churn.scored) {
      const drawn = (await charts(page))['ch-churn'];
      const want = sum(churn.bands.map((b) => b.members));
      check(want > 0 && drawn && near(drawn.sum, want), `churn: the risk bands chart sums to ${drawn?.sum}, the API to ${want}`);
      check(await page.locator('#tbl-churn tbody tr').count() === churn.top.length, 'churn: one table row per member at risk');
      await page.screenshot({ path: join(artifacts, 'dashboard-churn.png'), fullPage: true });
    } else {
      check(!!process.env.PATRON_DASH_DATA && (await page.textContent('#page')).includes('Not yet scored'),
        'churn: scored on the test demo, or the "not yet scored" empty state on an unscored store');
    }

    // The channel filter changes the numbers (and the page shows the API's for that channel).
    await page.click('#nav-overview');
    await ready(page, 'overview');
    const before = await page.getAttribute('#kpi-active .kpi', 'data-value');
    const channel = meta.channels[1] ?? meta.channels[0];
    await page.selectOption('#f-channel', channel);
    await page.evaluate(() => { delete document.body.dataset.ready; });
    await page.click('#f-apply');
    await ready(page, 'overview');
    const after = await page.getAttribute('#kpi-active .kpi', 'data-value');
    const ovc = await api(`overview?from=${meta.default_from}&to=${meta.default_to}&channel=${encodeURIComponent(channel)}`);
    check(after !== before && after === String(ovc.period.active), `filter channel=${channel}: active ${before} → ${after} (API ${ovc.period.active})`);

    // The language switch: labels and number formats.
    const navEn = await page.textContent('#nav-overview');
    await page.selectOption('#lang-select', 'zh-CN');
    await ready(page, 'overview');
    const navZh = await page.textContent('#nav-overview');
    const langAttr = await page.getAttribute('html', 'lang');
    const h3 = await page.textContent('#kpi-members h3');
    check(navEn === 'Overview' && navZh === '概览' && langAttr === 'zh-CN' && h3 === '会员数', `language switch: nav "${navEn}" → "${navZh}", html lang ${langAttr}, card "${h3}"`);
    await page.screenshot({ path: join(artifacts, 'dashboard-overview-zh.png'), fullPage: true });
    await page.selectOption('#lang-select', 'en');

    // Member 360: a member from the top of the champions list.
    const seg = await api('segments/members?map=11&segment=champions&per_page=1');
    const no = seg.members[0]?.member_no;
    check(Boolean(no), `a champion to look up: ${no}`);
    await page.click('#nav-member');
    await ready(page, 'member');
    await page.fill('#m-q', no);
    await page.evaluate(() => { delete document.body.dataset.ready; });
    await page.click('#m-go');
    await ready(page, 'member');
    const profile = await page.textContent('#m-profile');
    const phoneAdmin = (await api(`member?q=${no}`)).profile?.phone || '';
    check(profile.includes(no) && phoneAdmin.includes('*') && profile.includes(phoneAdmin), `member 360 (admin key): ${no} found, phone shown masked (${phoneAdmin})`);
    check((await page.$$('#tbl-m-orders tbody tr')).length > 0, 'member 360: the member\'s orders are listed');
    await page.screenshot({ path: join(artifacts, 'dashboard-member.png'), fullPage: true });

    // Admin: the same member found by its phone number, which stays out of the URL.
    const shown = JSON.parse(run('member', 'show', '--member', no, '--reveal', '--json', '--data', data));
    const phone = shown.profile?.phone;
    check(Boolean(phone), 'the member has a phone to search by');
    await page.selectOption('#m-by', 'phone');
    await page.fill('#m-q', phone);
    await page.evaluate(() => { delete document.body.dataset.ready; });
    await page.click('#m-go');
    await ready(page, 'member');
    const byPhone = await page.textContent('#m-profile');
    const url = page.url();
    check(byPhone.includes(no) && !url.includes(phone.replace('+', '')) && !byPhone.includes(phone),
      `member 360 by phone (admin): found ${no}; the phone is neither in the URL nor shown in clear`);

    // An analyst key: the same member, no phone number anywhere.
    const actx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN' });
    const apage = await actx.newPage();
    watch(apage);
    await signIn(apage, keys.analyst);
    check(await apage.getAttribute('html', 'lang') === 'zh-CN', 'default language from the browser (zh-CN)');
    await apage.goto(`${base}/#/member?q=${no}`);
    await ready(apage, 'member');
    const text = await apage.textContent('#page');
    const am = await api(`member?q=${no}`, keys.analyst);
    check(text.includes(no) && !/\+86|\d{3}\*{4}\d{4}/.test(text) && am.profile === null && am.identifiers.length === 0,
      'member 360 (analyst key): found, no phone number on the page or in the API');
    check(await apage.$('#m-by') === null, 'member 360 (analyst key): no search by phone or email offered');
    const res = await fetch(`${base}/v1/dashboard/member?q=${encodeURIComponent(phone)}&by=phone`, { headers: { Authorization: `Bearer ${keys.analyst}` } });
    check(res.status === 403, `member 360 (analyst key): a phone search is refused (HTTP ${res.status})`);
    await apage.screenshot({ path: join(artifacts, 'dashboard-member-analyst.png'), fullPage: true });
    await actx.close();
  } finally {
    await browser.close();
  }
  check(consoleErrors.length === 0, `no console errors${consoleErrors.length ? `: ${consoleErrors.join(' | ')}` : ''}`);
}

let code = 0;
try {
  await run_();
  code = failures ? 1 : 0;
} catch (e) {
  console.log(`FAIL ${e.stack || e}`);
  code = 1;
} finally {
  const stopped = serverExited;
  if (!stopped) server.kill('SIGTERM');
  await new Promise((f) => (serverExited ? f() : server.on('exit', f)));
  // a clean stop: under ASan a leak or an error in the server makes this non-zero
  check(!stopped && serverStatus === 0, `patron serve stopped cleanly on SIGTERM (exit ${serverStatus})`);
  if (failures) code = 1;
  rmSync(work, { recursive: true, force: true }); // never PATRON_DASH_DATA: it is not under work
}
console.log(code ? `browser test: ${failures} check(s) failed` : 'browser test: every check passed');
process.exit(code);
