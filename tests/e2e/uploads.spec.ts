import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { PROTOCOL_VERSION } from '../../src/lib/sw-bridge/protocol';
import { quickXorHash } from '../../src/lib/upload/quickxorhash';
import { launchPersistent } from './support/persistent';
import { connectOneDrive, emulator, newAppAccount, newMicrosoftAccount, rest, signIn } from './support/stack';
import { chooseVideos, driveFiles, readyToUpload, uploadItem } from './support/uploads';
import { makeLargeMp4 } from './support/videos';

const MiB = 1024 * 1024;

const files = driveFiles;

/** Every fragment PUT the browser (its service worker included) sends to an upload URL. */
function recordFragments(context: BrowserContext): { url: string; start: number; end: number }[] {
	const sent: { url: string; start: number; end: number }[] = [];
	context.on('request', (request) => {
		const range = request.headers()['content-range'];
		if (request.method() !== 'PUT' || !range) return;
		const match = /bytes (\d+)-(\d+)\//.exec(range);
		if (match) sent.push({ url: request.url(), start: Number(match[1]), end: Number(match[2]) + 1 });
	});
	return sent;
}

const ready = readyToUpload;
const choose = chooseVideos;
const item = uploadItem;

async function expectInOneDrive(microsoft: string, name: string, path: string): Promise<void> {
	await expect
		.poll(async () => (await files(microsoft)).items.find((entry) => entry.path === `/Reeldrive/${name}`), { timeout: 60_000 })
		.toMatchObject({ size: readFileSync(path).length, quickXorHash: quickXorHash(readFileSync(path)) });
}

test.describe.configure({ timeout: 180_000 });

test.describe('uploading videos', () => {
	test('a 300 MB upload to a product shows rising progress and ends byte-identical in OneDrive and in the library', async () => {
		test.setTimeout(360_000);
		const { context, close } = await launchPersistent();
		try {
			const page = await context.newPage();
			const app = await newAppAccount('big');
			const microsoft = await newMicrosoftAccount('big');
			await ready(page, app, microsoft);
			const [product] = await rest<{ id: string }[]>(app, 'POST', 'products', { title: 'Espresso grinder' });
			const video = makeLargeMp4(300 * 1000 * 1000, 'reeldrive-300mb.mp4');
			await page.goto(`/products/${product!.id}`);
			// Record every value the progress bar takes (the page itself watches, so none is missed).
			await page.evaluate(() => {
				const seen: number[] = [];
				(window as unknown as { progressSeen: number[] }).progressSeen = seen;
				new MutationObserver((changes) => {
					for (const change of changes) {
						const value = (change.target as Element).getAttribute('aria-valuenow');
						if (value !== null && (change.target as Element).getAttribute('role') === 'progressbar') seen.push(Number(value));
					}
				}).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-valuenow'] });
			});
			await choose(page, [video]);
			const job = item(page, 'reeldrive-300mb.mp4');
			await expect(job).toContainText('In OneDrive', { timeout: 240_000 });
			await expect(job.getByRole('progressbar', { name: 'Uploaded to OneDrive' })).toHaveAttribute('aria-valuenow', '100');
			const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
			// Honest progress: it rose step by step (one step per acknowledged fragment), never back.
			expect(seen.filter((value) => value > 0 && value < 100).length).toBeGreaterThan(2);
			expect(seen, JSON.stringify(seen)).toEqual([...seen].sort((a, b) => a - b));
			await expectInOneDrive(microsoft, 'reeldrive-300mb.mp4', video);
			await expect
				.poll(async () => rest<{ status: string; product_id: string; quick_xor_hash: string; size_bytes: number }[]>(app, 'GET', 'videos?select=status,product_id,quick_xor_hash,size_bytes'), { timeout: 30_000 })
				.toEqual([{ status: 'synced', product_id: product!.id, quick_xor_hash: quickXorHash(readFileSync(video)), size_bytes: 300_000_000 }]);
			// The browser's copy of the bytes is freed once OneDrive holds them.
			expect(await storedFileCount(page)).toBe(0);
			// And the product's gallery lists it.
			await page.reload();
			await expect(page.getByText('reeldrive-300mb.mp4').first()).toBeVisible();
		} finally {
			await close();
		}
	});

	test('refuses non-videos and empty files in words, and fixes names OneDrive forbids', async ({ page }) => {
		const app = await newAppAccount('checks');
		const microsoft = await newMicrosoftAccount('checks');
		await ready(page, app, microsoft);
		const empty = '/tmp/reeldrive-empty.mp4';
		writeFileSync(empty, '');
		const oddName = '/tmp/Unboxing: take 2?.mp4';
		copyFileSync('tests/fixtures/videos/tiny-64x64-1s.mp4', oddName);
		await choose(page, ['tests/fixtures/videos/not-a-video.mp4', empty, oddName, 'tests/fixtures/videos/clip-vp9-320x240-4s.webm']);
		// A poster frame captured in the browser stands in until OneDrive has a thumbnail.
		await expect(item(page, 'clip-vp9-320x240-4s.webm').locator('img')).toHaveAttribute('src', /^blob:/);
		await expect(page.getByRole('list', { name: 'What happened to the files you added' })).toContainText('not-a-video.mp4: This file is not a video we recognise');
		await expect(page.getByRole('list', { name: 'What happened to the files you added' })).toContainText('reeldrive-empty.mp4: This file is empty');
		const renamed = item(page, 'Unboxing_ take 2_.mp4');
		await expect(renamed).toContainText('Renamed from “Unboxing: take 2?.mp4”');
		await expectInOneDrive(microsoft, 'Unboxing_ take 2_.mp4', oddName);
		expect((await files(microsoft)).items.filter((entry) => entry.path.includes('not-a-video'))).toEqual([]);
	});

	test('videos shared to the installed app wait in the inbox, then upload to the chosen product', async ({ page }) => {
		const app = await newAppAccount('share');
		const microsoft = await newMicrosoftAccount('share');
		await ready(page, app, microsoft);
		const [product] = await rest<{ id: string }[]>(app, 'POST', 'products', { title: 'Shared blender' });
		const bytes = [...readFileSync('tests/fixtures/videos/portrait-1080x1920-2s.mp4')];
		// What the share sheet does: a multipart POST to the manifest's share_target action.
		const landed = await page.evaluate(async (content) => {
			const form = new FormData();
			form.append('title', 'from the gallery');
			form.append('videos', new File([new Uint8Array(content)], 'PXL_shared.mp4', { type: 'video/mp4' }));
			const response = await fetch('/share-target', { method: 'POST', body: form });
			return response.url;
		}, bytes);
		expect(landed).toMatch(/\/uploads\/inbox\?shared=1$/);
		await page.goto('/uploads/inbox?shared=1');
		await expect(page.getByText('PXL_shared.mp4')).toBeVisible();
		await page.getByLabel('Product for these videos').selectOption({ label: 'Shared blender' });
		await page.getByRole('button', { name: 'Upload to this product' }).click();
		await expect(page.getByText('PXL_shared.mp4: Queued')).toBeVisible();
		await expect
			.poll(async () => rest<{ product_id: string; status: string }[]>(app, 'GET', 'videos?select=product_id,status'), { timeout: 60_000 })
			.toEqual([{ product_id: product!.id, status: 'synced' }]);
	});

	test('a reload mid-upload resumes from the last acknowledged fragment', async () => {
		const { context, close } = await launchPersistent();
		try {
			const fragments = recordFragments(context);
			const page = await context.newPage();
			const app = await newAppAccount('reload');
			const microsoft = await newMicrosoftAccount('reload');
			await ready(page, app, microsoft);
			const video = makeLargeMp4(120 * MiB, 'reeldrive-reload.mp4');
			// OneDrive answers the first two fragments at once and holds the third for two minutes,
			// so the reload and the crash below land while that fragment is on its way, whatever
			// this machine's speed (no race between keeping the video and uploading it).
			await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', skip: 2, count: 1, seed: 2, latencyMs: 120_000 });
			try {
				await choose(page, [video]);
				// As the page asks ("keep this page open until it is all kept"): reloaded before that,
				// the rest would have to be picked again, which is another test's subject.
				await expect.poll(async () => (await storedUploads(page)).map((upload) => (upload as { staging?: { stagedTo: number } }).staging?.stagedTo), { timeout: 60_000 }).toEqual([120 * MiB]);
				await expect.poll(() => fragments.length, { timeout: 30_000 }).toBe(3);
				expect((await storedUploads(page)).map((upload) => (upload as { status: string }).status), 'still uploading when the page reloads').toEqual(['uploading']);
				await page.reload();
				// Cut the worker off too, as a crash would: it restarts from what IndexedDB holds.
				const cdp = await context.newCDPSession(page);
				await cdp.send('ServiceWorker.enable');
				await cdp.send('ServiceWorker.stopAllWorkers');
				await page.reload();
			} finally {
				await emulator('DELETE', '/faults');
			}
			await expectInOneDrive(microsoft, 'reeldrive-reload.mp4', video).catch(async (error: unknown) => {
				// Where it stands, for whoever reads the failure.
				console.log(`[reload] the page says: ${await item(page, 'reeldrive-reload.mp4').innerText().catch(() => '(no item)')}`);
				console.log(`[reload] stored: ${JSON.stringify(await storedUploads(page))}`);
				console.log(`[reload] fragments: ${fragments.map((f) => `${f.start}-${f.end}`).join(', ')}`);
				throw error;
			});
			// After the crash, the first fragment starts where OneDrive's last acknowledgement ended
			// (the held fragment's start), and only that fragment's bytes went out twice.
			expect(fragments[3]?.start).toBe(fragments[2]!.start);
			expect(fragments[2]!.start).toBe(fragments[1]!.end);
			const resent = fragments.reduce((sum, fragment) => sum + (fragment.end - fragment.start), 0) - 120 * MiB;
			expect(resent).toBe(fragments[2]!.end - fragments[2]!.start);
		} finally {
			await close();
		}
	});

	test('a service worker the browser stops mid-upload is woken by the open page, and the upload finishes', async () => {
		const { context, close } = await launchPersistent();
		try {
			const fragments = recordFragments(context);
			const page = await context.newPage();
			const app = await newAppAccount('stopped');
			const microsoft = await newMicrosoftAccount('stopped');
			await ready(page, app, microsoft);
			const video = makeLargeMp4(80 * MiB, 'reeldrive-stopped.mp4');
			await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: 5, latencyMs: 400 });
			try {
				await choose(page, [video]);
				await expect.poll(() => fragments.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
				// The browser ends the worker in the middle of its run (as it does with an event that
				// runs too long, or under memory pressure). Nobody reloads the page.
				const cdp = await context.newCDPSession(page);
				await cdp.send('ServiceWorker.enable');
				await cdp.send('ServiceWorker.stopAllWorkers');
			} finally {
				await emulator('DELETE', '/faults');
			}
			await expectInOneDrive(microsoft, 'reeldrive-stopped.mp4', video);
			await expect(item(page, 'reeldrive-stopped.mp4')).toContainText('In OneDrive', { timeout: 30_000 });
		} finally {
			await close();
		}
	});

	test('closing every page mid-upload and opening Reeldrive again finishes the upload', async () => {
		const { context, close } = await launchPersistent();
		try {
			const page = await context.newPage();
			const app = await newAppAccount('closed');
			const microsoft = await newMicrosoftAccount('closed');
			await ready(page, app, microsoft);
			const video = makeLargeMp4(80 * MiB, 'reeldrive-closed.mp4');
			await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: 3, latencyMs: 500 });
			await choose(page, [video]);
			await expect.poll(async () => (await files(microsoft)).uploadSessions[0]?.received ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
			// The page says to stay until the whole video is kept on this device; then it may close.
			await expect(item(page, 'reeldrive-closed.mp4')).not.toContainText('Kept on this device');
			await page.close();
			const cdp = await context.newCDPSession(await context.newPage());
			await cdp.send('ServiceWorker.enable');
			await cdp.send('ServiceWorker.stopAllWorkers');
			for (const open of context.pages()) await open.close();
			await emulator('DELETE', '/faults');
			const again = await context.newPage();
			await again.goto('/uploads');
			await expectInOneDrive(microsoft, 'reeldrive-closed.mp4', video);
			await expect(item(again, 'reeldrive-closed.mp4')).toContainText('In OneDrive', { timeout: 30_000 });
		} finally {
			await close();
		}
	});

	test('going offline pauses the upload, and it finishes by itself when the network returns', async ({ page, context }) => {
		const app = await newAppAccount('offline');
		const microsoft = await newMicrosoftAccount('offline');
		await ready(page, app, microsoft);
		const video = makeLargeMp4(60 * MiB, 'reeldrive-offline.mp4');
		await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: 4, latencyMs: 400 });
		try {
			await choose(page, [video]);
			const job = item(page, 'reeldrive-offline.mp4');
			// Queueing 60 MiB takes as long as this machine needs: wait for the state, not a duration.
			await expect(job).toContainText('Uploading', { timeout: 60_000 });
			await context.setOffline(true);
			await expect(job).toContainText(/Paused|offline/i, { timeout: 30_000 });
			await expect(job.getByRole('button', { name: 'Retry' })).toHaveCount(0);
		} finally {
			await emulator('DELETE', '/faults');
		}
		await context.setOffline(false);
		await expect(job(page)).toContainText('In OneDrive', { timeout: 60_000 });
		await expectInOneDrive(microsoft, 'reeldrive-offline.mp4', video);

		function job(p: Page) {
			return item(p, 'reeldrive-offline.mp4');
		}
	});

	test('server faults of every kind still end in a complete, verified file', async ({ page }) => {
		const app = await newAppAccount('faults');
		const microsoft = await newMicrosoftAccount('faults');
		await ready(page, app, microsoft);
		const video = makeLargeMp4(70 * MiB, 'reeldrive-faults.mp4');
		// Each fault fires once, in this order: later ones see requests only once earlier ones are spent.
		await emulator('POST', '/faults', {
			faults: [
				{ kind: 'createUploadSession', status: 401, count: 1 },
				{ kind: 'fragment', method: 'PUT', count: 1, status: 503 },
				{ kind: 'fragment', method: 'PUT', count: 1, status: 429, retryAfter: 1 },
				{ kind: 'fragment', method: 'PUT', count: 1, dropAfterBytes: 100_000 },
				{ kind: 'fragment', method: 'PUT', count: 1, acceptPrefixBytes: 327_680 },
				{ kind: 'fragment', method: 'PUT', count: 1, expireSession: true }
			]
		});
		try {
			await choose(page, [video]);
			await expect(item(page, 'reeldrive-faults.mp4')).toContainText('In OneDrive', { timeout: 120_000 });
			const faults = await emulator<{ faults: { kind: string; fired: number }[] }>('GET', '/faults');
			expect(faults.faults.map((fault) => fault.fired), JSON.stringify(faults.faults)).toEqual([1, 1, 1, 1, 1, 1]);
		} finally {
			await emulator('DELETE', '/faults');
		}
		await expectInOneDrive(microsoft, 'reeldrive-faults.mp4', video);
	});

	test('a full OneDrive gives a clear error and uploads nothing', async ({ page }) => {
		const app = await newAppAccount('full');
		const microsoft = await newMicrosoftAccount('full');
		await emulator('PUT', `/drives/${encodeURIComponent(microsoft)}/quota`, { total: 20 * MiB });
		await ready(page, app, microsoft);
		await choose(page, [makeLargeMp4(40 * MiB, 'reeldrive-full.mp4')]);
		const job = item(page, 'reeldrive-full.mp4');
		await expect(job.getByRole('alert')).toHaveText(/Your OneDrive is full/, { timeout: 30_000 });
		const drive = await files(microsoft);
		expect(drive.items.filter((entry) => entry.path.endsWith('.mp4'))).toEqual([]);
		expect(drive.uploadSessions).toEqual([]);
		await expect
			.poll(async () => rest<{ status: string; error_code: string }[]>(app, 'GET', 'videos?select=status,error_code'))
			.toEqual([{ status: 'error', error_code: 'onedrive-full' }]);
	});

	test('cancel deletes the upload session and the stored bytes', async ({ page }) => {
		const app = await newAppAccount('cancel');
		const microsoft = await newMicrosoftAccount('cancel');
		await ready(page, app, microsoft);
		await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: 5, latencyMs: 500 });
		try {
			await choose(page, [makeLargeMp4(60 * MiB, 'reeldrive-cancel.mp4')]);
			await expect.poll(async () => (await files(microsoft)).uploadSessions.length, { timeout: 30_000 }).toBe(1);
			await item(page, 'reeldrive-cancel.mp4').getByRole('button', { name: 'Cancel' }).click();
			await expect.poll(async () => (await files(microsoft)).uploadSessions.length, { timeout: 30_000 }).toBe(0);
		} finally {
			await emulator('DELETE', '/faults');
		}
		await expect(item(page, 'reeldrive-cancel.mp4')).toHaveCount(0);
		expect(await storedFileCount(page)).toBe(0);
		expect((await files(microsoft)).items.filter((entry) => entry.path.endsWith('.mp4'))).toEqual([]);
		await expect.poll(async () => rest<unknown[]>(app, 'GET', 'videos?select=id')).toEqual([]);
	});

	test('two files upload in parallel', async ({ page, context }) => {
		const fragments = recordFragments(context);
		const app = await newAppAccount('parallel');
		const microsoft = await newMicrosoftAccount('parallel');
		await ready(page, app, microsoft);
		const first = makeLargeMp4(50 * MiB, 'reeldrive-first.mp4');
		const second = makeLargeMp4(50 * MiB, 'reeldrive-second.mp4');
		await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: 6, latencyMs: 300 });
		try {
			await choose(page, [first, second]);
			// Both have sent a fragment (the sessions themselves may be gone by the time anyone looks).
			await expect.poll(() => new Set(fragments.map((fragment) => fragment.url)).size, { timeout: 30_000 }).toBe(2);
		} finally {
			await emulator('DELETE', '/faults');
		}
		await expectInOneDrive(microsoft, 'reeldrive-first.mp4', first);
		await expectInOneDrive(microsoft, 'reeldrive-second.mp4', second);
		// Interleaved: the second file's first fragment went out before the first file's last one.
		const urls = [...new Set(fragments.map((fragment) => fragment.url))];
		expect(urls).toHaveLength(2);
		const firstEnds = fragments.map((fragment, index) => ({ ...fragment, index }));
		const lastOfFirst = Math.max(...firstEnds.filter((fragment) => fragment.url === urls[0]).map((fragment) => fragment.index));
		const firstOfSecond = Math.min(...firstEnds.filter((fragment) => fragment.url === urls[1]).map((fragment) => fragment.index));
		expect(firstOfSecond).toBeLessThan(lastOfFirst);
	});

	test('a tab opened while a fragment travels leaves it alone: every byte goes out once', async ({ page, context }) => {
		const fragments = recordFragments(context);
		const app = await newAppAccount('newtab');
		const microsoft = await newMicrosoftAccount('newtab');
		await ready(page, app, microsoft);
		const name = 'reeldrive-newtab.mp4';
		const video = makeLargeMp4(24 * MiB, name);
		// OneDrive takes 15 s over the first fragment only: long enough for a tab to open meanwhile.
		await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, count: 1, seed: 8, latencyMs: 15_000 });
		try {
			await choose(page, [video]);
			await expect.poll(() => fragments.length, { timeout: 30_000 }).toBeGreaterThan(0);
			// Another tab of the app opens (as a person would, to look at something else).
			const other = await context.newPage();
			await other.goto('/uploads');
			await expect(item(other, name)).toBeVisible();
			await expect(item(page, name)).toContainText('In OneDrive', { timeout: 90_000 });
		} finally {
			await emulator('DELETE', '/faults');
		}
		await expectInOneDrive(microsoft, name, video);
		// The held fragment was never abandoned and sent again.
		const starts = fragments.map((fragment) => fragment.start);
		expect(starts).toEqual([...new Set(starts)].sort((a, b) => a - b));
		expect(fragments.reduce((sum, fragment) => sum + fragment.end - fragment.start, 0)).toBe(24 * MiB);
	});

	test("signing out mid-upload pauses it, and the next person on this browser never uploads it", async ({ page }) => {
		const alice = await newAppAccount('alice-up');
		const bob = await newAppAccount('bob-up');
		const aliceMicrosoft = await newMicrosoftAccount('alice-up');
		const bobMicrosoft = await newMicrosoftAccount('bob-up');
		await ready(page, alice, aliceMicrosoft);
		await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: 7, latencyMs: 500 });
		try {
			await choose(page, [makeLargeMp4(80 * MiB, 'reeldrive-alice.mp4')]);
			await expect.poll(async () => (await files(aliceMicrosoft)).uploadSessions[0]?.received ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
			await page.getByRole('button', { name: 'Sign out' }).click();
			await expect(page).toHaveURL(/sign-in/);
			await signIn(page, bob.email);
			await connectOneDrive(page, bobMicrosoft);
			await page.goto('/uploads');
			await expect(page.getByText('reeldrive-alice.mp4')).toHaveCount(0);
			const paused = (await files(aliceMicrosoft)).uploadSessions[0]?.received ?? 0;
			// Not a pause of some seconds: the worker knows Bob is signed in here, then runs whole
			// pumps of uploads (the second surely begun after Bob), and Alice's upload has not moved.
			await expect.poll(() => workerActiveUser(page)).toBe(bob.userId);
			await pumpOnce(page);
			expect(await pumpOnce(page)).toMatchObject({ progressed: false });
			expect((await files(aliceMicrosoft)).uploadSessions[0]?.received ?? 0).toBe(paused);
			expect((await files(bobMicrosoft)).items.filter((entry) => entry.path.endsWith('.mp4'))).toEqual([]);
			expect(paused).toBeLessThan(80 * MiB);
		} finally {
			await emulator('DELETE', '/faults');
		}
		// Alice comes back: her upload carries on.
		await page.getByRole('button', { name: 'Sign out' }).click();
		await signIn(page, alice.email);
		await connectOneDrive(page, aliceMicrosoft);
		await page.goto('/uploads');
		await expect(item(page, 'reeldrive-alice.mp4')).toContainText('In OneDrive', { timeout: 60_000 });
	});
});

/** Whom the upload worker runs uploads for: the active user it keeps in IndexedDB. */
async function workerActiveUser(page: Page): Promise<string | null> {
	return page.evaluate(
		() =>
			new Promise<string | null>((resolve, reject) => {
				const open = indexedDB.open('reeldrive');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const read = open.result.transaction('meta').objectStore('meta').get('active-user');
					read.onsuccess = () => resolve((read.result?.value as { appUserId?: string } | null)?.appUserId ?? null);
					read.onerror = () => reject(read.error);
				};
			})
	);
}

/** Asks the worker to run uploads now and waits for the report of that pump. */
async function pumpOnce(page: Page): Promise<{ progressed: boolean; runnable: number }> {
	return page.evaluate(
		(v) =>
			new Promise((resolve) => {
				const worker = navigator.serviceWorker;
				worker.addEventListener('message', function finished(event: MessageEvent) {
					if ((event.data as { type?: string } | null)?.type !== 'pump-finished') return;
					worker.removeEventListener('message', finished);
					resolve(event.data as { progressed: boolean; runnable: number });
				});
				worker.controller!.postMessage({ v, type: 'pump' });
			}),
		PROTOCOL_VERSION
	);
}

/** Each stored upload's status, pause, acknowledged bytes and keeping, as the worker sees them. */
async function storedUploads(page: Page): Promise<unknown[]> {
	return page.evaluate(
		() =>
			new Promise<unknown[]>((resolve, reject) => {
				const open = indexedDB.open('reeldrive');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const read = open.result.transaction('uploads').objectStore('uploads').getAll();
					read.onsuccess = () =>
						resolve(
							(read.result as { originalName: string; staging?: unknown; state: { status: string; pause: string | null; acknowledged: number; error?: unknown; notBefore: number | null; session: unknown } }[]).map((record) => ({
								name: record.originalName,
								status: record.state.status,
								pause: record.state.pause,
								acknowledged: record.state.acknowledged,
								error: record.state.error ?? null,
								notBefore: record.state.notBefore,
								session: !!record.state.session,
								staging: record.staging ?? null
							}))
						);
					read.onerror = () => reject(read.error);
				};
			})
	);
}

async function storedFileCount(page: Page): Promise<number> {
	return page.evaluate(
		() =>
			new Promise<number>((resolve, reject) => {
				const open = indexedDB.open('reeldrive');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const count = open.result.transaction('files').objectStore('files').count();
					count.onsuccess = () => resolve(count.result);
					count.onerror = () => reject(count.error);
				};
			})
	);
}
