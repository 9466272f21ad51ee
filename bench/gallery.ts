// A product with 1,000 videos in OneDrive: how soon its gallery shows the first screen, and
// whether scrolling to the end and back stays free of long main-thread tasks. Drives the built
// app in headless Chromium against the whole local stack, which it starts on the usual ports
// (stop `npm start` first). Prints figures; it passes or fails nothing.
// Run: npx tsx bench/gallery.ts   (options: --videos 1000 --runs 3 --cpu-throttle 1 --no-onedrive --no-build --smoke)
// If a step stalls, it fails within a minute and prints where the page was and what it said.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../scripts/lib/chromium';
import { figure, numberArg, PREBUILT } from './lib/results';

const VIDEOS = numberArg('videos', 1000, 50);
const RUNS = numberArg('runs', 3, 1);
const CPU_THROTTLE = numberArg('cpu-throttle', 1);
/** Without OneDrive: cards show placeholders and no Graph request is made (rendering alone). */
const WITHOUT_ONEDRIVE = process.argv.includes('--no-onedrive');

const APP = 'http://localhost:5173';
const MICROSOFT = 'http://localhost:4010';
const SUPABASE = 'http://localhost:54321';
const PASSWORD = 'reeldrive-demo';
const root = fileURLToPath(new URL('..', import.meta.url));
const env = readFileSync(join(root, '.env.development'), 'utf8');
const ANON_KEY = /^PUBLIC_SUPABASE_ANON_KEY=(.+)$/m.exec(env)![1]!.trim();

async function waitFor(url: string, child: ChildProcess, seconds: number): Promise<void> {
	for (let i = 0; i < seconds * 2; i++) {
		if (child.exitCode !== null) throw new Error(`the stack exited with ${child.exitCode}:\n${stackErrors}`);
		if (await fetch(url).then((r) => r.ok, () => false)) return;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error(`${url} did not answer within ${seconds} s`);
}

async function json<T>(response: Response): Promise<T> {
	const text = await response.text();
	if (!response.ok) throw new Error(`${response.url}: ${response.status} ${text}`);
	return (text ? JSON.parse(text) : null) as T;
}

/** An app user, a Microsoft account with VIDEOS seeded videos, and a product linking them all. */
async function seed(): Promise<{ email: string; microsoft: string; productId: string }> {
	const stamp = Date.now().toString(36);
	const email = `bench-${stamp}@reeldrive.test`;
	const microsoft = `bench-${stamp}@contoso.test`;
	const user = await json<{ access_token: string }>(
		await fetch(`${SUPABASE}/auth/v1/signup`, {
			method: 'POST',
			headers: { apikey: ANON_KEY, 'Content-Type': 'application/json' },
			body: JSON.stringify({ email, password: PASSWORD })
		})
	);
	const rest = async <T>(method: string, path: string, body: unknown) =>
		json<T>(
			await fetch(`${SUPABASE}/rest/v1/${path}`, {
				method,
				headers: {
					apikey: ANON_KEY,
					Authorization: `Bearer ${user.access_token}`,
					'Content-Type': 'application/json',
					Prefer: 'return=representation'
				},
				body: JSON.stringify(body)
			})
		);
	const control = async <T>(method: string, path: string, body?: unknown) =>
		json<T>(
			await fetch(`${MICROSOFT}/_emulator${path}`, {
				method,
				// The control API wants this on every change, bodiless ones (reset, DELETE) included.
				headers: { 'Content-Type': 'application/json' },
				body: body === undefined ? undefined : JSON.stringify(body)
			})
		);
	await control('POST', '/accounts', { email: microsoft, password: PASSWORD, quotaTotal: 1024 ** 4 });
	await control('PUT', '/settings', { autoConsent: true, staySignedInPrompt: false });
	const items = Array.from({ length: VIDEOS }, (_, i) => ({
		name: `Take ${String(i + 1).padStart(4, '0')}.mp4`,
		size: 50_000_000 + i * 1000,
		video: i % 4 === 0 ? { duration: 15_000 + i, width: 1080, height: 1920 } : { duration: 30_000 + i, width: 1920, height: 1080 }
	}));
	await control('POST', `/drives/${encodeURIComponent(microsoft)}/seed`, { path: '/Bench', items });
	const files = await control<{ items: { id: string; path: string; size: number; video?: { duration: number; width: number; height: number } }[] }>(
		'GET',
		`/drives/${encodeURIComponent(microsoft)}/files`
	);
	const [product] = await rest<{ id: string }[]>('POST', 'products', { title: `Bench: ${VIDEOS} videos` });
	const driveId = await driveIdOf(microsoft);
	const rows = files.items
		.filter((item) => item.path.startsWith('/Bench/'))
		.map((item, i) => ({
			product_id: product!.id,
			drive_id: driveId,
			item_id: item.id,
			name: item.path.slice('/Bench/'.length),
			size_bytes: item.size,
			duration_ms: item.video?.duration ?? null,
			width: item.video?.width ?? null,
			height: item.video?.height ?? null,
			// As linking or uploading records it, so cards have nothing to catch up on.
			web_url: `${MICROSOFT}/_web/${encodeURIComponent(driveId)}/${encodeURIComponent(item.id)}`,
			folder_path: '/Bench',
			status: 'synced',
			created_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString()
		}));
	for (let from = 0; from < rows.length; from += 500) await rest('POST', 'videos', rows.slice(from, from + 500));
	return { email, microsoft, productId: product!.id };
}

async function driveIdOf(microsoft: string): Promise<string> {
	const token = await json<{ access_token: string }>(
		await fetch(`${MICROSOFT}/common/oauth2/v2.0/token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				client_id: /^PUBLIC_MS_CLIENT_ID=(.+)$/m.exec(env)![1]!.trim(),
				grant_type: 'password',
				username: microsoft,
				password: PASSWORD,
				scope: 'Files.ReadWrite User.Read'
			})
		})
	);
	const drive = await json<{ id: string }>(await fetch(`${MICROSOFT}/v1.0/me/drive`, { headers: { Authorization: `Bearer ${token.access_token}` } }));
	return drive.id;
}

async function signInAndConnect(page: Page, email: string, microsoft: string): Promise<void> {
	await page.goto(`${APP}/sign-in?next=%2Fsettings`);
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Sign in' }).click();
	if (WITHOUT_ONEDRIVE) {
		await page.getByRole('button', { name: 'Connect OneDrive' }).waitFor();
		return;
	}
	await page.getByRole('button', { name: 'Connect OneDrive' }).click();
	await page.waitForURL(`${MICROSOFT}/**`);
	await page.locator('#login').fill(microsoft);
	await page.locator('#password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Sign in' }).click();
	// The emulator asks "Stay signed in?" after a password sign-in unless told not to (seed()
	// turns it off); answer it if it shows anyway, so the bench never waits on it.
	const noThanks = page.getByRole('button', { name: 'No', exact: true });
	await page.waitForURL((url) => url.href.startsWith(`${APP}/settings`) || /Stay signed in/.test(url.href), { timeout: 5000 }).catch(() => undefined);
	if (await noThanks.isVisible().catch(() => false)) await noThanks.click();
	await page.waitForURL(`${APP}/settings`);
	await page.getByText('Connected', { exact: true }).waitFor();
}

/** Where the page is and what its status lines say: printed when a step stalls. */
async function whereIs(page: Page): Promise<string> {
	const status = await page
		.locator('[role="status"], [role="alert"], h1')
		.allInnerTexts()
		.catch(() => []);
	return `at ${page.url()}, showing: ${status.map((text) => JSON.stringify(text.trim())).join(', ') || '(nothing)'}`;
}

/**
 * Installed before any page script: records long tasks and when the first card (and its
 * picture) appears. Page scripts are strings, so the TypeScript runner's helpers stay out.
 */
const PROBE = `
window.__bench = { longTasks: [], firstCard: null, firstThumb: null };
new PerformanceObserver((list) => {
	for (const entry of list.getEntries()) window.__bench.longTasks.push({ start: entry.startTime, duration: entry.duration });
}).observe({ type: 'longtask', buffered: true });
new MutationObserver(() => {
	const bench = window.__bench;
	if (bench.firstCard === null && document.querySelector('[data-grid-focus]')) bench.firstCard = performance.now();
	const img = document.querySelector('[data-grid-focus] img');
	if (bench.firstThumb === null && img && !img.dataset.benchWatched) {
		img.dataset.benchWatched = '1';
		if (img.complete && img.naturalWidth > 0) bench.firstThumb = performance.now();
		else img.addEventListener('load', () => (bench.firstThumb ??= performance.now()), { once: true });
	}
}).observe(document, { subtree: true, childList: true });
`;

/** Scrolls to the end and back, 120 px a frame like a steady flick, counting frames and long tasks. */
const SCROLL = `(async () => {
	const bench = window.__bench;
	const startedAt = performance.now();
	const frames = [];
	let maxCards = 0;
	let last = startedAt;
	const step = (direction) =>
		new Promise((resolve) => {
			const tick = (now) => {
				frames.push(now - last);
				last = now;
				maxCards = Math.max(maxCards, document.querySelectorAll('[data-grid-focus]').length);
				const before = window.scrollY;
				window.scrollBy(0, 120 * direction);
				const atEnd = direction === 1 ? window.scrollY === before : window.scrollY === 0;
				if (atEnd) resolve();
				else requestAnimationFrame(tick);
			};
			requestAnimationFrame(tick);
		});
	await step(1);
	await step(-1);
	const ended = performance.now();
	const during = bench.longTasks.filter((task) => task.start >= startedAt && task.start <= ended);
	const sorted = [...frames].sort((a, b) => a - b);
	return {
		scrollMs: ended - startedAt,
		frames: frames.length,
		p95FrameMs: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
		maxFrameMs: sorted[sorted.length - 1] ?? 0,
		scrollLongTasks: during.length,
		scrollLongTaskMs: during.reduce((sum, task) => sum + task.duration, 0),
		maxCardsInDom: maxCards
	};
})()`;

interface RunFigures {
	firstCardMs: number;
	firstThumbMs: number | null;
	loadLongTasks: number;
	scrollMs: number;
	frames: number;
	p95FrameMs: number;
	maxFrameMs: number;
	scrollLongTasks: number;
	scrollLongTaskMs: number;
	maxCardsInDom: number;
}

async function measure(page: Page, productId: string): Promise<RunFigures> {
	await page.goto(`${APP}/products/${productId}`);
	await page.waitForFunction(() => (window as unknown as { __bench: { firstCard: number | null } }).__bench.firstCard !== null, null, { timeout: 60_000 });
	await page.getByRole('heading', { name: `Videos (${VIDEOS})` }).waitFor();
	await page.waitForTimeout(1500);
	const load = await page.evaluate(() => (window as unknown as { __bench: { firstCard: number; firstThumb: number | null; longTasks: unknown[] } }).__bench);
	const scroll = (await page.evaluate(SCROLL)) as Omit<RunFigures, 'firstCardMs' | 'firstThumbMs' | 'loadLongTasks'>;
	return { firstCardMs: load.firstCard, firstThumbMs: load.firstThumb, loadLongTasks: load.longTasks.length, ...scroll };
}

/** Resolves once none of the stack's ports is taken (another run may be using them). */
async function portsFree(): Promise<void> {
	const { busyPorts } = await import('../scripts/lib/ports');
	const ports = [5173, 4010, 4011, 54321].map((port) => ({ name: String(port), port }));
	for (let waited = 0; (await busyPorts(ports)).length > 0; waited++) {
		if (waited === 0) console.log('Waiting for ports 5173, 4010, 4011 and 54321 to be free…');
		if (waited > 120) throw new Error('the stack\'s ports stayed busy for 10 minutes');
		await new Promise((resolve) => setTimeout(resolve, 5000));
	}
}

function run(command: string[], extraEnv: Record<string, string>): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, command, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...extraEnv } });
		let errors = '';
		child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
		child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command.join(' ')} exited with ${code}:\n${errors}`))));
	});
}

// Build first, then start the stack on the built app: the ports are taken moments after they
// were seen free, not a build's length later.
await portsFree();
if (!PREBUILT) console.log('Building the app…');
if (!PREBUILT) await run(['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error'], { NODE_ENV: 'production', REELDRIVE_ENV_MODE: 'development' });
await portsFree();
const dataDir = await mkdtemp(join(tmpdir(), 'reeldrive-gallery-bench-'));
const stack = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack.ts', '--no-build', '--data-dir', dataDir, '--fresh'], {
	cwd: root,
	stdio: ['ignore', 'ignore', 'pipe']
});
// The stack's messages are shown only if it fails to come up.
let stackErrors = '';
stack.stderr!.on('data', (chunk: Buffer) => (stackErrors = (stackErrors + chunk.toString()).slice(-4000)));
const browser = await (async () => {
	await waitFor(`${APP}/manifest.webmanifest`, stack, 240);
	return chromium.launch({ executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS });
})().catch(async (error: unknown) => {
	stack.kill('SIGTERM');
	throw error;
});
try {
	const { email, microsoft, productId } = await seed();
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
	await context.addInitScript(PROBE);
	const page = await context.newPage();
	// Every step fails within a minute rather than waiting for ever, and says where it stood.
	page.setDefaultTimeout(60_000);
	try {
		await signInAndConnect(page, email, microsoft);
	} catch (error) {
		throw new Error(`signing in and connecting OneDrive did not finish, ${await whereIs(page)}`, { cause: error });
	}
	if (CPU_THROTTLE > 1) {
		const cdp = await context.newCDPSession(page);
		await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_THROTTLE });
	}
	const runs: RunFigures[] = [];
	for (let run = 0; run < RUNS; run++) {
		try {
			runs.push(await measure(page, productId));
		} catch (error) {
			throw new Error(`run ${run + 1} did not finish, ${await whereIs(page)}`, { cause: error });
		}
	}
	const round = (n: number | null) => (n === null ? '—' : Math.round(n).toString());
	console.log(
		`Gallery of ${VIDEOS} videos, viewport 1280×900, CPU throttle ${CPU_THROTTLE}×, ${RUNS} runs (first run has a cold cache), ` +
			(WITHOUT_ONEDRIVE ? 'OneDrive not connected (placeholders, no Graph requests)' : 'OneDrive connected (thumbnails from Graph)')
	);
	console.log('run  first cards  first thumb  long tasks   scroll end+back  frames  p95 frame  max frame  long tasks   cards in DOM');
	console.log('     (ms)         (ms)         while loading (ms)                       (ms)       (ms)       scrolling    (max)');
	runs.forEach((r, i) =>
		console.log(
			`${String(i + 1).padEnd(5)}${round(r.firstCardMs).padEnd(13)}${round(r.firstThumbMs).padEnd(13)}${String(r.loadLongTasks).padEnd(13)}${round(r.scrollMs).padEnd(17)}${String(r.frames).padEnd(8)}${r.p95FrameMs.toFixed(1).padEnd(11)}${r.maxFrameMs.toFixed(1).padEnd(11)}${`${r.scrollLongTasks} (${round(r.scrollLongTaskMs)} ms)`.padEnd(13)}${r.maxCardsInDom}`
		)
	);
	const label = `${VIDEOS} videos${CPU_THROTTLE > 1 ? `, CPU ${CPU_THROTTLE}× slower` : ''}${WITHOUT_ONEDRIVE ? ', no OneDrive' : ''}`;
	figure({ name: 'gallery.first-cards', unit: 'ms', runs: runs.map((r) => r.firstCardMs), note: `navigation to the first video cards, ${label}; first run has a cold cache` });
	figure({ name: 'gallery.first-thumbnail', unit: 'ms', runs: runs.map((r) => r.firstThumbMs ?? NaN), note: `navigation to the first thumbnail shown, ${label}` });
	figure({ name: 'gallery.long-tasks-loading', unit: 'tasks', runs: runs.map((r) => r.loadLongTasks), note: `main-thread tasks over 50 ms while the gallery loads, ${label}` });
	figure({ name: 'gallery.long-tasks-scrolling', unit: 'tasks', runs: runs.map((r) => r.scrollLongTasks), note: `main-thread tasks over 50 ms scrolling to the end and back, ${label}` });
	figure({ name: 'gallery.scroll-p95-frame', unit: 'ms', runs: runs.map((r) => r.p95FrameMs), note: `95th percentile frame interval while scrolling, ${label}` });
	await context.close();
} finally {
	await browser.close();
	stack.kill('SIGTERM');
	await new Promise((resolve) => stack.once('exit', resolve));
	await rm(dataDir, { recursive: true, force: true });
}
