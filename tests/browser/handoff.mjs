// Work that reaches nobody, in the browser: a hotline clerk registers a 12345 request at a street
// where no hotline handler works and dispatches it; the hotline's head finds it in the queue of
// tasks that reach nobody, gives it to the district's handler with a reason; the handler, on a
// phone, finds it in his inbox; the head's department page counts it, in both languages; a
// second request is dispatched to another department with its handler named.
//
//   node handoff.mjs BASE_URL ARTIFACT_DIR PASSWORD_FILE
//
// Run against workflows whose 12345 handling task is for the unit where the request arose.
// Exits 0 when every step saw what it expected, 1 otherwise (the reason on stderr).

import { readFileSync } from 'node:fs';
import { act, caseState, expect, fits, start } from './lib.mjs';

const [base, artifacts, passwordFile] = process.argv.slice(2);
const walk = await start(base, artifacts, JSON.parse(readFileSync(passwordFile, 'utf8')));
try {
  // 1. The clerk registers a request arising at 沈家门街道 and dispatches it.
  const clerk = await walk.signIn('clerk_xia');
  await clerk.page.goto(`${base}/intake/service_request_12345`);
  await clerk.page.selectOption('select[name=unit]', 'shenjiamen');
  await clerk.page.fill('input[name="f.caller"]', '陆某');
  await clerk.page.fill('input[name="f.caller_phone"]', '13800138001');
  await clerk.page.selectOption('select[name="f.category"]', 'request');
  await clerk.page.fill('textarea[name="f.content"]', '渔港路井盖缺失');
  await clerk.page.click('form.intake button.primary');
  await clerk.page.waitForLoadState();
  expect(/\/cases\/[^/?]+\?done=opened/.test(clerk.page.url()), `registering opens the case: ${clerk.page.url()}`);
  const caseUrl = clerk.page.url().split('?')[0];
  const casePath = new URL(caseUrl).pathname;
  await act(clerk.page, 'dispatch', { 'f.handling_department': 'hotline_12345' });
  expect(await caseState(clerk.page) === '已派单待签收', `dispatched: ${await caseState(clerk.page)}`);
  expect(await clerk.page.locator('.tasks .badge', { hasText: '无人可承接' }).count() === 1,
    'the case page says the handling task reaches nobody');
  await walk.shot(clerk.page, 'dispatched-reaches-nobody');

  // 2. Before: the district's handler has nothing in his inbox for it.
  const handler = await walk.signIn('handler_li', 390);
  expect(await handler.page.locator(`a[href="${casePath}"]`).count() === 0, 'the handler\'s inbox does not list it');

  // 3. The head finds it in the queue of tasks that reach nobody and gives it to the handler.
  const head = await walk.signIn('head_hotline');
  const queue = head.page.locator('section[aria-labelledby=unstaffed-title]');
  expect(await queue.count() === 1, 'the head\'s inbox shows the tasks that reach nobody');
  const row = queue.locator('tr', { has: head.page.locator(`a[href="${casePath}"]`) });
  expect(await row.count() === 1, 'the request is in the queue');
  await walk.shot(head.page, 'head-queue');
  await row.locator('a.button').click();
  await head.page.waitForLoadState();
  const give = head.page.locator('form[action$="/reassign"]');
  expect(await give.isVisible(), 'the give-to form is open for a task that reaches nobody');
  await give.locator('select[name=to_user]').selectOption('handler_li');
  // The reason is required: the browser says so and nothing is sent.
  await give.locator('button').click();
  expect(head.page.url().startsWith(caseUrl) && !head.page.url().includes('done='), 'without a reason nothing is sent');
  await give.locator('input[name=reason]').fill('街道无人承办，由区级承办');
  await give.locator('button').click();
  await head.page.waitForLoadState();
  expect(head.page.url().includes('done=given'), `giving succeeds: ${head.page.url()}`);
  expect(await head.page.locator('.notice', { hasText: '任务已指派' }).count() === 1, 'the page says it was given');
  expect(await head.page.locator('ol.history li', { hasText: '街道无人承办' }).count() === 1, 'the history keeps the reason');
  expect(await head.page.locator('ol.history li', { hasText: '任务无人承接' }).count() === 1, 'and says the task reached nobody');
  await walk.shot(head.page, 'head-gave');

  // 4. The handler, on a phone, finds it in his inbox and opens it.
  await handler.page.reload();
  const mine = handler.page.locator('tr', { has: handler.page.locator(`a[href="${casePath}"]`) });
  expect(await mine.count() === 1, 'the task is in the handler\'s inbox');
  expect(await fits(handler.page), 'the inbox fits a 390 px screen');
  await walk.shot(handler.page, 'handler-inbox');

  // 5. The head's department page counts it by person, in both languages.
  await head.page.click('text=本部门工作');
  expect(head.page.url().includes('/team'), `the department page opens from the menu: ${head.page.url()}`);
  const li = head.page.locator('table.team-load tr', { hasText: '李强' });
  expect((await li.locator('td.n').first().textContent()).trim() === '1', 'the handler holds one task');
  await walk.shot(head.page, 'team');
  await head.page.click('text=English');
  expect(await head.page.locator('h1', { hasText: 'Department work' }).count() === 1, 'the department page in English');
  expect(await head.page.locator('th', { hasText: 'Overdue' }).count() === 1, 'its columns in English');
  await walk.shot(head.page, 'team-english');

  // 6. Dispatching can choose the department and name the handler: the clerk sends a second
  //    request to 智慧城管中心 for 陆洋, who finds it in his inbox already his.
  await clerk.page.goto(`${base}/intake/service_request_12345`);
  await clerk.page.fill('input[name="f.caller"]', '钱某');
  await clerk.page.fill('input[name="f.caller_phone"]', '13800138002');
  await clerk.page.selectOption('select[name="f.category"]', 'complaint');
  await clerk.page.fill('textarea[name="f.content"]', '东河路路灯不亮');
  await clerk.page.click('form.intake button.primary');
  await clerk.page.waitForLoadState();
  const second = new URL(clerk.page.url().split('?')[0]).pathname;
  await act(clerk.page, 'dispatch', { 'f.handling_department': 'smart_city', assign_to: 'handler_lu' });
  expect(clerk.page.url().includes('done=acted'), `dispatching to a named handler succeeds: ${clerk.page.url()}`);
  expect(await clerk.page.locator('.tasks li', { hasText: '陆洋' }).count() >= 1, 'the case page names the handler');
  await walk.shot(clerk.page, 'dispatched-to-handler');
  const lu = await walk.signIn('handler_lu', 390);
  expect(await lu.page.locator(`a[href="${second}"]`).count() >= 1, 'the named handler has it in his inbox');
  await walk.shot(lu.page, 'named-handler-inbox');
  console.log(JSON.stringify({ ok: true, steps: walk.steps, case: caseUrl }));
  await walk.browser.close();
} catch (e) {
  console.error(`browser walk failed: ${e.message}`);
  await walk.browser.close();
  process.exit(1);
}
