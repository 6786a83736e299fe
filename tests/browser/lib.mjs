// What the browser walks share: a browser, signing in as a person at a screen width, taking an
// action from a case page, checking, and a screenshot per step.

import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export async function start(base, artifacts, passwords) {
  mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.YIMEN_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  let step = 0;
  const walk = {
    browser,
    get steps() { return step; },
    async shot(page, name) {
      step += 1;
      await page.screenshot({ path: `${artifacts}/${String(step).padStart(2, '0')}-${name}.png`, fullPage: true });
    },
    async signIn(user, width = 1280, options = {}) {
      const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN', ...options });
      const page = await context.newPage();
      page.on('pageerror', (e) => { throw new Error(`script error on ${page.url()}: ${e}`); });
      await page.goto(`${base}/inbox`);
      expect(page.url().includes('/login'), `an anonymous visit goes to the sign-in page, not ${page.url()}`);
      await page.fill('input[name=user]', user);
      await page.fill('input[name=password]', passwords[user]);
      await page.click('form[action="/login"] button');
      await page.waitForLoadState();
      expect(page.url().endsWith('/inbox'), `${user} lands on the inbox after signing in, not ${page.url()}`);
      return { context, page };
    },
  };
  return walk;
}

export function expect(cond, what) {
  if (!cond) throw new Error(what);
}

export async function act(page, action, fill = {}) {
  const form = page.locator(`form[data-action="${action}"]`);
  expect(await form.count() === 1, `the case page offers the action ${action}`);
  await form.locator('xpath=..').locator('summary').click();
  for (const [name, value] of Object.entries(fill)) {
    const input = form.locator(`[name="${name}"]`);
    if (await input.evaluate((e) => e.tagName) === 'SELECT') await input.selectOption(value);
    else await input.fill(value);
  }
  await form.locator('button.primary').click();
  await page.waitForLoadState();
}

export async function caseState(page) {
  return (await page.locator('.case-head .badge.state').textContent()).trim();
}

export async function fits(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}
