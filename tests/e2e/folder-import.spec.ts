import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { connectOneDrive, createProduct, emulator, graphAs, newAppAccount, newMicrosoftAccount, rest, signIn, type AppAccount } from './support/stack';

type Row = { id: string; name: string; item_id: string; product_id: string | null; status: string; folder_path: string; updated_at: string; import_job_id: string | null };
type Job = { id: string; status: string; total_found: number; linked: number; skipped: number; failed: number; removed: number; folders: { path: string }[] };

const VIDEO = { duration: 4000, width: 1920, height: 1080 };

async function rows(app: AppAccount): Promise<Map<string, Row>> {
	const list = await rest<Row[]>(app, 'GET', 'videos?select=id,name,item_id,product_id,status,folder_path,updated_at,import_job_id&folder_path=like.%2FShoots*');
	return new Map(list.map((row) => [row.name, row]));
}

async function jobs(app: AppAccount): Promise<Job[]> {
	return rest<Job[]>(app, 'GET', 'import_jobs?select=*&order=started_at.desc');
}

function group(page: Page, heading: string): Locator {
	return page
		.getByRole('list', { name: 'Proposed products' })
		.getByRole('listitem')
		.filter({ has: page.getByRole('heading', { name: heading, exact: true }) });
}

/** No serious or critical axe violation, at desktop width and on a 360 px phone (without sideways scrolling). */
async function expectAccessible(page: Page) {
	for (const width of [1280, 360]) {
		await page.setViewportSize({ width, height: 800 });
		const results = await new AxeBuilder({ page }).analyze();
		const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
		expect(serious.map((violation) => `${width}px ${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
		expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
	}
	await page.setViewportSize({ width: 1280, height: 800 });
}

async function expectCounters(page: Page, counters: Record<'found' | 'linked' | 'skipped' | 'failed' | 'removed', number>) {
	for (const [name, value] of Object.entries(counters)) await expect(page.locator(`[data-counter="${name}"]`)).toHaveText(String(value));
}

test('imports a Brand/Product folder tree through the preview, then a rescan picks up only the added and the deleted file', async ({ page }) => {
	const app = await newAppAccount('import');
	const microsoft = await newMicrosoftAccount('import');
	const blender = await createProduct(app, { title: 'Blender Pro', brand: 'Mixwell' });
	const mug = await createProduct(app, { title: 'Travel mug', asin: 'B0MUGMUG01' });
	await emulator('POST', `/drives/${microsoft}/seed`, {
		path: '/Shoots',
		items: [
			{
				name: 'Acme',
				children: [
					{ name: 'Kettle (B0KETTLE12)', children: [{ name: 'clip.mp4', size: 40_000, video: VIDEO }, { name: 'unboxing.mp4', size: 50_000, video: VIDEO }] },
					{ name: 'Toaster', children: [{ name: 'toast.mp4', size: 60_000, video: VIDEO }] }
				]
			},
			{ name: 'blender pro', children: [{ name: 'blend.mp4', size: 70_000 }] },
			{ name: 'Mug review B0MUGMUG01.mp4', size: 80_000 },
			{ name: 'loose.mp4', size: 90_000 },
			{ name: 'notes.txt', size: 10 }
		]
	});

	await signIn(page, app.email);
	await connectOneDrive(page, microsoft);
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).click();

	// Choose /Shoots and scan it.
	await page.getByRole('button', { name: 'Add a folder' }).click();
	await page.getByRole('list', { name: 'Folders in OneDrive' }).getByRole('button', { name: /Shoots/ }).click();
	await page.getByRole('button', { name: 'Add “/Shoots”' }).click();
	await expect(page.getByRole('list', { name: 'Chosen folders' })).toContainText('/Shoots');
	await expectAccessible(page);
	await page.getByRole('button', { name: 'Scan 1 folder' }).click();

	// The preview proposes by the documented rule.
	await expect(page.getByRole('heading', { name: 'Check where each video goes' })).toBeVisible();
	await expect(group(page, 'Blender Pro')).toContainText('Your product');
	await expect(group(page, 'Blender Pro')).toContainText('The folder “blender pro” has this product’s title.');
	await expect(group(page, 'Travel mug')).toContainText('The file name “Mug review B0MUGMUG01.mp4” holds an ASIN.');
	await expect(group(page, 'Kettle')).toContainText('New product');
	await expect(group(page, 'Kettle')).toContainText('ASIN B0KETTLE12');
	await expect(group(page, 'Kettle').getByLabel('Brand')).toHaveValue('Acme');
	await expect(group(page, 'Toaster').getByLabel('Brand')).toHaveValue('Acme');
	await expect(group(page, 'No product')).toContainText('1 video');
	await expectAccessible(page);

	// The person's changes: rename a new product, skip the loose video, send one take elsewhere.
	await group(page, 'Toaster').getByLabel('Title').fill('Toaster 2000');
	await expect(group(page, 'Toaster 2000')).toBeVisible();
	await group(page, 'No product').getByLabel('Link it to').selectOption({ label: 'Skip (do not import)' });
	await group(page, 'Kettle').getByText('Show the 2 videos').click();
	await group(page, 'Kettle').getByLabel('Link unboxing.mp4 to').selectOption({ label: 'No product' });
	await expect(group(page, 'Kettle').getByLabel('Link these 2 to')).toHaveValue('mixed');
	await page.getByRole('button', { name: 'Import 5 videos' }).click();

	await expect(page.getByRole('heading', { name: 'Import finished' })).toBeVisible();
	await expectCounters(page, { found: 6, linked: 5, skipped: 1, failed: 0, removed: 0 });
	await expectAccessible(page);

	const products = await rest<{ id: string; title: string; brand: string | null; asin: string | null }[]>(app, 'GET', 'products?select=id,title,brand,asin&order=title');
	expect(products.map(({ title, brand, asin }) => ({ title, brand, asin }))).toEqual([
		{ title: 'Blender Pro', brand: 'Mixwell', asin: null },
		{ title: 'Kettle', brand: 'Acme', asin: 'B0KETTLE12' },
		{ title: 'Toaster 2000', brand: 'Acme', asin: null },
		{ title: 'Travel mug', brand: null, asin: 'B0MUGMUG01' }
	]);
	const kettle = products.find((product) => product.title === 'Kettle')!;
	const toaster = products.find((product) => product.title === 'Toaster 2000')!;
	const before = await rows(app);
	expect([...before.keys()].sort()).toEqual(['Mug review B0MUGMUG01.mp4', 'blend.mp4', 'clip.mp4', 'toast.mp4', 'unboxing.mp4']);
	expect(before.get('clip.mp4')).toMatchObject({ product_id: kettle.id, status: 'synced', folder_path: '/Shoots/Acme/Kettle (B0KETTLE12)' });
	expect(before.get('unboxing.mp4')!.product_id).toBeNull();
	expect(before.get('toast.mp4')!.product_id).toBe(toaster.id);
	expect(before.get('blend.mp4')!.product_id).toBe(blender.id);
	expect(before.get('Mug review B0MUGMUG01.mp4')!.product_id).toBe(mug.id);
	const [first] = await jobs(app);
	expect(first).toMatchObject({ status: 'completed', total_found: 6, linked: 5, skipped: 1, failed: 0, removed: 0, folders: [{ path: '/Shoots' }] });
	expect(new Set([...before.values()].map((row) => row.import_job_id))).toEqual(new Set([first!.id]));

	// Outside Reeldrive: one take added, one video deleted.
	await emulator('POST', `/drives/${microsoft}/seed`, { path: '/Shoots/Acme/Kettle (B0KETTLE12)', items: [{ name: 'second-take.mp4', size: 30_000, video: VIDEO }] });
	await graphAs(microsoft, 'DELETE', `/me/drive/items/${encodeURIComponent(before.get('toast.mp4')!.item_id)}`);

	await page.getByRole('button', { name: 'Import more' }).click();
	const past = page.getByRole('list', { name: 'Past imports' });
	await expect(past.getByRole('listitem').first()).toContainText('Found 6 · Linked 5 · Skipped 1 · Failed 0 · Marked missing 0');
	await past.getByRole('button', { name: 'Rescan /Shoots' }).click();

	await expect(page.getByRole('heading', { name: 'Check where each video goes' })).toBeVisible();
	await expect(page.getByText('Only what changed since the last import is listed.')).toBeVisible();
	await expect(group(page, 'Kettle')).toContainText('Your product');
	await expect(group(page, 'Kettle')).toContainText('1 video');
	await expect(page.getByRole('list', { name: 'What importing will do' })).toContainText('1 deleted in OneDrive: marked missing');
	await page.getByRole('button', { name: 'Import 1 video' }).click();

	await expect(page.getByRole('heading', { name: 'Import finished' })).toBeVisible();
	await expectCounters(page, { found: 1, linked: 1, skipped: 0, failed: 0, removed: 1 });

	const after = await rows(app);
	expect(after.size).toBe(6);
	const [rescan] = await jobs(app);
	expect(rescan).toMatchObject({ status: 'completed', total_found: 1, linked: 1, skipped: 0, failed: 0, removed: 1 });
	expect(after.get('second-take.mp4')).toMatchObject({ product_id: kettle.id, status: 'synced', import_job_id: rescan!.id });
	expect(after.get('toast.mp4')!.status).toBe('missing');
	for (const name of ['clip.mp4', 'unboxing.mp4', 'blend.mp4', 'Mug review B0MUGMUG01.mp4']) {
		expect(after.get(name)!.updated_at).toBe(before.get(name)!.updated_at);
	}

	// The new take is in the product's gallery.
	await page.getByRole('link', { name: 'Go to products' }).click();
	await page.getByRole('link', { name: 'Kettle', exact: true }).click();
	await expect(page.getByRole('list', { name: /^Videos of / })).toContainText('second-take.mp4');
});

test('a newcomer imports the demo tree: the demo person’s products get their videos, new ones are made, and the galleries show them', async ({ page }) => {
	// The README's walk-through, with the demo accounts `npm start` prints.
	await signIn(page, 'alice@reeldrive.test');
	await connectOneDrive(page, 'alice@contoso.test');
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).click();
	await page.getByRole('button', { name: 'Add a folder' }).click();
	await page.getByRole('list', { name: 'Folders in OneDrive' }).getByRole('button', { name: /Product videos/ }).click();
	await page.getByRole('button', { name: 'Add “/Product videos”' }).click();
	await page.getByRole('button', { name: 'Scan 1 folder' }).click();

	await expect(page.getByRole('heading', { name: 'Check where each video goes' })).toBeVisible();
	await expect(group(page, 'Stainless steel French press, 1 l')).toContainText('Your product');
	await expect(group(page, 'Bamboo cutting board set')).toContainText('Your product');
	await expect(group(page, 'Pour-over kettle')).toContainText('ASIN B0D2KTL7Q9');
	await expect(group(page, 'Arc desk lamp')).toContainText('2 videos');
	await expect(group(page, 'Arc desk lamp').getByLabel('Brand')).toHaveValue('Lumora');
	await expect(group(page, 'No product')).toContainText('1 video');
	await page.getByRole('button', { name: 'Import 6 videos' }).click();
	await expect(page.getByRole('heading', { name: 'Import finished' })).toBeVisible();
	await expectCounters(page, { found: 6, linked: 6, skipped: 0, failed: 0, removed: 0 });

	for (const [product, videos] of [
		['Stainless steel French press, 1 l', ['first-brew.mp4']],
		['Bamboo cutting board set', ['knife-test.mov']],
		['Pour-over kettle', ['pour B0D2KTL7Q9.mp4']],
		['Arc desk lamp', ['unboxing.mp4', 'night mode.webm']]
	] as const) {
		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Products' }).click();
		await page.getByRole('link', { name: product, exact: true }).click();
		const gallery = page.getByRole('list', { name: /^Videos of / });
		for (const video of videos) await expect(gallery, `${video} in ${product}`).toContainText(video);
	}
});
