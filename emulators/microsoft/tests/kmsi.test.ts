// Conformance: the "Stay signed in?" step and the browser session it makes, and how prompt=none,
// login_hint, domain_hint, prompt=select_account, the hidden-iframe flow and logout honour it.
// ../shared/reference/identity-platform.md covers the protocol (§2, §3, §8, §10.5, §10.7); the
// session lifetimes, cookies and frame headers come from Microsoft's documentation, as noted per
// test and in emulators/README.md.
import { rm } from 'node:fs/promises';
import { decodeJwt, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
	APP_ORIGIN,
	authorizeUrl,
	Browserless,
	CLIENT_ID,
	control,
	formContext,
	parseSetCookie,
	PASSWORD,
	pkce,
	REDIRECT_URI,
	redirectParams,
	startHarness,
	tokenRequest,
	type Harness
} from './support';

const NINETY_DAYS = 90 * 24 * 3600;

let h: Harness;
let action: string;
let cookieName: string;
beforeAll(async () => {
	h = await startHarness();
	action = `${h.em.url}/common/oauth2/v2.0/authorize`;
	cookieName = `msemu_session_${new URL(h.em.url).port}`;
});
afterAll(() => h.stop());
beforeEach(() => control(h.em, 'POST', '/reset'));

/** The emulator's session cookie among a response's Set-Cookie headers. */
function sessionCookieOf(response: Response) {
	const lines = response.headers.getSetCookie().map(parseSetCookie).filter((c) => c.name === cookieName);
	expect(lines.length).toBeLessThanOrEqual(1);
	return lines[0];
}

/** Opens the sign-in page and signs in with the password: the answer is the "Stay signed in?" page. */
async function passwordStep(browser: Browserless, params: Record<string, string | undefined> = {}, email = 'alice@contoso.test') {
	const html = await (await browser.get(authorizeUrl(h.em, { response_mode: 'fragment', state: 'st', ...params }))).text();
	return browser.post(action, { ctx: formContext(html), step: 'signin', action: 'signin', login: email, password: PASSWORD });
}

/** Signs an account into the browser's session, answering "Stay signed in?" as told. */
async function signedIn(browser: Browserless, email: string, staySignedIn: boolean) {
	// login_hint for an account not in the session leads to the sign-in page, even with one there.
	return browser.signIn({ response_mode: 'fragment', state: 'st', login_hint: email }, email, PASSWORD, { staySignedIn });
}

/** A prompt=none request, as MSAL's hidden iframe sends it (response_mode=fragment). */
function silent(browser: Browserless, params: Record<string, string | undefined> = {}) {
	return browser.get(authorizeUrl(h.em, { prompt: 'none', response_mode: 'fragment', state: 'silent', nonce: 'n-silent', ...params }));
}

/** Redeems the code from an authorize redirect made with `challenge`; returns the token response. */
async function redeem(location: string, verifier: string) {
	const code = redirectParams(location).get('code');
	expect(code).toBeTruthy();
	return tokenRequest(
		h.em,
		{ client_id: CLIENT_ID, grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT_URI, code_verifier: verifier, scope: 'Files.ReadWrite User.Read openid profile offline_access' },
		{ Origin: APP_ORIGIN }
	);
}

interface SilentAnswer {
	username?: string;
	idToken?: JWTPayload;
	error?: string;
	description?: string;
}

/** Which account a silent answer signed in (its code redeemed), or its error. */
async function silentAccount(browser: Browserless, params: Record<string, string | undefined> = {}): Promise<SilentAnswer> {
	const { verifier, challenge } = pkce();
	const response = await silent(browser, { code_challenge: challenge, code_challenge_method: 'S256', ...params });
	expect(response.status).toBe(302);
	const location = response.headers.get('location')!;
	const error = redirectParams(location).get('error');
	if (error) return { error, description: redirectParams(location).get('error_description') ?? '' };
	const tokens = await redeem(location, verifier);
	expect(tokens.status).toBe(200);
	return { username: decodeJwt(tokens.body.id_token).preferred_username as string, idToken: decodeJwt(tokens.body.id_token) };
}

describe('"Stay signed in?" after a password sign-in', () => {
	it('is a script-free page with labelled Yes and No buttons, posting to the authorize endpoint', async () => {
		const response = await passwordStep(new Browserless(h.em));
		expect(response.status).toBe(200);
		const html = await response.text();
		expect(html).not.toContain('<script');
		expect(html).toContain('<h1 id="kmsi-title">Stay signed in?</h1>');
		expect(html).toContain('aria-labelledby="kmsi-title"');
		expect(html).toContain(`<form method="post" action="${action}"`);
		expect(html).toContain('name="step" value="kmsi"');
		expect(html).toMatch(/<button type="submit" name="action" value="no">No<\/button>/);
		expect(html).toMatch(/<button type="submit" name="action" value="yes">Yes<\/button>/);
		expect(html).toContain('alice@contoso.test');
		// The session cookie comes with the page, session-only until the answer.
		const cookie = sessionCookieOf(response)!;
		expect(cookie.attributes.has('max-age')).toBe(false);
		expect(cookie.attributes.has('expires')).toBe(false);
	});

	it("Yes makes the session cookie persistent for Microsoft's 90 days, HttpOnly, SameSite=None, Secure", async () => {
		const browser = new Browserless(h.em);
		const kmsi = await passwordStep(browser);
		const answer = await browser.post(action, { ctx: formContext(await kmsi.text()), step: 'kmsi', action: 'yes' });
		expect(answer.status).toBe(200); // the consent page comes next, the first time
		expect(await answer.text()).toContain('name="step" value="consent"');
		const cookie = sessionCookieOf(answer)!;
		expect(cookie.value).toBe(sessionCookieOf(kmsi)!.value);
		expect(cookie.attributes.get('max-age')).toBe(String(NINETY_DAYS));
		const expires = Date.parse(cookie.attributes.get('expires') as string);
		expect(Math.abs(expires - (Date.now() + NINETY_DAYS * 1000))).toBeLessThan(10_000);
		expect(cookie.attributes.get('path')).toBe('/');
		expect(cookie.attributes.get('httponly')).toBe(true);
		expect(cookie.attributes.get('secure')).toBe(true);
		expect(cookie.attributes.get('samesite')).toBe('None');
	});

	it('No keeps a session cookie (no Max-Age, no Expires)', async () => {
		const browser = new Browserless(h.em);
		const kmsi = await passwordStep(browser);
		const answer = await browser.post(action, { ctx: formContext(await kmsi.text()), step: 'kmsi', action: 'no' });
		const cookie = sessionCookieOf(answer)!;
		expect(cookie.attributes.has('max-age')).toBe(false);
		expect(cookie.attributes.has('expires')).toBe(false);
		expect(cookie.attributes.get('samesite')).toBe('None');
		expect(cookie.attributes.get('secure')).toBe(true);
	});

	it("keeps the authorize request's state, nonce, PKCE challenge, response_mode and client_info through the page", async () => {
		const { verifier, challenge } = pkce();
		const state = 'eyJpZCI6IjEyMyJ9=|app state with spaces+plus&amp#hash';
		const browser = new Browserless(h.em);
		const location = await browser.signIn(
			{ response_mode: 'fragment', state, nonce: 'nonce-kmsi', code_challenge: challenge, code_challenge_method: 'S256', client_info: '1' },
			'alice@contoso.test',
			PASSWORD,
			{ staySignedIn: true }
		);
		expect(location.startsWith(`${REDIRECT_URI}#code=`)).toBe(true);
		const params = redirectParams(location);
		expect(params.get('state')).toBe(state);
		expect(params.get('client_info')).toBeTruthy();
		const tokens = await redeem(location, verifier);
		expect(tokens.status).toBe(200);
		expect(decodeJwt(tokens.body.id_token).nonce).toBe('nonce-kmsi');
	});

	it('refuses an answer from another browser (CSRF): the form is bound to the session cookie its sign-in set', async () => {
		// The attacker signs in in their own browser and gets a form context for the question.
		const attacker = new Browserless(h.em);
		const kmsiHtml = await (await passwordStep(attacker)).text();
		const ctx = formContext(kmsiHtml);
		// The victim's browser posts it (a cross-site form): without the attacker's cookie, or with
		// a session of its own, it is refused and no cookie is set.
		const victim = new Browserless(h.em);
		const withoutSession = await victim.post(action, { ctx, step: 'kmsi', action: 'yes' });
		await signedIn(victim, 'bob@contoso.test', false);
		const withOwnSession = await victim.post(action, { ctx, step: 'kmsi', action: 'yes' });
		for (const forged of [withoutSession, withOwnSession]) {
			expect(forged.status).toBe(400);
			expect(forged.headers.get('location')).toBeNull();
			expect(sessionCookieOf(forged)).toBeUndefined();
			expect(await forged.text()).toContain('AADSTS90100');
		}
		// The victim's own session is untouched: still session-only, and still Bob.
		expect(victim.cookies.get(cookieName)?.persistent).toBe(false);
		expect((await silentAccount(victim)).username).toBe('bob@contoso.test');
		// The attacker's own answer still works, once.
		const answered = await attacker.post(action, { ctx, step: 'kmsi', action: 'no' });
		expect(answered.status).toBe(200);
		const again = await attacker.post(action, { ctx, step: 'kmsi', action: 'yes' });
		expect(again.status).toBe(400);
		expect(attacker.cookies.get(cookieName)?.persistent).toBe(false);
	});

	it('refuses framing on the page (X-Frame-Options: DENY), as every interactive page', async () => {
		const response = await passwordStep(new Browserless(h.em));
		expect(response.headers.get('x-frame-options')).toBe('DENY');
	});

	it('is not shown when the staySignedInPrompt setting is off (the tenant branding option), and the session stays session-only', async () => {
		expect((await control(h.em, 'GET', '/settings')).staySignedInPrompt).toBe(true);
		await control(h.em, 'PUT', '/settings', { staySignedInPrompt: false, autoConsent: true });
		const browser = new Browserless(h.em);
		const response = await passwordStep(browser);
		expect(response.status).toBe(302);
		expect(redirectParams(response.headers.get('location')!).get('code')).toBeTruthy();
		expect(sessionCookieOf(response)!.attributes.has('max-age')).toBe(false);
		await control(h.em, 'POST', '/reset');
		expect((await control(h.em, 'GET', '/settings')).staySignedInPrompt).toBe(true);
	});

	it('is not asked when the session signs the account in without a password (SSO)', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', true);
		const again = await browser.get(authorizeUrl(h.em, { response_mode: 'fragment', state: 'again' }));
		expect(again.status).toBe(302);
		expect(redirectParams(again.headers.get('location')!).get('code')).toBeTruthy();
	});
});

describe('the persistent-session lifetime in the control API', () => {
	it('reads 90 days by default, can be set, and is reset by /_emulator/reset', async () => {
		expect((await control(h.em, 'GET', '/token-lifetimes')).persistentSessionSeconds).toBe(NINETY_DAYS);
		expect((await control(h.em, 'PUT', '/token-lifetimes', { persistentSessionSeconds: 3600 })).persistentSessionSeconds).toBe(3600);
		expect((await control(h.em, 'GET', '/token-lifetimes')).persistentSessionSeconds).toBe(3600);
		const browser = new Browserless(h.em);
		const kmsi = await passwordStep(browser);
		const answer = await browser.post(action, { ctx: formContext(await kmsi.text()), step: 'kmsi', action: 'yes' });
		expect(sessionCookieOf(answer)!.attributes.get('max-age')).toBe('3600');
		await expect(control(h.em, 'PUT', '/token-lifetimes', { persistentSessionSeconds: 0 })).rejects.toThrow(/400/);
		await expect(control(h.em, 'PUT', '/token-lifetimes', { persistentSessionSeconds: 'long' })).rejects.toThrow(/400/);
		await control(h.em, 'POST', '/reset');
		expect((await control(h.em, 'GET', '/token-lifetimes')).persistentSessionSeconds).toBe(NINETY_DAYS);
	});
});

describe('after a browser restart', () => {
	it('prompt=none answers with a code from a persistent session', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', true);
		browser.restart();
		expect(browser.cookies.has(cookieName)).toBe(true);
		const answer = await silentAccount(browser);
		expect(answer.username).toBe('alice@contoso.test');
		expect(answer.idToken!.nonce).toBe('n-silent');
	});

	it('a session cookie is gone, so prompt=none gets login_required (AADSTS50058)', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', false);
		expect((await silentAccount(browser)).username).toBe('alice@contoso.test');
		browser.restart();
		expect(browser.cookies.has(cookieName)).toBe(false);
		const answer = await silentAccount(browser);
		expect(answer.error).toBe('login_required');
		expect(answer.description).toMatch(/^AADSTS50058: /);
	});

	it('ends after 90 days without use, and each use extends it by another 90 days (sliding, with a fresh cookie)', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', true);
		await control(h.em, 'POST', '/clock/advance', { seconds: NINETY_DAYS - 3600 });
		browser.restart();
		const used = await silent(browser);
		expect(redirectParams(used.headers.get('location')!).get('code')).toBeTruthy();
		// The cookie is sent again, so the browser's expiry slides too.
		expect(sessionCookieOf(used)!.attributes.get('max-age')).toBe(String(NINETY_DAYS));
		await control(h.em, 'POST', '/clock/advance', { seconds: NINETY_DAYS - 3600 });
		expect((await silentAccount(browser)).username).toBe('alice@contoso.test');
		await control(h.em, 'POST', '/clock/advance', { seconds: NINETY_DAYS + 1 });
		const expired = await silentAccount(browser);
		expect(expired.error).toBe('login_required');
		expect(expired.description).toMatch(/^AADSTS50058: /);
		// Interactively, that is the password page again.
		const page = await browser.get(authorizeUrl(h.em, { response_mode: 'fragment', state: 'x' }));
		expect(await page.text()).toContain('name="password"');
	});

	it('prompt=select_account lists the accounts of the persistent session', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', true);
		await signedIn(browser, 'bob@contoso.test', true);
		browser.restart();
		const picker = await browser.get(authorizeUrl(h.em, { prompt: 'select_account', response_mode: 'fragment', state: 'p' }));
		expect(picker.headers.get('x-frame-options')).toBe('DENY');
		const html = await picker.text();
		expect(html).toContain('Pick an account');
		expect(html).toContain('alice@contoso.test');
		expect(html).toContain('bob@contoso.test');
		expect(html).not.toContain('carol@contoso.test');
		const bob = /<button class="account" type="submit" name="account" value="([^"]+)">Bob Demo/.exec(html)![1]!;
		const picked = await browser.post(action, { ctx: formContext(html), step: 'pick', action: 'pick', account: bob });
		expect(picked.status).toBe(302);
		expect(redirectParams(picked.headers.get('location')!).get('code')).toBeTruthy();
	});

	it('survives a restart of the emulator too (persistent sessions are kept in its data folder)', async () => {
		const own = await startHarness();
		const port = Number(new URL(own.em.url).port);
		const browser = new Browserless(own.em);
		await browser.signIn({ response_mode: 'fragment', state: 's' }, 'alice@contoso.test', PASSWORD, { staySignedIn: true });
		await own.em.close();
		// The same port, as `npm start` uses: the cookie's name carries it.
		const again = await startHarness({ dataDir: own.dataDir, port });
		try {
			// fetch may still hold a pooled keep-alive socket to the old server on this port: let
			// one request find out it is closed before the real one.
			await fetch(`${again.em.url}/_emulator`).catch(() => undefined);
			const reopened = new Browserless(again.em);
			reopened.cookies = new Map(browser.cookies);
			reopened.restart();
			const response = await reopened.get(authorizeUrl(again.em, { prompt: 'none', response_mode: 'fragment', state: 'r' }));
			expect(redirectParams(response.headers.get('location')!).get('code')).toBeTruthy();
		} finally {
			await again.stop();
			await rm(own.dataDir, { recursive: true, force: true });
		}
	});
});

describe('hints with the session', () => {
	it('login_hint picks the signed-in account silently: the e-mail in any case, or the id_token login_hint claim MSAL sends', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', true);
		await signedIn(browser, 'bob@contoso.test', true);
		browser.restart();
		// Two accounts and no hint: prompt=none cannot choose (reference §3: login_required).
		expect((await silentAccount(browser)).error).toBe('login_required');
		expect((await silentAccount(browser, { login_hint: 'Bob@Contoso.test' })).username).toBe('bob@contoso.test');
		const alice = await silentAccount(browser, { login_hint: 'alice@contoso.test' });
		expect(alice.username).toBe('alice@contoso.test');
		// MSAL prefers the opaque login_hint claim of the account's id_token (§10.8, msal-common Authorize.mjs).
		const claim = alice.idToken!.login_hint as string;
		expect(claim).toBeTruthy();
		expect((await silentAccount(browser, { login_hint: claim })).username).toBe('alice@contoso.test');
		// Without prompt=none, a matching hint also skips every page.
		const interactive = await browser.get(authorizeUrl(h.em, { login_hint: 'bob@contoso.test', response_mode: 'fragment', state: 'i' }));
		expect(interactive.status).toBe(302);
		expect(redirectParams(interactive.headers.get('location')!).get('code')).toBeTruthy();
	});

	it('prompt=none with a login_hint for an account not in the session gets login_required (AADSTS50058)', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', true);
		browser.restart();
		const answer = await silentAccount(browser, { login_hint: 'carol@contoso.test' });
		expect(answer.error).toBe('login_required');
		expect(answer.description).toMatch(/^AADSTS50058: .*login hint/);
	});

	it('without prompt=none, a login_hint for another account shows the sign-in page with the e-mail filled in', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', true);
		browser.restart();
		const response = await browser.get(authorizeUrl(h.em, { login_hint: 'carol@contoso.test', response_mode: 'fragment', state: 'c' }));
		expect(response.status).toBe(200);
		const html = await response.text();
		expect(html).toContain('name="password"');
		expect(html).toContain('id="login" name="login" list="known-accounts" autocomplete="username" value="carol@contoso.test"');
		// The opaque form of someone else's hint fills in their e-mail too.
		const carolHint = Buffer.from(JSON.stringify({ oid: 'unknown', tid: 'unknown', upn: 'carol@contoso.test' })).toString('base64url');
		const opaque = await (await browser.get(authorizeUrl(h.em, { login_hint: carolHint, response_mode: 'fragment', state: 'c' }))).text();
		expect(opaque).toContain('value="carol@contoso.test"');
	});

	it('domain_hint (consumers, organizations) is accepted and changes nothing', async () => {
		const browser = new Browserless(h.em);
		for (const hint of ['consumers', 'organizations', 'contoso.test']) {
			const page = await browser.get(authorizeUrl(h.em, { domain_hint: hint, response_mode: 'fragment', state: 'd' }));
			expect(page.status).toBe(200);
			expect(await page.text()).toContain('name="password"');
		}
		await signedIn(browser, 'alice@contoso.test', true);
		browser.restart();
		for (const hint of ['consumers', 'organizations']) {
			expect((await silentAccount(browser, { domain_hint: hint })).username).toBe('alice@contoso.test');
			expect((await silentAccount(browser, { domain_hint: hint, login_hint: 'alice@contoso.test' })).username).toBe('alice@contoso.test');
		}
	});
});

describe('frame headers for the hidden iframe', () => {
	it("refuses framing on every interactive page, as Entra does (X-Frame-Options: DENY)", async () => {
		const browser = new Browserless(h.em);
		const signIn = await browser.get(authorizeUrl(h.em, { response_mode: 'fragment', state: 'f' }));
		expect(signIn.headers.get('x-frame-options')).toBe('DENY');
		const kmsi = await browser.post(action, { ctx: formContext(await signIn.text()), step: 'signin', action: 'signin', login: 'alice@contoso.test', password: PASSWORD });
		expect(kmsi.headers.get('x-frame-options')).toBe('DENY');
		const consent = await browser.post(action, { ctx: formContext(await kmsi.text()), step: 'kmsi', action: 'yes' });
		expect(await consent.clone().text()).toContain('name="step" value="consent"');
		expect(consent.headers.get('x-frame-options')).toBe('DENY');
		const picker = await browser.get(authorizeUrl(h.em, { prompt: 'select_account', response_mode: 'fragment', state: 'f' }));
		expect(picker.headers.get('x-frame-options')).toBe('DENY');
		const error = await browser.get(authorizeUrl(h.em, { client_id: '00000000-0000-0000-0000-000000000000', prompt: 'none' }));
		expect(error.status).toBe(400);
		expect(error.headers.get('x-frame-options')).toBe('DENY');
		const signedOut = await browser.get(`${h.em.url}/common/oauth2/v2.0/logout`);
		expect(signedOut.status).toBe(200);
		expect(signedOut.headers.get('x-frame-options')).toBe('DENY');
	});

	it('answers prompt=none with a frameable redirect: the code (or the error) in the fragment, no framing restriction', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', true);
		browser.restart();
		const withCode = await silent(browser);
		const withError = await silent(new Browserless(h.em));
		for (const response of [withCode, withError]) {
			expect(response.status).toBe(302);
			expect(response.headers.get('location')!.startsWith(`${REDIRECT_URI}#`)).toBe(true);
			expect(response.headers.get('x-frame-options')).toBeNull();
			expect(response.headers.get('content-security-policy')).toBeNull();
		}
		expect(redirectParams(withCode.headers.get('location')!).get('code')).toBeTruthy();
		expect(redirectParams(withError.headers.get('location')!).get('error')).toBe('login_required');
		// response_mode=form_post: the self-posting form must load in the frame as well.
		const formPost = await silent(browser, { response_mode: 'form_post' });
		expect(formPost.status).toBe(200);
		expect(await formPost.text()).toMatch(/name="code" value="[^"]+"/);
		expect(formPost.headers.get('x-frame-options')).toBeNull();
	});
});

describe('logout ends the persistent session', () => {
	it('ends it on the server and expires its cookie', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', true);
		const value = browser.cookies.get(cookieName)!.value;
		const out = await browser.get(`${h.em.url}/common/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent('http://localhost:5173/')}`);
		expect(out.status).toBe(302);
		const cookie = sessionCookieOf(out)!;
		expect(cookie.value).toBe('');
		expect(cookie.attributes.get('max-age')).toBe('0');
		expect(Date.parse(cookie.attributes.get('expires') as string)).toBeLessThan(Date.now());
		expect(browser.cookies.has(cookieName)).toBe(false);
		// A copy of the old cookie (kept by a second profile, say) no longer signs anyone in.
		browser.cookies.set(cookieName, { value, persistent: true });
		expect((await silentAccount(browser)).error).toBe('login_required');
	});

	it('logout_hint ends one account and keeps the persistent session for the others', async () => {
		const browser = new Browserless(h.em);
		await signedIn(browser, 'alice@contoso.test', true);
		await signedIn(browser, 'bob@contoso.test', true);
		const bob = await silentAccount(browser, { login_hint: 'bob@contoso.test' });
		const out = await browser.get(`${h.em.url}/common/oauth2/v2.0/logout?logout_hint=${encodeURIComponent(bob.idToken!.login_hint as string)}`);
		expect(out.status).toBe(200);
		expect(sessionCookieOf(out)).toBeUndefined();
		browser.restart();
		expect((await silentAccount(browser)).username).toBe('alice@contoso.test');
		expect((await silentAccount(browser, { login_hint: 'bob@contoso.test' })).error).toBe('login_required');
	});
});

describe('revoking sign-in sessions (Graph revokeSignInSessions) through the control API', () => {
	it("ends the account's persistent sessions in every browser and refuses its refresh tokens; other accounts keep theirs", async () => {
		const laptop = new Browserless(h.em);
		await signedIn(laptop, 'alice@contoso.test', true);
		await signedIn(laptop, 'bob@contoso.test', true);
		const phone = new Browserless(h.em);
		await signedIn(phone, 'alice@contoso.test', true);
		const { verifier, challenge } = pkce();
		const location = (await silent(laptop, { login_hint: 'alice@contoso.test', code_challenge: challenge, code_challenge_method: 'S256' })).headers.get('location')!;
		const tokens = await redeem(location, verifier);
		expect(tokens.body.refresh_token).toBeTruthy();

		const revoked = await control(h.em, 'POST', '/accounts/alice@contoso.test/revoke-sign-in-sessions');
		expect(revoked).toMatchObject({ ok: true, sessionsEnded: 2 });

		for (const browser of [laptop, phone]) {
			browser.restart();
			const answer = await silentAccount(browser, { login_hint: 'alice@contoso.test' });
			expect(answer.error).toBe('login_required');
			expect(answer.description).toMatch(/^AADSTS50058: /);
		}
		// Bob stays signed in on the laptop; the phone's session, now empty, is gone.
		expect((await silentAccount(laptop, { login_hint: 'bob@contoso.test' })).username).toBe('bob@contoso.test');
		expect((await silentAccount(phone)).error).toBe('login_required');
		const refresh = await tokenRequest(h.em, { client_id: CLIENT_ID, grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, scope: 'Files.ReadWrite' }, { Origin: APP_ORIGIN });
		expect(refresh.body).toMatchObject({ error: 'invalid_grant', error_codes: [50173] });
		// Signing in again with the password works as before.
		expect(await laptop.signIn({ response_mode: 'fragment', state: 'again', login_hint: 'alice@contoso.test' }, 'alice@contoso.test', PASSWORD, { staySignedIn: true })).toMatch(/#code=/);
	});

	it('answers 404 for an unknown account', async () => {
		await expect(control(h.em, 'POST', '/accounts/nobody@contoso.test/revoke-sign-in-sessions')).rejects.toThrow(/404/);
	});
});
