/**
 * Chromium for the console's browser tests, from Debian's `chromium` package:
 * no browser download is possible here. When it is missing, a root process
 * (CI) installs it with apt-get; anyone else gets one line saying how.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function ensureChromium({
  executablePath = CHROMIUM_PATH,
  root = process.getuid?.() === 0,
}: { executablePath?: string; root?: boolean } = {}): string {
  if (fs.existsSync(executablePath)) return executablePath;
  if (!root) {
    throw new Error(
      `Chromium is missing at ${executablePath}: install it with "sudo apt-get update && sudo apt-get install -y chromium" (or set CHROMIUM_PATH)`,
    );
  }
  const apt = {
    stdio: 'inherit' as const,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  };
  execFileSync('apt-get', ['update'], apt);
  execFileSync(
    'apt-get',
    ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-liberation'],
    apt,
  );
  if (!fs.existsSync(executablePath)) {
    throw new Error(`apt-get installed chromium but ${executablePath} is still missing`);
  }
  return executablePath;
}
