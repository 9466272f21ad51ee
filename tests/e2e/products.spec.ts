import { expect, test, type Page } from '@playwright/test';
import {
	connectOneDrive,
	createProduct,
	emulator,
	graphAs,
	newAppAccount,
	newMicrosoftAccount,
	putVideo,
	rest,
	seedVideoRows,
	signIn
} from './support/stack';

const CLIP = 'tests/fixtures/videos/clip-h264-aac-640x360-5s.mp4';
const PORTRAIT = 'tests/fixtures/videos/portrait-1080x1920-2s.mp4';

type VideoRowJson = { id: string; name: string; product_id: string | null; status: string; item_id: string | null };

function gallery(page: Page) {
	return page.getByRole('list', { name: /^Videos of / });
}

/** Links the named files of /Videos to the open product through the OneDrive picker. */
async function linkFromOneDrive(page: Page, names: string[]) {
	await page.getByRole('button', { name: 'Link videos from OneDrive…' }).click();
	await page.getByRole('list', { name: 'Folders in OneDrive' }).getByRole('button', { name: /Videos/ }).click();
	for (const name of names) await page.getByRole('list', { name: 'Videos in Videos' }).getByLabel(name).check();
	await page.getByRole('button', { name: `Link ${names.length} ${names.length === 1 ? 'video' : 'videos'}` }).click();
	await expect(page.getByRole('status').filter({ hasText: `Linked ${names.length}` })).toBeVisible();
}

test.describe('products', () => {
	test('create with a checked ASIN, search, sort, edit, and delete keeping the videos unlinked', async ({ page }) => {
		const app = await newAppAccount('products');
		await signIn(page, app.email);
		await expect(page.getByText('No products yet')).toBeVisible();

		await page.getByRole('button', { name: 'New product' }).click();
		await page.getByLabel('Title').fill('Glass kettle, 1.7 l');
		await page.getByLabel('ASIN').fill('b08n5-wrwn');
		await page.getByLabel('Brand').fill('Steamwell');
		await page.getByLabel('ASIN').blur();
		await expect(page.getByText('exactly 10 letters or digits, like B08N5WRWNW; this one has 9')).toBeVisible();
		await page.getByRole('button', { name: 'Create product' }).click();
		await expect(page.getByLabel('ASIN')).toBeFocused();
		await page.getByLabel('ASIN').fill('b08n5-wrwnw');
		await page.getByRole('button', { name: 'Create product' }).click();
		await expect(page.getByRole('heading', { level: 1, name: 'Glass kettle, 1.7 l' })).toBeVisible();
		await expect(page.getByText('ASIN B08N5WRWNW')).toBeVisible();

		const headphones = await createProduct(app, { title: 'Noise-cancelling headphones', asin: 'B0863TXGM3', brand: 'Quietwave' });
		const board = await createProduct(app, { title: 'Bamboo cutting board', brand: 'Greenhearth' });
		await seedVideoRows(app, headphones.id, 3);
		await seedVideoRows(app, board.id, 1);

		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Products' }).click();
		const list = page.getByRole('list', { name: 'Products' });
		await expect(list.getByRole('listitem')).toHaveCount(3);
		await expect(list.getByRole('listitem').filter({ hasText: 'Noise-cancelling' })).toContainText('3 videos');
		await expect(list.getByRole('listitem').filter({ hasText: 'Bamboo' })).toContainText('1 video');
		await expect(list.getByRole('listitem').first()).toContainText('Bamboo');

		await page.getByLabel('Sort').selectOption({ label: 'Most videos' });
		await expect(list.getByRole('listitem').first()).toContainText('Noise-cancelling');

		const search = page.getByRole('searchbox', { name: 'Search products' });
		await search.fill('quietwave');
		await expect(list.getByRole('listitem')).toHaveCount(1);
		await search.fill('b08n5wrwnw');
		await expect(list.getByRole('listitem')).toHaveText([/Glass kettle/]);
		await search.fill('nothing like this');
		await expect(page.getByText('No product matches')).toBeVisible();
		await search.fill('');

		// Edit, with the database's uniqueness explained in words.
		await list.getByRole('link', { name: 'Noise-cancelling headphones' }).click();
		await page.getByRole('button', { name: 'Edit' }).click();
		await page.getByLabel('ASIN').fill('B08N5WRWNW');
		await page.getByRole('button', { name: 'Save changes' }).click();
		await expect(page.getByRole('alert')).toHaveText('A product with ASIN B08N5WRWNW already exists.');
		await page.getByLabel('ASIN').fill('B0863TXGM3');
		await page.getByLabel('Title').fill('ANC headphones');
		await page.getByRole('button', { name: 'Save changes' }).click();
		await expect(page.getByRole('heading', { level: 1, name: 'ANC headphones' })).toBeVisible();

		// Delete: says what happens to the videos, and does exactly that.
		await page.getByRole('button', { name: 'Delete product…' }).click();
		await expect(page.getByRole('alertdialog')).toContainText('Its 3 videos stay in your OneDrive and in Reeldrive, unlinked from any product.');
		await page.getByRole('button', { name: 'Delete product', exact: true }).click();
		await expect(page).toHaveURL(/\/products$/);
		await expect(list.getByRole('listitem')).toHaveCount(2);
		const videos = await rest<VideoRowJson[]>(app, 'GET', 'videos?select=id,product_id');
		expect(videos).toHaveLength(4);
		expect(videos.filter((video) => video.product_id === null)).toHaveLength(3);
	});

	test('bob never sees alice\'s products or videos, not even from her URL', async ({ page }) => {
		const alice = await newAppAccount('alice');
		const bob = await newAppAccount('bob');
		const secret = await createProduct(alice, { title: 'Secret prototype blender', asin: 'B0SECRET01' });
		await seedVideoRows(alice, secret.id, 2);

		// Alice looks at it, so this browser holds her offline copy; then she signs out.
		await signIn(page, alice.email, `/products/${secret.id}`);
		await expect(page.getByRole('heading', { level: 1, name: 'Secret prototype blender' })).toBeVisible();
		await page.getByRole('button', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(/\/sign-in/);
		const cachedEntries = () =>
			page.evaluate(
				() =>
					new Promise<number>((resolve) => {
						const open = indexedDB.open('reeldrive-library-cache');
						open.onsuccess = () => {
							const count = open.result.transaction('snapshots').objectStore('snapshots').count();
							count.onsuccess = () => resolve(count.result);
						};
					})
			);
		await expect.poll(cachedEntries).toBe(0);

		await signIn(page, bob.email);
		await expect(page.getByText('No products yet')).toBeVisible();
		await page.goto(`/products/${secret.id}`);
		await expect(page.getByRole('heading', { level: 1, name: 'Product not found' })).toBeVisible();
		const text = await page.locator('body').innerText();
		expect(text).not.toContain('Secret prototype');
		expect(text).not.toContain('B0SECRET01');
		expect(text).not.toContain('Seeded clip');
		await page.goto('/products/not-a-uuid');
		await expect(page.getByRole('heading', { level: 1, name: 'Product not found' })).toBeVisible();
	});
});

test.describe('galleries', () => {
	test('link a video from OneDrive, watch it, open it in OneDrive, download, rename, move and unlink it', async ({ page }) => {
		const app = await newAppAccount('gallery');
		const microsoft = await newMicrosoftAccount('gallery');
		await putVideo(microsoft, '/Videos', 'Blender demo.mp4', CLIP);
		await putVideo(microsoft, '/Videos', 'Vertical teaser.mp4', PORTRAIT);
		const blender = await createProduct(app, { title: 'Blender' });
		await createProduct(app, { title: 'Toaster' });
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);

		await page.goto(`/products/${blender.id}`);
		await linkFromOneDrive(page, ['Blender demo.mp4', 'Vertical teaser.mp4']);
		const cards = gallery(page).getByRole('button');
		await expect(cards).toHaveCount(2);
		const demo = cards.filter({ hasText: 'Blender demo.mp4' });
		await expect(demo).toContainText('0:05');
		await expect(demo).toContainText('640×360 · landscape');
		await expect(demo).toContainText('In OneDrive');
		await expect(cards.filter({ hasText: 'Vertical teaser.mp4' })).toContainText('1080×1920 · portrait');
		// The thumbnail comes from Graph and really loads.
		await expect(demo.locator('img')).toHaveAttribute('src', /^http:\/\/localhost:4011\//);
		await expect.poll(() => demo.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

		await demo.click();
		const dialog = page.getByRole('dialog', { name: 'Blender demo.mp4' });
		const video = dialog.locator('video');
		await expect(video).toHaveAttribute('src', /^http:\/\/localhost:4011\//);
		await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
		expect(await video.evaluate((v: HTMLVideoElement) => Math.round(v.duration))).toBe(5);

		const files = await emulator<{ items: { id: string; path: string }[] }>('GET', `/drives/${encodeURIComponent(microsoft)}/files`);
		const itemId = files.items.find((item) => item.path.endsWith('/Blender demo.mp4'))!.id;
		await expect(dialog.getByRole('link', { name: 'Open in OneDrive' })).toHaveAttribute('href', new RegExp(`/_web/.+/${encodeURIComponent(itemId)}$`));

		const download = page.waitForEvent('download');
		await dialog.getByRole('button', { name: 'Download' }).click();
		expect((await download).suggestedFilename()).toBe('Blender demo.mp4');

		// Rename: in OneDrive and in the row; the extension stays.
		await dialog.getByLabel('Name in OneDrive').fill('Blender demo, kitchen');
		await dialog.getByRole('button', { name: 'Rename' }).click();
		await expect(page.getByRole('dialog', { name: 'Blender demo, kitchen.mp4' })).toBeVisible();
		const renamed = await emulator<{ items: { id: string; path: string }[] }>('GET', `/drives/${encodeURIComponent(microsoft)}/files`);
		expect(renamed.items.find((item) => item.id === itemId)?.path).toBe('/Videos/Blender demo, kitchen.mp4');

		// Move to another product.
		await page.getByLabel('Move to product').selectOption({ label: 'Toaster' });
		await page.getByRole('button', { name: 'Move', exact: true }).click();
		await expect(page.getByRole('dialog')).toHaveCount(0);
		await expect(cards).toHaveCount(1);
		await page.getByRole('link', { name: 'Products' }).first().click();
		await page.getByRole('link', { name: 'Toaster' }).click();
		await expect(gallery(page).getByRole('button', { name: /Blender demo, kitchen\.mp4/ })).toBeVisible();

		// Unlink: the video leaves the product but stays in Reeldrive and OneDrive.
		await gallery(page).getByRole('button').first().click();
		await page.getByRole('button', { name: 'Unlink from this product' }).click();
		await expect(page.getByText('No videos yet')).toBeVisible();
		const rows = await rest<VideoRowJson[]>(app, 'GET', `videos?select=id,name,product_id&item_id=eq.${encodeURIComponent(itemId)}`);
		expect(rows).toEqual([expect.objectContaining({ name: 'Blender demo, kitchen.mp4', product_id: null })]);
	});

	test('an expired download address is fetched again and playback carries on', async ({ page }) => {
		const app = await newAppAccount('expiry');
		const microsoft = await newMicrosoftAccount('expiry');
		await putVideo(microsoft, '/Videos', 'Clip.mp4', CLIP);
		const product = await createProduct(app, { title: 'Kettle' });
		// Routing turns the HTTP cache off, so a remembered address is really asked for again.
		await page.route('http://localhost:4011/dl/**', (route) => route.continue());
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		await page.goto(`/products/${product.id}`);
		await linkFromOneDrive(page, ['Clip.mp4']);

		await gallery(page).getByRole('button').first().click();
		const video = page.getByRole('dialog').locator('video');
		await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
		const first = await video.getAttribute('src');
		await page.getByRole('button', { name: 'Close' }).click();

		// Download addresses live an hour; two hours later the remembered one is refused.
		await emulator('POST', '/clock/advance', { seconds: 2 * 3600 });
		expect((await fetch(first!)).ok).toBe(false);
		await gallery(page).getByRole('button').first().click();
		await expect.poll(() => video.getAttribute('src')).not.toBe(first);
		await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
		await expect(page.getByRole('dialog').getByRole('alert')).toHaveCount(0);
	});

	test('a video deleted in OneDrive shows as missing, and can be relinked or removed', async ({ page }) => {
		const app = await newAppAccount('missing');
		const microsoft = await newMicrosoftAccount('missing');
		const one = await putVideo(microsoft, '/Videos', 'One.mp4', CLIP);
		const two = await putVideo(microsoft, '/Videos', 'Two.mp4', PORTRAIT);
		const product = await createProduct(app, { title: 'Blender' });
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		await page.goto(`/products/${product.id}`);
		await linkFromOneDrive(page, ['One.mp4', 'Two.mp4']);

		// Outside Reeldrive: both files are deleted, and a copy of the first appears elsewhere.
		await graphAs(microsoft, 'DELETE', `/me/drive/items/${encodeURIComponent(one.id)}`);
		await graphAs(microsoft, 'DELETE', `/me/drive/items/${encodeURIComponent(two.id)}`);
		await putVideo(microsoft, '/Videos', 'One (restored).mp4', CLIP);

		await page.reload();
		const cards = gallery(page).getByRole('button');
		await expect(cards.filter({ hasText: 'One.mp4' })).toContainText('Missing in OneDrive');
		await expect(cards.filter({ hasText: 'Two.mp4' })).toContainText('Missing in OneDrive');
		await expect
			.poll(async () => (await rest<VideoRowJson[]>(app, 'GET', 'videos?select=name,status&order=name')).map((row) => row.status))
			.toEqual(['missing', 'missing']);

		await cards.filter({ hasText: 'One.mp4' }).click();
		await expect(page.getByRole('dialog')).toContainText('cannot find this video in your OneDrive');
		await page.getByRole('button', { name: 'Relink to a file…' }).click();
		await page.getByRole('list', { name: 'Folders in OneDrive' }).getByRole('button', { name: /Videos/ }).click();
		await page.getByLabel('One (restored).mp4').check();
		await page.getByRole('button', { name: 'Relink', exact: true }).click();
		await expect(cards.filter({ hasText: 'One (restored).mp4' })).toContainText('In OneDrive');

		await cards.filter({ hasText: 'Two.mp4' }).click();
		await page.getByRole('button', { name: 'Remove from Reeldrive' }).click();
		await expect(cards).toHaveCount(1);
		expect(await rest<VideoRowJson[]>(app, 'GET', 'videos?select=name,status')).toEqual([{ name: 'One (restored).mp4', status: 'synced' }]);
	});

	test('with OneDrive disconnected, videos are still listed with "Reconnect OneDrive to play"', async ({ page }) => {
		const app = await newAppAccount('disconnected');
		const microsoft = await newMicrosoftAccount('disconnected');
		await putVideo(microsoft, '/Videos', 'Clip.mp4', CLIP);
		const product = await createProduct(app, { title: 'Toaster' });
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		await page.goto(`/products/${product.id}`);
		await linkFromOneDrive(page, ['Clip.mp4']);

		await page.goto('/settings');
		await page.getByRole('button', { name: 'Disconnect OneDrive' }).click();
		await expect(page.getByRole('button', { name: /Connect OneDrive|Reconnect OneDrive/ }).first()).toBeVisible();
		await page.goto(`/products/${product.id}`);
		await expect(gallery(page).getByRole('button', { name: /Clip\.mp4/ })).toContainText('0:05');
		await expect(page.getByText('Reconnect OneDrive to play. Your videos are still listed')).toBeVisible();
		await gallery(page).getByRole('button').first().click();
		const dialog = page.getByRole('dialog');
		await expect(dialog.getByText('Reconnect OneDrive to play.')).toBeVisible();
		await expect(dialog.getByRole('link', { name: 'Reconnect OneDrive' })).toHaveAttribute('href', '/settings');
		await expect(dialog.locator('video')).toHaveCount(0);
	});

	test('rows of every status are shown with a badge; the grid is windowed and keyboard navigable', async ({ page }) => {
		const app = await newAppAccount('grid');
		const product = await createProduct(app, { title: 'Many clips' });
		await seedVideoRows(app, product.id, 300);
		for (const [order, status] of ['uploading', 'error', 'conflict', 'missing', 'synced'].entries()) {
			await rest(app, 'POST', 'videos', {
				product_id: product.id,
				drive_id: 'seeded-drive',
				item_id: status === 'synced' || status === 'missing' ? `item-${status}` : null,
				name: `Status ${status}.mp4`,
				size_bytes: 1000,
				status,
				created_at: `2027-01-0${9 - order}T00:00:00Z`
			});
		}
		await page.setViewportSize({ width: 1280, height: 800 });
		await signIn(page, app.email, `/products/${product.id}`);
		await expect(page.getByRole('heading', { name: 'Videos (305)' })).toBeVisible();
		const grid = gallery(page);
		const badges: [string, string][] = [
			['uploading', 'Uploading'],
			['error', 'Upload failed'],
			['conflict', 'Name conflict'],
			['missing', 'Missing in OneDrive'],
			['synced', 'In OneDrive']
		];
		for (const [status, label] of badges) {
			await expect(grid.getByRole('button', { name: new RegExp(`Status ${status}\\.mp4`) })).toContainText(label);
		}
		await expect(grid.getByRole('button').filter({ hasText: 'Seeded clip 0001.mp4' })).toContainText('Queued');

		// Only the rows near the screen are in the page.
		const rendered = await grid.getByRole('listitem').count();
		expect(rendered).toBeGreaterThan(4);
		expect(rendered).toBeLessThan(60);
		await expect(grid.getByRole('listitem').first()).toHaveAttribute('aria-setsize', '305');

		// One tab stop; arrows move between cards, End/Home along the row, Ctrl+End to the last one.
		const first = grid.getByRole('button').first();
		await first.focus();
		const focusedIndex = () => page.evaluate(() => Number(document.activeElement?.closest('[data-index]')?.getAttribute('data-index')));
		await page.keyboard.press('ArrowRight');
		expect(await focusedIndex()).toBe(1);
		const columns = await page.evaluate(() => getComputedStyle(document.querySelector('ul[aria-label^="Videos of"]')!).gridTemplateColumns.split(' ').length);
		await page.keyboard.press('ArrowDown');
		expect(await focusedIndex()).toBe(1 + columns);
		await page.keyboard.press('Control+End');
		await expect.poll(focusedIndex).toBe(304);
		await expect(grid.getByRole('listitem').last()).toHaveAttribute('aria-posinset', '305');
		expect(await grid.locator('[tabindex="0"]').count()).toBe(1);
		await page.keyboard.press('Control+Home');
		await expect.poll(focusedIndex).toBe(0);
		await page.keyboard.press('Enter');
		await expect(page.getByRole('dialog', { name: 'Status uploading.mp4' })).toContainText('not in OneDrive yet');
	});

	test('offline, the product list and gallery render from the last known copy, with changes disabled', async ({ page, context }) => {
		const app = await newAppAccount('offline-gallery');
		const product = await createProduct(app, { title: 'Travel mug', brand: 'Thermoline' });
		await seedVideoRows(app, product.id, 12, 'synced');
		await signIn(page, app.email);
		await expect(page.getByRole('list', { name: 'Products' })).toContainText('12 videos');
		await page.getByRole('link', { name: 'Travel mug' }).click();
		await expect(page.getByRole('heading', { name: 'Videos (12)' })).toBeVisible();
		await page.evaluate(async () => {
			await navigator.serviceWorker.ready;
			if (!navigator.serviceWorker.controller) {
				await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
			}
		});

		await context.setOffline(true);
		// This Chromium keeps the offline emulation for a reloaded page's requests but not for its
		// navigator.onLine, which reads true; a device that is really offline says false.
		await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'onLine', { configurable: true, get: () => false }));
		await page.reload();
		await expect(page.getByRole('heading', { level: 1, name: 'Travel mug' })).toBeVisible();
		await expect(page.getByText('Offline: showing this product as Reeldrive last saw it')).toBeVisible();
		await expect(gallery(page).getByRole('button')).not.toHaveCount(0);
		await expect(page.getByRole('button', { name: 'Edit' })).toBeDisabled();
		await expect(page.getByRole('button', { name: 'Link videos from OneDrive…' })).toBeDisabled();
		await expect(page.getByText('You are offline. Changes need a connection.')).toBeVisible();
		await gallery(page).getByRole('button').first().click();
		await expect(page.getByRole('dialog')).toContainText('You are offline. Playing needs a connection.');
		await expect(page.getByRole('dialog')).toContainText('You are offline. This needs a connection.');
		await expect(page.getByRole('button', { name: 'Unlink from this product' })).toBeDisabled();
		await page.getByRole('button', { name: 'Close' }).click();

		await page.getByRole('link', { name: 'Products' }).first().click();
		await expect(page.getByText('Offline: showing your products as Reeldrive last saw them')).toBeVisible();
		await expect(page.getByRole('list', { name: 'Products' })).toContainText('Travel mug');
		await expect(page.getByRole('button', { name: 'New product' })).toBeDisabled();
		await page.getByRole('searchbox', { name: 'Search products' }).fill('thermoline');
		await expect(page.getByRole('list', { name: 'Products' }).getByRole('listitem')).toHaveCount(1);
		await context.setOffline(false);
	});
});
