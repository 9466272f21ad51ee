import { expect, test } from '@playwright/test';
import {
	DEMO_PASSWORD,
	completeMicrosoftSignIn,
	connectOneDrive,
	emulator,
	msalTokenKeys,
	newAppAccount,
	newMicrosoftAccount,
	rest,
	signIn,
	uniqueName
} from './support/stack';

test.describe('signing in to Reeldrive', () => {
	test('sign-up, sign-out and sign-in, with a deep link that survives the detour', async ({ page }) => {
		const email = `${uniqueName('new')}@reeldrive.test`;
		await page.goto('/uploads?view=failed');
		await expect(page).toHaveURL(/\/sign-in\?next=%2Fuploads%3Fview%3Dfailed$/);
		await page.getByRole('link', { name: 'Create an account' }).click();
		// The sign-in form has the same fields: fill them only once the sign-up page replaced it.
		await expect(page.getByRole('heading', { level: 1, name: 'Create your Reeldrive account' })).toBeVisible();
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password').fill(DEMO_PASSWORD);
		await page.getByRole('button', { name: 'Create account' }).click();
		await expect(page).toHaveURL(/\/uploads\?view=failed$/);
		await expect(page.getByText(email)).toBeVisible();

		// The session is remembered across reloads.
		await page.reload();
		await expect(page.getByRole('heading', { level: 1, name: 'Uploads' })).toBeVisible();

		await page.getByRole('button', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(/\/sign-in/);
		await page.goto('/settings');
		await expect(page).toHaveURL(/\/sign-in\?next=%2Fsettings$/);
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password').fill(DEMO_PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page).toHaveURL(/\/settings$/);
	});

	test('explains a wrong password, an existing account and a weak password in words', async ({ page }) => {
		const account = await newAppAccount('taken');
		await page.goto('/sign-in');
		await page.getByLabel('Email').fill(account.email);
		await page.getByLabel('Password').fill('not-the-password');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page.getByRole('alert')).toHaveText(/email and password do not match/);

		await page.goto('/sign-up');
		await page.getByLabel('Email').fill(account.email);
		await page.getByLabel('Password').fill(DEMO_PASSWORD);
		await page.getByRole('button', { name: 'Create account' }).click();
		await expect(page.getByRole('alert')).toHaveText(/already exists/);

		await page.getByLabel('Email').fill(`${uniqueName('weak')}@reeldrive.test`);
		await page.getByLabel('Password').fill('abc');
		await page.getByLabel('Password').evaluate((input: HTMLInputElement) => input.removeAttribute('minlength'));
		await page.getByRole('button', { name: 'Create account' }).click();
		await expect(page.getByRole('alert')).toHaveText(/stronger password/);
	});

	test('says so when Reeldrive cannot be reached', async ({ page, context }) => {
		const account = await newAppAccount('offline');
		await page.goto('/sign-in');
		await context.route('http://localhost:54321/**', (route) => route.abort('internetdisconnected'));
		await page.getByLabel('Email').fill(account.email);
		await page.getByLabel('Password').fill(DEMO_PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page.getByRole('alert')).toHaveText(/cannot be reached/);
	});
});

test.describe('connecting OneDrive', () => {
	test('connects through Microsoft sign-in and shows the account, drive and quota; the row holds no token', async ({ page }) => {
		const app = await newAppAccount('connect');
		const microsoft = await newMicrosoftAccount('connect');
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);

		await expect(page.getByText(`(${microsoft})`)).toBeVisible();
		await expect(page.getByText('OneDrive (personal)')).toBeVisible();
		await expect(page.getByRole('meter', { name: 'OneDrive storage' })).toBeVisible();
		await expect(page.getByText(/of 5\.\d GB used/)).toBeVisible();

		const rows = await rest<Record<string, unknown>[]>(app, 'GET', 'onedrive_connections?select=*');
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ status: 'connected', microsoft_username: microsoft, drive_type: 'personal' });
		const stored = JSON.stringify(rows[0]);
		const tokens = await page.evaluate(() => Object.keys(localStorage).filter((key) => /accesstoken|refreshtoken/.test(key)).map((key) => localStorage.getItem(key)));
		expect(tokens.length).toBeGreaterThan(0);
		expect(stored).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT of any kind in the database
	});

	test('says so in words when the person cancels at Microsoft', async ({ page }) => {
		const app = await newAppAccount('cancel');
		await signIn(page, app.email, '/settings');
		await page.getByRole('button', { name: 'Connect OneDrive' }).click();
		await page.waitForURL('http://localhost:4010/**');
		await page.getByRole('button', { name: 'Cancel' }).click();
		await page.waitForURL('http://localhost:5173/settings');
		await expect(page.getByRole('alert')).toHaveText(/cancelled|was not given access/);
		await expect(page.getByRole('button', { name: 'Connect OneDrive' })).toBeVisible();
	});

	test('browses folders page by page past 200, creates one, chooses it, and the choice survives a reload', async ({ page }) => {
		const app = await newAppAccount('picker');
		const microsoft = await newMicrosoftAccount('picker');
		const many = Array.from({ length: 230 }, (_, i) => ({ name: `Product ${String(i).padStart(3, '0')}`, children: [] }));
		await emulator('POST', `/drives/${encodeURIComponent(microsoft)}/seed`, { path: '/Catalogue', items: many });
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);

		await page.getByRole('button', { name: 'Choose folder' }).click();
		const folders = page.getByRole('list', { name: /Folders in/ });
		await folders.getByRole('button', { name: /Catalogue/ }).click();
		await expect(page.getByRole('navigation', { name: 'Folder path' })).toContainText('Catalogue');
		await expect(folders.getByRole('button')).toHaveCount(200);
		await page.getByRole('button', { name: 'Load more' }).click();
		await expect(folders.getByRole('button')).toHaveCount(230);
		await expect(page.getByRole('button', { name: 'Load more' })).toHaveCount(0);

		await page.getByLabel(/New folder in Catalogue/).fill('Bad:name');
		await page.getByRole('button', { name: 'Create folder' }).click();
		await expect(page.getByRole('alert')).toHaveText(/does not allow the name/);

		await page.getByLabel(/New folder in Catalogue/).fill('Blenders 2026');
		await page.getByRole('button', { name: 'Create folder' }).click();
		await expect(page.getByRole('navigation', { name: 'Folder path' })).toContainText('Blenders 2026');
		await expect(page.getByText(/No folders here/)).toBeVisible();
		await page.getByRole('button', { name: 'Use “/Catalogue/Blenders 2026”' }).click();
		await expect(page.getByText('/Catalogue/Blenders 2026', { exact: true })).toBeVisible();

		await page.reload();
		await expect(page.getByText('/Catalogue/Blenders 2026', { exact: true })).toBeVisible();
		const files = await emulator<{ items: { path: string; folder: boolean }[] }>('GET', `/drives/${encodeURIComponent(microsoft)}/files`);
		expect(files.items).toContainEqual(expect.objectContaining({ path: '/Catalogue/Blenders 2026', folder: true }));
	});

	test('notices when the chosen folder was deleted in OneDrive and asks to choose again', async ({ page }) => {
		const app = await newAppAccount('gone');
		const microsoft = await newMicrosoftAccount('gone');
		await emulator('POST', `/drives/${encodeURIComponent(microsoft)}/seed`, { path: '/', items: [{ name: 'Doomed', children: [] }] });
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		await page.getByRole('button', { name: 'Choose folder' }).click();
		await page.getByRole('list', { name: /Folders in/ }).getByRole('button', { name: /Doomed/ }).click();
		await page.getByRole('button', { name: 'Use “/Doomed”' }).click();
		await expect(page.getByText('/Doomed', { exact: true })).toBeVisible();

		// Delete it behind Reeldrive's back, through Graph with a token from the password grant.
		const token = await microsoftToken(microsoft);
		const folder = await (await fetch('http://localhost:4010/v1.0/me/drive/root:/Doomed', { headers: { Authorization: `Bearer ${token}` } })).json();
		const deleted = await fetch(`http://localhost:4010/v1.0/me/drive/items/${folder.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
		expect(deleted.status).toBe(204);

		await page.reload();
		await expect(page.getByRole('alert')).toHaveText(/was moved or deleted in OneDrive\. Choose a folder/);
	});

	test('renews an expired access token silently', async ({ page }) => {
		const app = await newAppAccount('renew');
		const microsoft = await newMicrosoftAccount('renew');
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		let tokenRequests = 0;
		page.on('request', (request) => {
			if (request.url().includes('/oauth2/v2.0/token')) tokenRequests++;
		});

		// Two hours later by Microsoft's clock: the access token MSAL cached has expired.
		await emulator('POST', '/clock/advance', { seconds: 2 * 3600 });
		await page.reload();
		await expect(page.getByText('Connected', { exact: true })).toBeVisible();
		await expect(page.getByRole('meter', { name: 'OneDrive storage' })).toBeVisible();
		expect(tokenRequests).toBeGreaterThan(0);
		await expect(page.getByRole('button', { name: 'Reconnect OneDrive' })).toHaveCount(0);
	});

	test('a revoked sign-in leads to one calm reconnect prompt, and reconnecting restores it', async ({ page }) => {
		const app = await newAppAccount('revoked');
		const microsoft = await newMicrosoftAccount('revoked');
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);

		// As an administrator's "revoke sessions" (or a password reset) does: the refresh tokens and
		// Microsoft's own session in this browser, so no silent sign-in can restore the connection.
		await emulator('POST', `/accounts/${encodeURIComponent(microsoft)}/revoke-sign-in-sessions`);
		await emulator('POST', '/clock/advance', { seconds: 2 * 3600 });
		await page.reload();
		await expect(page.getByText('Needs you to sign in again')).toBeVisible();
		await expect(page.getByRole('button', { name: 'Reconnect OneDrive' })).toHaveCount(1);
		await expect(page).toHaveURL(/localhost:5173\/settings$/); // no redirect loop to Microsoft
		const [row] = await rest<{ status: string }[]>(app, 'GET', 'onedrive_connections?select=status');
		expect(row?.status).toBe('needs_reauth');

		await page.getByRole('button', { name: 'Reconnect OneDrive' }).click();
		await completeMicrosoftSignIn(page, microsoft);
		await page.waitForURL('http://localhost:5173/settings');
		await expect(page.getByText('Connected', { exact: true })).toBeVisible();
	});

	test('disconnect removes every Microsoft token from the browser but keeps videos and files', async ({ page }) => {
		const app = await newAppAccount('disconnect');
		const microsoft = await newMicrosoftAccount('disconnect');
		await signIn(page, app.email);
		await connectOneDrive(page, microsoft);
		const [connection] = await rest<{ drive_id: string }[]>(app, 'GET', 'onedrive_connections?select=drive_id');
		await rest(app, 'POST', 'videos', { drive_id: connection!.drive_id, item_id: 'kept-1', name: 'kept.mp4', size_bytes: 1000, status: 'synced' });
		const before = await emulator<{ items: unknown[] }>('GET', `/drives/${encodeURIComponent(microsoft)}/files`);

		await page.getByRole('button', { name: 'Disconnect OneDrive' }).click();
		await expect(page.getByText('Disconnected', { exact: true })).toBeVisible();
		expect(await msalTokenKeys(page)).toEqual([]);
		const [row] = await rest<{ status: string; disconnected_at: string | null }[]>(app, 'GET', 'onedrive_connections?select=status,disconnected_at');
		expect(row?.status).toBe('disconnected');
		expect(row?.disconnected_at).not.toBeNull();
		expect(await rest<unknown[]>(app, 'GET', 'videos?select=id&item_id=eq.kept-1')).toHaveLength(1);
		const after = await emulator<{ items: unknown[] }>('GET', `/drives/${encodeURIComponent(microsoft)}/files`);
		expect(after.items).toEqual(before.items);

		// Reconnecting another Microsoft account warns that existing videos live elsewhere.
		const other = await newMicrosoftAccount('other');
		await connectOneDrive(page, other);
		await expect(page.getByRole('alert')).toHaveText(new RegExp(`different Microsoft account[\\s\\S]*${microsoft.replace(/[.]/g, '\\.')}`));
	});
});

test.describe('one browser, two people', () => {
	test("bob never sees alice's connection, and cannot use her Microsoft account after she signs out", async ({ page }) => {
		const alice = await newAppAccount('alice');
		const bob = await newAppAccount('bob');
		const aliceMicrosoft = await newMicrosoftAccount('alice');
		await signIn(page, alice.email);
		await connectOneDrive(page, aliceMicrosoft);
		await page.getByRole('button', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(/\/sign-in/);
		expect(await msalTokenKeys(page)).toEqual([]);

		await signIn(page, bob.email, '/settings');
		await expect(page.getByRole('button', { name: 'Connect OneDrive' })).toBeVisible();
		await expect(page.getByText(aliceMicrosoft)).toHaveCount(0);
		const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
		expect(storage).not.toContain(aliceMicrosoft);
		expect(await rest<unknown[]>(bob, 'GET', 'onedrive_connections?select=*')).toEqual([]);
		expect(await rest<unknown[]>(alice, 'GET', 'onedrive_connections?select=*')).toHaveLength(1);
	});

	test("a new app user on a browser where someone else's Microsoft sign-in was left behind starts clean", async ({ page }) => {
		const alice = await newAppAccount('left');
		const bob = await newAppAccount('next');
		await signIn(page, alice.email);
		await connectOneDrive(page, await newMicrosoftAccount('left'));
		// Alice's Reeldrive session ends without signing out (closed tab, expired session).
		await page.evaluate(() => localStorage.removeItem('reeldrive.auth'));
		await page.goto('/sign-in');
		expect((await msalTokenKeys(page)).length).toBeGreaterThan(0);
		await signIn(page, bob.email, '/settings');
		await expect(page.getByRole('button', { name: 'Connect OneDrive' })).toBeVisible();
		expect(await msalTokenKeys(page)).toEqual([]);
	});
});

async function microsoftToken(email: string): Promise<string> {
	const response = await fetch('http://localhost:4010/organizations/oauth2/v2.0/token', {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'password',
			client_id: '5e2f7c1a-9b3d-4c8e-a1f0-7d6b2e9c4a10',
			username: email,
			password: DEMO_PASSWORD,
			scope: 'Files.ReadWrite User.Read'
		})
	});
	const body = (await response.json()) as { access_token?: string };
	if (!body.access_token) throw new Error(`password grant failed: ${JSON.stringify(body)}`);
	return body.access_token;
}
