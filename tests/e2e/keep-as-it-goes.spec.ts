import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { quickXorHash } from '../../src/lib/upload/quickxorhash';
import { launchPersistent } from './support/persistent';
import { emulator, newAppAccount, newMicrosoftAccount } from './support/stack';
import { chooseVideos, driveFiles, readyToUpload, uploadItem } from './support/uploads';
import { makeLargeMp4 } from './support/videos';

const MiB = 1024 * 1024;

test.describe.configure({ timeout: 240_000 });

/** Bytes of videos this browser keeps in IndexedDB now, read the way the app stores them. */
function keptBytes(page: Page): Promise<number> {
	return page.evaluate(async () => {
		const open = indexedDB.open('reeldrive');
		const db: IDBDatabase = await new Promise((resolve, reject) => {
			open.onsuccess = () => resolve(open.result);
			open.onerror = () => reject(open.error);
		});
		const chunks: { start: number; end: number }[] = await new Promise((resolve) => {
			const request = db.transaction('chunks').objectStore('chunks').getAll();
			request.onsuccess = () => resolve(request.result);
		});
		db.close();
		return chunks.reduce((sum, chunk) => sum + chunk.end - chunk.start, 0);
	});
}

/**
 * Gives the app's origin a quota of `quota` bytes in all (the DevTools protocol's storage
 * override). Set before the app first opens IndexedDB: Chromium's IndexedDB keeps the room it
 * was told of for a while, so an override set later is only felt after a delay.
 */
async function limitStorage(page: Page, quota: number): Promise<void> {
	await page.goto('/manifest.webmanifest');
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(page.url()).origin, quotaSize: quota });
}

async function expectInOneDrive(microsoft: string, name: string, path: string): Promise<void> {
	const bytes = readFileSync(path);
	await expect
		.poll(async () => (await driveFiles(microsoft)).items.find((entry) => entry.path === `/Reeldrive/${name}`), { timeout: 90_000 })
		.toMatchObject({ size: bytes.length, quickXorHash: quickXorHash(bytes) });
}

test.describe('a video is kept on the device as it uploads', () => {
	test('no room to keep it all: the page says so in words, and the video still uploads, once, while the page stays open; nothing stays kept', async ({ page }) => {
		const app = await newAppAccount('quota');
		const microsoft = await newMicrosoftAccount('quota');
		// Room for the app itself (about 2.5 MB) and two or three pieces of the video.
		await limitStorage(page, 26 * MiB);
		await readyToUpload(page, app, microsoft);
		// A slow link, so that keeping runs out of room long before OneDrive has much.
		await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: 5, latencyMs: 700 });
		const name = 'reeldrive-quota.mp4';
		const video = makeLargeMp4(72 * MiB, name);
		try {
			await chooseVideos(page, [video]);
			await expect(uploadItem(page, name)).toContainText('no room to keep a copy of this video', { timeout: 60_000 });
			await expect(uploadItem(page, name)).toContainText('keep this page open');
		} finally {
			await emulator('DELETE', '/faults');
		}
		// Under this override Chromium never gives back the room of deleted pieces, so from here on
		// the browser refuses every write, the uploader's own progress saves included: the video
		// still goes to OneDrive whole, from the open page's file, and nothing stays kept.
		await expectInOneDrive(microsoft, name, video);
		await expect.poll(() => keptBytes(page)).toBe(0);
		const files = (await driveFiles(microsoft)).items.filter((entry) => entry.path.startsWith('/Reeldrive/reeldrive-quota'));
		expect(files, 'one copy, not two').toHaveLength(1);
	});

	test('closed before it was all kept: it uploads what was kept, then asks in words for the file; picked again, it finishes byte-identical', async () => {
		const { context, close } = await launchPersistent();
		try {
			const page = await context.newPage();
			const app = await newAppAccount('repick');
			const microsoft = await newMicrosoftAccount('repick');
			// Room for part of the video only, and fragments held back, so the page closes while
			// the rest is neither kept nor in OneDrive.
			await limitStorage(page, 26 * MiB);
			await readyToUpload(page, app, microsoft);
			await emulator('POST', '/faults', { kind: 'fragment', method: 'PUT', probability: 1, seed: 6, latencyMs: 60_000 });
			const name = 'reeldrive-repick.mp4';
			const video = makeLargeMp4(64 * MiB, name);
			await chooseVideos(page, [video]);
			await expect(uploadItem(page, name)).toContainText('no room to keep a copy', { timeout: 60_000 });
			const kept = await keptBytes(page);
			expect(kept).toBeGreaterThan(0);
			expect(kept).toBeLessThan(64 * MiB);
			await page.close();
			const cdp = await context.newCDPSession(await context.newPage());
			await cdp.send('ServiceWorker.enable');
			await cdp.send('ServiceWorker.stopAllWorkers');
			for (const open of context.pages()) await open.close();
			await emulator('DELETE', '/faults');

			const again = await context.newPage();
			await again.goto('/uploads');
			await expect(uploadItem(again, name)).toContainText('Pick the same file again to finish', { timeout: 90_000 });
			expect((await driveFiles(microsoft)).items.some((entry) => entry.path === `/Reeldrive/${name}`)).toBe(false);
			await again.getByLabel(`Pick “${name}” again`).setInputFiles(video);
			await expect(uploadItem(again, name)).toContainText('In OneDrive', { timeout: 120_000 });
			await expectInOneDrive(microsoft, name, video);
			await expect.poll(() => keptBytes(again)).toBe(0);
		} finally {
			await close();
		}
	});
});
