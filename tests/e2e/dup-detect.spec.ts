/**
 * Never the same video twice (issue 13, item 5): a video whose size and QuickXorHash match one in
 * the person's library or in the upload's OneDrive folder is recognised before a second copy is
 * made, and the person chooses: link the existing video, or upload a second copy anyway.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { quickXorHash } from '../../src/lib/upload/quickxorhash';
import { createProduct, newAppAccount, newMicrosoftAccount, putVideo, rest } from './support/stack';
import { chooseVideos, driveFiles, readyToUpload, uploadItem } from './support/uploads';

const CLIP = 'tests/fixtures/videos/clip-h264-aac-640x360-5s.mp4';
const NAME = 'clip-h264-aac-640x360-5s.mp4';
const HASH = quickXorHash(readFileSync(CLIP));

interface Row {
	id: string;
	product_id: string | null;
	item_id: string | null;
	name: string;
	status: string;
}

const rows = (app: Parameters<typeof rest>[0]) => rest<Row[]>(app, 'GET', 'videos?select=id,product_id,item_id,name,status&order=created_at');
const mp4sInDrive = async (microsoft: string) => (await driveFiles(microsoft)).items.filter((entry) => entry.path.endsWith('.mp4'));
/** The upload still waiting, on the Uploads page (a finished one of the same name may be listed too). */
const waiting = (page: Page) => page.getByRole('list', { name: 'Uploads in progress' }).getByRole('listitem', { name: NAME });

test.describe.configure({ timeout: 120_000 });

test.describe('never the same video twice', () => {
	test('a video already in the library is recognised before a second copy is made; linking it moves that one video to the new product', async ({ page }) => {
		const app = await newAppAccount('dup-link');
		const microsoft = await newMicrosoftAccount('dup-link');
		await readyToUpload(page, app, microsoft);
		const grinder = await createProduct(app, { title: 'Espresso grinder' });
		const kettle = await createProduct(app, { title: 'Kettle' });

		await page.goto(`/products/${grinder.id}`);
		await chooseVideos(page, [CLIP]);
		await expect(uploadItem(page, NAME)).toContainText('In OneDrive', { timeout: 60_000 });
		await expect.poll(async () => (await rows(app)).map((row) => row.status), { timeout: 30_000 }).toEqual(['synced']);
		const [first] = await rows(app);

		// The same file again, for another product.
		await page.goto(`/products/${kettle.id}`);
		await chooseVideos(page, [CLIP]);
		await expect(page.getByRole('list', { name: 'Uploads for this product' }).getByRole('listitem', { name: NAME })).toBeVisible();
		await page.goto('/uploads');
		await expect(waiting(page)).toContainText(`Already in OneDrive: “${NAME}” in /Reeldrive, in your library under the product “Espresso grinder”.`, { timeout: 60_000 });
		await expect(waiting(page).getByRole('button', { name: 'Link the existing video' })).toBeVisible();
		await expect(waiting(page).getByRole('button', { name: 'Upload a second copy anyway' })).toBeVisible();
		// Recognised before a second copy: no upload session, one file.
		const drive = await driveFiles(microsoft);
		expect(drive.uploadSessions).toEqual([]);
		expect((await mp4sInDrive(microsoft)).map((entry) => entry.quickXorHash)).toEqual([HASH]);

		await waiting(page).getByRole('button', { name: 'Link the existing video' }).click();
		await expect(waiting(page)).toHaveCount(0);
		await expect(page.getByRole('list', { name: 'Finished uploads' })).toContainText('linked to the video that was already there');
		// One row, the same one, pointing at the same file, now under the new product.
		await expect.poll(async () => rows(app), { timeout: 30_000 }).toEqual([{ ...first!, product_id: kettle.id }]);
		expect(await mp4sInDrive(microsoft)).toHaveLength(1);
		expect((await driveFiles(microsoft)).uploadSessions).toEqual([]);
		// Nothing of the video is kept in the browser any more.
		await expect.poll(() => storedPieces(page)).toBe(0);
	});

	test('"Upload a second copy anyway" uploads it beside the first, and does not ask again', async ({ page }) => {
		const app = await newAppAccount('dup-anyway');
		const microsoft = await newMicrosoftAccount('dup-anyway');
		await readyToUpload(page, app, microsoft);
		await chooseVideos(page, [CLIP]);
		await expect(uploadItem(page, NAME)).toContainText('In OneDrive', { timeout: 60_000 });
		await expect.poll(async () => (await rows(app)).map((row) => row.status), { timeout: 30_000 }).toEqual(['synced']);

		await chooseVideos(page, [CLIP]);
		await expect(waiting(page)).toContainText('Already in OneDrive', { timeout: 60_000 });
		expect(await mp4sInDrive(microsoft)).toHaveLength(1);
		await waiting(page).getByRole('button', { name: 'Upload a second copy anyway' }).click();
		await expect.poll(async () => (await mp4sInDrive(microsoft)).map((entry) => entry.path).sort(), { timeout: 60_000 }).toEqual([
			'/Reeldrive/clip-h264-aac-640x360-5s 1.mp4',
			'/Reeldrive/clip-h264-aac-640x360-5s.mp4'
		]);
		await expect(waiting(page)).toHaveCount(0, { timeout: 30_000 });
		await expect.poll(async () => (await rows(app)).map((row) => [row.status, row.name]), { timeout: 30_000 }).toEqual([
			['synced', NAME],
			['synced', 'clip-h264-aac-640x360-5s 1.mp4']
		]);
		// After a reload the second copy stays as it is: no question again.
		await page.reload();
		await expect(page.getByRole('list', { name: 'Finished uploads' }).getByRole('listitem')).toHaveCount(2);
		await expect(page.getByText('Already in OneDrive')).toHaveCount(0);
	});

	test('a file already in the upload folder (not in the library) is recognised, and linking records that file once', async ({ page }) => {
		const app = await newAppAccount('dup-folder');
		const microsoft = await newMicrosoftAccount('dup-folder');
		await readyToUpload(page, app, microsoft);
		const copied = await putVideo(microsoft, '/Reeldrive', 'copied by hand.mp4', CLIP);

		await chooseVideos(page, [CLIP]);
		await expect(waiting(page)).toContainText('Already in OneDrive: “copied by hand.mp4” in /Reeldrive, in your OneDrive folder (not in your library yet).', {
			timeout: 60_000
		});
		expect((await driveFiles(microsoft)).uploadSessions).toEqual([]);
		await expectOfferAccessible(page);
		await waiting(page).getByRole('button', { name: 'Link the existing video' }).focus();
		await page.keyboard.press('Enter');
		await expect
			.poll(async () => (await rows(app)).map((row) => ({ item: row.item_id, name: row.name, status: row.status })), { timeout: 30_000 })
			.toEqual([{ item: copied.id, name: 'copied by hand.mp4', status: 'synced' }]);
		expect((await mp4sInDrive(microsoft)).map((entry) => entry.path)).toEqual(['/Reeldrive/copied by hand.mp4']);
	});
});

/** The offer has no serious axe violation and needs no sideways scrolling, at desktop width and on a 360 px phone. */
async function expectOfferAccessible(page: Page): Promise<void> {
	for (const width of [1280, 360]) {
		await page.setViewportSize({ width, height: 800 });
		const results = await new AxeBuilder({ page }).include('section[aria-labelledby="active-title"]').analyze();
		const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
		expect(serious.map((violation) => `${width}px ${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
		expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
	}
	await page.setViewportSize({ width: 1280, height: 800 });
}

/** Pieces of videos kept in the browser's storage (IndexedDB) for uploads. */
async function storedPieces(page: Page): Promise<number> {
	return page.evaluate(
		() =>
			new Promise<number>((resolve, reject) => {
				const open = indexedDB.open('reeldrive');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const db = open.result;
					const tx = db.transaction('chunks', 'readonly');
					const count = tx.objectStore('chunks').count();
					count.onsuccess = () => {
						resolve(count.result);
						db.close();
					};
					count.onerror = () => reject(count.error);
				};
			})
	);
}
