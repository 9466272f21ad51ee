// Staying connected across a browser restart. MSAL 5 keeps the key to its token cache in a session
// cookie, so quitting the browser loses every Microsoft token; what survives is Microsoft's own
// session, when the person answered "Stay signed in?" with Yes. The app then signs the connected
// account back in silently (a hidden iframe with prompt=none and login_hint). When Microsoft's
// session has ended too, Reconnect is one click: a top-level prompt=none that comes back
// login_required, then straight on to the password page for the same account.
import { expect, test, type BrowserContext, type Page, type Request } from '@playwright/test';
import { persistentProfile } from './support/persistent';
import { APP, connectOneDrive, createProduct, DEMO_PASSWORD, emulator, MICROSOFT, newAppAccount, newMicrosoftAccount, signIn } from './support/stack';
import { chooseVideos, driveFiles, uploadItem } from './support/uploads';

const CLIP = 'tests/fixtures/videos/clip-h264-aac-640x360-5s.mp4';
const AUTHORIZE = `${MICROSOFT}/common/oauth2/v2.0/authorize`;

test.describe.configure({ timeout: 180_000 });

/** Every request to Microsoft's authorize endpoint, and whether a password was posted. */
function watchSignIns(context: BrowserContext, page: Page) {
	const seen = { frame: [] as URL[], topLevel: [] as URL[], passwordsPosted: 0 };
	context.on('request', (request: Request) => {
		if (!request.url().startsWith(AUTHORIZE)) return;
		if (request.method() === 'POST') {
			if (/(^|&)password=/.test(request.postData() ?? '')) seen.passwordsPosted++;
			return;
		}
		const url = new URL(request.url());
		if (request.frame() === page.mainFrame()) seen.topLevel.push(url);
		else seen.frame.push(url);
	});
	return seen;
}

/** The encryption key MSAL keeps for its cache: a session cookie, gone after a restart. */
async function msalKeyCookie(context: BrowserContext) {
	return (await context.cookies(APP)).find((cookie) => cookie.name === 'msal.cache.encryption');
}

/** Signed in to Reeldrive, OneDrive connected with "Stay signed in?" Yes, the worker installed. */
async function connectedAndStayingSignedIn(context: BrowserContext, microsoft: string) {
	const page = await context.newPage();
	const app = await newAppAccount('stay');
	await signIn(page, app.email);
	await connectOneDrive(page, microsoft, { staySignedIn: true });
	await page.evaluate(() => navigator.serviceWorker.ready);
	const product = await createProduct(app, { title: 'Milk frother' });
	expect((await msalKeyCookie(context))?.expires).toBe(-1);
	return { app, product };
}

/** Uploads the clip on the open product page and waits until OneDrive holds it. */
async function uploadClip(page: Page, microsoft: string) {
	await chooseVideos(page, [CLIP]);
	await expect(uploadItem(page, 'clip-h264-aac-640x360-5s.mp4')).toContainText('In OneDrive', { timeout: 120_000 });
	await expect.poll(async () => (await driveFiles(microsoft)).items.map((item) => item.path)).toContain('/Reeldrive/clip-h264-aac-640x360-5s.mp4');
}

/** Opens the uploaded clip from the product's gallery and waits until the browser can play it. */
async function playClip(page: Page) {
	const card = page.getByRole('list', { name: /^Videos of / }).getByRole('button', { name: /clip-h264-aac-640x360-5s\.mp4/ });
	await expect(card).toContainText('In OneDrive');
	await card.click();
	const video = page.getByRole('dialog', { name: 'clip-h264-aac-640x360-5s.mp4' }).locator('video');
	await expect(video).toHaveAttribute('src', /^http:\/\/localhost:4011\//);
	await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
}

test('after a browser restart, "Stay signed in? Yes" keeps OneDrive connected: upload and playback with no password', async () => {
	const profile = persistentProfile();
	try {
		const microsoft = await newMicrosoftAccount('stay');
		const { product } = await connectedAndStayingSignedIn(await profile.open(), microsoft);

		// Quit and start the browser again.
		const context = await profile.open();
		expect(await msalKeyCookie(context)).toBeUndefined();
		const page = await context.newPage();
		const signIns = watchSignIns(context, page);
		await page.goto(`/products/${product.id}`);
		await expect(page.getByRole('heading', { level: 1, name: 'Milk frother' })).toBeVisible();
		// OneDrive is reachable again (this button waits for a working connection).
		await expect(page.getByRole('button', { name: 'Link videos from OneDrive…' })).toBeEnabled();
		await expect(page.getByText('Reconnect OneDrive to play')).toHaveCount(0);

		await uploadClip(page, microsoft);
		await playClip(page);
		await page.goto('/settings');
		await expect(page.getByText('Connected', { exact: true })).toBeVisible();

		// It was the hidden iframe, for the connected account, and nobody typed a password.
		expect(signIns.frame.length).toBeGreaterThanOrEqual(1);
		expect(signIns.frame[0]!.searchParams.get('prompt')).toBe('none');
		expect(signIns.frame[0]!.searchParams.get('login_hint')).toBe(microsoft);
		expect(signIns.topLevel).toEqual([]);
		expect(signIns.passwordsPosted).toBe(0);
		expect(page.url().startsWith(MICROSOFT)).toBe(false);
	} finally {
		await profile.dispose();
	}
});

test('with Microsoft’s session ended, one click on Reconnect and the password restore upload and playback', async () => {
	const profile = persistentProfile();
	try {
		const microsoft = await newMicrosoftAccount('ended');
		const { product } = await connectedAndStayingSignedIn(await profile.open(), microsoft);

		// The browser closes, and meanwhile Microsoft's session ends (an administrator revoked it).
		const closed = await profile.open();
		await emulator('POST', `/accounts/${encodeURIComponent(microsoft)}/revoke-sign-in-sessions`);
		const page = await closed.newPage();
		const signIns = watchSignIns(closed, page);
		await page.goto(`/products/${product.id}`);

		// The silent attempt found no session: the page says so and offers one button.
		await expect(page.getByText('Microsoft wants you to sign in again')).toBeVisible();
		expect(signIns.frame.map((url) => url.searchParams.get('prompt'))).toEqual(['none']);
		// A video picked now waits on this device.
		await chooseVideos(page, [CLIP]);
		await expect(uploadItem(page, 'clip-h264-aac-640x360-5s.mp4')).toBeVisible();

		await page.getByRole('button', { name: 'Reconnect OneDrive' }).first().click();
		// Microsoft's password page for the same account, reached with no second click.
		await page.waitForURL(`${MICROSOFT}/**`);
		await expect(page.locator('#login')).toHaveValue(microsoft);
		await expect(page.getByRole('button', { name: 'Use another account' })).toHaveCount(0);
		expect(signIns.topLevel.map((url) => [url.searchParams.get('prompt'), url.searchParams.get('login_hint')])).toEqual([
			['none', microsoft],
			[null, microsoft]
		]);
		await page.locator('#password').fill(DEMO_PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page.getByRole('heading', { name: 'Stay signed in?' })).toBeVisible();
		await page.getByRole('button', { name: 'Yes', exact: true }).click();

		// Back on the product page, connected: the waiting video uploads by itself (it leaves the
		// list of unfinished uploads, queued before this page load) and it plays.
		await page.waitForURL(`${APP}/products/${product.id}`);
		await expect(page.getByRole('button', { name: 'Link videos from OneDrive…' })).toBeEnabled();
		await expect(page.getByText('Microsoft wants you to sign in again')).toHaveCount(0);
		await expect(uploadItem(page, 'clip-h264-aac-640x360-5s.mp4')).toHaveCount(0, { timeout: 120_000 });
		await expect.poll(async () => (await driveFiles(microsoft)).items.map((item) => item.path)).toContain('/Reeldrive/clip-h264-aac-640x360-5s.mp4');
		await playClip(page);
		expect(signIns.passwordsPosted).toBe(1);
	} finally {
		await profile.dispose();
	}
});

test('an upload refused twice with 401 while this page still reaches OneDrive goes on by itself, with no Reconnect to press', async ({ page }) => {
	const app = await newAppAccount('refused');
	const microsoft = await newMicrosoftAccount('refused');
	await signIn(page, app.email);
	await connectOneDrive(page, microsoft);
	await page.goto('/uploads');
	await page.evaluate(() => navigator.serviceWorker.ready);
	// The session request is refused with the cached token and with a freshly refreshed one.
	await emulator('POST', '/faults', { kind: 'createUploadSession', probability: 1, count: 2, status: 401, code: 'InvalidAuthenticationToken' });
	try {
		await chooseVideos(page, [CLIP]);
		await expect(uploadItem(page, 'clip-h264-aac-640x360-5s.mp4')).toContainText('In OneDrive', { timeout: 60_000 });
	} finally {
		await emulator('DELETE', '/faults');
	}
	const files = (await driveFiles(microsoft)).items.filter((item) => item.path.endsWith('/clip-h264-aac-640x360-5s.mp4'));
	expect(files).toHaveLength(1);
});
