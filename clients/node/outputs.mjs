// Shared by the Node client checks: the outputs file named by OUTPUTS, the environment
// values the tests pass, and a small reporter.
import { readFileSync } from 'node:fs';
import { stackOutputs } from '../web/src/config.js';

export function loadOutputs() {
  const path = process.env.OUTPUTS ?? '../local-outputs.json';
  return stackOutputs(JSON.parse(readFileSync(path, 'utf8')));
}

export function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

// The IAM credentials a test passes in (ROLE_ACCESS_KEY_ID, ROLE_SECRET_ACCESS_KEY,
// ROLE_SESSION_TOKEN): a backend role's, for the iam auth mode.
export function roleCredentials() {
  return {
    accessKeyId: required('ROLE_ACCESS_KEY_ID'),
    secretAccessKey: required('ROLE_SECRET_ACCESS_KEY'),
    sessionToken: required('ROLE_SESSION_TOKEN'),
  };
}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function restCreate(outputs, idToken, title) {
  const response = await fetch(new URL('items', outputs.RestApiUrl), {
    method: 'POST',
    headers: { Authorization: idToken, 'Content-Type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  if (response.status !== 201) {
    throw new Error(`POST /items: ${response.status} ${await response.text()}`);
  }
  return response.json();
}

export function report(result) {
  // One JSON line: what the pytest driver reads.
  console.log(`RESULT ${JSON.stringify(result)}`);
}

export function packageVersion(name) {
  // Read from the installed package itself (some packages do not export ./package.json).
  const path = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(path, 'utf8')).version;
}
