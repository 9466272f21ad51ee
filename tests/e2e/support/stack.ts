/**
 * Helpers for end-to-end tests against the local stack that Playwright starts: the emulators'
 * control APIs, fresh accounts per test, and the sign-in steps a person takes.
 */
import { expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const APP = 'http://localhost:5173';
export const MICROSOFT = 'http://localhost:4010';
export const SUPABASE = 'http://localhost:54321';
export const DEMO_PASSWORD = 'reeldrive-demo';

export const ANON_KEY = /^PUBLIC_SUPABASE_ANON_KEY=(.+)$/m.exec(readFileSync('.env.development', 'utf8'))![1]!.trim();

/** Calls the Microsoft emulator's control API. */
export async function emulator<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${MICROSOFT}/_emulator${path}`, {
		method,
		// The control API wants this on every change, bodiless ones (reset, DELETE) included.
		headers: { 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
	return (await response.json()) as T;
}

export function uniqueName(prefix: string): string {
	return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A Microsoft account of its own for one test, so tests never disturb each other. */
export async function newMicrosoftAccount(prefix = 'ms'): Promise<string> {
	const email = `${uniqueName(prefix)}@contoso.test`;
	await emulator('POST', '/accounts', { email, password: DEMO_PASSWORD, displayName: `Test ${prefix}` });
	return email;
}

export interface AppAccount {
	email: string;
	userId: string;
	accessToken: string;
}

/** A Reeldrive account of its own for one test, created through Supabase Auth's API. */
export async function newAppAccount(prefix = 'user'): Promise<AppAccount> {
	const email = `${uniqueName(prefix)}@reeldrive.test`;
	const response = await fetch(`${SUPABASE}/auth/v1/signup`, {
		method: 'POST',
		headers: { apikey: ANON_KEY, 'Content-Type': 'application/json' },
		body: JSON.stringify({ email, password: DEMO_PASSWORD })
	});
	const body = (await response.json()) as { access_token: string; user: { id: string } };
	if (!response.ok) throw new Error(`sign-up failed: ${JSON.stringify(body)}`);
	return { email, userId: body.user.id, accessToken: body.access_token };
}

/** A PostgREST call as the given app user (RLS applies). */
export async function rest<T = unknown>(account: AppAccount, method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${SUPABASE}/rest/v1/${path}`, {
		method,
		headers: {
			apikey: ANON_KEY,
			Authorization: `Bearer ${account.accessToken}`,
			'Content-Type': 'application/json',
			Prefer: 'return=representation'
		},
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`rest ${method} ${path}: ${response.status} ${text}`);
	return (text ? JSON.parse(text) : null) as T;
}

export async function signIn(page: Page, email: string, path = '/products'): Promise<void> {
	await page.goto(path);
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(DEMO_PASSWORD);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

/**
 * Fills the Microsoft emulator's sign-in and consent pages, as a person would. "Stay signed in?"
 * is answered No unless `staySignedIn` says Yes.
 */
export async function completeMicrosoftSignIn(page: Page, email: string, options: { staySignedIn?: boolean } = {}): Promise<void> {
	await page.waitForURL(`${MICROSOFT}/**`);
	// With a Microsoft session in this browser, the account picker comes first.
	const known = page.getByRole('button', { name: new RegExp(email.replace(/[.]/g, '\\.')) });
	const other = page.getByRole('button', { name: 'Use another account' });
	await expect(page.locator('#login').or(known).or(other).first()).toBeVisible();
	if (await known.isVisible()) {
		await known.click();
	} else {
		if (await other.isVisible()) await other.click();
		await page.locator('#login').fill(email);
		await page.locator('#password').fill(DEMO_PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		// "Stay signed in?" follows every password sign-in; No keeps the Microsoft session to this
		// browser session, as before the emulator asked.
		await expect(page.getByRole('heading', { name: 'Stay signed in?' })).toBeVisible();
		await page.getByRole('button', { name: options.staySignedIn ? 'Yes' : 'No', exact: true }).click();
	}
	const accept = page.getByRole('button', { name: 'Accept' });
	await page.waitForLoadState();
	if (await accept.isVisible().catch(() => false)) await accept.click();
}

export async function connectOneDrive(page: Page, microsoftEmail: string, options: { staySignedIn?: boolean } = {}): Promise<void> {
	await page.goto('/settings');
	const button = page.getByRole('button', { name: /^(Connect|Reconnect) OneDrive$/ });
	const connected = page.getByText('Connected', { exact: true });
	await expect(button.or(connected).first()).toBeVisible();
	// Signing in to Reeldrive again where Microsoft's session for this account is still alive
	// restores the connection by itself (a silent sign-in): nothing left to click.
	if ((await connected.isVisible()) && (await page.getByText(`(${microsoftEmail})`).isVisible())) return;
	await button.click();
	await completeMicrosoftSignIn(page, microsoftEmail, options);
	await page.waitForURL(`${APP}/settings`);
	await expect(page.getByText('Connected', { exact: true })).toBeVisible();
}

/** Keys of MSAL's browser cache that hold tokens, in localStorage and sessionStorage. */
export async function msalTokenKeys(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const keys: string[] = [];
		for (const storage of [localStorage, sessionStorage]) {
			for (let i = 0; i < storage.length; i++) {
				const key = storage.key(i)!;
				const value = storage.getItem(key) ?? '';
				if (/accesstoken|refreshtoken|idtoken/i.test(key) || /"credentialType"\s*:\s*"(AccessToken|RefreshToken|IdToken)/i.test(value)) {
					keys.push(key);
				}
			}
		}
		return keys;
	});
}

/** A Graph call as a Microsoft account (password grant, for scripts): a change made "outside Reeldrive". */
export async function graphAs<T = unknown>(email: string, method: string, path: string, body?: BodyInit | object, contentType?: string): Promise<T> {
	const tokenResponse = await fetch(`${MICROSOFT}/organizations/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'password',
			client_id: /^PUBLIC_MS_CLIENT_ID=(.+)$/m.exec(readFileSync('.env.development', 'utf8'))![1]!.trim(),
			username: email,
			password: DEMO_PASSWORD,
			scope: 'Files.ReadWrite User.Read'
		})
	});
	const token = ((await tokenResponse.json()) as { access_token?: string }).access_token;
	if (!token) throw new Error(`password grant failed for ${email}`);
	const isJson = body !== undefined && !(body instanceof Uint8Array) && typeof body === 'object' && !(body instanceof Blob);
	const response = await fetch(`${MICROSOFT}/v1.0${path}`, {
		method,
		headers: {
			Authorization: `Bearer ${token}`,
			...(body === undefined ? {} : { 'Content-Type': contentType ?? (isJson ? 'application/json' : 'application/octet-stream') })
		},
		body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as BodyInit)
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`graph ${method} ${path}: ${response.status} ${text}`);
	return (text ? JSON.parse(text) : null) as T;
}

/** Puts a real sample video into a Microsoft account's OneDrive (simple upload), as if copied there by hand. */
export async function putVideo(email: string, folderPath: string, name: string, fixture: string): Promise<{ id: string; name: string; webUrl: string }> {
	// Path uploads need their folder to exist; make each level, keeping any already there.
	let parent = '/me/drive/root';
	for (const folder of folderPath.split('/').filter(Boolean)) {
		const made = await graphAs<{ id: string }>(email, 'POST', `${parent}/children`, {
			name: folder,
			folder: {},
			'@microsoft.graph.conflictBehavior': 'fail'
		}).catch(() => graphAs<{ id: string }>(email, 'GET', `${parent}:/${encodeURIComponent(folder)}`));
		parent = `/me/drive/items/${encodeURIComponent(made.id)}`;
	}
	const path = `${folderPath.replace(/\/+$/, '')}/${name}`.split('/').filter(Boolean).map(encodeURIComponent).join('/');
	return graphAs(email, 'PUT', `/me/drive/root:/${path}:/content`, new Uint8Array(readFileSync(fixture)), 'video/mp4');
}

/** A product owned by the given app user, made through the REST API. */
export async function createProduct(account: AppAccount, fields: { title: string; asin?: string | null; brand?: string | null }): Promise<{ id: string; title: string }> {
	const [row] = await rest<{ id: string; title: string }[]>(account, 'POST', 'products', fields);
	return row!;
}

/** Videos rows (any status) for a product, made through the REST API; no OneDrive file behind them. */
export async function seedVideoRows(account: AppAccount, productId: string, count: number, status = 'queued'): Promise<void> {
	const rows = Array.from({ length: count }, (_, i) => ({
		product_id: productId,
		drive_id: 'seeded-drive',
		item_id: status === 'synced' || status === 'missing' ? `seeded-${productId}-${i}` : null,
		name: `Seeded clip ${String(i + 1).padStart(4, '0')}.mp4`,
		size_bytes: 10_000_000 + i,
		duration_ms: 5_000 + i * 1000,
		width: i % 3 === 0 ? 1080 : 1920,
		height: i % 3 === 0 ? 1920 : 1080,
		status,
		created_at: new Date(Date.UTC(2026, 0, 1) + (count - i) * 60_000).toISOString()
	}));
	for (let from = 0; from < rows.length; from += 500) await rest(account, 'POST', 'videos', rows.slice(from, from + 500));
}
