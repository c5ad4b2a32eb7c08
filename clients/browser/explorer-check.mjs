// The GraphQL explorer the local runner serves on the GraphQL URL, in Debian's Chromium
// (headless): its starting query, the schema read by introspection, and a subscription that
// shows a todo created through REST. Run by tests/e2e/test_clients_end_to_end.py with OUTPUTS,
// SERVER_CERT_FILE, ID_TOKEN, OWNER (the token's sub) and SCREENSHOT.
import assert from 'node:assert/strict';
import { loadOutputs, report, required, restCreate } from '../node/outputs.mjs';
import { openPage } from './chromium.mjs';

const outputs = loadOutputs();
const idToken = required('ID_TOKEN');
const { page, pageErrors, browser, close } = await openPage(required('SERVER_CERT_FILE'));
const result = { checks: [], browser };
const passed = (name) => result.checks.push(name);
const resultText = () => page.locator('#result').textContent();

try {
  await page.goto(outputs.GraphQLUrl);
  await page.getByLabel('ID token').fill(idToken);

  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('#status', { hasText: 'HTTP 200' }).waitFor();
  assert.deepEqual(JSON.parse(await resultText()), { data: { __typename: 'Query' } });
  passed('starting query');

  await page.getByRole('button', { name: 'read the schema' }).click();
  await page.locator('#fields code', { hasText: 'getTodo(id): Todo' }).waitFor();
  await page.locator('#fields code', { hasText: 'onCreateTodo(owner): Todo' }).waitFor();
  passed('schema read');

  const subscription = [
    '# comments before the operation do not hide that it is a subscription',
    `subscription { onCreateTodo(owner: ${JSON.stringify(required('OWNER'))}) { id title } }`,
  ].join('\n');
  await page.getByLabel('Query, mutation or subscription').fill(subscription);
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('#status', { hasText: 'subscribed' }).waitFor();
  const created = await restCreate(outputs, idToken, 'Seen in the explorer');
  await page.locator('#result', { hasText: 'Seen in the explorer' }).waitFor();
  const [event] = JSON.parse(await resultText());
  assert.deepEqual(event.data.onCreateTodo, { id: created.id, title: 'Seen in the explorer' });
  passed('subscription event shown');

  await page.getByRole('button', { name: 'Stop subscription' }).click();
  await page.locator('#status', { hasText: 'subscription closed' }).waitFor();
  passed('subscription stopped');
  await page.screenshot({ path: required('SCREENSHOT'), fullPage: true });
  assert.deepEqual(pageErrors, []);
} catch (error) {
  await page.screenshot({ path: required('SCREENSHOT'), fullPage: true }).catch(() => {});
  console.error(`result: ${await resultText().catch(() => '')}; page errors: ${pageErrors}`);
  throw error;
} finally {
  await close();
}
report(result);
