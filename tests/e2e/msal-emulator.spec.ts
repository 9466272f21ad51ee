// @azure/msal-browser, unchanged, against the local Microsoft emulator in Chromium: redirect
// sign-in with PKCE, a silent token from the cache, a forced refresh, and "Stay signed in?"
// with MSAL's hidden-iframe sign-in (ssoSilent) and a top-level prompt=none redirect after a
// browser restart, until a logout ends the session. The spec starts its own
// emulator (free ports, temporary data) and serves its own tiny page, so it needs nothing else
// running. MSAL refuses http authorities, so the page uses the set-up from the platform notes:
// an https authority on a never-contacted host, knownAuthorities, and authorityMetadata pointing
// at the emulator's http endpoints.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { CLIENT_ID, startMicrosoftEmulator, type MicrosoftEmulator } from '../../emulators/microsoft/src/index';

test.use({
	browserName: 'chromium',
	baseURL: undefined,
	launchOptions: {
		executablePath: '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
	}
});
test.describe.configure({ mode: 'serial' });

const MSAL_BUNDLE = readFileSync(new URL('../../node_modules/@azure/msal-browser/lib/msal-browser.min.js', import.meta.url));
// MSAL 5 reads a hidden iframe's answer from a redirect page that runs its bridge (BroadcastChannel).
const BRIDGE_BUNDLE = readFileSync(new URL('../../node_modules/@azure/msal-browser/lib/redirect-bridge/msal-redirect-bridge.min.js', import.meta.url));
const BRIDGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>bridge</title><script src="/msal-redirect-bridge.js"></script></head>
<body><script>msalRedirectBridge.broadcastResponseToMainFrame();</script></body></html>`;
const SCOPES = ['Files.ReadWrite', 'User.Read'];

function pageHtml(emulatorUrl: string): string {
	const metadata = {
		issuer: `${emulatorUrl}/{tenantid}/v2.0`,
		authorization_endpoint: `${emulatorUrl}/common/oauth2/v2.0/authorize`,
		token_endpoint: `${emulatorUrl}/common/oauth2/v2.0/token`,
		end_session_endpoint: `${emulatorUrl}/common/oauth2/v2.0/logout`,
		jwks_uri: `${emulatorUrl}/common/discovery/v2.0/keys`
	};
	return `<!doctype html><html><head><meta charset="utf-8"><title>MSAL emulator check</title>
<script src="/msal-browser.js"></script></head><body><p id="status">loading</p>
<script>
const scopes = ${JSON.stringify(SCOPES)};
const pca = new msal.PublicClientApplication({
  auth: {
    clientId: ${JSON.stringify(CLIENT_ID)},
    authority: 'https://login.reeldrive.invalid/common',
    knownAuthorities: ['login.reeldrive.invalid'],
    authorityMetadata: ${JSON.stringify(JSON.stringify(metadata))},
    redirectUri: location.origin + '/'
  },
  cache: { cacheLocation: 'localStorage' }
});
const summary = (r) => r && ({ username: r.account && r.account.username, homeAccountId: r.account && r.account.homeAccountId,
  tenantId: r.tenantId, scopes: r.scopes, accessToken: r.accessToken, fromCache: r.fromCache, idTokenClaims: r.idTokenClaims });
window.app = {
  ready: pca.initialize().then(() => pca.handleRedirectPromise()).then((r) => { window.app.redirectResult = summary(r); },
    (e) => { window.app.redirectResult = null; window.app.redirectError = e.errorCode; }).then(() => { document.getElementById('status').textContent = 'ready'; }),
  login: () => pca.loginRedirect({ scopes }),
  loginNoPrompt: (loginHint) => pca.loginRedirect({ scopes, prompt: 'none', loginHint }),
  pickAccount: () => pca.loginRedirect({ scopes, prompt: 'select_account' }),
  logout: () => pca.logoutRedirect({ account: pca.getAllAccounts()[0], postLogoutRedirectUri: location.origin + '/' }),
  silent: (forceRefresh) => pca.acquireTokenSilent({ scopes, account: pca.getAllAccounts()[0], forceRefresh }).then(summary),
  ssoSilent: (options) => pca.ssoSilent({ scopes, redirectUri: location.origin + '/bridge', loginHint: options.loginHint, domainHint: options.domainHint,
    account: options.useAccount ? pca.getAllAccounts()[0] : undefined }).then(summary, (e) => ({ errorCode: e.errorCode })),
  accounts: () => pca.getAllAccounts().map((a) => a.username),
  me: (token) => fetch(${JSON.stringify(`${emulatorUrl}/v1.0/me`)}, { headers: { Authorization: 'Bearer ' + token } }).then((r) => r.json())
};
</script></body></html>`;
}

interface TokenSummary {
	username?: string;
	homeAccountId?: string;
	scopes: string[];
	accessToken: string;
	fromCache: boolean;
	idTokenClaims: { oid: string; tid: string };
}

/** What the test page puts on window.app. */
interface PageApp {
	ready: Promise<void>;
	redirectResult?: TokenSummary | null;
	redirectError?: string;
	login(): Promise<void>;
	loginNoPrompt(loginHint: string): Promise<void>;
	pickAccount(): Promise<void>;
	logout(): Promise<void>;
	silent(forceRefresh: boolean): Promise<TokenSummary>;
	ssoSilent(options: { loginHint?: string; domainHint?: string; useAccount?: boolean }): Promise<TokenSummary & { errorCode?: string }>;
	accounts(): string[];
	me(token: string): Promise<{ userPrincipalName: string }>;
}

let emulator: MicrosoftEmulator;
let site: Server;
let siteUrl: string;
let dataDir: string;

test.beforeAll(async () => {
	dataDir = await mkdtemp(join(tmpdir(), 'msal-emulator-e2e-'));
	emulator = await startMicrosoftEmulator({ port: 0, contentPort: 0, dataDir, quiet: true });
	site = createServer((req, res) => {
		if (req.url === '/msal-browser.js' || req.url === '/msal-redirect-bridge.js') {
			const bundle = req.url === '/msal-browser.js' ? MSAL_BUNDLE : BRIDGE_BUNDLE;
			res.writeHead(200, { 'Content-Type': 'text/javascript', 'Content-Length': bundle.length });
			res.end(bundle);
			return;
		}
		if (req.url?.startsWith('/bridge')) {
			res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
			res.end(BRIDGE_HTML);
			return;
		}
		const html = pageHtml(emulator.url);
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
		res.end(html);
	});
	await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
	siteUrl = `http://localhost:${(site.address() as AddressInfo).port}/`;
	const response = await fetch(`${emulator.url}/_emulator/redirect-uris`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ uris: [siteUrl, `${siteUrl}bridge`] })
	});
	expect(response.ok).toBe(true);
});

test.afterAll(async () => {
	await new Promise<void>((resolve) => site?.close(() => resolve()));
	await emulator?.close();
	await rm(dataDir, { recursive: true, force: true });
});

test('MSAL signs in by redirect with PKCE, then gets tokens silently and by forced refresh', async ({ page }) => {
	const tokenRequests: string[] = [];
	const authorizeUrls: string[] = [];
	page.on('request', (request) => {
		if (request.url().startsWith(`${emulator.url}/common/oauth2/v2.0/token`)) tokenRequests.push(request.postData() ?? '');
		if (request.url().startsWith(`${emulator.url}/common/oauth2/v2.0/authorize`) && request.method() === 'GET') authorizeUrls.push(request.url());
		expect(request.url()).not.toContain('login.microsoftonline.com');
		expect(request.url()).not.toContain('reeldrive.invalid');
	});

	await page.goto(siteUrl);
	await page.evaluate(() => (window as unknown as { app: PageApp }).app.ready);
	expect(await page.evaluate(() => (window as unknown as { app: PageApp }).app.accounts())).toEqual([]);

	// Redirect to the emulator's sign-in page, sign in, consent.
	await page.evaluate(() => {
		void (window as unknown as { app: PageApp }).app.login(); // navigates away; nothing to await here
	});
	await page.waitForURL(`${emulator.url}/**`);
	const authorize = new URL(authorizeUrls[0]!);
	expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
	expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
	expect(authorize.searchParams.get('response_mode')).toBe('fragment');
	await page.getByLabel('Email').fill('alice@contoso.test');
	await page.getByLabel('Password').fill('reeldrive-demo');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('heading', { name: 'Stay signed in?' })).toBeVisible();
	await page.getByRole('button', { name: 'No', exact: true }).click();
	await expect(page.getByRole('heading', { name: 'Permissions requested' })).toBeVisible();
	await Promise.all([page.waitForURL(`${siteUrl}**`), page.getByRole('button', { name: 'Accept' }).click()]);
	await page.waitForFunction(() => (window as unknown as { app: PageApp }).app?.redirectResult !== undefined);
	await page.evaluate(() => (window as unknown as { app: PageApp }).app.ready);

	const signedIn = (await page.evaluate(() => (window as unknown as { app: PageApp }).app.redirectResult))!;
	expect(signedIn).toBeTruthy();
	expect(signedIn.username).toBe('alice@contoso.test');
	expect(signedIn.scopes).toEqual(expect.arrayContaining(SCOPES));
	expect(signedIn.homeAccountId).toBe(`${signedIn.idTokenClaims.oid}.${signedIn.idTokenClaims.tid}`);
	expect(tokenRequests).toHaveLength(1);
	expect(tokenRequests[0]).toContain('grant_type=authorization_code');
	expect(tokenRequests[0]).toContain('code_verifier=');

	// Silent: from MSAL's cache, no network.
	const cached = await page.evaluate(() => (window as unknown as { app: PageApp }).app.silent(false));
	expect(cached.fromCache).toBe(true);
	expect(cached.accessToken).toBe(signedIn.accessToken);
	expect(tokenRequests).toHaveLength(1);

	// Forced refresh: a refresh-token grant, and a new access token that Graph accepts.
	const refreshed = await page.evaluate(() => (window as unknown as { app: PageApp }).app.silent(true));
	expect(refreshed.fromCache).toBe(false);
	expect(refreshed.accessToken).not.toBe(signedIn.accessToken);
	expect(tokenRequests).toHaveLength(2);
	expect(tokenRequests[1]).toContain('grant_type=refresh_token');
	const me = await page.evaluate((token) => (window as unknown as { app: PageApp }).app.me(token), refreshed.accessToken);
	expect(me.userPrincipalName).toBe('alice@contoso.test');
});

const app = (page: Page) => ({
	ready: () => page.evaluate(() => (window as unknown as { app: PageApp }).app.ready),
	ssoSilent: (options: { loginHint?: string; domainHint?: string; useAccount?: boolean }) => page.evaluate((o) => (window as unknown as { app: PageApp }).app.ssoSilent(o), options),
	me: (token: string) => page.evaluate((t) => (window as unknown as { app: PageApp }).app.me(t), token)
});

/** Redirect sign-in through the emulator's pages, answering "Stay signed in?" as told. */
async function signInAnswering(page: Page, staySignedIn: boolean): Promise<void> {
	await page.goto(siteUrl);
	await app(page).ready();
	await page.evaluate(() => {
		void (window as unknown as { app: PageApp }).app.login(); // navigates away
	});
	await page.waitForURL(`${emulator.url}/**`);
	await page.getByLabel('Email').fill('alice@contoso.test');
	await page.getByLabel('Password').fill('reeldrive-demo');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('heading', { name: 'Stay signed in?' })).toBeVisible();
	await page.getByRole('button', { name: staySignedIn ? 'Yes' : 'No', exact: true }).click();
	// Consent comes first if this account has not given it yet (a run of this test alone).
	const consent = page.getByRole('heading', { name: 'Permissions requested' });
	await expect(consent.or(page.locator('#status'))).toBeVisible();
	if (await consent.isVisible()) await page.getByRole('button', { name: 'Accept' }).click();
	await page.waitForURL(`${siteUrl}**`);
	await page.waitForFunction(() => (window as unknown as { app: PageApp }).app?.redirectResult !== undefined);
}

async function sessionCookie(context: BrowserContext) {
	return (await context.cookies(emulator.url)).find((c) => c.name === `msemu_session_${new URL(emulator.url).port}`);
}

/**
 * A browser restart: a new context holding only the cookies that had an expiry (Playwright reports
 * session cookies with expires -1). Storage starts empty, so MSAL has no cached tokens and
 * ssoSilent has to go through the hidden iframe and the emulator's session.
 */
async function restart(browser: Browser, context: BrowserContext): Promise<BrowserContext> {
	const kept = (await context.cookies()).filter((c) => c.expires > 0);
	await context.close();
	const next = await browser.newContext();
	await next.addCookies(kept);
	return next;
}

/** The authorize requests a page's hidden iframes make, with their answers' frame headers. */
function watchIframeAuthorize(page: Page): Array<{ url: URL; frameOptions?: string }> {
	const seen: Array<{ url: URL; frameOptions?: string }> = [];
	page.on('response', (response) => {
		const request = response.request();
		if (request.url().startsWith(`${emulator.url}/common/oauth2/v2.0/authorize`) && request.frame() !== page.mainFrame()) {
			seen.push({ url: new URL(request.url()), frameOptions: response.headers()['x-frame-options'] });
		}
	});
	return seen;
}

test('"Stay signed in?" Yes: Chromium keeps the Secure, SameSite=None cookie on http://localhost, and after a restart the hidden iframe signs in', async ({ browser }) => {
	const first = await browser.newContext();
	await signInAnswering(await first.newPage(), true);
	const cookie = (await sessionCookie(first))!;
	expect(cookie).toBeTruthy();
	expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'None', path: '/' });
	expect(cookie.expires).toBeGreaterThan(Date.now() / 1000 + 89 * 86400);

	const second = await restart(browser, first);
	try {
		const page = await second.newPage();
		const iframeRequests = watchIframeAuthorize(page);
		await page.goto(siteUrl);
		await app(page).ready();
		const byHint = await app(page).ssoSilent({ loginHint: 'alice@contoso.test' });
		expect(byHint.errorCode).toBeUndefined();
		expect(byHint.username).toBe('alice@contoso.test');
		expect(byHint.fromCache).toBe(false);
		// MSAL's own hint for a known account: the id_token's opaque login_hint claim.
		const byAccount = await app(page).ssoSilent({ useAccount: true });
		expect(byAccount.username).toBe('alice@contoso.test');
		expect((await app(page).me(byAccount.accessToken)).userPrincipalName).toBe('alice@contoso.test');
		expect(iframeRequests).toHaveLength(2);
		for (const { url, frameOptions } of iframeRequests) {
			expect(url.searchParams.get('prompt')).toBe('none');
			expect(url.searchParams.get('response_mode')).toBe('fragment');
			expect(frameOptions).toBeUndefined();
		}
		expect(iframeRequests[0]!.url.searchParams.get('login_hint')).toBe('alice@contoso.test');
		expect(iframeRequests[1]!.url.searchParams.get('login_hint')).not.toContain('@');
	} finally {
		await second.close();
	}
});

test('"Stay signed in?" No: the hidden iframe signs in while the browser is open, and gets login_required after a restart', async ({ browser }) => {
	const first = await browser.newContext();
	const page = await first.newPage();
	await signInAnswering(page, false);
	const cookie = (await sessionCookie(first))!;
	expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'None', expires: -1 });
	// Same browser: the same-site iframe gets the session cookie.
	expect((await app(page).ssoSilent({ loginHint: 'alice@contoso.test' })).username).toBe('alice@contoso.test');

	const second = await restart(browser, first);
	try {
		expect(await sessionCookie(second)).toBeUndefined();
		const reopened = await second.newPage();
		await reopened.goto(siteUrl);
		await app(reopened).ready();
		expect((await app(reopened).ssoSilent({ loginHint: 'alice@contoso.test' })).errorCode).toBe('login_required');
	} finally {
		await second.close();
	}
});

/** Starts a top-level redirect with prompt=none and waits for the page MSAL comes back to. */
async function topLevelNoPrompt(page: Page, loginHint: string): Promise<{ result?: TokenSummary | null; error?: string }> {
	// The page leaves and a new one loads: the emulator's answer is a redirect, never a page.
	const loaded = page.waitForEvent('load');
	await page.evaluate((hint) => {
		void (window as unknown as { app: PageApp }).app.loginNoPrompt(hint); // navigates away
	}, loginHint);
	await loaded;
	expect(page.url().startsWith(siteUrl)).toBe(true);
	await page.waitForFunction(() => (window as unknown as { app: PageApp }).app?.redirectResult !== undefined);
	return page.evaluate(() => {
		const app = (window as unknown as { app: PageApp }).app;
		return { result: app.redirectResult, error: app.redirectError };
	});
}

test('"Stay signed in?" Yes, after a restart: a top-level prompt=none redirect signs in with no page, domain_hint and the account picker honour the session; after logout prompt=none comes back login_required, in the frame and at top level', async ({ browser }) => {
	const first = await browser.newContext();
	await signInAnswering(await first.newPage(), true);
	const second = await restart(browser, first);
	try {
		const page = await second.newPage();
		const topLevel: Array<{ url: URL; status: number; frameOptions?: string }> = [];
		const emulatorPages: string[] = [];
		page.on('response', (response) => {
			if (response.url().startsWith(`${emulator.url}/common/oauth2/v2.0/authorize`) && response.request().frame() === page.mainFrame()) {
				topLevel.push({ url: new URL(response.url()), status: response.status(), frameOptions: response.headers()['x-frame-options'] });
			}
		});
		page.on('framenavigated', (frame) => {
			if (frame === page.mainFrame() && frame.url().startsWith(emulator.url)) emulatorPages.push(frame.url());
		});
		await page.goto(siteUrl);
		await app(page).ready();

		const signedIn = await topLevelNoPrompt(page, 'alice@contoso.test');
		expect(signedIn.error).toBeUndefined();
		expect(signedIn.result?.username).toBe('alice@contoso.test');
		expect(topLevel).toHaveLength(1);
		expect(topLevel[0]!.url.searchParams.get('prompt')).toBe('none');
		expect(topLevel[0]!.url.searchParams.get('login_hint')).toBe('alice@contoso.test');
		// Answered by the redirect alone: no page of the emulator ever showed.
		expect(topLevel[0]!.status).toBe(302);
		expect(topLevel[0]!.frameOptions).toBeUndefined();
		expect(emulatorPages).toEqual([]);

		// domain_hint changes nothing, in the hidden frame too.
		const hinted = await app(page).ssoSilent({ loginHint: 'alice@contoso.test', domainHint: 'consumers' });
		expect(hinted.errorCode).toBeUndefined();
		expect(hinted.username).toBe('alice@contoso.test');

		// prompt=select_account at top level: the picker lists the persistent session's account
		// (a page, so it refuses framing) and picking it needs no password.
		const picked = page.waitForEvent('load');
		await page.evaluate(() => {
			void (window as unknown as { app: PageApp }).app.pickAccount(); // navigates away
		});
		await picked;
		await expect(page.getByRole('heading', { name: 'Pick an account' })).toBeVisible();
		expect(topLevel.at(-1)).toMatchObject({ status: 200, frameOptions: 'DENY' });
		expect(topLevel.at(-1)!.url.searchParams.get('prompt')).toBe('select_account');
		const back = page.waitForEvent('load');
		await page.getByRole('button', { name: /alice@contoso\.test/ }).click();
		await back;
		await page.waitForFunction(() => (window as unknown as { app: PageApp }).app?.redirectResult !== undefined);
		expect(await page.evaluate(() => (window as unknown as { app: PageApp }).app.redirectResult?.username)).toBe('alice@contoso.test');
		emulatorPages.length = 0;

		// Logout ends the persistent session: the next silent attempts find nobody, in both flows.
		const loggedOut = page.waitForEvent('load');
		await page.evaluate(() => {
			void (window as unknown as { app: PageApp }).app.logout(); // navigates away and back
		});
		await loggedOut;
		expect(page.url().startsWith(siteUrl)).toBe(true);
		await app(page).ready();
		expect(await sessionCookie(second)).toBeUndefined();
		expect((await app(page).ssoSilent({ loginHint: 'alice@contoso.test' })).errorCode).toBe('login_required');
		const refused = await topLevelNoPrompt(page, 'alice@contoso.test');
		expect(refused.result).toBeNull();
		expect(refused.error).toBe('login_required');
		expect(topLevel.at(-1)!.status).toBe(302);
		expect(emulatorPages).toEqual([]);
	} finally {
		await second.close();
	}
});
