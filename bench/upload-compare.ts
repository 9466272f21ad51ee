// Reeldrive's upload next to the alternatives, in the same run and the same Chromium:
//   reeldrive  the app itself: a video picked in /uploads, uploaded by its service worker
//   ceiling    the same fragment sizes (Reeldrive's own sequence, replayed) PUT in a minimal loop
//   sdk3       @microsoft/microsoft-graph-client 3.x OneDriveLargeFileUploadTask at its default
//              (5 MiB) and at Reeldrive's median fragment size
//   sdkcore    @microsoft/msgraph-sdk-core LargeFileUploadTask at its default (320 KiB)
// on loopback (1 GiB) and through a throttling TCP proxy in front of the emulator's upload port
// (50 Mbit/s with 40 ms round trip, 5 Mbit/s with 200 ms), one file and four at once. Smaller
// files on the shaped links keep each run within seconds; MB/s is comparable across sizes.
//
// No DevTools on the upload path: Playwright prepares Reeldrive's upload (sign-in, OneDrive,
// picking the file, which Reeldrive keeps on the device first) with the emulator holding every
// fragment back, then closes; the upload itself runs in a plain headless Chromium started with no
// remote debugging, which resumes it by itself. The page variants run in a plain headless
// Chromium too, on a page served from the app's origin (/_bench/upload.html). Throughput is read
// from the emulator's fragment log, the same way for all: bytes of the fragments it accepted, from
// the first one's arrival to the last one's answer.
//
// Each round (one run of every scenario) starts its own stack on the usual ports and holds the
// shared e2e lock (/tmp/reeldrive-e2e.lock, when `flock` exists) only for that round.
// Run: npx tsx bench/upload-compare.ts   (options: --runs 3 --mib 1024 --only loopback,50mbit,5mbit,50mbit-x4 --smoke --timeline)
import { chromium } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, findChromium } from '../scripts/lib/chromium';
import { busyPorts } from '../scripts/lib/ports';
import { serveStatic } from '../scripts/lib/static-server';
import { startMicrosoftEmulator } from '../emulators/microsoft/src/index';
import { startSupabaseApi } from '../emulators/supabase/src/index';
import { connectOneDrive, emulator, newAppAccount, newMicrosoftAccount, signIn } from '../tests/e2e/support/stack';
import { makeLargeMp4 } from '../tests/e2e/support/videos';
import { treeMemory } from './lib/process-memory';
import { figure, numberArg, PREBUILT, SMOKE, summarise } from './lib/results';
import { startShapedLink, type LinkProfile, type LinkSetting } from './lib/shaped-link';

const MiB = 1024 * 1024;
const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = numberArg('runs', 3, 1);
const LOOPBACK_MIB = numberArg('mib', 1024, 16);
const LOCK = process.env.BENCH_LOCK ?? '/tmp/reeldrive-e2e.lock';
/**
 * --pages-only: only the page variants, against an emulator, a proxy and a plain file server on
 * free ports (no lock needed, nothing of the app), with --fragment-bytes as Reeldrive's size (the
 * ceiling's and sdk3-reeldrive's). For when the fixed ports are not to be had; not the same run
 * as Reeldrive's, so no ratios.
 */
const PAGES_ONLY = process.argv.includes('--pages-only');
const FRAGMENT_BYTES = numberArg('fragment-bytes', 10 * MiB);
/** --timeline: print every accepted fragment's range and times at the emulator. */
const TIMELINE = process.argv.includes('--timeline');
/** BENCH_CHROMIUM_LOG=file: the plain Chromium's stderr (its console, pages' and workers') goes there too. */
const CHROMIUM_LOG = process.env.BENCH_CHROMIUM_LOG;
/** The Microsoft emulator and the origin of the bench page (the app's, unless --pages-only). */
let MS = 'http://localhost:4010';
let PAGE_ORIGIN = 'http://localhost:5173';

interface Scenario {
	key: string;
	title: string;
	link: LinkProfile | null;
	files: number;
	/** Bytes per file. */
	bytes: number;
}

const ALL_SCENARIOS: Scenario[] = [
	{ key: 'loopback', title: `loopback, 1 × ${LOOPBACK_MIB} MiB`, link: null, files: 1, bytes: LOOPBACK_MIB * MiB },
	{ key: '50mbit', title: `50 Mbit/s + 40 ms, 1 × ${SMOKE ? 2 : 48} MiB`, link: { name: '50mbit', bitsPerSecond: 50e6, rttMs: 40 }, files: 1, bytes: (SMOKE ? 2 : 48) * MiB },
	{ key: '50mbit-x4', title: `50 Mbit/s + 40 ms, 4 × ${SMOKE ? 1 : 12} MiB at once`, link: { name: '50mbit', bitsPerSecond: 50e6, rttMs: 40 }, files: 4, bytes: (SMOKE ? 1 : 12) * MiB },
	{ key: '5mbit', title: `5 Mbit/s + 200 ms, 1 × ${SMOKE ? 1 : 6} MiB`, link: { name: '5mbit', bitsPerSecond: 5e6, rttMs: 200 }, files: 1, bytes: (SMOKE ? 1 : 6) * MiB }
];
const onlyArg = process.argv.indexOf('--only');
// The smoke covers the direct path and the proxy with four files; the full run every scenario.
const SCENARIOS =
	onlyArg >= 0
		? ALL_SCENARIOS.filter((s) => process.argv[onlyArg + 1]!.split(',').includes(s.key))
		: SMOKE
			? ALL_SCENARIOS.filter((s) => s.key === 'loopback' || s.key === '50mbit-x4')
			: ALL_SCENARIOS;

type VariantKey = 'reeldrive' | 'ceiling' | 'sdk3-default' | 'sdk3-reeldrive' | 'sdkcore-default';
const VARIANTS: { key: VariantKey; title: string }[] = [
	{ key: 'reeldrive', title: 'Reeldrive (service worker)' },
	{ key: 'ceiling', title: 'ceiling: minimal PUT loop' },
	{ key: 'sdk3-default', title: 'graph-client 3.0.7, 5 MiB' },
	{ key: 'sdk3-reeldrive', title: "graph-client 3.0.7, Reeldrive's size" },
	{ key: 'sdkcore-default', title: 'msgraph-sdk-core, 320 KiB' }
];

interface Outcome {
	mbps?: number;
	/** Medians over fragments: ms a fragment took at the emulator, ms between one's answer and the next one's arrival. */
	fragmentMs?: number;
	gapMs?: number;
	/** ms within the measured span with no fragment in flight at all. */
	idleMs?: number;
	/** Fragment sizes the emulator accepted, in order (per file, files concatenated). */
	plan?: number[];
	slice?: number;
	error?: string;
}
interface RoundResult {
	scenarios: Record<string, Record<string, Outcome>>;
	memory?: { rendererPeakOverBaseline: number; chromiumPeakOverBaseline: number; rendererBaseline: number; chromiumBaseline: number };
}

/** Removes a temporary folder; Chromium may still be writing a profile for a moment. Never throws. */
function removeQuietly(dir: string): void {
	try {
		rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
	} catch (error) {
		console.warn(`    (could not remove ${dir}: ${String(error)})`);
	}
}

// ─── the page the page variants run ───────────────────────────────────────────────────────────
function preparePage(): void {
	const out = join(root, 'build', '_bench');
	mkdirSync(out, { recursive: true });
	const bundled = spawnSync(
		join(root, 'node_modules/.bin/esbuild'),
		['bench/pages/upload-page.ts', '--bundle', '--format=iife', '--platform=browser', '--target=chrome120', `--outfile=${join(out, 'upload.js')}`, '--log-level=warning'],
		{ cwd: root, stdio: 'inherit' }
	);
	if (bundled.status !== 0) throw new Error('could not bundle bench/pages/upload-page.ts');
	writeFileSync(join(out, 'upload.html'), '<!doctype html><meta charset="utf-8"><title>starting</title><script src="/_bench/upload.js"></script>\n');
}

// ─── the stack, on the usual ports ────────────────────────────────────────────────────────────
interface Stack {
	/** True when the upload port is behind the shaped link (which can then also hold requests). */
	proxied: boolean;
	shaping: (setting: LinkSetting) => void;
	close(): Promise<void>;
}

/** App, emulators and, with `proxied`, the shaped link on 4011 in front of the upload port (4012). */
async function startStack(dataDir: string, proxied: boolean): Promise<Stack> {
	// Holding the lock, the ports should be free; something started without it may still hold them.
	const ports = [5173, 4010, 4011, 4012, 54321].map((port) => ({ name: String(port), port }));
	for (let waited = 0; (await busyPorts(ports)).length > 0; waited++) {
		if (waited === 0) console.log('    waiting for ports 5173, 4010, 4011, 4012 and 54321 to be free…');
		if (waited > 60) throw new Error("the stack's ports stayed busy for 5 minutes");
		await new Promise((resolve) => setTimeout(resolve, 5000));
	}
	const microsoft = await startMicrosoftEmulator({
		port: 4010,
		contentPort: proxied ? 4012 : 4011,
		publicContentUrl: proxied ? 'http://localhost:4011' : undefined,
		dataDir: join(dataDir, 'microsoft'),
		quiet: true
	});
	const link = proxied ? await startShapedLink(4011, 4012) : null;
	const supabase = await startSupabaseApi({ port: 54321, seed: true, quiet: true });
	const app = await serveStatic(join(root, 'build'), 5173);
	return {
		proxied,
		shaping: (setting) => link?.set(setting),
		async close() {
			await app.close();
			await link?.close();
			await microsoft.close();
			await supabase.close();
		}
	};
}

// ─── measuring from the emulator ─────────────────────────────────────────────────────────────
interface FragmentEntry {
	sessionId: string;
	contentRange: string | null;
	receivedAt: number;
	endedAt: number | null;
	status: number | null;
}

/** The emulator's control API at MS (the e2e helper `emulator` knows only the fixed port). */
async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${MS}/_emulator${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
	if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
	return (await response.json()) as T;
}

/** Throughput over the fragments accepted from `since` (wall clock, ms) on. */
async function throughputOf(account: string, since = 0): Promise<{ mbps: number; plan: number[]; fragmentMs: number; gapMs: number; idleMs: number }> {
	const { fragments } = await control<{ fragments: FragmentEntry[] }>('GET', `/drives/${encodeURIComponent(account)}/fragments`);
	const accepted = fragments.filter((entry) => entry.receivedAt >= since && entry.status !== null && entry.status >= 200 && entry.status < 300 && entry.endedAt !== null);
	if (accepted.length === 0) throw new Error('no fragment was accepted');
	const plan = accepted.map((entry) => {
		const [, from, to] = /bytes (\d+)-(\d+)\//.exec(entry.contentRange ?? '') ?? [];
		return Number(to) - Number(from) + 1;
	});
	const bytes = plan.reduce((sum, n) => sum + n, 0);
	const seconds = (Math.max(...accepted.map((entry) => entry.endedAt!)) - Math.min(...accepted.map((entry) => entry.receivedAt))) / 1000;
	// Where the time goes: in the fragments, or between one fragment's answer and the next one of
	// the same upload (files at once interleave in the log, so gaps are taken per session).
	const gaps: number[] = [];
	const lastOf = new Map<string, FragmentEntry>();
	for (const entry of accepted) {
		const before = lastOf.get(entry.sessionId);
		if (before) gaps.push(entry.receivedAt - before.endedAt!);
		lastOf.set(entry.sessionId, entry);
	}
	// Time within the span when no fragment at all was in flight at the emulator.
	let idleMs = 0;
	let busyUntil = -Infinity;
	for (const entry of [...accepted].sort((a, b) => a.receivedAt - b.receivedAt)) {
		if (busyUntil !== -Infinity && entry.receivedAt > busyUntil) idleMs += entry.receivedAt - busyUntil;
		busyUntil = Math.max(busyUntil, entry.endedAt!);
	}
	const fragmentMs = summarise(accepted.map((entry) => entry.endedAt! - entry.receivedAt)).median;
	if (TIMELINE) {
		const t0 = Math.min(...accepted.map((entry) => entry.receivedAt));
		for (const entry of accepted) console.log(`      ${entry.sessionId.slice(-6)} ${entry.contentRange} ${entry.receivedAt - t0}–${entry.endedAt! - t0} ms`);
	}
	return { mbps: bytes / 1e6 / seconds, plan, fragmentMs, gapMs: gaps.length > 0 ? summarise(gaps).median : NaN, idleMs };
}

/** Waits until every path is an item of the drive; fails when nothing moves for `stallSeconds`. */
async function waitForItems(account: string, paths: string[], failed: () => string | null, stallSeconds: number): Promise<void> {
	let last = '';
	let lastChange = performance.now();
	for (;;) {
		const files = await control<{ items: { path: string }[]; uploadSessions: { received: number }[] }>('GET', `/drives/${encodeURIComponent(account)}/files`);
		const have = new Set(files.items.map((item) => item.path));
		if (paths.every((path) => have.has(path))) return;
		const error = failed();
		if (error) throw new Error(error);
		const state = `${files.items.length}/${files.uploadSessions.map((s) => s.received).join(',')}`;
		if (state !== last) {
			last = state;
			lastChange = performance.now();
		} else if (performance.now() - lastChange > stallSeconds * 1000) {
			throw new Error(`no progress for ${stallSeconds} s`);
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

/** A plain headless Chromium (no remote debugging, so no DevTools) on `url`; its console goes to stderr. */
function plainChromium(profile: string, url: string): { failed: () => string | null; stop: () => Promise<void> } {
	const child = spawn(findChromium() ?? 'chromium', ['--headless', ...CHROMIUM_ARGS, `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', url], {
		stdio: ['ignore', 'ignore', 'pipe']
	});
	let failure: string | null = null;
	child.stderr!.on('data', (chunk: Buffer) => {
		if (CHROMIUM_LOG) appendFileSync(CHROMIUM_LOG, chunk);
		const match = /bench-upload: failed: ([^"]*)/.exec(chunk.toString());
		if (match) failure = match[1]!;
	});
	child.once('exit', (code) => (failure ??= `Chromium exited with ${code}`));
	return {
		failed: () => failure,
		stop: async () => {
			if (child.exitCode !== null) return;
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGTERM');
			await exited;
		}
	};
}

// ─── Reeldrive ────────────────────────────────────────────────────────────────────────────────
async function runReeldrive(scenario: Scenario, stack: Stack, trackMemory: boolean): Promise<Outcome & { memory?: RoundResult['memory'] }> {
	const profile = mkdtempSync(join(tmpdir(), 'reeldrive-compare-profile-'));
	try {
		const names = Array.from({ length: scenario.files }, (_, i) => `compare-${scenario.key}-${i}-${scenario.bytes}.mp4`);
		const videos = names.map((name) => makeLargeMp4(scenario.bytes, name));
		const app = await newAppAccount('compare');
		const microsoft = await newMicrosoftAccount('compare');
		await emulator('PUT', `/drives/${encodeURIComponent(microsoft)}/quota`, { total: 100 * 1024 * MiB });

		// 1. Prepared under Playwright, with every fragment held back. Behind the shaped link, the
		// link holds them: no byte reaches the emulator until the measured browser sends again.
		// On loopback the emulator holds them a while, as bench/browser-upload.ts does (a minute
		// there): the held request outlives the browser that sent it, and Reeldrive's next
		// fragment waits for it to end, so the hold is just longer than keeping the video takes
		// here (the stall limit below allows for it). That cannot hold a file of a few MiB (its
		// bytes are all sent before the browser closes), which is why loopback uses 1 GiB.
		// Fragments accepted before the reopen are not counted.
		if (stack.proxied) stack.shaping('hold');
		else {
			stack.shaping(null);
			const holdMs = scenario.bytes >= 256 * MiB ? 40_000 : 8_000;
			await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: 1, latencyMs: holdMs });
		}
		const context = await chromium.launchPersistentContext(profile, { executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS, baseURL: 'http://localhost:5173' });
		const page = await context.newPage();
		await signIn(page, app.email);
		// Staying signed in: videos whose session is created after the reopen need a token then.
		await connectOneDrive(page, microsoft, { staySignedIn: true });
		await page.goto('/uploads');
		await page.evaluate(() => navigator.serviceWorker.ready);
		await page.getByLabel('Choose videos').setInputFiles(videos);
		// Reeldrive keeps each video on the device before the page may close.
		for (;;) {
			const staged = await page.evaluate(async (bytes) => {
				const open = indexedDB.open('reeldrive');
				const db: IDBDatabase = await new Promise((resolve, reject) => {
					open.onsuccess = () => resolve(open.result);
					open.onerror = () => reject(open.error);
				});
				// The app creates its database once someone is signed in; until then, nothing is kept.
				if (!db.objectStoreNames.contains('uploads')) {
					db.close();
					return [];
				}
				const uploads: { originalName: string; staging?: { stagedTo: number } }[] = await new Promise((resolve) => {
					const request = db.transaction('uploads').objectStore('uploads').getAll();
					request.onsuccess = () => resolve(request.result);
				});
				db.close();
				return uploads.map((upload) => ({ name: upload.originalName, done: (upload.staging?.stagedTo ?? 0) >= bytes }));
			}, scenario.bytes);
			if (names.every((name) => staged.some((upload) => upload.name === name && upload.done))) break;
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		await context.close();
		if (!stack.proxied) await emulator('DELETE', '/faults');

		// 2. The upload, in a plain Chromium on the same profile.
		stack.shaping(scenario.link);
		const samples: { at: number; renderer: number; total: number }[] = [];
		const sampler = trackMemory
			? setInterval(() => {
					const memory = treeMemory(profile);
					samples.push({ at: Date.now(), renderer: memory.largest.get('renderer') ?? 0, total: memory.total });
				}, 100)
			: null;
		const reopened = Date.now();
		const browser = plainChromium(profile, 'http://localhost:5173/uploads');
		try {
			await waitForItems(microsoft, names.map((name) => `/Reeldrive/${name}`), browser.failed, 150);
		} finally {
			if (sampler) clearInterval(sampler);
			await browser.stop();
		}
		const { mbps, plan, fragmentMs, gapMs, idleMs } = await throughputOf(microsoft, reopened);
		if (!trackMemory) return { mbps, plan, fragmentMs, gapMs, idleMs };
		// Baseline: the app open, before its first fragment reached the emulator.
		const { fragments } = await emulator<{ fragments: FragmentEntry[] }>('GET', `/drives/${encodeURIComponent(microsoft)}/fragments`);
		const firstAccepted = Math.min(...fragments.filter((entry) => entry.status !== null && entry.status < 300).map((entry) => entry.receivedAt));
		const before = samples.filter((sample) => sample.at < firstAccepted && sample.renderer > 0);
		const base = before[before.length - 1] ?? samples[0]!;
		return {
			mbps,
			plan,
			fragmentMs,
			gapMs,
			idleMs,
			memory: {
				rendererBaseline: base.renderer,
				chromiumBaseline: base.total,
				rendererPeakOverBaseline: Math.max(...samples.map((sample) => sample.renderer)) - base.renderer,
				chromiumPeakOverBaseline: Math.max(...samples.map((sample) => sample.total)) - base.total
			}
		};
	} finally {
		removeQuietly(profile);
	}
}

// ─── the page variants ───────────────────────────────────────────────────────────────────────
async function accessToken(account: string): Promise<string> {
	const env = readFileSync(join(root, '.env.development'), 'utf8');
	const response = await fetch(`${MS}/common/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			client_id: /^PUBLIC_MS_CLIENT_ID=(.+)$/m.exec(env)![1]!.trim(),
			grant_type: 'password',
			username: account,
			password: 'reeldrive-demo',
			scope: 'Files.ReadWrite User.Read'
		})
	});
	if (!response.ok) throw new Error(`token: ${response.status} ${await response.text()}`);
	return ((await response.json()) as { access_token: string }).access_token;
}

async function runPage(scenario: Scenario, stack: Stack, variant: 'ceiling' | 'sdk3' | 'sdkcore', options: { plan?: number[]; slice?: number }): Promise<Outcome> {
	const profile = mkdtempSync(join(tmpdir(), 'reeldrive-compare-page-'));
	try {
		stack.shaping(null);
		const account = `compare-${Math.random().toString(36).slice(2, 10)}@contoso.test`;
		await control('POST', '/accounts', { email: account, password: 'reeldrive-demo', quotaTotal: 100 * 1024 * MiB });
		const token = await accessToken(account);
		const names = Array.from({ length: scenario.files }, (_, i) => `${variant}-${i}.mp4`);
		const urls: string[] = [];
		for (const name of names) {
			const response = await fetch(`${MS}/v1.0/me/drive/root:/${name}:/createUploadSession`, {
				method: 'POST',
				headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ item: { '@microsoft.graph.conflictBehavior': 'replace' } })
			});
			if (!response.ok) throw new Error(`createUploadSession: ${response.status} ${await response.text()}`);
			urls.push(((await response.json()) as { uploadUrl: string }).uploadUrl);
		}
		const query = new URLSearchParams({ variant, size: String(scenario.bytes), urls: urls.join(' '), plan: (options.plan ?? []).join(','), slice: String(options.slice ?? 0) });
		stack.shaping(scenario.link);
		const browser = plainChromium(profile, `${PAGE_ORIGIN}/_bench/upload.html?${query}`);
		try {
			await waitForItems(account, names.map((name) => `/${name}`), browser.failed, 90);
		} finally {
			await browser.stop();
		}
		return { ...(await throughputOf(account)), slice: options.slice };
	} catch (error) {
		return { error: error instanceof Error ? error.message : String(error) };
	} finally {
		removeQuietly(profile);
	}
}

/** Reeldrive's fragments of the first file, in order (the ceiling replays them). */
function firstFilePlan(plan: number[], bytes: number): number[] {
	const out: number[] = [];
	for (let sum = 0, i = 0; sum < bytes && i < plan.length; i++) {
		out.push(plan[i]!);
		sum += plan[i]!;
	}
	return out;
}

function medianFragment(plan: number[]): number {
	const unit = 320 * 1024;
	return Math.max(unit, Math.round(summarise(plan).median / unit) * unit);
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const { port } = probe.address() as AddressInfo;
			probe.close(() => resolve(port));
		});
	});
}

/** --pages-only: emulator, proxy and a plain server for /_bench/ on free ports. */
async function startPagesStack(dataDir: string, proxied: boolean): Promise<Stack> {
	const pagePort = await freePort();
	PAGE_ORIGIN = `http://localhost:${pagePort}`;
	const contentPort = await freePort();
	const proxyPort = proxied ? await freePort() : 0;
	const microsoft = await startMicrosoftEmulator({
		port: 0,
		contentPort,
		publicContentUrl: proxied ? `http://localhost:${proxyPort}` : undefined,
		dataDir: join(dataDir, 'microsoft'),
		appOrigins: [PAGE_ORIGIN],
		quiet: true
	});
	MS = microsoft.url;
	const link = proxied ? await startShapedLink(proxyPort, contentPort) : null;
	const pages = createHttpServer((request, response) => {
		const name = new URL(request.url ?? '/', PAGE_ORIGIN).pathname.replace(/^\/_bench\//, '');
		const file = join(root, 'build', '_bench', name);
		if (!/^upload\.(html|js)$/.test(name) || !existsSync(file)) return void response.writeHead(404).end();
		response.writeHead(200, { 'Content-Type': name.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8' }).end(readFileSync(file));
	});
	await new Promise<void>((resolve) => pages.listen(pagePort, '127.0.0.1', () => resolve()));
	return {
		proxied,
		shaping: (setting) => link?.set(setting),
		async close() {
			await new Promise((resolve) => pages.close(resolve));
			await link?.close();
			await microsoft.close();
		}
	};
}

async function round(outFile: string): Promise<void> {
	// Something else holding the lock between rounds may have built the app again (the chaos run
	// does), which removes build/_bench: a round without its page measured nothing.
	if (!existsSync(join(root, 'build', '_bench', 'upload.html'))) preparePage();
	const result: RoundResult = { scenarios: {} };
	for (const proxied of [false, true]) {
		const scenarios = SCENARIOS.filter((scenario) => (scenario.link !== null) === proxied);
		if (scenarios.length === 0) continue;
		const dataDir = mkdtempSync(join(tmpdir(), 'reeldrive-compare-data-'));
		const stack = PAGES_ONLY ? await startPagesStack(dataDir, proxied) : await startStack(dataDir, proxied);
		try {
			for (const scenario of scenarios) {
				const outcomes: Record<string, Outcome> = {};
				result.scenarios[scenario.key] = outcomes;
				console.log(`  ${scenario.title}`);
				// In smoke size the loopback file is small, and the emulator's hold cannot keep a small
				// file back (see runReeldrive): Reeldrive's own run is smoked behind the shaped link.
				const skip = PAGES_ONLY ? 'not run (--pages-only)' : SMOKE && !scenario.link ? 'not run on loopback in smoke size (runs behind the shaped link)' : null;
				const own = skip
					? { error: skip, plan: undefined, mbps: undefined, fragmentMs: undefined, gapMs: undefined, memory: undefined }
					: await runReeldrive(scenario, stack, scenario.key === 'loopback').catch((error: unknown) => ({ error: String(error), plan: undefined, mbps: undefined, fragmentMs: undefined, gapMs: undefined, memory: undefined }));
				outcomes.reeldrive = { mbps: own.mbps, plan: own.plan, fragmentMs: own.fragmentMs, gapMs: own.gapMs, idleMs: own.idleMs, error: own.error };
				if (own.memory) result.memory = own.memory;
				// Without Reeldrive's plan, the others use its starting size (10 MiB).
				const plan = own.plan ? firstFilePlan(own.plan, scenario.bytes) : [FRAGMENT_BYTES];
				outcomes.ceiling = await runPage(scenario, stack, 'ceiling', { plan });
				outcomes['sdk3-default'] = await runPage(scenario, stack, 'sdk3', {});
				outcomes['sdk3-reeldrive'] = await runPage(scenario, stack, 'sdk3', { slice: medianFragment(plan) });
				outcomes['sdkcore-default'] = await runPage(scenario, stack, 'sdkcore', {});
				for (const variant of VARIANTS) {
					const outcome = outcomes[variant.key]!;
					const detail = outcome.plan ? `, ${outcome.plan.length} fragments, median ${(summarise(outcome.plan).median / MiB).toFixed(2)} MiB taking ${outcome.fragmentMs?.toFixed(0)} ms, ${outcome.gapMs?.toFixed(1)} ms between, link idle ${outcome.idleMs?.toFixed(0)} ms` : '';
					console.log(`    ${variant.title.padEnd(38)} ${outcome.mbps !== undefined ? `${outcome.mbps.toFixed(1)} MB/s${detail}` : `failed: ${outcome.error}`}`);
				}
			}
		} finally {
			await stack.close();
			removeQuietly(dataDir);
		}
	}
	writeFileSync(outFile, JSON.stringify(result));
}

// ─── entry: a round (child) or the whole benchmark (parent) ─────────────────────────────────────
const roundArg = process.argv.indexOf('--round-out');
if (roundArg >= 0) {
	await round(process.argv[roundArg + 1]!);
	process.exit(0);
}

if (!PREBUILT) {
	const built = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], {
		cwd: root,
		stdio: 'inherit',
		env: { ...process.env, NODE_ENV: 'production', REELDRIVE_ENV_MODE: 'development' }
	});
	if (built.status !== 0) process.exit(1);
}
preparePage();
const useLock = existsSync('/usr/bin/flock') && process.env.BENCH_LOCK !== '' && !PAGES_ONLY;
const rounds: RoundResult[] = [];
const work = mkdtempSync(join(tmpdir(), 'reeldrive-compare-'));
// --until <ISO time>: start no round after it (the rounds done so far are reported).
const untilArg = process.argv.indexOf('--until');
const until = untilArg >= 0 ? Date.parse(process.argv[untilArg + 1]!) : Infinity;
let failedRounds = 0;
for (let r = 0; r < RUNS; r++) {
	if (Date.now() > until) {
		console.log(`round ${r + 1} of ${RUNS} not started: past --until`);
		break;
	}
	console.log(`round ${r + 1} of ${RUNS}${useLock ? ` (waits for, then holds ${LOCK})` : ''}`);
	const out = join(work, `round-${r}.json`);
	const command = [process.execPath, '--import', 'tsx', 'bench/upload-compare.ts', ...process.argv.slice(2), '--round-out', out];
	const child = useLock ? spawnSync('flock', [LOCK, ...command], { cwd: root, stdio: 'inherit' }) : spawnSync(command[0]!, command.slice(1), { cwd: root, stdio: 'inherit' });
	if (child.status !== 0 || !existsSync(out)) {
		// The other rounds still count; the bench fails at the end.
		console.error(`round ${r + 1} failed`);
		failedRounds++;
		continue;
	}
	rounds.push(JSON.parse(readFileSync(out, 'utf8')) as RoundResult);
}
rmSync(work, { recursive: true, force: true });

// ─── figures ─────────────────────────────────────────────────────────────────────────────────
const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 10 ? 1 : 2) : '—');
let failed = false;
for (const scenario of SCENARIOS) {
	console.log(`\n${scenario.title}: MB/s, median (min–max) of ${rounds.length} round${rounds.length === 1 ? '' : 's'}`);
	for (const variant of VARIANTS) {
		const outcomes = rounds.map((r) => r.scenarios[scenario.key]?.[variant.key]).filter((o): o is Outcome => o !== undefined);
		const values = outcomes.map((o) => o.mbps).filter((v): v is number => v !== undefined);
		const errors = [...new Set(outcomes.map((o) => o.error).filter(Boolean))];
		const name = `throughput.${scenario.key}.${variant.key}${PAGES_ONLY ? '.pages-only' : ''}`;
		if ((PAGES_ONLY || (SMOKE && !scenario.link)) && variant.key === 'reeldrive') continue;
		if (values.length === 0) {
			console.log(`  ${variant.title.padEnd(38)} not run: ${errors.join('; ')}`);
			figure({ name, unit: 'MB/s', runs: [], note: `not run: ${errors.join('; ')}` });
			if (variant.key === 'reeldrive' || variant.key === 'ceiling') failed = true;
			continue;
		}
		const s = summarise(values);
		const slices = [...new Set(outcomes.map((o) => o.slice).filter(Boolean))].map((n) => `${(n! / MiB).toFixed(2)} MiB`);
		console.log(`  ${variant.title.padEnd(38)} ${fmt(s.median).padStart(7)} (${fmt(s.min)}–${fmt(s.max)})${errors.length ? `  [${errors.length} failed: ${errors.join('; ')}]` : ''}${slices.length ? `  slices ${slices.join(', ')}` : ''}`);
		figure({ name, unit: 'MB/s', runs: values, note: `${scenario.title}; ${variant.title}${slices.length ? ` (${slices.join(', ')})` : ''}` });
	}
	for (const other of VARIANTS.slice(1)) {
		const ratios = rounds
			.map((r) => (r.scenarios[scenario.key]?.reeldrive?.mbps ?? NaN) / (r.scenarios[scenario.key]?.[other.key]?.mbps ?? NaN))
			.filter((v) => Number.isFinite(v));
		const name = `ratio.${scenario.key}.reeldrive/${other.key}`;
		if (ratios.length === 0) continue;
		const s = summarise(ratios);
		console.log(`  Reeldrive / ${other.title.padEnd(26)} ${fmt(s.median).padStart(7)} (${fmt(s.min)}–${fmt(s.max)}), same round`);
		figure({ name, unit: '×', runs: ratios, note: `${scenario.title}; per round, then median` });
	}
}
const memory = rounds.map((r) => r.memory).filter((m): m is NonNullable<RoundResult['memory']> => m !== undefined);
if (memory.length > 0) {
	const renderer = memory.map((m) => m.rendererPeakOverBaseline);
	const all = memory.map((m) => m.chromiumPeakOverBaseline);
	console.log(`\nMemory during the ${LOOPBACK_MIB} MiB upload, peak over the app's idle baseline (MiB): largest renderer (page and service worker) ${fmt(summarise(renderer).median)} (${fmt(summarise(renderer).min)}–${fmt(summarise(renderer).max)}), all Chromium ${fmt(summarise(all).median)}`);
	figure({ name: 'memory.upload.renderer-over-baseline', unit: 'MiB', runs: renderer, note: `largest renderer (the page and its service worker share it) during the ${LOOPBACK_MIB} MiB upload, over the app open and idle just before` });
	figure({ name: 'memory.upload.chromium-over-baseline', unit: 'MiB', runs: all, note: `all Chromium processes during the ${LOOPBACK_MIB} MiB upload, over the app open and idle just before` });
}
process.exit(failed || failedRounds > 0 || rounds.length === 0 ? 1 : 0);
