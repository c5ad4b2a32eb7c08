// The web page in Debian's Chromium (headless), driven by playwright-core: the first sign-in of
// an admin-created user (new password), add, a server-side write shown live, complete, delete.
// Run by tests/e2e/test_clients_end_to_end.py with OUTPUTS, WEB_URL, SERVER_CERT_FILE, EMAIL,
// TEMPORARY_PASSWORD, NEW_PASSWORD and SCREENSHOT.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { loadOutputs, report, required, restCreate } from '../node/outputs.mjs';
import { openPage } from './chromium.mjs';

const LIVE_WRITES = 3;

const outputs = loadOutputs();
const email = required('EMAIL');
const newPassword = required('NEW_PASSWORD');
const { page, pageErrors, browser, close } = await openPage(required('SERVER_CERT_FILE'));
const result = { checks: [], browser };
const passed = (name) => result.checks.push(name);

try {
  await page.goto(required('WEB_URL'));
  // -- first sign-in: NEW_PASSWORD_REQUIRED ------------------------------------------------
  const signInForm = page.locator('#sign-in');
  await signInForm.getByLabel('Email').fill(email);
  await signInForm.getByLabel('Password').fill(required('TEMPORARY_PASSWORD'));
  await signInForm.getByRole('button', { name: 'Sign in' }).click();
  const newPasswordForm = page.locator('#new-password');
  await newPasswordForm.getByLabel('New password').fill(newPassword);
  await newPasswordForm.getByRole('button', { name: 'Set password' }).click();
  passed('new password required and set');
  await page.locator('#who').getByText(email).waitFor();
  passed('signed in');

  // -- add through the page ----------------------------------------------------------------
  const list = page.getByRole('list', { name: 'Todos' });
  await page.getByLabel('New todo').fill('Water the plants');
  await page.getByRole('button', { name: 'Add' }).click();
  await list.getByText('Water the plants').waitFor();
  passed('added');

  // -- a write made elsewhere (REST -> Lambda -> AppSync) appears without reloading ----------
  await page.locator('#live.on').waitFor();
  const idToken = await cognitoIdToken(email, newPassword);
  result.latencyMs = [];
  for (let i = 0; i < LIVE_WRITES; i += 1) {
    const title = `Written by the server ${i + 1}`;
    const sent = performance.now();
    await restCreate(outputs, idToken, title);
    await list.getByText(title).waitFor();
    result.latencyMs.push(Math.round(performance.now() - sent));
  }
  passed('server write shown live');

  // -- complete and delete -------------------------------------------------------------------
  await page.getByLabel('Complete Water the plants').check();
  await list.locator('li.done', { hasText: 'Water the plants' }).waitFor();
  passed('completed');
  await page.screenshot({ path: required('SCREENSHOT'), fullPage: true });
  await page.getByRole('button', { name: 'Delete Written by the server 1' }).click();
  await list.getByText('Written by the server 1').waitFor({ state: 'detached' });
  passed('deleted');
  assert.deepEqual(pageErrors, []);
} catch (error) {
  await page.screenshot({ path: required('SCREENSHOT'), fullPage: true }).catch(() => {});
  const shown = await page.locator('#error').textContent().catch(() => '');
  console.error(`page error text: ${shown}; page errors: ${pageErrors.join('; ')}`);
  throw error;
} finally {
  await close();
}
report(result);

async function cognitoIdToken(username, password) {
  // Another client of the same user (as the `todo` CLI would be), signing in directly.
  const response = await fetch(outputs.AwsEndpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({
      ClientId: outputs.UserPoolClientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.AuthenticationResult.IdToken;
}
