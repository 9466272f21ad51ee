// How much JavaScript a visitor downloads before signing in: builds the app (as `npm start`
// does), serves build/ on the app's port, opens /sign-in in headless Chromium with an empty
// profile, waits for the form, and adds up every script the page itself requested (not the
// service worker's precaching), raw and gzip-compressed (level 9, as static hosts serve them).
// Prints figures; it passes or fails nothing. Nothing else needs to run: signed out, the page
// makes no network call beyond its own files.
// Then, under a mid-range phone profile (CPU 4× slower and Lighthouse's slow 4G: 150 ms, 1.6 Mbit/s
// down, 750 kbit/s up, through DevTools, which is fine here: no upload is measured), the time from
// navigation until the sign-in form responds: until the app has attached its submit handler to
// the form (before that, pressing Sign in would post the form natively). Cold cache, every run.
// Run: npx tsx bench/sign-in-js.ts   (options: --no-build to measure the existing build/, --runs 3, --smoke)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../scripts/lib/chromium';
import { serveStatic } from '../scripts/lib/static-server';
import { figure, numberArg, PREBUILT } from './lib/results';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = join(root, 'build');

const RUNS = numberArg('runs', 3, 1);

if (!PREBUILT) {
	const result = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
		cwd: root,
		stdio: 'inherit',
		env: { ...process.env, NODE_ENV: 'production', REELDRIVE_ENV_MODE: 'development' }
	});
	if (result.status !== 0) process.exit(1);
}

const server = await serveStatic(build, 5173);
const browser = await chromium.launch({ executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS });
try {
	const page = await browser.newPage();
	const scripts = new Set<string>();
	page.on('request', (request) => {
		if (request.resourceType() === 'script') scripts.add(new URL(request.url()).pathname);
	});
	await page.goto(`${server.url}/sign-in`);
	await page.getByRole('heading', { name: 'Sign in to Reeldrive' }).waitFor();
	await page.waitForLoadState('networkidle');

	let raw = 0;
	let gzip = 0;
	const rows: [string, number, number][] = [];
	for (const path of [...scripts].sort()) {
		const bytes = readFileSync(join(build, path));
		const packed = gzipSync(bytes, { level: 9 }).length;
		raw += bytes.length;
		gzip += packed;
		rows.push([path, bytes.length, packed]);
	}
	rows.sort((a, b) => b[2] - a[2]);
	for (const [path, size, packed] of rows) console.log(`${(packed / 1024).toFixed(1).padStart(8)} KiB gz ${(size / 1024).toFixed(1).padStart(8)} KiB  ${path}`);
	console.log(`\n/sign-in requests ${rows.length} scripts: ${(raw / 1024).toFixed(1)} KiB, ${(gzip / 1024).toFixed(1)} KiB gzip`);
	figure({ name: 'first-load.js-gzip', unit: 'kB', runs: [gzip / 1000], note: `JavaScript the sign-in page requests, gzip level 9 (${rows.length} scripts, ${(raw / 1000).toFixed(0)} kB raw)` });
	await page.close();

	const responds: number[] = [];
	for (let run = 0; run < RUNS; run++) {
		const context = await browser.newContext();
		// Records when the app attaches its submit handler to a form: the moment the form responds.
		await context.addInitScript(`(() => {
			const add = EventTarget.prototype.addEventListener;
			EventTarget.prototype.addEventListener = function (type, listener, options) {
				if (type === 'submit' && this instanceof HTMLFormElement && window.__formResponds === undefined) window.__formResponds = performance.now();
				return add.call(this, type, listener, options);
			};
		})()`);
		const phone = await context.newPage();
		const cdp = await context.newCDPSession(phone);
		await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
		await cdp.send('Network.enable');
		await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8) * 0.9, uploadThroughput: (750e3 / 8) * 0.9 });
		await phone.goto(`${server.url}/sign-in`, { timeout: 120_000 });
		await phone.waitForFunction(() => (window as unknown as { __formResponds?: number }).__formResponds !== undefined, null, { timeout: 120_000 });
		responds.push(await phone.evaluate(() => (window as unknown as { __formResponds: number }).__formResponds));
		console.log(`phone profile, run ${run + 1}: the sign-in form responds ${responds[run]!.toFixed(0)} ms after navigation`);
		await context.close();
	}
	figure({ name: 'first-load.form-responds-phone', unit: 'ms', runs: responds, note: 'navigation to the sign-in form responding, 4× CPU slowdown and slow 4G (150 ms, 1.6 Mbit/s), cold cache' });
} finally {
	await browser.close();
	await server.close();
}
