import * as os from 'node:os';
import * as path from 'node:path';
import { ensureChromium } from '../support/chromium';

describe('Chromium for the browser tests', () => {
  it('is used where it is installed', () => {
    expect(ensureChromium({ executablePath: process.execPath, root: false })).toBe(
      process.execPath,
    );
  });

  it('when missing and not root, fails at once with one line saying how to install it', () => {
    const missing = path.join(os.tmpdir(), 'no-such-chromium', 'chromium');
    let message = '';
    try {
      ensureChromium({ executablePath: missing, root: false });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`Chromium is missing at ${missing}`);
    expect(message).toContain('apt-get install -y chromium');
    expect(message).not.toContain('\n');
  });
});
