import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { createProduct, emulator, newAppAccount, newMicrosoftAccount, rest, signIn, type AppAccount } from './support/stack';
import { chooseVideos, driveFiles, readyToUpload, uploadItem } from './support/uploads';

const WEBM = 'tests/fixtures/videos/clip-vp9-320x240-4s.webm';
const MP4 = 'tests/fixtures/videos/clip-h264-1280x720-3s-moov-at-end.mp4';

type Seed = { name: string; status: string; product_id?: string | null; uploaded_at?: string; error_message?: string; size_bytes?: number };

/** videos rows for one user through the REST API (RLS applies); synced and missing ones get an item id. */
async function seedRows(account: AppAccount, rows: Seed[]): Promise<{ id: string; name: string }[]> {
	return rest(
		account,
		'POST',
		'videos',
		// A bulk insert wants the same keys in every row.
		rows.map((row, i) => ({
			drive_id: 'seeded-drive',
			item_id: row.status === 'synced' || row.status === 'missing' ? `item-${i}-${row.name}` : null,
			size_bytes: 12_345_678,
			product_id: null,
			uploaded_at: null,
			error_message: null,
			...row
		}))
	);
}

/** The count shown for one state, e.g. "2 Failed". */
function stateCount(page: Page, label: string, listName = 'Videos by sync state') {
	return page.getByRole('list', { name: listName }).getByRole('listitem').filter({ hasText: new RegExp(`^\\s*\\d+\\s+${label}\\s*$`) });
}

async function expectCounts(page: Page, expected: Record<string, number>) {
	for (const [label, n] of Object.entries(expected)) await expect(stateCount(page, label)).toHaveText(new RegExp(`^\\s*${n}\\s+${label}\\s*$`));
}

/** The time of the last upload to OneDrive, as the page states it. */
const lastUpload = (page: Page) => page.getByText('Last upload to OneDrive:').locator('time');

const pendingList = (page: Page) => page.getByRole('list', { name: 'Videos not in OneDrive yet' });

async function expectNoSeriousViolations(page: Page) {
	const results = await new AxeBuilder({ page }).analyze();
	const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
	expect(serious.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
}

test.describe('sync status', () => {
	test('counts every state in one summary, lists what is not in OneDrive with reasons, and shows nobody else’s videos', async ({ page }) => {
		const alice = await newAppAccount('sync-alice');
		const bob = await newAppAccount('sync-bob');
		const kettle = await createProduct(alice, { title: 'Glass kettle' });
		await seedRows(alice, [
			{ name: 'kettle-front.mp4', status: 'synced', product_id: kettle.id, uploaded_at: '2026-11-20T09:00:00Z' },
			{ name: 'kettle-back.mp4', status: 'synced', product_id: kettle.id, uploaded_at: '2026-11-25T16:30:00Z' },
			{ name: 'kettle-queued.mp4', status: 'queued', product_id: kettle.id },
			{ name: 'kettle-uploading.mp4', status: 'uploading' },
			{ name: 'kettle-failed.mp4', status: 'error', product_id: kettle.id, error_message: 'Your OneDrive is full. Free up space or add storage, then retry.' },
			{ name: 'kettle-conflict.mp4', status: 'conflict' },
			{ name: 'kettle-missing.mp4', status: 'missing', product_id: kettle.id }
		]);
		// Bob's rows, some in the same states and one uploaded later than all of Alice's.
		await seedRows(bob, [
			{ name: 'bob-secret-failed.mp4', status: 'error', error_message: 'Bob only' },
			{ name: 'bob-secret-queued.mp4', status: 'queued' },
			{ name: 'bob-secret-synced.mp4', status: 'synced', uploaded_at: '2026-11-26T10:00:00Z' }
		]);

		await signIn(page, alice.email, '/uploads');
		// The Uploads page's compact summary, from the same query.
		const compact = page.getByRole('region', { name: 'Sync status' });
		await expect(compact.getByRole('listitem').filter({ hasText: 'In OneDrive' })).toHaveText(/^\s*2\s+In OneDrive\s*$/);
		await expect(compact.getByRole('listitem').filter({ hasText: 'Failed' })).toHaveText(/^\s*1\s+Failed\s*$/);

		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sync' }).click();
		await expect(page).toHaveURL(/\/sync$/);
		await expect(page.getByRole('heading', { level: 1, name: 'Sync status' })).toBeVisible();
		await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sync' })).toHaveAttribute('aria-current', 'page');
		await expectCounts(page, { Queued: 1, Waiting: 0, Uploading: 1, 'In OneDrive': 2, Failed: 1, Conflict: 1, Missing: 1 });
		await expect(lastUpload(page)).toHaveAttribute('datetime', /^2026-11-25T16:30:00/);
		await expect(page.getByText('2 videos have no product.')).toBeVisible();

		const list = pendingList(page);
		// The missing video is listed with the videos changed in OneDrive, where its choices are.
		await expect(list.getByRole('listitem')).toHaveCount(4);
		// Failures first, then what waits, then what runs.
		await expect(list.getByRole('listitem').first()).toHaveAccessibleName('kettle-failed.mp4');
		const failed = list.getByRole('listitem', { name: 'kettle-failed.mp4' });
		await expect(failed).toContainText('Failed');
		await expect(failed).toContainText('12.3 MB');
		await expect(failed.getByRole('link', { name: 'Glass kettle' })).toHaveAttribute('href', `/products/${kettle.id}`);
		await expect(failed).toContainText('Your OneDrive is full. Free up space or add storage, then retry. It was started in another browser or on another device');
		// Not this browser's upload: nothing to retry from here.
		await expect(failed.getByRole('button')).toHaveCount(0);
		await expect(page.getByRole('list', { name: 'Videos changed or missing in OneDrive' }).getByRole('listitem', { name: 'kettle-missing.mp4' })).toContainText(
			'moved or deleted outside Reeldrive'
		);
		await expect(list.getByRole('listitem', { name: 'kettle-conflict.mp4' })).toContainText('No product');
		await expect(list.getByRole('listitem', { name: 'kettle-uploading.mp4' })).toContainText('Uploading in another browser or on another device.');

		const history = page.getByRole('list', { name: 'Recent completions and failures' });
		await expect(history.getByRole('listitem')).toHaveCount(3);
		await expect(history.getByRole('listitem').filter({ hasText: 'kettle-back.mp4' })).toContainText('Reached OneDrive');
		await expect(history.getByRole('listitem').filter({ hasText: 'kettle-failed.mp4' })).toContainText('Failed: Your OneDrive is full.');

		await expect(page.getByText(/bob-secret/)).toHaveCount(0);

		// "Sync all" has nothing of this browser's to start and says why the failure stays.
		await page.getByRole('button', { name: 'Sync all' }).click();
		await expect(page.getByRole('status').filter({ hasText: 'Nothing here needed starting' })).toContainText(
			'1 video was started in another browser or on another device and can only be retried there.'
		);

		// A row changed elsewhere shows up when the page looks again.
		await rest(alice, 'PATCH', `videos?name=eq.kettle-queued.mp4`, { status: 'synced', item_id: 'item-late', uploaded_at: '2026-11-27T08:00:00Z' });
		await page.reload();
		await expectCounts(page, { Queued: 0, 'In OneDrive': 3 });
		await expect(lastUpload(page)).toHaveAttribute('datetime', /^2026-11-27T08:00:00/);
	});

	test('a failed upload of this browser is retried on its own, and Sync all restarts the rest', async ({ page }) => {
		const app = await newAppAccount('sync-retry');
		const microsoft = await newMicrosoftAccount('sync-retry');
		// Room for neither video: both stop with "Your OneDrive is full", which never retries by itself.
		await emulator('PUT', `/drives/${encodeURIComponent(microsoft)}/quota`, { total: 10_000 });
		await readyToUpload(page, app, microsoft);
		await chooseVideos(page, [WEBM, MP4]);
		for (const name of ['clip-vp9-320x240-4s.webm', 'clip-h264-1280x720-3s-moov-at-end.mp4']) {
			await expect(uploadItem(page, name).getByRole('alert')).toHaveText(/Your OneDrive is full/);
		}
		await emulator('PUT', `/drives/${encodeURIComponent(microsoft)}/quota`, { total: 5 * 1024 ** 3 });

		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sync' }).click();
		await expectCounts(page, { Failed: 2, 'In OneDrive': 0 });
		const list = pendingList(page);
		const webm = list.getByRole('listitem', { name: 'clip-vp9-320x240-4s.webm' });
		const mp4 = list.getByRole('listitem', { name: 'clip-h264-1280x720-3s-moov-at-end.mp4' });
		await expect(webm).toContainText('Your OneDrive is full');
		await expect(webm).toContainText('79.0 KB');
		await expect(webm).toContainText('No product');

		// One by one, from the keyboard.
		await webm.getByRole('button', { name: 'Retry' }).focus();
		await page.keyboard.press('Enter');
		await expect(webm).toHaveCount(0);
		await expect(mp4).toContainText('Failed');
		await expectCounts(page, { Failed: 1, 'In OneDrive': 1 });

		await page.getByRole('button', { name: 'Sync all' }).click();
		await expect(page.getByRole('status').filter({ hasText: '1 upload started again.' })).toBeAttached();
		await expect(page.getByText('Every video is in OneDrive.')).toBeVisible();
		await expectCounts(page, { Failed: 0, Queued: 0, Uploading: 0, 'In OneDrive': 2 });
		const history = page.getByRole('list', { name: 'Recent completions and failures' });
		await expect(history.getByRole('listitem').filter({ hasText: 'Reached OneDrive' })).toHaveCount(2);
		await expect(lastUpload(page)).toHaveAttribute('datetime', /^\d{4}-/);
		const items = (await driveFiles(microsoft)).items.map((item) => item.path);
		expect(items).toEqual(expect.arrayContaining(['/Reeldrive/clip-vp9-320x240-4s.webm', '/Reeldrive/clip-h264-1280x720-3s-moov-at-end.mp4']));
	});
});

test.describe('videos without a product', () => {
	test('several are linked to a product at once and one on its own, from the keyboard; nobody else’s appear', async ({ page }) => {
		const alice = await newAppAccount('link-alice');
		const bob = await newAppAccount('link-bob');
		const kettle = await createProduct(alice, { title: 'Glass kettle' });
		const lamp = await createProduct(alice, { title: 'Desk lamp' });
		await seedRows(alice, [
			{ name: 'unboxing.mp4', status: 'synced' },
			{ name: 'close-up.mp4', status: 'synced' },
			{ name: 'lamp-demo.mp4', status: 'missing' },
			{ name: 'still-going.mp4', status: 'uploading' },
			{ name: 'already-linked.mp4', status: 'synced', product_id: kettle.id }
		]);
		await seedRows(bob, [{ name: 'bob-loose.mp4', status: 'synced' }]);

		await signIn(page, alice.email);
		await page.getByRole('link', { name: 'Videos without a product' }).click();
		await expect(page.getByRole('heading', { level: 1, name: 'Videos without a product' })).toBeVisible();
		const list = page.getByRole('list', { name: 'Videos without a product' });
		await expect(list.getByRole('listitem')).toHaveCount(4);
		await expect(page.getByText('bob-loose.mp4')).toHaveCount(0);
		await expect(page.getByText('already-linked.mp4')).toHaveCount(0);
		// An upload still owns its row: it waits, and says why.
		const going = list.getByRole('listitem', { name: 'still-going.mp4' });
		await expect(going.getByRole('checkbox', { name: 'still-going.mp4' })).toBeDisabled();
		await expect(going).toContainText('Still uploading: link it once it is in OneDrive.');

		// In bulk: select two, pick a product, link.
		await list.getByRole('checkbox', { name: 'unboxing.mp4' }).check();
		await list.getByRole('checkbox', { name: 'close-up.mp4' }).check();
		const link = page.getByRole('button', { name: 'Link 2 selected' });
		await expect(link).toBeDisabled();
		await page.getByLabel('Product', { exact: true }).selectOption({ label: 'Glass kettle' });
		await link.click();
		await expect(page.getByRole('status').filter({ hasText: '2 videos linked to “Glass kettle”.' })).toBeVisible();
		await expect(list.getByRole('listitem')).toHaveCount(2);
		const byName = async () =>
			Object.fromEntries(
				(await rest<{ name: string; product_id: string | null }[]>(alice, 'GET', 'videos?select=name,product_id&order=name')).map((row) => [row.name, row.product_id])
			);
		expect(await byName()).toMatchObject({ 'unboxing.mp4': kettle.id, 'close-up.mp4': kettle.id, 'lamp-demo.mp4': null });

		// One on its own, by keyboard: open its form, choose, Tab to Link, Enter.
		const demo = list.getByRole('listitem', { name: 'lamp-demo.mp4' });
		await demo.getByRole('button', { name: /Link to a product/ }).focus();
		await page.keyboard.press('Enter');
		const choose = demo.getByRole('combobox', { name: 'Product for lamp-demo.mp4' });
		await expect(choose).toBeFocused();
		await choose.selectOption({ label: 'Desk lamp' });
		await page.keyboard.press('Tab');
		await expect(demo.getByRole('button', { name: 'Link', exact: true })).toBeFocused();
		await page.keyboard.press('Enter');
		await expect(page.getByRole('status').filter({ hasText: '1 video linked to “Desk lamp”.' })).toBeVisible();
		await expect(list.getByRole('listitem')).toHaveCount(1);
		expect(await byName()).toMatchObject({ 'lamp-demo.mp4': lamp.id, 'still-going.mp4': null });

		// The products list counts them.
		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Products' }).click();
		const products = page.getByRole('list', { name: 'Products' });
		await expect(products.getByRole('listitem').filter({ hasText: 'Glass kettle' })).toContainText('3 videos');
		await expect(products.getByRole('listitem').filter({ hasText: 'Desk lamp' })).toContainText('1 video');
		// Bob's video is untouched.
		expect((await rest<{ product_id: string | null }[]>(bob, 'GET', 'videos?select=product_id'))[0]!.product_id).toBeNull();
	});
});

test.describe('accessibility', () => {
	for (const viewport of [
		{ name: 'desktop', width: 1280, height: 800 },
		{ name: '360 px', width: 360, height: 740 }
	]) {
		test(`the sync, no-product and uploads pages have no serious axe violation and fit the screen (${viewport.name})`, async ({ page }) => {
			await page.setViewportSize({ width: viewport.width, height: viewport.height });
			const app = await newAppAccount('a11y-sync');
			const product = await createProduct(app, { title: 'Glass kettle with a rather long product title' });
			await seedRows(app, [
				{ name: 'a-very-long-file-name-from-a-phone-camera-PXL_20261127_101112345.mp4', status: 'error', error_message: 'Your OneDrive is full.' },
				{ name: 'linked.mp4', status: 'synced', product_id: product.id, uploaded_at: '2026-11-25T16:30:00Z' },
				{ name: 'loose.mp4', status: 'synced' },
				{ name: 'going.mp4', status: 'uploading' }
			]);
			await signIn(page, app.email, '/sync');
			for (const path of ['/sync', '/no-product', '/uploads']) {
				await page.goto(path);
				await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
				if (path === '/sync') await expect(pendingList(page).getByRole('listitem')).toHaveCount(2);
				if (path === '/no-product') await expect(page.getByRole('list', { name: 'Videos without a product' }).getByRole('listitem')).toHaveCount(3);
				if (path === '/uploads') await expect(page.getByRole('region', { name: 'Sync status' }).getByText('Last upload to OneDrive')).toBeVisible();
				await expectNoSeriousViolations(page);
				const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
				expect(overflow, `${path} is wider than the screen`).toBeLessThanOrEqual(0);
			}
		});
	}
});
