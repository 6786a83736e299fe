// One case's life in the browser, as three people do it: a clerk registers a 12345 request and
// dispatches it, a handler claims it from the inbox and signs for it, a supervisor escalates it
// by hand, the handler answers the supervision record (督办单), the supervisor accepts the answer;
// then a grid worker reports an event with a photo (附件) on a phone and downloads it again.
// Screenshots of every step are kept in the artifacts directory.
//
//   node walk.mjs BASE_URL ARTIFACT_DIR PASSWORD_FILE
//
// PASSWORD_FILE is JSON: {"clerk_wang": "...", "handler_li": "...", "supervisor_han": "...", …}.
// Exits 0 when every step saw what it expected, 1 otherwise (the reason on stderr).

import { readFileSync } from 'node:fs';
import { act, caseState, expect, start } from './lib.mjs';

const [base, artifacts, passwordFile] = process.argv.slice(2);
const walk = await start(base, artifacts, JSON.parse(readFileSync(passwordFile, 'utf8')));
const { browser } = walk;
const shot = (page, name) => walk.shot(page, name);
const signIn = (user, width) => walk.signIn(user, width);

const content = `楼道灯坏了 <script>alert(1)</script> '; DROP TABLE cases; --`;
try {
  // 1. The clerk registers a request at the one door.
  const clerk = await signIn('clerk_wang');
  await clerk.page.click('text=受理登记');
  await clerk.page.click('a[href="/intake/service_request_12345"]');
  await shot(clerk.page, 'intake-form');
  // A missing required field is reported next to the field and nothing is registered.
  await clerk.page.fill('input[name="f.caller"]', '张三');
  await clerk.page.fill('input[name="f.caller_phone"]', '1380013');
  await clerk.page.selectOption('select[name="f.category"]', 'request');
  await clerk.page.fill('textarea[name="f.content"]', content);
  await clerk.page.click('form.intake button.primary');
  await clerk.page.waitForLoadState();
  // Too short for a phone: the browser's own check (the field's pattern) keeps it on the page.
  expect(await clerk.page.locator('input[name="f.caller_phone"]:invalid').count() === 1,
    'the browser itself says a too-short phone number is wrong');
  expect(!clerk.page.url().includes('/cases/'), 'nothing is sent while the browser refuses it');
  // Long enough but no mainland number: the server says so next to the field.
  await clerk.page.fill('input[name="f.caller_phone"]', '2380013800');
  await clerk.page.click('form.intake button.primary');
  await clerk.page.waitForLoadState();
  expect(await clerk.page.locator('label.invalid small.field-error').count() === 1,
    'a wrong phone number is reported next to its field');
  expect(await clerk.page.locator('small.field-error', { hasText: '不是有效的电话号码' }).count() === 1,
    'in the page\'s words, with the field\'s label');
  await shot(clerk.page, 'intake-invalid-phone');
  await clerk.page.fill('input[name="f.caller_phone"]', '13800138000');
  await clerk.page.click('form.intake button.primary');
  await clerk.page.waitForLoadState();
  expect(/\/cases\/[^/?]+\?done=opened_receipt/.test(clerk.page.url()), `registering opens the case page, not ${clerk.page.url()}`);
  const caseUrl = clerk.page.url().split('?')[0];
  const html = await clerk.page.content();
  expect(!html.includes('<script>alert(1)</script>'), 'text from a form is escaped on the page');
  expect(await clerk.page.locator('dd', { hasText: '<script>alert(1)</script>' }).count() === 1,
    'the text is shown as the clerk typed it');
  await shot(clerk.page, 'case-registered');
  await act(clerk.page, 'dispatch', { 'f.handling_department': 'hotline_12345' });
  expect(clerk.page.url().includes('done=acted'), 'dispatching succeeds');
  expect(await caseState(clerk.page) === '已派单待签收', `the case is dispatched, not ${await caseState(clerk.page)}`);
  const flash = (await clerk.page.locator('main .notice[role=status]').first().textContent()).trim();
  expect(flash === '已办理「派单」，案件现为「已派单待签收」，承办单位：12345政务服务热线。',
    `the flash says what was done and where the case went, not "${flash}"`);
  await shot(clerk.page, 'case-dispatched');

  // 2. The handler finds it in the inbox, claims it and signs for it.
  const handler = await signIn('handler_li');
  const row = handler.page.locator('tr', { has: handler.page.locator(`a[href="${new URL(caseUrl).pathname}"]`) });
  expect(await row.count() === 1, 'the dispatched case is in the handler\'s inbox');
  await shot(handler.page, 'handler-inbox');
  await row.locator('form[action$="/claim"] button').click();
  await handler.page.waitForLoadState();
  expect(handler.page.url().startsWith(caseUrl), 'claiming opens the case');
  await act(handler.page, 'sign_for');
  expect(await caseState(handler.page) === '办理中', `the handler signed for it: ${await caseState(handler.page)}`);
  await shot(handler.page, 'handler-signed');

  // 3. The supervisor escalates it by hand from the case page.
  const sup = await signIn('supervisor_han');
  await sup.page.goto(caseUrl);
  const escalate = sup.page.locator('form[action$="/escalate"]');
  await escalate.locator('xpath=..').locator('summary').click();
  // The level is chosen among those the supervisor may open, each saying who will be told.
  const level1 = escalate.locator('label.choice', { has: sup.page.locator('input[value=centre_special]') });
  expect(await level1.count() === 1, 'the centre\'s rung is offered');
  expect(await escalate.locator('input[value=office_key]').count() === 0, 'a level-1 supervisor is not offered level 2');
  expect(await level1.locator('small', { hasText: '将通知：' }).count() === 1, 'the rung says who will be told');
  await escalate.locator('textarea[name=reason]').fill('来电人反映两日无人联系');
  await escalate.locator('button.primary').click();
  await sup.page.waitForLoadState();
  expect(sup.page.url().includes('done=escalated'), `escalating succeeds: ${sup.page.url()}`);
  expect(await sup.page.locator('form[action$="/answer"]').count() === 0, 'the supervisor does not answer for the department');
  await shot(sup.page, 'supervisor-escalated');
  await sup.page.click('text=督办');
  expect(await sup.page.locator(`a[href="${new URL(caseUrl).pathname}"]`).count() >= 1, 'the case is on the supervision board');
  await shot(sup.page, 'supervision-board');

  // 4. The handler answers the supervision record.
  await handler.page.goto(caseUrl);
  await handler.page.fill('form[action$="/answer"] textarea[name=text]', '已联系物业当日更换灯具，并回复来电人。');
  await handler.page.click('form[action$="/answer"] button');
  await handler.page.waitForLoadState();
  expect(handler.page.url().includes('done=answered'), `answering succeeds: ${handler.page.url()}`);
  await shot(handler.page, 'handler-answered');

  // 5. The supervisor accepts the answer.
  await sup.page.goto(`${base}/supervision`);
  await shot(sup.page, 'board-to-review');
  await sup.page.goto(caseUrl);
  await sup.page.click('form[action$="/review"] button[value=true]');
  await sup.page.waitForLoadState();
  expect(sup.page.url().includes('done=accepted'), `accepting succeeds: ${sup.page.url()}`);
  expect(await sup.page.locator('text=已认可').count() >= 1, 'the record shows it was accepted');
  // The supervisor's role does not see personal data: the caller's phone is masked.
  expect(await sup.page.locator('dd.masked', { hasText: '138****8000' }).count() === 1, 'the phone is masked for a supervisor');
  await shot(sup.page, 'supervisor-accepted');

  // The English pages are one click away.
  await sup.page.click('text=English');
  expect(await sup.page.locator('h2', { hasText: 'History' }).count() === 1, 'the page switches to English');
  await shot(sup.page, 'case-in-english');

  // 6. On a phone, the admin finds the caller by phone number (written with spaces), places a
  //    legal hold on the case, and reads the privacy log, in Chinese and in English.
  const admin = await signIn('admin_qin', 390);
  await admin.page.goto(`${base}/admin/privacy`);
  await admin.page.fill('input[name=phone]', '138 0013 8000');
  await admin.page.click('form[action="/admin/privacy"] button');
  await admin.page.waitForLoadState();
  const found = admin.page.locator('tr', { has: admin.page.locator(`a[href="${new URL(caseUrl).pathname}"]`) });
  expect(await found.count() === 1, 'the caller\'s case is found by the phone number');
  const fits = async () => admin.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  expect(await fits(), 'the privacy page fits a 390 px screen');
  await shot(admin.page, 'privacy-found');
  await found.locator('input[name=reason]').fill('法院保全裁定');
  await found.locator('form[action="/admin/privacy/hold"] button').click();
  await admin.page.waitForLoadState();
  expect(admin.page.url().includes('done=held'), `the hold is placed: ${admin.page.url()}`);
  expect(await admin.page.locator('td', { hasText: '设置保全' }).count() >= 1, 'the log says a hold was placed');
  expect(!(await admin.page.content()).includes('13800138000'), 'the log shows no phone number');
  await admin.page.click('text=English');
  expect(await admin.page.locator('h1', { hasText: 'Personal data' }).count() === 1, 'the privacy page in English');
  expect(await admin.page.locator('td', { hasText: 'Hold placed' }).count() >= 1, 'the log in English');
  expect(await fits(), 'the English privacy page fits a 390 px screen');
  await shot(admin.page, 'privacy-log-english');

  // 7. On a phone, the clerk finds the case again by its number (案件编号) and by a word of
  //    the request, sees a bad date said beside its field, exports the list, in both languages.
  const number = (await clerk.page.locator('h1 small.case-number').textContent()).trim();
  expect(/^普治〔\d{4}〕\d{5}号$/.test(number), `the case page's title carries the case number, not ${number}`);
  const finder = await signIn('clerk_wang', 390);
  await finder.page.click('text=案件查询');
  expect(finder.page.url().endsWith('/cases'), `the list opens from the menu: ${finder.page.url()}`);
  const fitsList = async () => finder.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  for (const q of [number, '楼道']) {
    await finder.page.fill('input[name=q]', q);
    await finder.page.click('form.case-filters button.primary');
    await finder.page.waitForLoadState();
    const hit = finder.page.locator('tr', { has: finder.page.locator(`a[href="${new URL(caseUrl).pathname}"]`) });
    expect(await hit.count() === 1, `searching ${q} finds the case`);
    expect(await hit.locator('small.case-number', { hasText: number }).count() === 1, 'the row names the case by its number');
  }
  expect(await fitsList(), 'the case list fits a 390 px screen');
  await shot(finder.page, 'case-list-found');
  const [download] = await Promise.all([
    finder.page.waitForEvent('download'),
    finder.page.click('a[href*="format=csv"]'),
  ]);
  const csv = readFileSync(await download.path());
  expect(csv[0] === 0xef && csv[1] === 0xbb && csv[2] === 0xbf, 'the CSV export starts with a byte-order mark');
  expect(csv.toString('utf8').includes(number), 'the CSV export holds the case number');
  await finder.page.goto(`${base}/cases?opened_from=2026-02-30`);
  expect(await finder.page.locator('#e-from.field-error').count() === 1, 'a bad date is said beside its field');
  expect(await finder.page.locator('#f-from[aria-invalid=true]').count() === 1, 'the bad field is marked invalid');
  await shot(finder.page, 'case-list-bad-date');
  await finder.page.click('text=English');
  expect(await finder.page.locator('#e-from', { hasText: 'Enter a date' }).count() === 1, 'the problem in English');
  expect(await finder.page.locator('h1', { hasText: 'Find a case' }).count() === 1, 'the list page in English');
  expect(await fitsList(), 'the English case list fits a 390 px screen');
  await shot(finder.page, 'case-list-english');

  // 8. On a phone, a grid worker reports an event with a photo: a file that only claims to be
  //    a photo is refused beside the field, the real photo goes up, its thumbnail shows on the
  //    case page, and the download comes back byte for byte and is in the history.
  const grid = await signIn('grid_chen', 390);
  await grid.page.goto(`${base}/intake/grid_event`);
  const photo = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  await grid.page.fill('input[name="f.reporter"]', '陈网格');
  await grid.page.fill('input[name="f.location"]', '沈家门渔港路12号');
  await grid.page.selectOption('select[name="f.category"]', 'safety');
  await grid.page.fill('textarea[name="f.description"]', '路灯杆倾斜，有倒塌危险');
  await grid.page.setInputFiles('input[name="file.photo"]',
    [{ name: '现场.png', mimeType: 'image/png', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') }]);
  await grid.page.click('form.intake button.primary');
  await grid.page.waitForLoadState();
  const fileError = grid.page.locator('label.invalid small.field-error', { hasText: '现场.png' });
  expect(await fileError.count() === 1, 'a file whose content is not a photo is refused beside its field');
  const fitsGrid = async () => grid.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  expect(await fitsGrid(), 'the intake form with a refused file fits a 390 px screen');
  await shot(grid.page, 'intake-file-refused');
  await grid.page.setInputFiles('input[name="file.photo"]', [{ name: '现场.png', mimeType: 'image/png', buffer: photo }]);
  const picker = grid.page.locator('label', { has: grid.page.locator('input[name="file.photo"]') });
  expect(await picker.locator('.file-button', { hasText: '选择文件' }).isVisible(), 'the file button speaks the page\'s language');
  expect((await picker.locator('.file-names').textContent()).trim() === '现场.png', 'the chosen file is named beside the button');
  await grid.page.click('form.intake button.primary');
  await grid.page.waitForLoadState();
  expect(/\/cases\/[^/?]+\?done=opened/.test(grid.page.url()), `reporting with a photo opens the case: ${grid.page.url()}`);
  const thumb = grid.page.locator('#files ul.files img');
  expect(await thumb.count() === 1, 'the photo is listed with a thumbnail');
  expect(await thumb.evaluate((i) => i.complete && i.naturalWidth > 0), 'the thumbnail loads');
  expect(await fitsGrid(), 'the case page with its files fits a 390 px screen');
  await shot(grid.page, 'case-with-photo');
  const [photoDownload] = await Promise.all([
    grid.page.waitForEvent('download'),
    grid.page.click('#files a[download]'),
  ]);
  expect(photoDownload.suggestedFilename() === '现场.png', `the download keeps its name: ${photoDownload.suggestedFilename()}`);
  expect(Buffer.compare(readFileSync(await photoDownload.path()), photo) === 0, 'the photo comes back byte for byte');
  await grid.page.reload();
  expect(await grid.page.locator('ol.history li', { hasText: '下载附件' }).count() === 1, 'the download is in the history');
  await grid.page.click('text=English');
  expect(await grid.page.locator('h2', { hasText: 'Files' }).count() === 1, 'the files in English');
  expect(await grid.page.locator('ol.history li', { hasText: 'File downloaded' }).count() === 1, 'the history in English');
  await shot(grid.page, 'case-with-photo-english');
  console.log(JSON.stringify({ ok: true, steps: walk.steps, case: caseUrl }));
  await browser.close();
} catch (e) {
  console.error(`browser walk failed: ${e.message}`);
  await browser.close();
  process.exit(1);
}
