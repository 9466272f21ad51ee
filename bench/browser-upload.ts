// The whole product, measured: a 1 GiB video uploaded through the app in Chromium (service
// worker, IndexedDB, fragments) to the local stack. Prints the time to queue it (copying the file
// into IndexedDB), the upload throughput, and the peak memory of Chromium and of the local stack.
// Run: npx tsx bench/browser-upload.ts   (optional: --mib 1024). Stop `npm start` first.
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from '../scripts/lib/chromium';
import { connectOneDrive, emulator, newAppAccount, newMicrosoftAccount, signIn } from '../tests/e2e/support/stack';
import { makeLargeMp4 } from '../tests/e2e/support/videos';

const MiB = 1024 * 1024;
const mibArg = process.argv.indexOf('--mib');
const SIZE = (mibArg >= 0 ? Number(process.argv[mibArg + 1]) : 1024) * MiB;

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
const stack = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack.ts', '--data-dir', dataDir, '--fresh'], {
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
	const video = makeLargeMp4(SIZE, `reeldrive-bench-${SIZE}.mp4`);
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

	const baseline = { chromium: rssOf(profile), stack: rssOf(stackMarker, false) };
	byType.clear();
	const peak = { ...baseline };
	const sampler = setInterval(() => {
		peak.chromium = Math.max(peak.chromium, rssOf(profile));
		peak.stack = Math.max(peak.stack, rssOf(stackMarker, false));
	}, 200);

	const started = performance.now();
	await page.getByLabel('Choose videos').setInputFiles(video);
	await page.getByRole('listitem', { name: `reeldrive-bench-${SIZE}.mp4` }).waitFor();
	const queued = performance.now();
	let firstByte = 0;
	for (;;) {
		const files = await emulator<{ items: { path: string }[]; uploadSessions: { received: number }[] }>(
			'GET',
			`/drives/${encodeURIComponent(microsoft)}/files`
		);
		if (!firstByte && (files.uploadSessions[0]?.received ?? 0) > 0) firstByte = performance.now();
		if (files.items.some((item) => item.path === `/Reeldrive/reeldrive-bench-${SIZE}.mp4`)) break;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	const finished = performance.now();
	await page.getByRole('listitem', { name: `reeldrive-bench-${SIZE}.mp4` }).getByText('In OneDrive').waitFor({ timeout: 60_000 });
	const verified = performance.now();
	clearInterval(sampler);
	await context.close();

	const mb = SIZE / 1e6;
	console.log(`Browser upload of ${SIZE / MiB} MiB through the app to the local emulator`);
	console.log(`  queue (checks, poster, copy into IndexedDB): ${((queued - started) / 1000).toFixed(1)} s`);
	console.log(`  upload (first fragment to last):             ${((finished - (firstByte || queued)) / 1000).toFixed(1)} s, ${(mb / ((finished - (firstByte || queued)) / 1000)).toFixed(1)} MB/s`);
	console.log(`  end to end (pick to verified in the UI):     ${((verified - started) / 1000).toFixed(1)} s, ${(mb / ((verified - started) / 1000)).toFixed(1)} MB/s`);
	console.log(`  Chromium, all processes, RSS:                ${baseline.chromium.toFixed(0)} MiB before, ${peak.chromium.toFixed(0)} MiB peak (+${(peak.chromium - baseline.chromium).toFixed(0)})`);
	console.log(`  largest process of each kind (peak RSS):     ${[...byType].map(([type, mib]) => `${type} ${mib.toFixed(0)} MiB`).join(', ')}`);
	console.log(`  local stack (app server + emulators), RSS:   ${baseline.stack.toFixed(0)} MiB before, ${peak.stack.toFixed(0)} MiB peak (+${(peak.stack - baseline.stack).toFixed(0)})`);
} finally {
	stack.kill('SIGTERM');
	await new Promise((resolve) => stack.once('exit', resolve));
	rmSync(dataDir, { recursive: true, force: true });
	rmSync(profile, { recursive: true, force: true });
}
