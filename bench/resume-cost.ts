// What a kill costs, and whether uploading disturbs the page. In Chromium under Playwright, on the
// local stack:
//   1. Responsiveness: a video picked in /uploads and uploaded to the end with the page open;
//      main-thread long tasks (over 50 ms) on that page from picking to "In OneDrive".
//   2. Resume cost: a video uploading, killed at a random point of its progress (seeded), in
//      `--trials` trials of each kind:
//        worker  the service worker stopped (DevTools' ServiceWorker.stopAllWorkers, as the browser
//                does with an event that runs too long); the page stays open, nobody touches it;
//        page    the tab closed without a word (no beforeunload), then Reeldrive opened again at
//                once; the worker goes on meanwhile. (DevTools' Page.crash, tried first, left
//                Playwright hanging on the crashed page, so a crash is not measured.)
//      For each: bytes sent twice (every PUT's range counted whole, minus the file's size: an upper
//      bound) against the largest fragment, and seconds from the kill to the next fragment reaching
//      the emulator. Each fragment waits 200 ms at the emulator before it is read (so that the kill
//      point is reached mid-upload even in smoke size); arrival times are taken before that wait.
// Every trial runs in a process and a browser of its own (new people, new profile): after DevTools
// stopped a worker, later Playwright calls in the same process hung. DevTools is attached (it is how
// the kills are made), which slows uploads; no figure here is a speed.
// Run: npx tsx bench/resume-cost.ts [--trials 5] [--mib 256] [--seed 1] [--no-build] [--smoke]
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '../scripts/chaos/plan';
import { CHROMIUM_ARGS, findChromium } from '../scripts/lib/chromium';
import { connectOneDrive, emulator, newAppAccount, newMicrosoftAccount, signIn } from '../tests/e2e/support/stack';
import { makeLargeMp4 } from '../tests/e2e/support/videos';
import { removeQuietly, startLocalStack } from './lib/local-stack';
import { figure, numberArg, PREBUILT, SMOKE, summarise } from './lib/results';

const MiB = 1024 * 1024;
const TRIALS = numberArg('trials', 5, 1);
const SIZE = numberArg('mib', 256, 48) * MiB;
const SEED = numberArg('seed', 1);
const RESULT = 'RESUME_RESULT ';

interface FragmentEntry {
	contentRange: string | null;
	receivedAt: number;
}
type Kind = 'worker' | 'page';
type Result = { kind: 'calm'; tasks: number[] } | { kind: Kind; at: number; missed: boolean; resent: number; largest: number; seconds: number; uninterrupted?: boolean };

async function until(what: string, check: () => Promise<boolean>, limitMs = 240_000): Promise<void> {
	const started = Date.now();
	while (!(await check())) {
		if (Date.now() - started > limitMs) throw new Error(`gave up waiting: ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/** The emulator's control API, polled on a fresh connection each time, with a 5 s limit. */
function look<T>(path: string): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const request = httpGet(`http://127.0.0.1:4010/_emulator${path}`, { agent: false, timeout: 5_000 }, (response) => {
			const parts: Buffer[] = [];
			response.on('data', (part: Buffer) => parts.push(part));
			response.on('end', () => (response.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(parts).toString('utf8')) as T) : reject(new Error(`emulator GET ${path}: ${response.statusCode}`))));
			response.on('error', reject);
		});
		request.on('timeout', () => request.destroy(new Error(`emulator GET ${path}: no answer in 5 s`)));
		request.on('error', reject);
	});
}

const rangeBytes = (entry: FragmentEntry) => {
	const match = /bytes (\d+)-(\d+)\//.exec(entry.contentRange ?? '');
	return match ? Number(match[2]) - Number(match[1]) + 1 : 0;
};

// ─── one trial, in a process of its own ───────────────────────────────────────────────────────
async function trial(kind: Kind | 'calm', index: number, at: number): Promise<Result> {
	const profile = mkdtempSync(join(tmpdir(), 'reeldrive-resume-profile-'));
	let context: BrowserContext | undefined;
	try {
		context = await chromium.launchPersistentContext(profile, { executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS, baseURL: 'http://localhost:5173' });
		// Every page of the app records its long tasks from its first moment.
		await context.addInitScript(() => {
			const tasks: { start: number; duration: number }[] = [];
			(window as unknown as { longTasks: typeof tasks }).longTasks = tasks;
			new PerformanceObserver((list) => {
				for (const entry of list.getEntries()) tasks.push({ start: entry.startTime, duration: entry.duration });
			}).observe({ type: 'longtask', buffered: true });
		});
		let page: Page = await context.newPage();
		const app = await newAppAccount('resume');
		const microsoft = await newMicrosoftAccount('resume');
		await emulator('PUT', `/drives/${encodeURIComponent(microsoft)}/quota`, { total: 100 * 1024 * MiB });
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		await page.goto('/uploads');
		await page.evaluate(() => navigator.serviceWorker.ready);
		const drive = () => look<{ items: { path: string }[]; uploadSessions: { received: number }[] }>(`/drives/${encodeURIComponent(microsoft)}/files`);
		const name = `resume-${kind}-${SEED}-${index}.mp4`;
		const inOneDrive = async () => (await drive()).items.some((item) => item.path === `/Reeldrive/${name}`);
		const video = makeLargeMp4(SIZE, name);
		const pickedAt = await page.evaluate(() => performance.now());
		const began = Date.now();
		await page.getByLabel('Choose videos').setInputFiles(video);
		await page.getByRole('listitem', { name }).waitFor();

		if (kind === 'calm') {
			await until('the upload', inOneDrive);
			await page.getByRole('listitem', { name }).getByText(/^In OneDrive/).waitFor({ timeout: 60_000 });
			const tasks = await page.evaluate(() => (window as unknown as { longTasks: { start: number; duration: number }[] }).longTasks);
			return { kind, tasks: tasks.filter((task) => task.start >= pickedAt).map((task) => task.duration) };
		}

		// Kill once OneDrive holds `at` of the file (the session's bytes, polled every 20 ms).
		let missed = false;
		await until('the kill point', async () => {
			if (await inOneDrive()) return (missed = true);
			return ((await drive()).uploadSessions[0]?.received ?? 0) >= at * SIZE;
		});
		if (missed) return { kind, at, missed, resent: NaN, largest: NaN, seconds: NaN };
		if (kind === 'worker') {
			const cdp = await context.newCDPSession(page);
			await cdp.send('ServiceWorker.enable');
			await cdp.send('ServiceWorker.stopAllWorkers');
		} else {
			await page.close({ runBeforeUnload: false });
		}
		const killedAt = Date.now();
		if (kind === 'page') {
			page = await context.newPage();
			await page.goto('/uploads');
		}
		await until(`${name} in OneDrive`, inOneDrive);
		const fragments = (await look<{ fragments: FragmentEntry[] }>(`/drives/${encodeURIComponent(microsoft)}/fragments`)).fragments.filter((entry) => entry.receivedAt >= began);
		const sent = fragments.reduce((sum, entry) => sum + rangeBytes(entry), 0);
		const after = fragments.filter((entry) => entry.receivedAt > killedAt).map((entry) => entry.receivedAt);
		return {
			kind,
			at,
			missed,
			resent: (sent - SIZE) / MiB,
			largest: Math.max(...fragments.map(rangeBytes)) / MiB,
			// No fragment after the kill: the one in flight carried on and was the last (nothing stopped).
			seconds: after.length > 0 ? (Math.min(...after) - killedAt) / 1000 : 0,
			uninterrupted: after.length === 0
		};
	} finally {
		await context?.close().catch(() => undefined);
		removeQuietly(profile);
	}
}

const oneArg = process.argv.indexOf('--one');
if (oneArg >= 0) {
	const [kind, index, at] = [process.argv[oneArg + 1] as Kind | 'calm', Number(process.argv[oneArg + 2]), Number(process.argv[oneArg + 3])];
	const result = await trial(kind, index, at);
	console.log(`${RESULT}${JSON.stringify(result)}`);
	process.exit(0);
}

// ─── the run: the stack once, every trial in a child ─────────────────────────────────────────
function runTrial(kind: Kind | 'calm', index: number, at: number): Promise<Result> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['--import', 'tsx', 'bench/resume-cost.ts', '--one', kind, String(index), String(at), '--mib', String(SIZE / MiB), '--seed', String(SEED)], {
			stdio: ['ignore', 'pipe', 'inherit']
		});
		let out = '';
		child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
		const limit = setTimeout(() => child.kill('SIGKILL'), 6 * 60_000);
		child.once('exit', (code) => {
			clearTimeout(limit);
			const line = out.split('\n').find((entry) => entry.startsWith(RESULT));
			if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT.length)) as Result);
			else reject(new Error(`${kind} trial ${index} ended with ${code}: ${out.slice(-500)}`));
		});
	});
}

const stack = await startLocalStack({ build: !PREBUILT });
// The kill points are reproducible from the seed.
const next = prng(SEED);
let failed = false;
try {
	const calm = await runTrial('calm', 0, 0);
	const tasks = calm.kind === 'calm' ? calm.tasks : [];
	const longest = Math.max(0, ...tasks);
	console.log(`Long tasks on /uploads while a ${SIZE / MiB} MiB video was picked, kept and uploaded: ${tasks.length} (longest ${longest.toFixed(0)} ms)`);
	figure({ name: 'responsiveness.upload.long-tasks', unit: 'tasks', runs: [tasks.length], note: `main-thread tasks over 50 ms on /uploads, picking a ${SIZE / MiB} MiB video to In OneDrive (under Playwright)` });
	figure({ name: 'responsiveness.upload.longest-task', unit: 'ms', runs: [longest], note: 'the longest of those tasks (0: none)' });

	await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: SEED, latencyMs: 200 });
	const what: Record<Kind, string> = { worker: 'the service worker stopped, page left open', page: 'the tab closed mid-upload, then opened again' };
	for (const kind of ['worker', 'page'] as const) {
		const counted: Extract<Result, { kind: Kind }>[] = [];
		for (let index = 1; index <= TRIALS; index++) {
			const at = 0.15 + 0.7 * next();
			const result = await runTrial(kind, index, at).catch((error: unknown) => {
				console.error(String(error));
				failed = true;
				return null;
			});
			if (!result || result.kind === 'calm') continue;
			if (result.missed) {
				console.log(`  ${kind} ${index}: the upload ended before ${(at * 100).toFixed(0)} %: not counted`);
				continue;
			}
			counted.push(result);
			console.log(`  ${kind} ${index}: killed at ${(at * 100).toFixed(0)} %, sent twice ${result.resent.toFixed(1)} MiB (largest fragment ${result.largest.toFixed(1)} MiB), ${result.uninterrupted ? 'the fragment in flight carried on to the end (0 s)' : `uploading again after ${result.seconds.toFixed(2)} s`}`);
		}
		const resent = summarise(counted.map((r) => r.resent));
		const seconds = summarise(counted.map((r) => r.seconds));
		console.log(`${what[kind]}: sent twice median ${resent.median.toFixed(1)} MiB (max ${resent.max.toFixed(1)}; largest fragment up to ${summarise(counted.map((r) => r.largest)).max.toFixed(1)} MiB), uploading again after median ${seconds.median.toFixed(2)} s (max ${seconds.max.toFixed(2)}), ${counted.length} trials`);
		figure({ name: `resume.${kind}.sent-twice`, unit: 'MiB', runs: counted.map((r) => r.resent), note: `${what[kind]}, killed at a random point of a ${SIZE / MiB} MiB upload (seed ${SEED}); every PUT range counted whole` });
		figure({ name: `resume.${kind}.largest-fragment`, unit: 'MiB', runs: counted.map((r) => r.largest), note: 'the largest fragment of the same uploads (the target: sent twice at most one fragment)' });
		figure({ name: `resume.${kind}.seconds-to-upload-again`, unit: 's', runs: counted.map((r) => r.seconds), note: `${what[kind]}: from the kill to the next fragment reaching the emulator` });
		if (counted.length === 0 && !SMOKE) failed = true;
	}
} finally {
	await stack.stop();
}
if (failed) process.exit(1);
