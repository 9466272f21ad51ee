// What a kill costs, and whether uploading disturbs the page. In Chromium under Playwright, on the
// local stack:
//   1. Responsiveness: a video picked in /uploads and uploaded to the end with the page open;
//      main-thread long tasks (over 50 ms) on that page from picking to "In OneDrive".
//   2. Resume cost: a video uploading, killed at a random point of its progress (seeded), in
//      `--trials` trials of each kind:
//        worker  the service worker stopped (as the browser does with an event that runs too long);
//                the page stays open and nobody touches it;
//        page    the page's renderer crashed (DevTools' Page.crash), then Reeldrive opened again.
//      For each: bytes sent twice (every PUT's range counted whole, minus the file's size: an upper
//      bound) against the largest fragment, and seconds from the kill to the next fragment reaching
//      the emulator.
// DevTools is attached (it is how the kills are made), which slows uploads; neither figure here is
// a speed. Run: npx tsx bench/resume-cost.ts [--trials 5] [--mib 256] [--seed 1] [--no-build] [--smoke]
import { chromium, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from '../scripts/lib/chromium';
import { connectOneDrive, emulator, newAppAccount, newMicrosoftAccount, signIn } from '../tests/e2e/support/stack';
import { makeLargeMp4 } from '../tests/e2e/support/videos';
import { removeQuietly, startLocalStack } from './lib/local-stack';
import { figure, numberArg, PREBUILT, summarise } from './lib/results';

const MiB = 1024 * 1024;
const TRIALS = numberArg('trials', 5, 1);
const SIZE = numberArg('mib', 256, 24) * MiB;
const SEED = numberArg('seed', 1);

interface FragmentEntry {
	contentRange: string | null;
	receivedAt: number;
	endedAt: number | null;
	status: number | null;
}

/** mulberry32: the kill points are reproducible from the seed. */
function random(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const until = async (what: string, check: () => Promise<boolean>, limitMs = 300_000) => {
	const started = Date.now();
	while (!(await check())) {
		if (Date.now() - started > limitMs) throw new Error(`gave up waiting: ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
};

const stack = await startLocalStack({ build: !PREBUILT });
const profile = mkdtempSync(join(tmpdir(), 'reeldrive-resume-profile-'));
const next = random(SEED);
try {
	const context = await chromium.launchPersistentContext(profile, { executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS, baseURL: 'http://localhost:5173' });
	// Every page of the app records its long tasks from its first moment.
	await context.addInitScript(() => {
		const tasks: { start: number; duration: number }[] = [];
		(window as unknown as { longTasks: typeof tasks }).longTasks = tasks;
		new PerformanceObserver((list) => {
			for (const entry of list.getEntries()) tasks.push({ start: entry.startTime, duration: entry.duration });
		}).observe({ type: 'longtask', buffered: true });
	});
	let page = await context.newPage();
	const app = await newAppAccount('resume');
	const microsoft = await newMicrosoftAccount('resume');
	await emulator('PUT', `/drives/${encodeURIComponent(microsoft)}/quota`, { total: 100 * 1024 * MiB });
	await signIn(page, app.email);
	await connectOneDrive(page, microsoft);
	await page.goto('/uploads');
	await page.evaluate(() => navigator.serviceWorker.ready);
	const drive = () => emulator<{ items: { path: string }[]; uploadSessions: { received: number }[] }>('GET', `/drives/${encodeURIComponent(microsoft)}/files`);
	const inOneDrive = async (name: string) => (await drive()).items.some((item) => item.path === `/Reeldrive/${name}`);
	const fragmentsSince = async (since: number) =>
		(await emulator<{ fragments: FragmentEntry[] }>('GET', `/drives/${encodeURIComponent(microsoft)}/fragments`)).fragments.filter((entry) => entry.receivedAt >= since);
	const rangeBytes = (entry: FragmentEntry) => {
		const match = /bytes (\d+)-(\d+)\//.exec(entry.contentRange ?? '');
		return match ? Number(match[2]) - Number(match[1]) + 1 : 0;
	};
	const pick = async (on: Page, name: string) => {
		await on.getByLabel('Choose videos').setInputFiles(makeLargeMp4(SIZE, name));
		await on.getByRole('listitem', { name }).waitFor();
	};

	// ── 1. Long tasks while uploading, the page open ─────────────────────────────────────────
	const calm = `resume-calm-${SEED}.mp4`;
	const pickedAt = await page.evaluate(() => performance.now());
	await pick(page, calm);
	await until('the calm upload', () => inOneDrive(calm));
	await page.getByRole('listitem', { name: calm }).getByText(/^In OneDrive/).waitFor({ timeout: 60_000 });
	const tasks = (await page.evaluate(() => (window as unknown as { longTasks: { start: number; duration: number }[] }).longTasks)).filter((task) => task.start >= pickedAt);
	const longest = Math.max(0, ...tasks.map((task) => task.duration));
	console.log(`Long tasks on /uploads while a ${SIZE / MiB} MiB video was picked, kept and uploaded: ${tasks.length} (longest ${longest.toFixed(0)} ms, ${tasks.map((task) => task.duration.toFixed(0)).join(', ') || 'none'})`);
	figure({ name: 'responsiveness.upload.long-tasks', unit: 'tasks', runs: [tasks.length], note: `main-thread tasks over 50 ms on /uploads, picking a ${SIZE / MiB} MiB video to In OneDrive (under Playwright)` });
	figure({ name: 'responsiveness.upload.longest-task', unit: 'ms', runs: [longest], note: `the longest of those tasks (0: none)` });

	// ── 2. Kills at random points ──────────────────────────────────────────────────────────────
	const results: Record<'worker' | 'page', { resent: number[]; largest: number[]; seconds: number[] }> = {
		worker: { resent: [], largest: [], seconds: [] },
		page: { resent: [], largest: [], seconds: [] }
	};
	for (const kind of ['worker', 'page'] as const) {
		for (let trial = 1; trial <= TRIALS; trial++) {
			const name = `resume-${kind}-${SEED}-${trial}.mp4`;
			const at = 0.15 + 0.7 * next();
			const began = Date.now();
			await pick(page, name);
			// Kill once OneDrive holds `at` of the file (the session's bytes, polled every 20 ms).
			let missed = false;
			await until('the kill point', async () => {
				if (await inOneDrive(name)) return (missed = true);
				return ((await drive()).uploadSessions[0]?.received ?? 0) >= at * SIZE;
			});
			if (missed) {
				console.log(`  ${kind} ${trial}: the upload ended before ${(at * 100).toFixed(0)} %: not counted`);
				continue;
			}
			const cdp = await context.newCDPSession(page);
			if (kind === 'worker') {
				await cdp.send('ServiceWorker.enable');
				await cdp.send('ServiceWorker.stopAllWorkers');
			} else {
				await cdp.send('Page.crash').catch(() => undefined); // The answer dies with the renderer.
			}
			const killedAt = Date.now();
			await cdp.detach().catch(() => undefined);
			if (kind === 'page') {
				await page.close().catch(() => undefined);
				page = await context.newPage();
				await page.goto('/uploads');
			}
			await until(`${name} in OneDrive`, () => inOneDrive(name));
			const fragments = await fragmentsSince(began);
			const sent = fragments.reduce((sum, entry) => sum + rangeBytes(entry), 0);
			const largest = Math.max(...fragments.map(rangeBytes));
			const after = fragments.filter((entry) => entry.receivedAt > killedAt).map((entry) => entry.receivedAt);
			const seconds = after.length > 0 ? (Math.min(...after) - killedAt) / 1000 : NaN;
			results[kind].resent.push((sent - SIZE) / MiB);
			results[kind].largest.push(largest / MiB);
			results[kind].seconds.push(seconds);
			console.log(
				`  ${kind} ${trial}: killed at ${(at * 100).toFixed(0)} %, sent twice ${((sent - SIZE) / MiB).toFixed(1)} MiB (largest fragment ${(largest / MiB).toFixed(1)} MiB), uploading again after ${seconds.toFixed(2)} s`
			);
			if (kind === 'worker') await page.getByRole('listitem', { name }).getByText(/^In OneDrive/).waitFor({ timeout: 60_000 });
		}
	}
	const what = { worker: 'the service worker stopped, page left open', page: 'the page crashed, then opened again' };
	for (const kind of ['worker', 'page'] as const) {
		const r = results[kind];
		const resent = summarise(r.resent);
		const seconds = summarise(r.seconds);
		console.log(`${what[kind]}: sent twice median ${resent.median.toFixed(1)} MiB (max ${resent.max.toFixed(1)}; largest fragment up to ${summarise(r.largest).max.toFixed(1)} MiB), uploading again after median ${seconds.median.toFixed(2)} s (max ${seconds.max.toFixed(2)}), ${r.seconds.length} trials`);
		figure({ name: `resume.${kind}.sent-twice`, unit: 'MiB', runs: r.resent, note: `${what[kind]}, killed at a random point of a ${SIZE / MiB} MiB upload (seed ${SEED}); every PUT range counted whole` });
		figure({ name: `resume.${kind}.largest-fragment`, unit: 'MiB', runs: r.largest, note: 'the largest fragment of the same uploads (the target: sent twice at most one fragment)' });
		figure({ name: `resume.${kind}.seconds-to-upload-again`, unit: 's', runs: r.seconds, note: `${what[kind]}: from the kill to the next fragment reaching the emulator` });
	}
	await context.close();
} finally {
	await stack.stop();
	removeQuietly(profile);
}
