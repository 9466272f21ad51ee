/**
 * `npm run chaos -- --seed N [--smoke]`: proves that no upload is lost, duplicated or misplaced
 * while everything around it goes wrong. The real app in Chromium, against the local stack:
 * two people (each with their own Microsoft account) upload 20 videos of 1 MB to 300 MB (6 small
 * ones with --smoke) from one shared browser context and from one context each, while the
 * seeded plan (scripts/chaos/plan.ts) injects emulator faults, page reloads, tabs opened and
 * closed, offline periods, Pause/Resume, a killed service worker, a sign-out and sign-in, a
 * change of person in the shared context and a new app version activated mid-run. Then it
 * checks every video against OneDrive (QuickXorHash), Supabase and the browser's storage,
 * prints a table, and exits 1 on any loss, duplicate, misplacement or stuck upload.
 * Afterwards the same videos go through @microsoft/microsoft-graph-client's
 * OneDriveLargeFileUploadTask in a page under the same fault rules, for comparison.
 *
 * Run under the port lock: flock /tmp/reeldrive-e2e.lock npm run chaos -- --seed 1 --smoke
 */
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from './lib/chromium';
import { busyPorts } from './lib/ports';
import { serveStatic, type StaticServer } from './lib/static-server';
import { CONTEXTS, makePlan, type ChaosEvent, type ContextName, type FaultRule, type Person, type VideoPlan } from './chaos/plan';
import { SAMPLE, writeVideo } from './chaos/videos';
import { APP, DEMO_PASSWORD, emulator, MICROSOFT, newAppAccount, newMicrosoftAccount, type AppAccount } from '../tests/e2e/support/stack';

// ── arguments ────────────────────────────────────────────────────────────────────────────────
const argv = process.argv.slice(2);
const seedArg = argv.indexOf('--seed');
const seed = seedArg >= 0 ? Number(argv[seedArg + 1]) : Math.floor(Math.random() * 1_000_000);
if (!Number.isSafeInteger(seed) || seed < 0) {
	console.error('Usage: npm run chaos -- --seed N [--smoke] [--no-sdk]');
	process.exit(2);
}
const smoke = argv.includes('--smoke');
const withSdk = !argv.includes('--no-sdk');
const plan = makePlan(seed, smoke);
const root = resolve(import.meta.dirname, '..');
const MB = 1_000_000;
/** How long uploads may take to finish once the faults stop, before the unfinished count as stuck. */
const SETTLE_BOUND_S = smoke ? 240 : 900;

console.log(`Chaos run, seed ${seed}${smoke ? ' (smoke size)' : ''}: replay with  npm run chaos -- --seed ${seed}${smoke ? ' --smoke' : ''}`);
console.log(
	`  ${plan.videos.length} videos, ${(plan.videos.reduce((sum, v) => sum + v.size, 0) / MB).toFixed(0)} MB in all, ${plan.events.length} events over ${plan.window} s`
);

// ── log ──────────────────────────────────────────────────────────────────────────────────────
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
const log = (line: string) => console.log(`  [${elapsed().toFixed(1).padStart(6)} s] ${line}`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Injected {
	what: string;
	/** What kind of thing it was, for the table. */
	kind?: string;
	at: number;
	/** Upload progress (bytes) when it happened; recovery is the first moment progress passes it afterwards. */
	progressAt: number;
	recoveredAfter?: number;
	note?: string;
	failed?: string;
}
const injected: Injected[] = [];
const humanActions: string[] = [];

// ── the stack: two builds of the app, the emulators, and a static server we can switch ────────
const work = mkdtempSync(join(tmpdir(), `reeldrive-chaos-${seed}-`));
const videosDir = join(work, 'videos');
mkdirSync(videosDir);

function build(into: string, marker: string): string {
	const result = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], {
		cwd: root,
		stdio: ['ignore', 'ignore', 'inherit'],
		env: { ...process.env, NODE_ENV: 'production', REELDRIVE_ENV_MODE: 'development', REELDRIVE_VERSION: marker }
	});
	if (result.status !== 0) throw new Error(`vite build exited with ${result.status}`);
	cpSync(join(root, 'build'), into, { recursive: true });
	return (JSON.parse(readFileSync(join(into, '_app/version.json'), 'utf8')) as { version: string }).version;
}

let stack: ReturnType<typeof spawn> | undefined;
let server: StaticServer | undefined;
let browser: Browser | undefined;
let exitCode: number | undefined;

async function waitUntilUp(url: string): Promise<void> {
	for (let i = 0; i < 240; i++) {
		try {
			await fetch(url);
			return;
		} catch {
			await sleep(250);
		}
	}
	throw new Error(`${url} did not come up`);
}

// ── people and their accounts ────────────────────────────────────────────────────────────────
interface PersonAccounts {
	app: AppAccount;
	microsoft: string;
	driveId: string;
}
const people = {} as Record<Person, PersonAccounts>;
const other = (person: Person): Person => (person === 'a' ? 'b' : 'a');

// ── browser contexts ─────────────────────────────────────────────────────────────────────────
interface Ctx {
	name: ContextName;
	context: BrowserContext;
	pages: Page[];
	/** Who is signed in to Reeldrive here. */
	person: Person;
	/** Actions in one context run one after another (a reload does not cut a sign-in short). */
	chain: Promise<unknown>;
	paused: Set<string>;
	offline: boolean;
}
const contexts = new Map<ContextName, Ctx>();
const videoPaths = new Map<string, string>();
const picked = new Set<string>();
const expectedHash = new Map<string, string>();

function act(ctx: Ctx, what: string, action: () => Promise<unknown>): Promise<unknown> {
	const next = ctx.chain.then(action).catch((error: unknown) => {
		log(`${ctx.name}: ${what} did not complete: ${String(error instanceof Error ? error.message.split('\n')[0] : error)}`);
		throw error;
	});
	ctx.chain = next.catch(() => undefined);
	return next;
}

const main = (ctx: Ctx): Page => ctx.pages[0]!;

async function signIn(page: Page, person: Person): Promise<void> {
	await page.goto('/products');
	const signedIn = page.getByRole('button', { name: 'Sign out' });
	await page.getByLabel('Email').or(signedIn).first().waitFor({ timeout: 60_000 });
	if (await signedIn.isVisible()) return; // An earlier try got this far.
	await page.getByLabel('Email').fill(people[person].app.email);
	await page.getByLabel('Password').fill(DEMO_PASSWORD);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 60_000 });
}

async function connectOneDrive(page: Page, person: Person): Promise<void> {
	const email = people[person].microsoft;
	await page.goto('/settings');
	const button = page.getByRole('button', { name: /^(Connect|Reconnect) OneDrive$/ });
	const connected = page.getByText('Connected', { exact: true });
	await button.or(connected).first().waitFor({ timeout: 60_000 });
	if ((await connected.isVisible()) && (await page.getByText(`(${email})`).isVisible())) return;
	await button.click();
	await page.waitForURL(`${MICROSOFT}/**`, { timeout: 60_000 });
	const known = page.getByRole('button', { name: new RegExp(email.replace(/[.]/g, '\\.')) });
	const another = page.getByRole('button', { name: 'Use another account' });
	await page.locator('#login').or(known).or(another).first().waitFor({ timeout: 60_000 });
	if (await known.isVisible()) {
		await known.click();
	} else {
		if (await another.isVisible()) await another.click();
		await page.locator('#login').fill(email);
		await page.locator('#password').fill(DEMO_PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.getByRole('heading', { name: 'Stay signed in?' }).waitFor({ timeout: 60_000 });
		await page.getByRole('button', { name: 'No', exact: true }).click();
	}
	await page.waitForLoadState();
	const accept = page.getByRole('button', { name: 'Accept' });
	if (await accept.isVisible().catch(() => false)) await accept.click();
	await page.waitForURL(`${APP}/settings`, { timeout: 60_000 });
	await connected.waitFor({ timeout: 60_000 });
}

async function openUploads(page: Page): Promise<void> {
	if (!page.url().endsWith('/uploads')) await page.goto('/uploads');
	await page.getByLabel('Choose videos').waitFor({ timeout: 60_000 });
}

async function signOut(page: Page): Promise<void> {
	await page.getByRole('button', { name: 'Sign out' }).click({ timeout: 60_000 });
	await page.waitForURL(/sign-in/, { timeout: 60_000 });
}

/**
 * Signs `person` in to Reeldrive here and connects their OneDrive, ending on the Uploads page.
 * Like a person, tries again (up to three times, once back online) when a try fails.
 */
async function becomeSignedIn(ctx: Ctx, person: Person): Promise<void> {
	for (let attempt = 1; ; attempt++) {
		while (ctx.offline) await sleep(250);
		try {
			const page = main(ctx);
			await signIn(page, person);
			await connectOneDrive(page, person);
			ctx.person = person;
			await openUploads(page);
			return;
		} catch (error) {
			if (attempt >= 3) throw error;
			log(`${ctx.name}: signing ${person} in failed (${String(error instanceof Error ? error.message.split('\n')[0] : error)}); trying again`);
		}
	}
}

// ── progress: what both drives hold, watched all along ───────────────────────────────────────
interface DriveFiles {
	driveId: string;
	items: { id: string; path: string; size?: number; quickXorHash?: string; folder: boolean }[];
	uploadSessions: { id: string; name: string; received: number; total: number }[];
}
const drives = {} as Record<Person, DriveFiles>;
let progress = 0;

async function readDrives(): Promise<void> {
	let total = 0;
	for (const person of ['a', 'b'] as const) {
		const files = await emulator<DriveFiles>('GET', `/drives/${encodeURIComponent(people[person].microsoft)}/files`);
		drives[person] = files;
		for (const item of files.items) if (item.path.includes(`chaos-${seed}-`)) total += item.size ?? 0;
		for (const session of files.uploadSessions) total += session.received;
	}
	if (total > progress) {
		for (const entry of injected) if (entry.recoveredAfter === undefined && total > entry.progressAt) entry.recoveredAfter = elapsed() - entry.at;
	}
	progress = Math.max(progress, total);
}

function note(what: string, extra: Partial<Injected> = {}): Injected {
	const entry: Injected = { what, at: elapsed(), progressAt: progress, ...extra };
	injected.push(entry);
	log(what);
	return entry;
}

// ── the events ───────────────────────────────────────────────────────────────────────────────
async function queue(video: VideoPlan): Promise<void> {
	const ctx = contexts.get(video.context)!;
	await act(ctx, `picking ${video.name}`, async () => {
		if (ctx.person !== video.owner) throw new Error(`${video.owner} is not signed in here`);
		const page = main(ctx);
		await openUploads(page);
		await page.getByLabel('Choose videos').setInputFiles(videoPaths.get(video.name)!);
		await page.getByRole('listitem', { name: video.name }).waitFor({ timeout: 60_000 });
		picked.add(video.name);
		log(`${ctx.name}: ${video.owner} picked ${video.name} (${(video.size / MB).toFixed(1)} MB)`);
	}).catch(() => undefined);
}

/** Fault rules switched on and not yet off: id → label. */
const activeFaults = new Map<string, string>();

async function switchOffOnceFired(id: string): Promise<void> {
	while (activeFaults.has(id)) {
		const { faults } = await emulator<{ faults: { id: string; fired: number }[] }>('GET', '/faults');
		if ((faults.find((f) => f.id === id)?.fired ?? 0) > 0) break;
		await sleep(500);
	}
	await switchOff(id);
}

/** Switches a fault rule off, counting how often it fired. */
async function switchOff(id: string): Promise<void> {
	const label = activeFaults.get(id);
	if (label === undefined) return;
	activeFaults.delete(id);
	const { faults } = await emulator<{ faults: { id: string; fired: number }[] }>('GET', '/faults');
	firedByKind.set(label, (firedByKind.get(label) ?? 0) + (faults.find((f) => f.id === id)?.fired ?? 0));
	await emulator('DELETE', `/faults/${id}`).catch(() => undefined);
}

async function run(event: ChaosEvent): Promise<void> {
	switch (event.type) {
		case 'fault': {
			const { faults } = await emulator<{ faults: { id: string }[] }>('POST', '/faults', event.rule);
			const id = faults[0]!.id;
			activeFaults.set(id, event.label);
			note(`fault on: ${event.label} ${describeRule(event.rule)} for ${event.seconds} s`, { kind: `fault: ${event.label}` });
			// Off after its time, or once it has fired if it had not by then (the window's end at the latest).
			setTimeout(() => void switchOffOnceFired(id), event.seconds * 1000);
			return;
		}
		case 'reload': {
			const ctx = contexts.get(event.context)!;
			await act(ctx, 'reload', async () => {
				const page = ctx.pages[ctx.pages.length - 1]!;
				note(`${ctx.name}: page reloaded`, { kind: 'page reload' });
				await page.reload({ timeout: 60_000 }).catch(() => undefined);
			}).catch(() => undefined);
			return;
		}
		case 'open-tab': {
			const ctx = contexts.get(event.context)!;
			await act(ctx, 'open tab', async () => {
				note(`${ctx.name}: tab opened`, { kind: 'tab opened' });
				const page = await ctx.context.newPage();
				ctx.pages.push(page);
				await openUploads(page).catch(() => undefined);
			}).catch(() => undefined);
			return;
		}
		case 'close-tab': {
			const ctx = contexts.get(event.context)!;
			await act(ctx, 'close tab', async () => {
				const page = ctx.pages.pop()!;
				note(ctx.pages.length === 0 ? `${ctx.name}: its only tab closed, then Reeldrive opened again` : `${ctx.name}: a tab closed`, { kind: 'tab closed' });
				await page.close();
				if (ctx.pages.length === 0) {
					const again = await ctx.context.newPage();
					ctx.pages.push(again);
					await openUploads(again);
				}
			}).catch(() => undefined);
			return;
		}
		case 'offline': {
			const ctx = contexts.get(event.context)!;
			if (ctx.offline) return;
			ctx.offline = true;
			await ctx.context.setOffline(true);
			note(`${ctx.name}: offline for ${event.seconds} s`, { kind: 'offline period' });
			setTimeout(() => {
				void ctx.context.setOffline(false).then(() => {
					ctx.offline = false;
					log(`${ctx.name}: back online`);
				});
			}, event.seconds * 1000);
			return;
		}
		case 'pause': {
			const ctx = contexts.get(event.context)!;
			await act(ctx, 'pause', async () => {
				const page = main(ctx);
				const running = page.locator('li.upload').filter({ has: page.getByRole('button', { name: 'Pause' }) });
				const n = await running.count();
				if (n === 0) {
					log(`${ctx.name}: nothing to pause`);
					return;
				}
				const item = running.nth(event.pick % n);
				const name = (await item.getAttribute('aria-label')) ?? '?';
				await item.getByRole('button', { name: 'Pause' }).click({ timeout: 10_000 });
				ctx.paused.add(name);
				note(`${ctx.name}: Pause pressed on ${name}, Resume in ${event.resumeAfter} s`, { kind: 'Pause pressed' });
				setTimeout(() => void resume(ctx, name), event.resumeAfter * 1000);
			}).catch(() => undefined);
			return;
		}
		case 'kill-worker': {
			const ctx = contexts.get(event.context)!;
			await act(ctx, 'kill worker', async () => {
				const cdp = await ctx.context.newCDPSession(main(ctx));
				let sent = false;
				const stopped = new Promise<boolean>((done) => {
					cdp.on('ServiceWorker.workerVersionUpdated', (update: { versions: { runningStatus: string }[] }) => {
						if (sent && update.versions.some((version) => version.runningStatus === 'stopped')) done(true);
					});
					setTimeout(() => done(false), 10_000);
				});
				await cdp.send('ServiceWorker.enable');
				sent = true;
				await cdp.send('ServiceWorker.stopAllWorkers');
				const confirmed = await stopped;
				note(`${ctx.name}: service worker killed${confirmed ? ' (DevTools saw it stop)' : ' (stop not confirmed)'}`, { kind: 'service worker killed' });
				await cdp.detach().catch(() => undefined);
			}).catch(() => undefined);
			return;
		}
		case 'sign-out-in': {
			const ctx = contexts.get(event.context)!;
			await act(ctx, 'sign out and in', async () => {
				note(`${ctx.name}: ${ctx.person} signed out and in again`, { kind: 'sign-out and sign-in' });
				await openUploads(main(ctx));
				await signOut(main(ctx));
				await becomeSignedIn(ctx, ctx.person);
			}).catch(() => undefined);
			return;
		}
		case 'swap-person': {
			const ctx = contexts.get('shared')!;
			await act(ctx, 'change of person', async () => {
				const next = other(ctx.person);
				note(`shared: ${ctx.person} signed out, ${next} signed in`, { kind: 'change of person (shared context)' });
				await openUploads(main(ctx));
				await signOut(main(ctx));
				await becomeSignedIn(ctx, next);
			}).catch(() => undefined);
			return;
		}
		case 'clock-jump': {
			const { now } = await emulator<{ now: string }>('POST', '/clock/advance', { seconds: event.seconds });
			note(`Microsoft's clock jumped ${event.seconds} s ahead (now ${now}): every access token and idle upload session expired`, { kind: 'token and session expiry (clock jump)' });
			return;
		}
		case 'new-version': {
			await server!.close();
			server = await serveStatic(buildB, 5173);
			note(`new app version served (${versionA} → ${versionB})`, { kind: 'new version served' });
			await Promise.all(
				[...contexts.values()].map((ctx) =>
					act(ctx, 'activate the new version', async () => {
						const page = main(ctx);
						await page.reload({ timeout: 60_000 });
						const banner = page.getByText('A new version of Reeldrive is ready.');
						await banner.waitFor({ timeout: 60_000 });
						const reloaded = page.waitForEvent('load', { timeout: 60_000 });
						await page.getByRole('button', { name: 'Reload', exact: true }).click();
						await reloaded;
						const version = await page.evaluate(() => fetch('/_app/version.json', { cache: 'no-store' }).then((r) => r.json()));
						note(`${ctx.name}: "A new version of Reeldrive is ready" → Reload pressed; now on ${(version as { version: string }).version}`, { kind: 'new version activated (Reload)' });
					}).catch(() => undefined)
				)
			);
			return;
		}
	}
}

const firedByKind = new Map<string, number>();

function describeRule(rule: FaultRule): string {
	const effect =
		rule.expireSession ? 'session expired'
		: rule.acceptPrefixBytes !== undefined ? `keeps ${rule.acceptPrefixBytes} bytes`
		: rule.dropAfterBytes !== undefined ? `connection dropped after ${rule.dropAfterBytes} bytes`
		: `${rule.status}${rule.code ? ` ${rule.code}` : ''}${rule.retryAfter ? ` Retry-After ${rule.retryAfter}` : ''}`;
	return `(${rule.kind}: ${effect}; p=${rule.probability}, at most ${rule.count}×)`;
}

async function resume(ctx: Ctx, name: string): Promise<void> {
	await act(ctx, `resume ${name}`, () => resumeNow(ctx, name)).catch(() => undefined);
}

/** Presses Resume on `name` if this context shows it paused (inside an action of the context). */
async function resumeNow(ctx: Ctx, name: string): Promise<void> {
	const page = main(ctx);
	await openUploads(page);
	const button = page.getByRole('listitem', { name }).getByRole('button', { name: 'Resume' });
	if (!(await button.isVisible())) return; // Not shown here now (another person, or already going).
	await button.click({ timeout: 10_000 });
	ctx.paused.delete(name);
	note(`${ctx.name}: Resume pressed on ${name}`, { kind: 'Resume pressed' });
}

/** What a person does when the app asks: pick a file again, resume what they paused. */
async function tend(ctx: Ctx): Promise<void> {
	await act(ctx, 'tend', async () => {
		const page = main(ctx);
		await openUploads(page);
		for (const name of [...ctx.paused]) await resumeNow(ctx, name);
		// A video whose picking failed during the chaos (its person was not signed in in time) is
		// picked once its person is signed in here, unless the page lists it already.
		for (const video of plan.videos.filter((v) => v.context === ctx.name && v.owner === ctx.person && !picked.has(v.name))) {
			if ((await page.getByRole('listitem', { name: video.name }).count()) === 0) {
				await page.getByLabel('Choose videos').setInputFiles(videoPaths.get(video.name)!);
				await page.getByRole('listitem', { name: video.name }).waitFor({ timeout: 60_000 });
				humanActions.push(`${ctx.name}: picked ${video.name} after the chaos (picking it during the chaos failed)`);
			}
			picked.add(video.name);
		}
		const asking = page.locator('li.upload').filter({ has: page.locator('label.button', { hasText: 'again' }) });
		const names = (await asking.evaluateAll((items) => items.map((item) => item.getAttribute('aria-label') ?? ''))).filter(Boolean);
		for (const name of names) {
			const item = page.getByRole('listitem', { name });
			const original = /Pick “(.+)” again/.exec((await item.locator('label.button').first().textContent()) ?? '')?.[1];
			const path = original ? videoPaths.get(original) : undefined;
			if (!path) continue;
			await item.locator('input[type=file]').setInputFiles(path, { timeout: 10_000 });
			humanActions.push(`${ctx.name}: picked ${original} again when asked`);
			log(`${ctx.name}: the app asked for ${original} again; picked it`);
		}
	}).catch(() => undefined);
}

// ── checks ───────────────────────────────────────────────────────────────────────────────────
type Verdict = 'ok' | 'lost' | 'duplicated' | 'misplaced' | 'stuck';
interface Outcome {
	video: VideoPlan;
	verdict: Verdict;
	reason: string;
}
interface VideoRow {
	id: string;
	name: string;
	status: string;
	item_id: string | null;
	drive_id: string;
	size_bytes: number;
	quick_xor_hash: string | null;
}

async function rows(person: Person): Promise<VideoRow[]> {
	const response = await fetch(`http://localhost:54321/rest/v1/videos?select=id,name,status,item_id,drive_id,size_bytes,quick_xor_hash`, {
		headers: { apikey: ANON_KEY, Authorization: `Bearer ${people[person].app.accessToken}` }
	});
	if (!response.ok) throw new Error(`videos of ${person}: ${response.status}`);
	return (await response.json()) as VideoRow[];
}

const stem = (name: string) => name.replace(/\.mp4$/, '');

async function assess(): Promise<Outcome[]> {
	await readDrives();
	const rowsOf = { a: await rows('a'), b: await rows('b') };
	return plan.videos.map((video): Outcome => {
		const mine = drives[video.owner].items.filter((item) => !item.folder && item.path.includes(stem(video.name)));
		const theirs = drives[other(video.owner)].items.filter((item) => !item.folder && item.path.includes(stem(video.name)));
		const myRows = rowsOf[video.owner].filter((row) => row.name.includes(stem(video.name)));
		const theirRows = rowsOf[other(video.owner)].filter((row) => row.name.includes(stem(video.name)));
		if (theirs.length > 0 || theirRows.length > 0) return { video, verdict: 'misplaced', reason: `in ${other(video.owner)}'s drive ${theirs.length}×, rows ${theirRows.length}` };
		if (mine.length > 1 || myRows.length > 1) return { video, verdict: 'duplicated', reason: `${mine.length} files (${mine.map((i) => i.path).join(', ')}), ${myRows.length} rows` };
		const item = mine[0];
		const row = myRows[0];
		const identical = item !== undefined && item.path === `/Reeldrive/${video.name}` && item.size === video.size && item.quickXorHash === expectedHash.get(video.name);
		if (item && !identical) return { video, verdict: 'lost', reason: `a different file in OneDrive: ${item.path}, ${item.size} bytes, hash ${item.quickXorHash}` };
		const rowRight = row !== undefined && row.status === 'synced' && row.item_id === item?.id && row.drive_id === drives[video.owner].driveId;
		if (identical && rowRight) return { video, verdict: 'ok', reason: '' };
		return {
			video,
			verdict: 'stuck',
			reason: `${item ? 'in OneDrive' : 'not in OneDrive'}; row ${row ? `${row.status}, item ${row.item_id ?? 'none'}` : 'missing'}`
		};
	});
}

/** What the browser keeps, per upload: its record and staged bytes (chunks, or a whole file). */
const STORAGE_SCRIPT = `new Promise((resolve, reject) => {
	const open = indexedDB.open('reeldrive');
	open.onerror = () => reject(open.error);
	open.onsuccess = () => {
		const db = open.result;
		const out = { uploads: [], chunks: {}, files: [] };
		// The app creates its database once someone signs in on this browser.
		if (!db.objectStoreNames.contains('uploads')) { db.close(); resolve(out); return; }
		const tx = db.transaction(['uploads', 'chunks', 'files']);
		tx.objectStore('uploads').getAll().onsuccess = (e) => { out.uploads = e.target.result.map((u) => ({ id: u.id, name: u.originalName, appUserId: u.appUserId, status: u.state && u.state.status, pause: u.state && u.state.pause, error: u.state && u.state.error, acknowledged: u.state && u.state.acknowledged, session: !!(u.state && u.state.session), attempt: u.state && u.state.attempt, notBefore: u.state && u.state.notBefore, autoRetryAt: u.state && u.state.autoRetryAt, stagedTo: u.staging && u.staging.stagedTo, commands: u.commands })); };
		tx.objectStore('chunks').count();
		tx.objectStore('chunks').openCursor().onsuccess = (e) => {
			const cursor = e.target.result;
			if (!cursor) return;
			out.chunks[cursor.value.jobId] = (out.chunks[cursor.value.jobId] || 0) + (cursor.value.end - cursor.value.start);
			cursor.continue();
		};
		tx.objectStore('files').getAllKeys().onsuccess = (e) => { out.files = e.target.result; };
		tx.oncomplete = () => { db.close(); resolve(out); };
		tx.onerror = () => reject(tx.error);
	};
})`;
interface Storage {
	uploads: { id: string; name: string; status: string; [fact: string]: unknown }[];
	chunks: Record<string, number>;
	files: string[];
}

/** Bytes still kept in each context for videos that are in OneDrive (should be none). */
async function stagedLeftovers(finished: Set<string>): Promise<string[]> {
	const problems: string[] = [];
	for (const ctx of contexts.values()) {
		const storage = (await main(ctx).evaluate(STORAGE_SCRIPT)) as Storage;
		for (const upload of storage.uploads) {
			if (!finished.has(upload.name)) continue;
			const kept = storage.chunks[upload.id] ?? 0;
			if (kept > 0 || storage.files.includes(upload.id)) problems.push(`${ctx.name}: ${upload.name} (${upload.status}) still keeps ${kept} bytes${storage.files.includes(upload.id) ? ' and a whole file' : ''}`);
		}
	}
	return problems;
}

/** What the browser and the page say about the videos not finished yet (for the log). */
async function describeUnfinished(outcomes: Outcome[]): Promise<string[]> {
	const lines: string[] = [];
	for (const outcome of outcomes.filter((o) => o.verdict !== 'ok')) {
		const ctx = contexts.get(outcome.video.context)!;
		try {
			const storage = (await main(ctx).evaluate(STORAGE_SCRIPT)) as Storage;
			const record = storage.uploads.filter((u) => u.name === outcome.video.name);
			const item = main(ctx).getByRole('listitem', { name: outcome.video.name });
			const shown = (await item.count()) > 0 ? `page: ${(await item.first().getAttribute('data-status')) ?? '?'} “${((await item.first().locator('.state').textContent()) ?? '').trim()}”` : 'not on the page';
			lines.push(`${outcome.video.name} (${outcome.verdict}: ${outcome.reason}) in ${ctx.name}, ${ctx.person} signed in; ${shown}; records: ${JSON.stringify(record.map(({ name: _name, ...rest }) => ({ ...rest, staged: storage.chunks[rest.id] ?? 0 })))}`);
		} catch (error) {
			lines.push(`${outcome.video.name}: could not read ${ctx.name}: ${String(error).split('\n')[0]}`);
		}
	}
	return lines;
}

const ANON_KEY = /^PUBLIC_SUPABASE_ANON_KEY=(.+)$/m.exec(readFileSync(join(root, '.env.development'), 'utf8'))![1]!.trim();

// ── the comparison: Graph SDK 3.0.7's LargeFileUploadTask under the same fault rules ─────────
interface SdkResult {
	completed: number;
	tried: number;
	/** Faults that fired during its uploads. */
	fired: number;
	failures: string[];
}

async function sdkComparison(): Promise<SdkResult> {
	const email = await newMicrosoftAccount('chaos-sdk');
	await emulator('PUT', `/drives/${encodeURIComponent(email)}/quota`, { total: 100 * 1024 * 1024 * 1024 });
	const tokenResponse = await fetch(`${MICROSOFT}/organizations/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'password',
			client_id: /^PUBLIC_MS_CLIENT_ID=(.+)$/m.exec(readFileSync(join(root, '.env.development'), 'utf8'))![1]!.trim(),
			username: email,
			password: DEMO_PASSWORD,
			scope: 'Files.ReadWrite User.Read'
		})
	});
	const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
	await fetch(`${MICROSOFT}/v1.0/me/drive/root/children`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
		body: JSON.stringify({ name: 'sdk-comparison', folder: {} })
	});
	// Its own context, allowed to add script tags to an app page (the app's CSP forbids them).
	const context = await browser!.newContext({ baseURL: APP, bypassCSP: true, serviceWorkers: 'block' });
	const result: SdkResult = { completed: 0, tried: 0, fired: 0, failures: [] };
	try {
		const page = await context.newPage();
		await page.goto('/robots.txt');
		await page.addScriptTag({ path: join(root, 'node_modules/@microsoft/microsoft-graph-client/lib/graph-js-sdk.js') });
		await page.addScriptTag({ path: join(root, 'scripts/chaos/sdk-page.js') });
		await page.evaluate(`(() => { const input = document.createElement('input'); input.type = 'file'; input.multiple = true; input.id = 'chaos-files'; document.body.append(input); })()`);
		await page.locator('#chaos-files').setInputFiles(plan.videos.map((video) => videoPaths.get(video.name)!));
		// The plan's fault rules that can meet this client's requests (it creates sessions and PUTs
		// fragments with one fixed token), dealt out over the uploads in turn, as they are.
		const rules = plan.events.flatMap((event) => (event.type === 'fault' && (event.rule.kind === 'fragment' || event.rule.kind === 'createUploadSession') ? [event.rule] : []));
		for (const [index, video] of plan.videos.entries()) {
			const mine = rules.filter((_, r) => r % plan.videos.length === index);
			if (mine.length > 0) await emulator('POST', '/faults', { faults: mine });
			result.tried++;
			const outcome = (await Promise.race([
				page.evaluate(`window.chaosSdkUpload(${index}, ${JSON.stringify(token)}, ${JSON.stringify(`${MICROSOFT}/`)}, '/sdk-comparison/')`),
				sleep(300_000).then(() => ({ ok: false, error: 'no answer in 5 minutes' }))
			])) as { ok: boolean; error?: string };
			result.fired += (await emulator<{ faults: { fired: number }[] }>('GET', '/faults')).faults.reduce((sum, f) => sum + f.fired, 0);
			await emulator('DELETE', '/faults');
			const files = await emulator<DriveFiles>('GET', `/drives/${encodeURIComponent(email)}/files`);
			const item = files.items.find((entry) => entry.path === `/sdk-comparison/${video.name}`);
			const identical = item?.size === video.size && item.quickXorHash === expectedHash.get(video.name);
			if (outcome.ok && identical) result.completed++;
			else result.failures.push(`${video.name} (${(video.size / MB).toFixed(1)} MB, faults: ${mine.map((r) => r.kind + ':' + (r.status ?? (r.expireSession ? 'expire' : r.acceptPrefixBytes ? 'partial' : 'drop'))).join(', ') || 'none'}): ${outcome.ok ? 'reported done, file not identical' : outcome.error}`);
		}
	} finally {
		await context.close();
	}
	return result;
}

/** Closes the browser, the app server and the stack, and removes the run's files. */
async function cleanUp(): Promise<void> {
	await browser?.close().catch(() => undefined);
	await server?.close().catch(() => undefined);
	if (stack && stack.exitCode === null) {
		const exited = new Promise((done) => stack!.once('exit', done));
		stack.kill('SIGTERM');
		await exited;
	}
	rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}
// Interrupted (Ctrl-C, a CI timeout): leave no stack holding the ports.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		console.error(`\nChaos run interrupted (${signal}); stopping the stack…`);
		void cleanUp().finally(() => process.exit(130));
	});
}

// ── the run ──────────────────────────────────────────────────────────────────────────────────
let buildB = '';
let versionA = '';
let versionB = '';

try {
	// Two builds of the same source with different version markers: the second is the "new
	// version" the static server switches to mid-run.
	log('building the app twice (the second build is the new version)…');
	versionA = build(join(work, 'build-a'), `chaos-${seed}-a`);
	buildB = join(work, 'build-b');
	versionB = build(buildB, `chaos-${seed}-b`);
	if (versionA === versionB) throw new Error('the two builds have the same version');

	log('writing the videos…');
	const sample = readFileSync(join(root, SAMPLE));
	for (const video of plan.videos) {
		const path = join(videosDir, video.name);
		videoPaths.set(video.name, path);
		expectedHash.set(video.name, writeVideo(path, video.size, video.bytesSeed, sample));
	}

	// The run before ours (under the same lock) may still be letting its ports go.
	const ports = [5173, 4010, 4011, 54321].map((port) => ({ name: `port ${port}`, port }));
	for (let i = 0; (await busyPorts(ports)).length > 0; i++) {
		if (i === 120) throw new Error(`ports still in use after a minute: ${(await busyPorts(ports)).map((p) => p.port).join(', ')}; stop \`npm start\` or whatever holds them`);
		await sleep(500);
	}
	stack = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack.ts', '--emulators-only', '--data-dir', join(work, 'data'), '--fresh'], {
		cwd: root,
		stdio: ['ignore', 'ignore', 'inherit']
	});
	await waitUntilUp(`${MICROSOFT}/_emulator`);
	await waitUntilUp('http://localhost:54321/rest/v1/');
	server = await serveStatic(join(work, 'build-a'), 5173);

	for (const person of ['a', 'b'] as const) {
		const app = await newAppAccount(`chaos-${person}`);
		const microsoft = await newMicrosoftAccount(`chaos-${person}`);
		await emulator('PUT', `/drives/${encodeURIComponent(microsoft)}/quota`, { total: 100 * 1024 * 1024 * 1024 });
		const driveId = (await emulator<DriveFiles>('GET', `/drives/${encodeURIComponent(microsoft)}/files`)).driveId;
		people[person] = { app, microsoft, driveId };
	}

	browser = await chromium.launch({ executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS });
	for (const name of CONTEXTS) {
		const context = await browser.newContext({ baseURL: APP });
		const ctx: Ctx = { name, context, pages: [await context.newPage()], person: name === 'own-b' ? 'b' : 'a', chain: Promise.resolve(), paused: new Set(), offline: false };
		contexts.set(name, ctx);
	}
	await Promise.all([...contexts.values()].map((ctx) => act(ctx, 'sign in', () => becomeSignedIn(ctx, ctx.person))));
	log('signed in: a in "shared" and "own-a", b in "own-b"');

	const watcher = setInterval(() => void readDrives().catch(() => undefined), 1000);
	try {
		// The chaos window: picks and events at their moments.
		const timeline = [
			...plan.videos.map((video) => ({ at: video.queueAt, go: () => queue(video) })),
			...plan.events.map((event) => ({ at: event.at, go: () => run(event) }))
		].sort((x, y) => x.at - y.at);
		const running: Promise<unknown>[] = [];
		const windowStart = elapsed();
		for (const step of timeline) {
			const wait = (windowStart + step.at - elapsed()) * 1000;
			if (wait > 0) await sleep(wait);
			running.push(step.go().catch((error: unknown) => log(`event failed: ${String(error)}`)));
		}
		await Promise.all(running);
		await Promise.all([...contexts.values()].map((ctx) => ctx.chain));

		// The faults stop; everyone is online; from now on only states count.
		for (const id of [...activeFaults.keys()]) await switchOff(id);
		await emulator('DELETE', '/faults');
		for (const ctx of contexts.values()) await ctx.context.setOffline(false);
		const faultsStopped = elapsed();
		log('faults stopped; waiting for every upload to finish');

		let outcomes = await assess();
		const deadline = faultsStopped + SETTLE_BOUND_S;
		let lastStatus = 0;
		for (;;) {
			outcomes = await assess();
			if (outcomes.every((o) => o.verdict === 'ok') || elapsed() > deadline) break;
			if (elapsed() - lastStatus > 30) {
				lastStatus = elapsed();
				log(`${outcomes.filter((o) => o.verdict === 'ok').length}/${outcomes.length} done; waiting for:`);
				for (const line of await describeUnfinished(outcomes)) console.log(`      ${line}`);
			}
			if (outcomes.some((o) => o.verdict === 'duplicated' || o.verdict === 'misplaced')) break;
			// The shared context: once the signed-in person's videos there are done, the other takes over.
			const shared = contexts.get('shared')!;
			const doneHere = outcomes.filter((o) => o.video.context === 'shared' && o.video.owner === shared.person).every((o) => o.verdict === 'ok');
			const otherWaiting = outcomes.some((o) => o.video.context === 'shared' && o.video.owner !== shared.person && o.verdict !== 'ok');
			if (doneHere && otherWaiting) {
				await act(shared, 'change of person', async () => {
					const next = other(shared.person);
					humanActions.push(`shared: ${shared.person} signed out and ${next} signed in to finish their uploads`);
					log(`shared: ${shared.person}'s videos are done; ${next} signs in`);
					await openUploads(main(shared));
					await signOut(main(shared));
					await becomeSignedIn(shared, next);
				}).catch(() => undefined);
			}
			await Promise.all([...contexts.values()].map((ctx) => tend(ctx)));
			await sleep(2000);
		}
		const settleSeconds = elapsed() - faultsStopped;
		// Not in OneDrive and no longer known to the browser that picked it: lost, not stuck.
		for (const outcome of outcomes.filter((o) => o.verdict === 'stuck' && o.reason.startsWith('not in OneDrive'))) {
			const storage = (await main(contexts.get(outcome.video.context)!).evaluate(STORAGE_SCRIPT).catch(() => null)) as Storage | null;
			if (storage && picked.has(outcome.video.name) && !storage.uploads.some((u) => u.name === outcome.video.name)) {
				outcome.verdict = 'lost';
				outcome.reason += '; the browser has no upload for it any more';
			}
		}

		// No staged bytes left for finished videos: the browser frees them as OneDrive acknowledges
		// them, and sweeps leftovers when a page opens. Give the sweep a bounded chance.
		const finished = new Set(outcomes.filter((o) => o.verdict === 'ok').map((o) => o.video.name));
		let leftovers = await stagedLeftovers(finished);
		for (let i = 0; i < 30 && leftovers.length > 0; i++) {
			await sleep(1000);
			if (i === 10) for (const ctx of contexts.values()) await main(ctx).reload().catch(() => undefined);
			leftovers = await stagedLeftovers(finished);
		}

		// ── report ──
		const count = (verdict: Verdict) => outcomes.filter((o) => o.verdict === verdict).length;
		console.log(`\nChaos run, seed ${seed}${smoke ? ' (smoke size)' : ''}: ${plan.videos.length} videos, 2 people, 3 browser contexts`);
		console.log(`  faults stopped at ${faultsStopped.toFixed(0)} s; all settled ${settleSeconds.toFixed(0)} s later (bound ${SETTLE_BOUND_S} s)`);
		console.log('\n  videos      ok  lost  duplicated  misplaced  stuck');
		console.log(`  Reeldrive  ${String(count('ok')).padStart(3)}  ${String(count('lost')).padStart(4)}  ${String(count('duplicated')).padStart(10)}  ${String(count('misplaced')).padStart(9)}  ${String(count('stuck')).padStart(5)}`);
		for (const line of await describeUnfinished(outcomes)) console.log(`    ${line}`);
		console.log(`  staged bytes left in the browser for finished videos: ${leftovers.length === 0 ? 'none' : ''}`);
		for (const line of leftovers) console.log(`    ${line}`);

		console.log('\n  injected                                   times  recovered (progress resumed after, median / max)');
		const groups = new Map<string, Injected[]>();
		for (const entry of injected) {
			const key = entry.kind ?? entry.what;
			groups.set(key, [...(groups.get(key) ?? []), entry]);
		}
		for (const [key, entries] of groups) {
			const times = entries.map((e) => e.recoveredAfter).filter((t): t is number => t !== undefined).sort((x, y) => x - y);
			const recovered = times.length > 0 ? `${times.length}/${entries.length}, ${times[Math.floor(times.length / 2)]!.toFixed(1)} s / ${times[times.length - 1]!.toFixed(1)} s` : `0/${entries.length}`;
			console.log(`  ${key.slice(0, 42).padEnd(42)} ${String(entries.length).padStart(5)}  ${recovered}`);
		}
		console.log(`  fault rules fired: ${[...firedByKind].map(([kind, n]) => `${kind} ${n}×`).join(', ') || 'none recorded'}`);
		if (humanActions.length > 0) console.log(`  what a person did when asked: ${humanActions.join('; ')}`);

		const failed = count('lost') + count('duplicated') + count('misplaced') + count('stuck') > 0;
		exitCode = failed ? 1 : 0;

		if (withSdk) {
			log('the same videos through the Graph SDK 3.0.7 LargeFileUploadTask, under the same fault rules…');
			const sdk = await sdkComparison();
			console.log('\n  uploads completed under the fault mix');
			const reeldriveFired = [...firedByKind.values()].reduce((sum, n) => sum + n, 0);
			console.log(`  Reeldrive (app, with the browser events too)   ${count('ok')}/${plan.videos.length}  (${((100 * count('ok')) / plan.videos.length).toFixed(0)} %), ${reeldriveFired} faults fired`);
			console.log(`  Graph SDK 3.0.7 OneDriveLargeFileUploadTask    ${sdk.completed}/${sdk.tried}  (${((100 * sdk.completed) / sdk.tried).toFixed(0)} %), ${sdk.fired} faults fired`);
			for (const failure of sdk.failures) console.log(`    not completed: ${failure}`);
		}
		console.log(`\nSeed ${seed}: ${failed ? 'FAILED' : 'passed'} (replay: npm run chaos -- --seed ${seed}${smoke ? ' --smoke' : ''})`);
	} finally {
		clearInterval(watcher);
	}
} catch (error) {
	console.error(`Chaos run stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
	exitCode = 1;
} finally {
	await cleanUp();
}
process.exit(exitCode ?? 1);
