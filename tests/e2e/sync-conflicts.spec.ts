import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { connectOneDrive, graphAs, newAppAccount, newMicrosoftAccount, putVideo, rest, signIn, type AppAccount } from './support/stack';
import { driveFiles } from './support/uploads';
import { SAMPLE } from './support/videos';

const OTHER_CONTENT = 'tests/fixtures/videos/clip-h264-1280x720-3s-moov-at-end.mp4';

type DriveItem = { id: string; name: string; size: number; file: { hashes: { quickXorHash: string } }; webUrl: string };
type VideoRow = { id: string; name: string; item_id: string | null; status: string; folder_path: string | null; quick_xor_hash: string | null; e_tag: string | null; error_message: string | null };

const flagList = (page: Page) => page.getByRole('list', { name: 'Videos changed or missing in OneDrive' });
const flag = (page: Page, name: string) => flagList(page).getByRole('listitem', { name, exact: true });

/** Rows as an upload leaves them: the file's name, folder, size and hash, and no tags yet. */
async function seedFromDrive(app: AppAccount, driveId: string, folder: string, items: DriveItem[]): Promise<void> {
	await rest(
		app,
		'POST',
		'videos',
		items.map((item) => ({
			drive_id: driveId,
			item_id: item.id,
			name: item.name,
			size_bytes: item.size,
			quick_xor_hash: item.file.hashes.quickXorHash,
			folder_path: folder,
			web_url: item.webUrl,
			status: 'synced'
		}))
	);
}

async function rowsOf(app: AppAccount): Promise<Map<string, VideoRow>> {
	const rows = await rest<VideoRow[]>(app, 'GET', 'videos?select=id,name,item_id,status,folder_path,quick_xor_hash,e_tag,error_message');
	return new Map(rows.map((row) => [row.id, row]));
}

test.describe('videos changed in OneDrive', () => {
	test('opening the app flags each change with its reason, and accept, relink and remove each work', async ({ page }) => {
		const app = await newAppAccount('conflicts');
		const microsoft = await newMicrosoftAccount('conflicts');
		const put = (name: string) => putVideo(microsoft, '/Clips', name, SAMPLE) as Promise<unknown> as Promise<DriveItem>;
		const files = new Map<string, DriveItem>();
		for (const name of ['content.mp4', 'renamed.mp4', 'moved.mp4', 'deleted.mp4', 'same.mp4', 'replacement.mp4']) files.set(name, await put(name));
		const archive = await graphAs<{ id: string }>(microsoft, 'POST', '/me/drive/root:/Clips:/children', { name: 'Archive', folder: {} });
		const drive = await graphAs<{ id: string }>(microsoft, 'GET', '/me/drive');
		await seedFromDrive(app, drive.id, '/Clips', ['content.mp4', 'renamed.mp4', 'moved.mp4', 'deleted.mp4', 'same.mp4'].map((name) => files.get(name)!));
		const ids = new Map([...(await rowsOf(app)).values()].map((row) => [row.name, row.id]));

		// Changed in OneDrive while Reeldrive was closed.
		const replaced = await graphAs<DriveItem>(microsoft, 'PUT', `/me/drive/items/${files.get('content.mp4')!.id}/content`, new Uint8Array(readFileSync(OTHER_CONTENT)), 'video/mp4');
		await graphAs(microsoft, 'PATCH', `/me/drive/items/${files.get('renamed.mp4')!.id}`, { name: 'renamed-final.mp4' });
		await graphAs(microsoft, 'PATCH', `/me/drive/items/${files.get('moved.mp4')!.id}`, { parentReference: { id: archive.id } });
		await graphAs(microsoft, 'DELETE', `/me/drive/items/${files.get('deleted.mp4')!.id}`);

		// Opening the app (with OneDrive connected) checks every video.
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sync' }).click();
		await expect(page.getByRole('status').filter({ hasText: 'Checked 5 videos at' })).toContainText('4 changed or missing in OneDrive.');
		await expect(flagList(page).getByRole('listitem')).toHaveCount(4);
		await expect(flag(page, 'content.mp4')).toContainText(/Changed in OneDrive on .+ \(different content\)\./);
		await expect(flag(page, 'renamed.mp4')).toContainText('Renamed in OneDrive to “renamed-final.mp4”.');
		await expect(flag(page, 'moved.mp4')).toContainText('Moved to “/Clips/Archive”.');
		await expect(flag(page, 'deleted.mp4')).toContainText('Deleted from OneDrive.');
		await expect(flag(page, 'deleted.mp4').getByRole('button', { name: /Accept/ })).toHaveCount(0);
		await expect(flag(page, 'same.mp4')).toHaveCount(0);
		let rows = await rowsOf(app);
		expect(rows.get(ids.get('same.mp4')!)).toMatchObject({ status: 'synced' });
		expect(rows.get(ids.get('same.mp4')!)!.e_tag).toBeTruthy();
		expect(rows.get(ids.get('renamed.mp4')!)).toMatchObject({ status: 'conflict', name: 'renamed.mp4', error_message: 'Renamed in OneDrive to “renamed-final.mp4”.' });
		expect(rows.get(ids.get('deleted.mp4')!)).toMatchObject({ status: 'missing', error_message: 'Deleted from OneDrive.' });

		// Accept OneDrive's version: the record takes the new content and the flag goes.
		await flag(page, 'content.mp4').getByRole('button', { name: 'Accept OneDrive’s version of content.mp4' }).click();
		await expect(page.getByRole('status').filter({ hasText: '“content.mp4” now matches OneDrive.' })).toBeVisible();
		await expect(flag(page, 'content.mp4')).toHaveCount(0);
		// Its button went with it: focus is on the section, not lost.
		await expect(page.getByRole('heading', { name: 'Changed in OneDrive' })).toBeFocused();
		await flag(page, 'renamed.mp4').getByRole('button', { name: /^Accept OneDrive’s version/ }).click();
		await expect(page.getByRole('status').filter({ hasText: '“renamed-final.mp4” now matches OneDrive.' })).toBeVisible();
		rows = await rowsOf(app);
		expect(rows.get(ids.get('content.mp4')!)).toMatchObject({ status: 'synced', error_message: null, quick_xor_hash: replaced.file.hashes.quickXorHash });
		expect(rows.get(ids.get('renamed.mp4')!)).toMatchObject({ status: 'synced', name: 'renamed-final.mp4' });

		// Relink: point the moved video at another file, picked in OneDrive.
		await flag(page, 'moved.mp4').getByRole('button', { name: /^Relink to another file/ }).click();
		await expect(page.getByRole('heading', { name: 'Relink “moved.mp4”' })).toBeFocused();
		await page.getByRole('list', { name: 'Folders in OneDrive' }).getByRole('button', { name: /Clips/ }).click();
		await page.getByRole('list', { name: 'Videos in Clips' }).getByLabel('replacement.mp4').check();
		await page.getByRole('button', { name: 'Relink', exact: true }).click();
		await expect(page.getByRole('status').filter({ hasText: '“moved.mp4” now points at “replacement.mp4”.' })).toBeVisible();
		await expect(flag(page, 'moved.mp4')).toHaveCount(0);
		rows = await rowsOf(app);
		expect(rows.get(ids.get('moved.mp4')!)).toMatchObject({ status: 'synced', name: 'replacement.mp4', item_id: files.get('replacement.mp4')!.id });

		// Remove the deleted one from Reeldrive.
		await flag(page, 'deleted.mp4').getByRole('button', { name: 'Remove deleted.mp4 from Reeldrive' }).click();
		await expect(page.getByRole('status').filter({ hasText: '“deleted.mp4” was removed from Reeldrive.' })).toBeVisible();
		await expect(page.getByText('Every video matches its file in OneDrive.')).toBeVisible();
		expect((await rowsOf(app)).has(ids.get('deleted.mp4')!)).toBe(false);

		// On demand: a change made while Reeldrive is open is found by "Check OneDrive now".
		await graphAs(microsoft, 'PATCH', `/me/drive/items/${files.get('same.mp4')!.id}`, { name: 'same-renamed.mp4' });
		await page.getByRole('button', { name: 'Check OneDrive now' }).click();
		await expect(flag(page, 'same.mp4')).toContainText('Renamed in OneDrive to “same-renamed.mp4”.');
		await expect(page.getByRole('status').filter({ hasText: 'Checked 4 videos at' })).toContainText('1 changed or missing in OneDrive.');
		// Removing it leaves the OneDrive file alone, and says so.
		await flag(page, 'same.mp4').getByRole('button', { name: 'Remove same.mp4 from Reeldrive' }).click();
		await expect(page.getByRole('status').filter({ hasText: '“same.mp4” was removed from Reeldrive. The file is still in your OneDrive.' })).toBeVisible();
		expect((await rowsOf(app)).has(ids.get('same.mp4')!)).toBe(false);
		expect((await driveFiles(microsoft)).items.some((item) => item.path === '/Clips/same-renamed.mp4')).toBe(true);

		// The counts agree: nothing is flagged any more.
		await page.reload();
		await expect(page.getByText('Every video matches its file in OneDrive.')).toBeVisible();
		await expect(page.getByRole('status').filter({ hasText: 'Checked 3 videos at' })).toContainText('all match OneDrive.');
	});
});

test.describe('accessibility with flags shown', () => {
	for (const viewport of [
		{ name: 'desktop', width: 1280, height: 800 },
		{ name: '360 px', width: 360, height: 740 }
	]) {
		test(`the sync page with changed and missing videos has no serious axe violation and fits the screen (${viewport.name})`, async ({ page }) => {
			await page.setViewportSize({ width: viewport.width, height: viewport.height });
			const app = await newAppAccount('a11y-flags');
			const [product] = await rest<{ id: string }[]>(app, 'POST', 'products', { title: 'Glass kettle with a rather long product title' });
			await rest(app, 'POST', 'videos', [
				{
					drive_id: 'seeded-drive',
					item_id: 'item-1',
					name: 'a-very-long-file-name-from-a-phone-camera-PXL_20261127_101112345.mp4',
					size_bytes: 12_345_678,
					folder_path: '/Videos/A folder with a long name/Another one',
					product_id: product!.id,
					status: 'conflict',
					error_code: 'onedrive-changed',
					error_message: 'Changed in OneDrive on 27 Nov 2026, 10:00 (different content). Renamed in OneDrive to “a-very-long-new-name-given-in-onedrive-PXL_20261127.mp4”.'
				},
				{
					drive_id: 'seeded-drive',
					item_id: 'item-2',
					name: 'gone.mp4',
					size_bytes: 1000,
					folder_path: '/Videos',
					product_id: null,
					status: 'missing',
					error_code: 'onedrive-deleted',
					error_message: 'Deleted from OneDrive.'
				}
			]);
			await signIn(page, app.email, '/sync');
			await expect(flagList(page).getByRole('listitem')).toHaveCount(2);
			const results = await new AxeBuilder({ page }).analyze();
			const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
			expect(serious.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
			const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
			expect(overflow, 'the sync page is wider than the screen').toBeLessThanOrEqual(0);
			// Keyboard: the choices are reachable and focus shows.
			const remove = flag(page, 'gone.mp4').getByRole('button', { name: 'Remove gone.mp4 from Reeldrive' });
			await remove.focus();
			await expect(remove).toBeFocused();
		});
	}
});
