// Debian's Chromium, headless, with a fresh profile, trusting this run's server certificate by
// its public key (--ignore-certificate-errors-spki-list, which Chromium matches against the
// leaf's key, not a CA's); certificate checks stay on for everything else. A person imports
// .local/tls/ca.pem instead.
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const TIMEOUT_MS = 15_000;

function spkiHash(certificateFile) {
  const key = new X509Certificate(readFileSync(certificateFile)).publicKey;
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('base64');
}

// A page in a new headless Chromium; `close()` ends the browser and removes its profile.
export async function openPage(serverCertificateFile) {
  const profile = mkdtempSync(join(tmpdir(), 'local-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${spkiHash(serverCertificateFile)}`,
    ],
    viewport: { width: 900, height: 700 },
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { page, pageErrors, browser: context.browser()?.version() ?? 'chromium', close };
}
