// How much JavaScript a visitor downloads before signing in: builds the app (as `npm start`
// does), serves build/ on the app's port, opens /sign-in in headless Chromium with an empty
// profile, waits for the form, and adds up every script the page itself requested (not the
// service worker's precaching), raw and gzip-compressed (level 9, as static hosts serve them).
// Prints figures; it passes or fails nothing. Nothing else needs to run: signed out, the page
// makes no network call beyond its own files.
// Run: npx tsx bench/sign-in-js.ts   (options: --no-build to measure the existing build/)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../scripts/lib/chromium';
import { serveStatic } from '../scripts/lib/static-server';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = join(root, 'build');

if (!process.argv.includes('--no-build')) {
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
} finally {
	await browser.close();
	await server.close();
}
