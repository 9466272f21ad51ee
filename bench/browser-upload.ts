// The whole product, measured: a 1 GiB video uploaded through the app in Chromium (service
// worker, IndexedDB, fragments) to the local stack. Prints the time from picking the file to the
// first fragment leaving, the time until the whole video is kept on the device, the upload
// throughput, the peak memory of Chromium and of the local stack, and what stays kept after.
// Run: npx tsx bench/browser-upload.ts   (optional: --mib 1024 --no-build --smoke). Stop `npm start` first.
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from '../scripts/lib/chromium';
import { connectOneDrive, emulator, newAppAccount, newMicrosoftAccount, signIn } from '../tests/e2e/support/stack';
import { makeLargeMp4 } from '../tests/e2e/support/videos';
import { figure, numberArg, PREBUILT, SMOKE } from './lib/results';

const MiB = 1024 * 1024;
const SIZE = numberArg('mib', 1024, 32) * MiB;

/**
 * Resident memory (MiB), summed over every process whose command line mentions `marker` and
 * all their descendants (Chromium's renderers and service-worker process among them).
 */
function rssOf(marker: string, track = true): number {
	const read = (path: string) => {
		try {
			return readFileSync(path, 'utf8');
		} catch {
			return ''; // The process ended while we looked.
		}
	};
	const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
	const parent = new Map(pids.map((pid) => [pid, read(`/proc/${pid}/stat`).split(') ')[1]?.split(' ')[1] ?? '']));
	const chosen = new Set(pids.filter((pid) => read(`/proc/${pid}/cmdline`).includes(marker)));
	for (let grew = true; grew; ) {
		grew = false;
		for (const pid of pids) {
			if (!chosen.has(pid) && chosen.has(parent.get(pid) ?? '')) {
				chosen.add(pid);
				grew = true;
			}
		}
	}
	let total = 0;
	for (const pid of chosen) {
		const rss = Number(/VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`))?.[1] ?? 0) / 1024;
		const type = /--type=([\w-]+)/.exec(read(`/proc/${pid}/cmdline`))?.[1] ?? 'main';
		if (track) byType.set(type, Math.max(byType.get(type) ?? 0, rss));
		total += rss;
	}
	return total;
}

/** The largest single process of each kind seen (Chromium's --type: renderer, utility, gpu…). */
const byType = new Map<string, number>();

const dataDir = mkdtempSync(join(tmpdir(), 'reeldrive-bench-'));
const profile = mkdtempSync(join(tmpdir(), 'reeldrive-bench-profile-'));
const stack = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack.ts', '--data-dir', dataDir, '--fresh', ...(PREBUILT ? ['--no-build'] : [])], {
	stdio: ['ignore', 'pipe', 'inherit'],
	detached: false
});
const stackMarker = dataDir;

async function waitForStack(): Promise<void> {
	for (let i = 0; i < 240; i++) {
		try {
			if ((await fetch('http://localhost:5173/manifest.webmanifest')).ok) return;
		} catch {
			// Not up yet.
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error('the local stack did not start');
}

try {
	await waitForStack();
	const name = `reeldrive-bench-${SIZE}.mp4`;
	const video = makeLargeMp4(SIZE, name);
	const drive = async () =>
		emulator<{ items: { path: string }[]; uploadSessions: { received: number }[] }>('GET', `/drives/${encodeURIComponent(microsoft)}/files`);

	// 1. Under Playwright: sign in, connect OneDrive and queue the video. Fragments are held back
	//    (a latency fault) so that the upload itself is measured in step 2.
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: findChromium() ?? undefined,
		args: CHROMIUM_ARGS,
		baseURL: 'http://localhost:5173'
	});
	const page = await context.newPage();
	const app = await newAppAccount('bench');
	const microsoft = await newMicrosoftAccount('bench');
	await emulator('PUT', `/drives/${encodeURIComponent(microsoft)}/quota`, { total: 100 * 1024 * MiB });
	await signIn(page, app.email);
	await connectOneDrive(page, microsoft);
	await page.goto('/uploads');
	await page.evaluate(() => navigator.serviceWorker.ready);
	await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: 1, latencyMs: SMOKE ? 8_000 : 60_000 });
	// The first fragment's request starts when its CORS preflight goes to the upload host; the PUT
	// itself is seen later here, because DevTools copies its 10 MiB body before letting it go.
	let firstFragmentAt = 0;
	let preflightAt = 0;
	context.on('request', (request) => {
		if (!preflightAt && request.method() === 'OPTIONS' && request.url().includes('/up/')) preflightAt = performance.now();
		if (!firstFragmentAt && request.method() === 'PUT' && request.headers()['content-range']) firstFragmentAt = performance.now();
	});
	// No named functions inside: tsx would wrap them in a helper the page does not have.
	const keptBytes = (on = page) =>
		on.evaluate(async (fileName) => {
			const open = indexedDB.open('reeldrive');
			const db: IDBDatabase = await new Promise((resolve, reject) => {
				open.onsuccess = () => resolve(open.result);
				open.onerror = () => reject(open.error);
			});
			// The app creates its database once someone is signed in; until then, nothing is kept.
			if (!db.objectStoreNames.contains('uploads')) {
				db.close();
				return { stagedTo: 0, kept: 0 };
			}
			const rows: unknown[][] = [];
			for (const store of ['uploads', 'chunks']) {
				rows.push(
					await new Promise<unknown[]>((resolve) => {
						const request = db.transaction(store).objectStore(store).getAll();
						request.onsuccess = () => resolve(request.result as unknown[]);
					})
				);
			}
			db.close();
			const uploads = rows[0] as { originalName: string; staging?: { stagedTo: number } }[];
			const chunks = rows[1] as { start: number; end: number }[];
			let kept = 0;
			for (const chunk of chunks) kept += chunk.end - chunk.start;
			return { stagedTo: uploads.find((upload) => upload.originalName === fileName)?.staging?.stagedTo ?? 0, kept };
		}, name);
	if (process.env.BENCH_TRACE) {
		context.on('request', (request) => console.log(`  ${((performance.now() - picked) / 1000).toFixed(3)} s ${request.method()} ${request.url().slice(0, 100)}`));
		page.on('console', (message) => console.log(`  ${((performance.now() - picked) / 1000).toFixed(3)} s console: ${message.text()}`));
	}
	const picked = performance.now();
	const pickedWall = Date.now();
	await page.getByLabel('Choose videos').setInputFiles(video);
	await page.getByRole('listitem', { name }).waitFor();
	const queueSeconds = (performance.now() - picked) / 1000;
	while (!firstFragmentAt) await new Promise((resolve) => setTimeout(resolve, 10));
	const firstFragmentSeconds = (firstFragmentAt - picked) / 1000;
	const preflightSeconds = preflightAt ? (preflightAt - picked) / 1000 : NaN;
	const log = await emulator<{ fragments: { receivedAt: number }[] }>('GET', `/drives/${encodeURIComponent(microsoft)}/fragments`);
	const arrivedSeconds = log.fragments.length > 0 ? (Math.min(...log.fragments.map((entry) => entry.receivedAt)) - pickedWall) / 1000 : NaN;
	// The page says to stay open until the whole video is kept; it may close after that.
	while ((await keptBytes()).stagedTo < SIZE) await new Promise((resolve) => setTimeout(resolve, 50));
	const keptSeconds = (performance.now() - picked) / 1000;
	const keptPeak = (await keptBytes()).kept;
	await context.close();
	await emulator('DELETE', '/faults');

	// 2. DevTools slows uploads from the page a lot (it copies request bodies), so the upload is
	//    measured in a plain Chromium on the same profile, with no automation attached: the
	//    service worker resumes the queued upload by itself when Reeldrive opens.
	const browser = spawn(findChromium() ?? 'chromium', ['--headless', ...CHROMIUM_ARGS, `--user-data-dir=${profile}`, 'http://localhost:5173/uploads'], {
		stdio: 'ignore'
	});
	const baseline = { chromium: 0, stack: rssOf(stackMarker, false) };
	const peak = { chromium: 0, stack: baseline.stack };
	const sampler = setInterval(() => {
		peak.chromium = Math.max(peak.chromium, rssOf(profile));
		peak.stack = Math.max(peak.stack, rssOf(stackMarker, false));
	}, 200);
	const opened = performance.now();
	let startBytes = -1;
	let started = 0;
	for (;;) {
		const files = await drive();
		const received = files.uploadSessions[0]?.received ?? 0;
		if (startBytes < 0 && received > 0) {
			startBytes = received;
			started = performance.now();
		}
		if (files.items.some((item) => item.path === `/Reeldrive/${name}`)) break;
		if (performance.now() - opened > 30 * 60_000) throw new Error('the upload did not finish in 30 minutes');
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	const finished = performance.now();
	clearInterval(sampler);
	browser.kill('SIGTERM');
	await new Promise((resolve) => browser.once('exit', resolve));

	// 3. What the browser still keeps of the video once OneDrive has it all (should be nothing).
	const after = await chromium.launchPersistentContext(profile, { executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS, baseURL: 'http://localhost:5173' });
	const afterPage = await after.newPage();
	const reopenedAt = performance.now();
	await afterPage.goto('/uploads');
	// The worker may have been stopped between OneDrive's last answer and saving "done": the app
	// then looks the file up in OneDrive before calling it done. Wait for that state, not a guess.
	await afterPage
		.getByRole('listitem', { name })
		.getByText(/^In OneDrive/)
		.waitFor({ timeout: 120_000 })
		.catch(async (error: unknown) => {
			const says = await afterPage.getByRole('listitem', { name }).innerText().catch(() => '(no item)');
			console.log(`  the reopened app says: ${says.replace(/\s+/g, ' ')}`);
			throw error;
		});
	const doneShownSeconds = (performance.now() - reopenedAt) / 1000;
	// The browser was stopped the moment OneDrive had the file; what its last save had not freed
	// yet goes when a page opens (the sweep). Give that a few seconds.
	let keptAfter = (await keptBytes(afterPage)).kept;
	for (let i = 0; i < 50 && keptAfter > 0; i++) {
		await new Promise((resolve) => setTimeout(resolve, 100));
		keptAfter = (await keptBytes(afterPage)).kept;
	}
	await after.close();

	const measured = SIZE - Math.max(startBytes, 0);
	const seconds = (finished - (started || opened)) / 1000;
	console.log(`Browser upload of ${SIZE / MiB} MiB through Reeldrive's service worker to the local emulator`);
	console.log(`  pick → listed as queued:                     ${queueSeconds.toFixed(2)} s`);
	console.log(`  pick → first fragment request starts:        ${preflightSeconds.toFixed(2)} s (its CORS preflight)`);
	console.log(`  pick → first fragment reaches the emulator:  ${arrivedSeconds.toFixed(2)} s (${firstFragmentSeconds.toFixed(2)} s when DevTools lets it go)`);
	console.log(`  pick → whole video kept on the device:       ${keptSeconds.toFixed(1)} s (${(keptPeak / MiB).toFixed(0)} MiB kept then)`);
	console.log(`  upload of ${(measured / MiB).toFixed(0)} MiB after the app reopened:  ${seconds.toFixed(1)} s, ${(measured / 1e6 / seconds).toFixed(1)} MB/s`);
	console.log(`  Chromium, all processes, peak RSS:           ${peak.chromium.toFixed(0)} MiB`);
	console.log(`  largest process of each kind (peak RSS):     ${[...byType].map(([type, mib]) => `${type} ${mib.toFixed(0)} MiB`).join(', ')}`);
	console.log(`  kept on the device after the upload:         ${(keptAfter / MiB).toFixed(0)} MiB`);
	console.log(`  browser opened again → "In OneDrive" shown:  ${doneShownSeconds.toFixed(1)} s`);
	const label = `${SIZE / MiB} MiB video`;
	figure({ name: 'upload.first-fragment', unit: 's', runs: [arrivedSeconds], note: `picking a ${label} to its first fragment reaching the emulator (under Playwright)` });
	figure({ name: 'upload.kept-on-device', unit: 's', runs: [keptSeconds], note: `picking a ${label} to the whole video kept on the device (the page may close)` });
	figure({ name: 'upload.throughput-single', unit: 'MB/s', runs: [measured / 1e6 / seconds], note: `${label} through the service worker, plain Chromium (one run; see throughput.* for three)` });
	figure({ name: 'upload.chromium-rss-peak', unit: 'MiB', runs: [peak.chromium], note: `all Chromium processes during the ${label} upload (absolute, not over baseline)` });
	figure({ name: 'upload.renderer-rss-peak', unit: 'MiB', runs: [byType.get('renderer') ?? NaN], note: `the largest renderer during the ${label} upload (absolute)` });
	console.log(`  local stack (app server + emulators), RSS:   ${baseline.stack.toFixed(0)} MiB before, ${peak.stack.toFixed(0)} MiB peak`);
} finally {
	stack.kill('SIGTERM');
	await new Promise((resolve) => stack.once('exit', resolve));
	// Chromium may still be writing its profile for a moment: retry, and never hide the real error.
	for (const dir of [dataDir, profile]) {
		try {
			rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
		} catch (error) {
			console.warn(`could not remove ${dir}: ${String(error)}`);
		}
	}
}
