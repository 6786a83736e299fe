// Absences in the browser: a handler on a phone opens 休假代办 from his inbox, sends the form
// empty and sees every problem at once beside its field, then sets his absence with a colleague
// standing in; the colleague's inbox says whose work it lists; the page in English.
//
//   node away.mjs BASE_URL ARTIFACT_DIR PASSWORD_FILE
//
// Exits 0 when every step saw what it expected, 1 otherwise (the reason on stderr).

import { readFileSync } from 'node:fs';
import { expect, fits, start } from './lib.mjs';

const [base, artifacts, passwordFile] = process.argv.slice(2);
const walk = await start(base, artifacts, JSON.parse(readFileSync(passwordFile, 'utf8')));
try {
  const he = await walk.signIn('handler_he', 390);
  await he.page.click('a[href="/away"]');
  await he.page.waitForLoadState();
  expect(await he.page.locator('h1', { hasText: '休假与代办' }).count() === 1, 'the absences page opens from the inbox');
  expect(await fits(he.page), 'the absences page fits a 390 px screen');
  await walk.shot(he.page, 'away-empty');

  // Every problem at once, each beside its field, and nothing set.
  await he.page.click('form[action="/away"] button.primary');
  await he.page.waitForLoadState();
  const errors = he.page.locator('form[action="/away"] .field-error');
  expect(await errors.count() === 4, `a problem beside each field, not ${await errors.count()}`);
  expect(await he.page.locator('.field-error', { hasText: '请选择代办人' }).count() === 1, 'the stand-in is asked for');
  expect(await he.page.locator('table.absences').count() === 0, 'nothing was set');
  await walk.shot(he.page, 'away-errors');

  const day = (n) => new Date(Date.now() + n * 86400000 + 8 * 3600000).toISOString().slice(0, 10);
  await he.page.selectOption('select[name=delegate]', 'handler_tang');
  await he.page.fill('input[name=from]', day(0));
  await he.page.fill('input[name=until]', day(4));
  await he.page.fill('input[name=reason]', '年休假');
  await he.page.click('form[action="/away"] button.primary');
  await he.page.waitForLoadState();
  expect(he.page.url().includes('done=set'), `setting it succeeds: ${he.page.url()}`);
  const row = he.page.locator('table.absences tr', { hasText: '唐' });
  expect(await row.count() === 1, 'the absence is listed with its stand-in');
  expect(await row.locator('.badge', { hasText: '进行中' }).count() === 1, 'and runs from today');
  expect(await fits(he.page), 'the list fits a 390 px screen');
  await walk.shot(he.page, 'away-set');

  const tang = await walk.signIn('handler_tang');
  expect(await tang.page.locator('.notice', { hasText: '您正在代办：何斌' }).count() === 1,
    'the stand-in\'s inbox says whose work it lists');
  await walk.shot(tang.page, 'stand-in-inbox');

  await he.page.click('text=English');
  await he.page.waitForLoadState();
  expect(await he.page.locator('h1', { hasText: 'Away and stand-ins' }).count() === 1, 'the page in English');
  expect(await he.page.locator('th', { hasText: 'Stand-in' }).count() === 1, 'its columns in English');
  await walk.shot(he.page, 'away-english');
  console.log(JSON.stringify({ ok: true, steps: walk.steps }));
  await walk.browser.close();
} catch (e) {
  console.error(`browser walk failed: ${e.message}`);
  await walk.browser.close();
  process.exit(1);
}
