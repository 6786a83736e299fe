// Every page as each of its users meets it: each role signs in on the demo centre, in Chinese
// and in English, on a desktop (1280 px) and on a phone (390 px), and opens every section of its
// navigation and the pages one step further (a case, an intake form, a report, a workflow, a
// page that does not exist). On each page: axe-core finds no serious or critical violation, the
// page does not scroll sideways, the page's main action is on screen, no raw identifier shows,
// and no text of the other language (names and what residents wrote aside, which the pages mark
// as content). Every finding is listed at the end; one screenshot per page at each width.
//
//   node tour.mjs BASE_URL ARTIFACT_DIR PASSWORD_FILE
//
// Exits 0 when nothing was found, 1 otherwise (every finding on stderr).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { start } from './lib.mjs';

const [base, artifacts, passwordFile] = process.argv.slice(2);
const passwords = JSON.parse(readFileSync(passwordFile, 'utf8'));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const walk = await start(base, artifacts, passwords);
const roles = ['clerk_wang', 'handler_li', 'head_hotline', 'supervisor_han', 'admin_qin', 'grid_chen'];
const findings = [];
let pages = 0;

// What a page says to people: each text of the page with whether it is the page's own words
// (headings, column heads, labels, buttons, badges, navigation) rather than what people wrote
// or are called; marked content (names, case numbers), elements in another language (`lang`),
// form values and the code of workflows are left out.
function said() {
  const lang = document.documentElement.lang;
  const skip = (el) => el.closest('[data-content], [translate="no"], .case-number, textarea, pre, code, script, style, option, [hidden], [aria-hidden="true"]')
    || (el.closest('[lang]') && el.closest('[lang]').lang !== lang);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || skip(el)) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const text = n.textContent.trim();
    if (text) out.push({ text, ui: !!el.closest('h1, h2, h3, h4, th, label, button, summary, nav, legend, dt, caption, .badge, .stat') });
  }
  return out;
}

async function check(page, who, lang, width, label) {
  pages += 1;
  const where = `${who} ${lang} ${width}px ${label} (${new URL(page.url()).pathname})`;
  const texts = await page.evaluate(said);
  const raw = /\b[a-z][a-z0-9]*_[a-z0-9_]+\b/;
  for (const { text: t, ui } of texts) {
    const m = t.match(raw);
    if (m) findings.push(`${where}: a raw identifier "${m[0]}" in "${t.slice(0, 80)}"`);
    if (lang === 'en' && ui && /[\u4e00-\u9fff]/.test(t)) findings.push(`${where}: Chinese on the English page: "${t.slice(0, 80)}"`);
    if (lang === 'zh' && /\b[A-Za-z]{4,}\b/.test(t.replace(/\b(SLA|CSV|Excel|PDF|API|YAML|SMS|ID|Open311|JSON|OpenAPI|Kannel|SMTP|HTTPS?|UTC|Token|PNG|JPEG|WebP|HEIC|GIF|Word|XLSX|DOCX|GB|MB|KB|URL|IP|OK|HTML)\b/g, ''))) {
      findings.push(`${where}: English on the Chinese page: "${t.slice(0, 80)}"`);
    }
  }
  const skip = await page.evaluate(() => !!document.querySelector('a.skip[href="#main"]') && !!document.getElementById('main'));
  if (!skip && label !== 'missing') findings.push(`${where}: no skip link to the content`);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (wide > 1) findings.push(`${where}: scrolls sideways by ${wide}px`);
  // The main action: the first primary button, when the page has one, can be reached on screen.
  const primary = page.locator('main button.primary:visible, main a.button.primary:visible').first();
  if (await primary.count() === 1) {
    const box = await primary.boundingBox();
    if (box && (box.x < 0 || box.x + box.width > width + 1)) findings.push(`${where}: the main action is off screen (x ${Math.round(box.x)}, w ${Math.round(box.width)})`);
  }
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  for (const v of result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
    const nodes = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ');
    findings.push(`${where}: axe ${v.impact} ${v.id} (${v.help}) at ${nodes}`);
  }
  await walk.shot(page, `${who}-${lang}-${width}-${label}`.replace(/[^a-z0-9-]+/gi, '_'));
}

async function visit(page, href, who, lang, width, label) {
  const r = await page.goto(`${base}${href}`);
  const status = r ? r.status() : 0;
  if (label !== 'missing' && status >= 400) findings.push(`${who} ${lang} ${width}px ${label}: ${href} answers ${status}`);
  await check(page, who, lang, width, label);
}

// The workflow editor: line numbers and highlighting, the edit reaches the form, and the
// validator's diagnostics come back as marks in the gutter on their line.
async function editor(page, who) {
  const where = `${who} workflow editor`;
  await page.waitForSelector('.cm-editor .cm-lineNumbers', { timeout: 10000 }).catch(() => {});
  if (await page.locator('.cm-editor .cm-lineNumbers').count() !== 1) {
    findings.push(`${where}: no code editor with line numbers`);
    return;
  }
  if (await page.locator('textarea#editor').isVisible()) findings.push(`${where}: the bare textarea still shows`);
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.type('nonsense_key: 1\n');
  await page.locator('button[value="validate"]').click();
  await page.waitForLoadState();
  await page.waitForSelector('.cm-editor', { timeout: 10000 }).catch(() => {});
  const listed = await page.locator('ul.diagnostics li').count();
  const marks = await page.locator('.cm-gutter-lint .cm-lint-marker').count();
  if (listed < 1) findings.push(`${where}: the edit did not reach the validator (no diagnostics listed)`);
  if (marks < 1) findings.push(`${where}: no diagnostic marked in the gutter (${listed} listed)`);
  await walk.shot(page, `${who}-workflow-editor-diagnostics`);
}

async function firstLink(page, selector) {
  const a = page.locator(selector).first();
  return (await a.count()) ? a.getAttribute('href') : null;
}

try {
  for (const who of roles) {
    for (const width of [1280, 390]) {
      const { context, page } = await walk.signIn(who, width, { bypassCSP: true });
      for (const lang of ['zh', 'en']) {
        await page.goto(`${base}/lang/${lang === 'zh' ? 'zh-CN' : 'en'}?back=/inbox`);
        const nav = await page.locator('header nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        for (const href of nav) {
          await visit(page, href, who, lang, width, href.replaceAll('/', '-').slice(1));
        }
        // One step further: a case, an intake form, a report, a workflow, the absences page.
        await page.goto(`${base}/cases`);
        const c = await firstLink(page, 'main a[href^="/cases/"]');
        if (c) await visit(page, c, who, lang, width, 'case');
        // The oldest 12345 request: its notifications, supervision records and history are full.
        await page.goto(`${base}/cases?case_type=service_request_12345&sort=oldest`);
        const old = await firstLink(page, 'main a[href^="/cases/"]');
        if (old) {
          await visit(page, old, who, lang, width, 'old-case');
          const receipt = await firstLink(page, 'main a[href$="/receipt"]');
          if (receipt) await visit(page, receipt, who, lang, width, 'receipt');
        }
        await page.goto(`${base}/intake`);
        const f = await firstLink(page, 'main a[href^="/intake/"]');
        if (f) await visit(page, f, who, lang, width, 'intake-form');
        if (nav.includes('/reports')) {
          await page.goto(`${base}/reports`);
          const rep = await firstLink(page, 'main a[href^="/reports/"]');
          if (rep) await visit(page, rep, who, lang, width, 'report');
        }
        if (nav.includes('/admin/workflows')) {
          await page.goto(`${base}/admin/workflows`);
          const wf = await firstLink(page, 'main a[href^="/admin/workflows/"]');
          if (wf) {
            await visit(page, wf, who, lang, width, 'workflow');
            if (lang === 'zh' && width === 1280) await editor(page, who);
          }
        }
        if (nav.includes('/admin/ops')) {
          await page.goto(`${base}/admin/ops`);
          const subs = await page.locator('main a[href^="/admin/"]').evaluateAll((as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
          for (const href of subs.filter((h) => !h.includes('?')).slice(0, 8)) {
            await visit(page, href, who, lang, width, href.replaceAll('/', '-').slice(1));
          }
        }
        await visit(page, '/away', who, lang, width, 'away');
        await visit(page, '/no/such/page', who, lang, width, 'missing');
      }
      await context.close();
    }
  }
  if (findings.length) {
    console.error(`${findings.length} findings over ${pages} pages:\n${[...new Set(findings)].join('\n')}`);
    await walk.browser.close();
    process.exit(1);
  }
  console.log(JSON.stringify({ ok: true, steps: walk.steps, pages }));
  await walk.browser.close();
} catch (e) {
  console.error(`browser tour failed: ${e.stack || e.message}\n${findings.join('\n')}`);
  await walk.browser.close();
  process.exit(1);
}
