/**
 * Finds a Chromium for the browser tests: REELDRIVE_CHROMIUM (or CHROMIUM_PATH) when set, else the
 * usual system locations. Tests never download a browser of their own.
 */
import { existsSync } from 'node:fs';

export const CHROMIUM_CANDIDATES = [
	'/usr/bin/chromium',
	'/usr/bin/chromium-browser',
	'/usr/bin/google-chrome',
	'/usr/bin/google-chrome-stable',
	'/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
	'/Applications/Chromium.app/Contents/MacOS/Chromium'
];

export function findChromium(env: NodeJS.ProcessEnv = process.env, exists = existsSync): string | null {
	const configured = env.REELDRIVE_CHROMIUM || env.CHROMIUM_PATH;
	if (configured) return exists(configured) ? configured : null;
	return CHROMIUM_CANDIDATES.find((path) => exists(path)) ?? null;
}

/** Flags that keep a headless Chromium quiet on a machine without internet access. */
export const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--disable-dev-shm-usage'
];
