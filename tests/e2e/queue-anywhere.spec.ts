import { expect, test } from '@playwright/test';
import { copyFileSync, readFileSync } from 'node:fs';
import { quickXorHash } from '../../src/lib/upload/quickxorhash';
import { completeMicrosoftSignIn, connectOneDrive, newAppAccount, newMicrosoftAccount, rest, signIn } from './support/stack';
import { driveFiles, uploadItem } from './support/uploads';

const files = driveFiles;
const item = uploadItem;

async function expectInOneDrive(microsoft: string, path: string, local: string): Promise<void> {
	const bytes = readFileSync(local);
	await expect
		.poll(async () => (await files(microsoft)).items.find((entry) => entry.path === path), { timeout: 60_000 })
		.toMatchObject({ size: bytes.length, quickXorHash: quickXorHash(bytes) });
}

test.describe.configure({ timeout: 180_000 });

test.describe('queueing needs only this device', () => {
	test('offline from the start: two videos are queued, say they wait for the network, and finish by themselves once online', async ({ page, context }) => {
		const app = await newAppAccount('offline-queue');
		const microsoft = await newMicrosoftAccount('offline-queue');
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		const [product] = await rest<{ id: string }[]>(app, 'POST', 'products', { title: 'Offline kettle' });
		await page.goto(`/products/${product!.id}`);
		await expect(page.getByRole('heading', { name: 'Offline kettle' })).toBeVisible();
		await page.evaluate(() => navigator.serviceWorker.ready);
		const one = '/tmp/reeldrive-offline-one.mp4';
		const two = '/tmp/reeldrive-offline-two.mov';
		copyFileSync('tests/fixtures/videos/clip-h264-aac-640x360-5s.mp4', one);
		copyFileSync('tests/fixtures/videos/clip-quicktime-1280x720-3s.mov', two);

		await context.setOffline(true);
		await expect(page.getByText(/You are offline: videos you add wait/)).toBeVisible();
		await page.getByLabel('Choose videos').setInputFiles([one, two]);
		const results = page.getByRole('list', { name: 'What happened to the files you added' });
		await expect(results).toContainText('reeldrive-offline-one.mp4: Queued');
		await expect(results).toContainText('reeldrive-offline-two.mov: Queued');
		for (const name of ['reeldrive-offline-one.mp4', 'reeldrive-offline-two.mov']) {
			await expect(item(page, name)).toContainText('Waiting for the network', { timeout: 30_000 });
		}
		expect((await files(microsoft)).items.filter((entry) => entry.path.includes('reeldrive-offline'))).toEqual([]);

		await context.setOffline(false);
		for (const name of ['reeldrive-offline-one.mp4', 'reeldrive-offline-two.mov']) {
			await expect(item(page, name)).toContainText('In OneDrive', { timeout: 60_000 });
		}
		await expectInOneDrive(microsoft, '/Reeldrive/reeldrive-offline-one.mp4', one);
		await expectInOneDrive(microsoft, '/Reeldrive/reeldrive-offline-two.mov', two);
		await expect
			.poll(async () => (await rest<{ status: string; item_id: string | null }[]>(app, 'GET', 'videos?select=status,item_id&order=name')).map((row) => row.status), { timeout: 30_000 })
			.toEqual(['synced', 'synced']);
	});

	test('with no folder chosen, the first upload makes /Reeldrive in OneDrive', async ({ page }) => {
		const app = await newAppAccount('path-queue');
		const microsoft = await newMicrosoftAccount('path-queue');
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		expect((await files(microsoft)).items.filter((entry) => entry.path === '/Reeldrive')).toEqual([]);
		await page.goto('/uploads');
		await page.evaluate(() => navigator.serviceWorker.ready);
		const video = '/tmp/reeldrive-made-folder.mp4';
		copyFileSync('tests/fixtures/videos/tiny-64x64-1s.mp4', video);
		await page.getByLabel('Choose videos').setInputFiles([video]);
		await expect(item(page, 'reeldrive-made-folder.mp4')).toContainText('In OneDrive', { timeout: 60_000 });
		await expectInOneDrive(microsoft, '/Reeldrive/reeldrive-made-folder.mp4', video);
		expect((await files(microsoft)).items.filter((entry) => entry.path === '/Reeldrive' && entry.folder)).toHaveLength(1);
	});
});

test.describe('never connected', () => {
	test('picking a video leads to connecting OneDrive, and then it uploads without being picked again', async ({ page }) => {
		const app = await newAppAccount('never-connected');
		const microsoft = await newMicrosoftAccount('never-connected');
		await signIn(page, app.email);
		const [product] = await rest<{ id: string }[]>(app, 'POST', 'products', { title: 'First blender' });
		await page.goto(`/products/${product!.id}`);
		await expect(page.getByText(/OneDrive is not connected yet\. Pick your videos/)).toBeVisible({ timeout: 30_000 });
		const video = '/tmp/reeldrive-never-connected.mp4';
		copyFileSync('tests/fixtures/videos/portrait-1080x1920-2s.mp4', video);
		await page.getByLabel('Choose videos').setInputFiles([video, 'tests/fixtures/videos/not-a-video.mp4']);
		// Off to Microsoft (the non-video was refused and is not kept).
		await completeMicrosoftSignIn(page, microsoft);
		// Back in Reeldrive, connected: the kept video is queued and uploads with no click.
		await page.waitForURL(/localhost:5173/);
		await expectInOneDrive(microsoft, '/Reeldrive/reeldrive-never-connected.mp4', video);
		await page.goto('/uploads');
		await expect(item(page, 'reeldrive-never-connected.mp4')).toContainText('In OneDrive', { timeout: 60_000 });
		await expect
			.poll(async () => rest<{ status: string; product_id: string }[]>(app, 'GET', 'videos?select=status,product_id'), { timeout: 30_000 })
			.toEqual([{ status: 'synced', product_id: product!.id }]);
		expect((await files(microsoft)).items.filter((entry) => entry.path.includes('not-a-video'))).toEqual([]);
	});
});

test.describe('without a service worker', () => {
	test.use({ serviceWorkers: 'block' });

	test('Settings, products and galleries work, and a video uploads while the page stays open', async ({ page }) => {
		const app = await newAppAccount('no-worker');
		const microsoft = await newMicrosoftAccount('no-worker');
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		await page.goto('/settings');
		await expect(page.getByText('Checking your OneDrive connection')).toHaveCount(0, { timeout: 30_000 });
		await expect(page.getByText(microsoft)).toBeVisible();
		const [product] = await rest<{ id: string }[]>(app, 'POST', 'products', { title: 'Workerless lamp' });
		await page.goto('/products');
		await expect(page.getByText('Workerless lamp')).toBeVisible();
		await page.goto(`/products/${product!.id}`);
		await expect(page.getByText(/uploads run in this page: keep it open/)).toBeVisible();
		const video = '/tmp/reeldrive-no-worker.mp4';
		copyFileSync('tests/fixtures/videos/clip-h264-aac-640x360-5s.mp4', video);
		await page.getByLabel('Choose videos').setInputFiles([video]);
		await expect(item(page, 'reeldrive-no-worker.mp4')).toContainText('In OneDrive', { timeout: 60_000 });
		await expectInOneDrive(microsoft, '/Reeldrive/reeldrive-no-worker.mp4', video);
		await expect
			.poll(async () => (await rest<{ status: string }[]>(app, 'GET', 'videos?select=status')).map((row) => row.status), { timeout: 30_000 })
			.toEqual(['synced']);
		// and the product's gallery lists it
		await page.reload();
		await expect(page.getByText('reeldrive-no-worker.mp4').first()).toBeVisible();
	});
});
