// Conformance: identity platform v2.0 endpoints, against ../shared/reference/identity-platform.md.
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
	APP_ORIGIN,
	authorizeUrl,
	Browserless,
	CLIENT_ID,
	codeFlowTokens,
	control,
	formContext,
	PASSWORD,
	pkce,
	REDIRECT_URI,
	redirectParams,
	startHarness,
	tokenRequest,
	type Harness
} from './support';

let h: Harness;
beforeAll(async () => {
	h = await startHarness();
});
afterAll(() => h.stop());
beforeEach(() => control(h.em, 'POST', '/reset'));

async function codeFor(params: Record<string, string | undefined> = {}) {
	const { verifier, challenge } = pkce();
	const browser = new Browserless(h.em);
	const location = await browser.signIn({ code_challenge: challenge, code_challenge_method: 'S256', response_mode: 'fragment', state: 'st', nonce: 'nonce-1', ...params });
	return { code: redirectParams(location).get('code')!, verifier, browser, location };
}

function redeem(code: string, verifier: string | undefined, extra: Record<string, string> = {}, origin: string | null = APP_ORIGIN) {
	const fields: Record<string, string> = { client_id: CLIENT_ID, grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, scope: 'Files.ReadWrite User.Read openid profile offline_access', ...extra };
	if (verifier !== undefined) fields.code_verifier = verifier;
	return tokenRequest(h.em, fields, origin ? { Origin: origin } : {});
}

describe('discovery and keys', () => {
	it('serves the OpenID configuration with CORS for any origin', async () => {
		const response = await fetch(`${h.em.url}/common/v2.0/.well-known/openid-configuration`, { headers: { Origin: 'http://example.test' } });
		expect(response.status).toBe(200);
		expect(response.headers.get('access-control-allow-origin')).toBe('*');
		const doc = await response.json();
		expect(doc.authorization_endpoint).toBe(`${h.em.url}/common/oauth2/v2.0/authorize`);
		expect(doc.token_endpoint).toBe(`${h.em.url}/common/oauth2/v2.0/token`);
		expect(doc.end_session_endpoint).toBe(`${h.em.url}/common/oauth2/v2.0/logout`);
		expect(doc.jwks_uri).toBe(`${h.em.url}/common/discovery/v2.0/keys`);
		expect(doc.issuer).toBe(`${h.em.url}/{tenantid}/v2.0`);
	});

	it('signs id_tokens and access tokens with a key published in the JWKS', async () => {
		const { body } = await codeFlowTokens(h.em);
		const jwks = await (await fetch(`${h.em.url}/common/discovery/v2.0/keys`)).json();
		const keySet = createLocalJWKSet(jwks);
		const id = await jwtVerify(body.id_token, keySet, { audience: CLIENT_ID });
		expect(id.payload).toMatchObject({ ver: '2.0', nonce: 'n', preferred_username: 'alice@contoso.test' });
		expect(id.payload.iss).toBe(`${h.em.url}/${id.payload.tid}/v2.0`);
		const access = await jwtVerify(body.access_token, keySet, { audience: 'https://graph.microsoft.com' });
		expect(String(access.payload.scp).split(' ')).toEqual(expect.arrayContaining(['Files.ReadWrite', 'User.Read']));
		const clientInfo = JSON.parse(Buffer.from(body.client_info, 'base64url').toString());
		expect(clientInfo).toEqual({ uid: id.payload.oid, utid: id.payload.tid });
	});
});

describe('authorize', () => {
	it('refuses an unknown client with an error page (AADSTS700016), not a redirect', async () => {
		const response = await fetch(authorizeUrl(h.em, { client_id: '00000000-0000-0000-0000-000000000000' }), { redirect: 'manual' });
		expect(response.status).toBe(400);
		expect(await response.text()).toContain('AADSTS700016');
	});

	it('refuses a redirect URI that is not registered exactly (AADSTS50011)', async () => {
		const response = await fetch(authorizeUrl(h.em, { redirect_uri: 'http://localhost:5173/auth/microsoft/' }), { redirect: 'manual' });
		expect(response.status).toBe(400);
		expect(await response.text()).toContain('AADSTS50011');
	});

	it('redirects unsupported_response_type with the state', async () => {
		const response = await fetch(authorizeUrl(h.em, { response_type: 'token', state: 'abc' }), { redirect: 'manual' });
		expect(response.status).toBe(302);
		const params = redirectParams(response.headers.get('location')!);
		expect(params.get('error')).toBe('unsupported_response_type');
		expect(params.get('state')).toBe('abc');
	});

	it('rejects an unknown scope with invalid_scope (AADSTS70011)', async () => {
		const response = await fetch(authorizeUrl(h.em, { scope: 'openid Mail.Send.Everything' }), { redirect: 'manual' });
		const params = redirectParams(response.headers.get('location')!);
		expect(params.get('error')).toBe('invalid_scope');
		expect(params.get('error_description')).toMatch(/^AADSTS70011: /);
	});

	it('shows a scriptless sign-in page, reports a wrong password, and returns state exactly', async () => {
		const state = 'eyJpZCI6IjEyMyJ9=|app state with spaces+plus&amp#hash';
		const browser = new Browserless(h.em);
		const page = await browser.get(authorizeUrl(h.em, { state, response_mode: 'fragment', login_hint: 'alice@contoso.test' }));
		expect(page.status).toBe(200);
		const html = await page.text();
		expect(html).not.toContain('<script');
		expect(html).toContain('value="alice@contoso.test"');
		const action = `${h.em.url}/common/oauth2/v2.0/authorize`;
		const wrong = await browser.post(action, { ctx: formContext(html), step: 'signin', action: 'signin', login: 'alice@contoso.test', password: 'nope' });
		const wrongHtml = await wrong.text();
		expect(wrongHtml).toContain('AADSTS50126');
		const kmsi = await browser.post(action, { ctx: formContext(wrongHtml), step: 'signin', action: 'signin', login: 'alice@contoso.test', password: PASSWORD });
		const kmsiHtml = await kmsi.text();
		expect(kmsiHtml).toContain('Stay signed in?');
		const consent = await browser.post(action, { ctx: formContext(kmsiHtml), step: 'kmsi', action: 'no' });
		const consentHtml = await consent.text();
		expect(consentHtml).toContain('Files.ReadWrite');
		const done = await browser.post(action, { ctx: formContext(consentHtml), step: 'consent', action: 'accept' });
		expect(done.status).toBe(302);
		const location = done.headers.get('location')!;
		expect(location.startsWith(`${REDIRECT_URI}#code=`)).toBe(true);
		expect(redirectParams(location).get('state')).toBe(state);
		expect(redirectParams(location).get('session_state')).toBeTruthy();
	});

	it('returns access_denied when the user cancels, in query mode by default', async () => {
		const browser = new Browserless(h.em);
		const html = await (await browser.get(authorizeUrl(h.em, { state: 'x' }))).text();
		const response = await browser.post(`${h.em.url}/common/oauth2/v2.0/authorize`, { ctx: formContext(html), step: 'signin', action: 'cancel' });
		const location = response.headers.get('location')!;
		expect(location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
		expect(redirectParams(location).get('error')).toBe('access_denied');
		expect(redirectParams(location).get('state')).toBe('x');
	});

	it('answers prompt=none from the session, and login_required (AADSTS50058) without one', async () => {
		const { browser } = await codeFor();
		const silent = await browser.get(authorizeUrl(h.em, { prompt: 'none', response_mode: 'fragment', state: 'q' }));
		expect(silent.status).toBe(302);
		expect(redirectParams(silent.headers.get('location')!).get('code')).toBeTruthy();
		const stranger = await fetch(authorizeUrl(h.em, { prompt: 'none', response_mode: 'fragment', state: 'q' }), { redirect: 'manual' });
		const params = redirectParams(stranger.headers.get('location')!);
		expect(params.get('error')).toBe('login_required');
		expect(params.get('error_description')).toMatch(/^AADSTS50058: /);
	});

	it('offers the signed-in accounts with prompt=select_account', async () => {
		const { browser } = await codeFor();
		const picker = await browser.get(authorizeUrl(h.em, { prompt: 'select_account', response_mode: 'fragment', state: 'p' }));
		const html = await picker.text();
		expect(html).toContain('Pick an account');
		const id = /name="account" value="([^"]+)"/.exec(html)![1]!;
		const picked = await browser.post(`${h.em.url}/common/oauth2/v2.0/authorize`, { ctx: formContext(html), step: 'pick', action: 'pick', account: id });
		expect(picked.status).toBe(302);
		expect(redirectParams(picked.headers.get('location')!).get('code')).toBeTruthy();
	});

	it('answers response_mode=form_post with a self-posting form', async () => {
		const { browser } = await codeFor();
		const response = await browser.get(authorizeUrl(h.em, { response_mode: 'form_post', state: 'f' }));
		const html = await response.text();
		expect(html).toContain(`action="${REDIRECT_URI}"`);
		expect(html).toMatch(/name="code" value="[^"]+"/);
		expect(html).toContain('name="state" value="f"');
	});

	it('returns client_info (base64url {uid, utid}, as from the token endpoint) with the code when client_info=1, in query, fragment and form_post', async () => {
		const action = `${h.em.url}/common/oauth2/v2.0/authorize`;
		/** client_info from the final answer, whichever response mode carried it. */
		const clientInfoOf = async (response: Response, mode: string) => {
			if (mode === 'form_post') {
				expect(response.status).toBe(200);
				const html = await response.text();
				expect(html).toContain(`action="${REDIRECT_URI}"`);
				expect(html).toMatch(/name="code" value="[^"]+"/);
				return /name="client_info" value="([^"]+)"/.exec(html)?.[1];
			}
			expect(response.status).toBe(302);
			const location = response.headers.get('location')!;
			expect(location.startsWith(`${REDIRECT_URI}${mode === 'query' ? '?' : '#'}`)).toBe(true);
			expect(redirectParams(location).get('code')).toBeTruthy();
			return redirectParams(location).get('client_info') ?? undefined;
		};
		const seen: Array<string | undefined> = [];
		for (const mode of ['query', 'fragment', 'form_post']) {
			// Interactive: the sign-in page, "Stay signed in?", then the consent page the first time.
			const browser = new Browserless(h.em);
			const signInPage = await (await browser.get(authorizeUrl(h.em, { response_mode: mode, state: mode, client_info: '1' }))).text();
			const kmsiPage = await (await browser.post(action, { ctx: formContext(signInPage), step: 'signin', action: 'signin', login: 'alice@contoso.test', password: PASSWORD })).text();
			let answer = await browser.post(action, { ctx: formContext(kmsiPage), step: 'kmsi', action: 'no' });
			if (mode === 'query') answer = await browser.post(action, { ctx: formContext(await answer.text()), step: 'consent', action: 'accept' });
			seen.push(await clientInfoOf(answer, mode));
			// From the session, and silently.
			seen.push(await clientInfoOf(await browser.get(authorizeUrl(h.em, { response_mode: mode, state: mode, client_info: '1' })), mode));
			seen.push(await clientInfoOf(await browser.get(authorizeUrl(h.em, { response_mode: mode, state: mode, client_info: '1', prompt: 'none' })), mode));
			// Without client_info=1 there is none.
			expect(await clientInfoOf(await browser.get(authorizeUrl(h.em, { response_mode: mode, state: mode })), mode)).toBeUndefined();
		}
		const { code, verifier } = await codeFor({ client_info: '1' });
		const tokens = await redeem(code, verifier, { client_info: '1' });
		const id = decodeJwt(tokens.body.id_token);
		expect(tokens.body.client_info).toBeTruthy();
		for (const value of seen) {
			expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
			expect(value).toBe(tokens.body.client_info);
			expect(JSON.parse(Buffer.from(value!, 'base64url').toString())).toEqual({ uid: id.oid, utid: id.tid });
		}
	});

	it('answers an authorize form over its size limit with an error page, not a 500', async () => {
		const response = await fetch(`${h.em.url}/common/oauth2/v2.0/authorize`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: `client_id=${CLIENT_ID}&state=${'x'.repeat(2_000_000)}`
		});
		expect(response.status).toBe(400);
		expect(response.headers.get('content-type')).toMatch(/^text\/html/);
		expect(await response.text()).toContain('AADSTS90015');
	});

	it('asks for the password again with prompt=login even with a session', async () => {
		const { browser } = await codeFor();
		const response = await browser.get(authorizeUrl(h.em, { prompt: 'login' }));
		expect(response.status).toBe(200);
		expect(await response.text()).toContain('name="password"');
	});
});

describe('token: authorization code', () => {
	it('redeems a code with PKCE from the app origin', async () => {
		const { code, verifier } = await codeFor();
		const { status, headers, body } = await redeem(code, verifier, { client_info: '1' });
		expect(status).toBe(200);
		expect(headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
		expect(headers.get('cache-control')).toBe('no-store, no-cache');
		expect(body).toMatchObject({ token_type: 'Bearer' });
		expect(body.scope.split(' ')).toEqual(expect.arrayContaining(['Files.ReadWrite', 'User.Read', 'openid', 'profile']));
		expect(body.expires_in).toBeGreaterThanOrEqual(3600);
		expect(body.refresh_token).toBeTruthy();
		expect(body.refresh_token_expires_in).toBeLessThanOrEqual(86400);
		expect(decodeJwt(body.id_token).nonce).toBe('nonce-1');
	});

	it('refuses a wrong verifier with invalid_grant AADSTS501481 in the documented error shape', async () => {
		const { code } = await codeFor();
		const { status, body } = await redeem(code, pkce().verifier);
		expect(status).toBe(400);
		expect(body.error).toBe('invalid_grant');
		expect(body.error_codes).toEqual([501481]);
		expect(body.error_description).toMatch(/^AADSTS501481: .*\r\nTrace ID: [0-9a-f-]+\r\nCorrelation ID: [0-9a-f-]+\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s);
		expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
		expect(body.trace_id).toBeTruthy();
		expect(body.correlation_id).toBeTruthy();
	});

	it('refuses a missing verifier (AADSTS501481)', async () => {
		const { code } = await codeFor();
		const { body } = await redeem(code, undefined);
		expect(body.error).toBe('invalid_grant');
		expect(body.error_codes).toEqual([501481]);
	});

	it('refuses a code redeemed twice (AADSTS54005)', async () => {
		const { code, verifier } = await codeFor();
		expect((await redeem(code, verifier)).status).toBe(200);
		const again = await redeem(code, verifier);
		expect(again.body.error).toBe('invalid_grant');
		expect(again.body.error_codes).toEqual([54005]);
	});

	it('refuses a code older than ten minutes (AADSTS70008)', async () => {
		const { code, verifier } = await codeFor();
		await control(h.em, 'POST', '/clock/advance', { seconds: 601 });
		const { body } = await redeem(code, verifier);
		expect(body.error).toBe('invalid_grant');
		expect(body.error_codes).toEqual([70008]);
	});

	it('refuses a redirect_uri different from the authorize request (AADSTS50011)', async () => {
		const { code, verifier } = await codeFor();
		const { body } = await redeem(code, verifier, { redirect_uri: 'http://localhost:5173/' });
		expect(body.error).toBe('invalid_grant');
		expect(body.error_codes).toEqual([50011]);
	});

	it('requires a cross-origin request for SPA codes (AADSTS9002327)', async () => {
		const { code, verifier } = await codeFor();
		const { body } = await redeem(code, verifier, {}, null);
		expect(body.error).toBe('invalid_request');
		expect(body.error_codes).toEqual([9002327]);
	});

	it('requires PKCE for cross-origin redemption (AADSTS9002325)', async () => {
		const browser = new Browserless(h.em);
		const location = await browser.signIn({ response_mode: 'fragment', state: 's' });
		const { body } = await redeem(redirectParams(location).get('code')!, undefined);
		expect(body.error).toBe('invalid_request');
		expect(body.error_codes).toEqual([9002325]);
	});

	it('refuses secrets from a public client (AADSTS700025) and unknown clients (AADSTS700016)', async () => {
		const secret = await tokenRequest(h.em, { client_id: CLIENT_ID, grant_type: 'password', username: 'alice@contoso.test', password: PASSWORD, scope: 'openid', client_secret: 'x' });
		expect(secret.status).toBe(401);
		expect(secret.body).toMatchObject({ error: 'invalid_client', error_codes: [700025] });
		const unknown = await tokenRequest(h.em, { client_id: 'nobody', grant_type: 'password', username: 'a', password: 'b', scope: 'openid' });
		expect(unknown.body).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
	});

	it('names the missing parameter (AADSTS900144) and refuses GET (AADSTS900561)', async () => {
		const missing = await tokenRequest(h.em, { client_id: CLIENT_ID });
		expect(missing.body.error_codes).toEqual([900144]);
		expect(missing.body.error_description).toContain("'grant_type'");
		const get = await fetch(`${h.em.url}/common/oauth2/v2.0/token`);
		expect((await get.json()).error_codes).toEqual([900561]);
	});

	it('answers the CORS preflight for the app origin only', async () => {
		const allowed = await fetch(`${h.em.url}/common/oauth2/v2.0/token`, {
			method: 'OPTIONS',
			headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-anchormailbox' }
		});
		expect(allowed.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
		expect(allowed.headers.get('access-control-allow-headers')).toContain('x-anchormailbox');
		const other = await fetch(`${h.em.url}/common/oauth2/v2.0/token`, { method: 'OPTIONS', headers: { Origin: 'http://evil.test', 'Access-Control-Request-Method': 'POST' } });
		expect(other.headers.get('access-control-allow-origin')).toBeNull();
	});
});

describe('token: refresh and password grants', () => {
	it('rotates refresh tokens and still accepts the old one', async () => {
		const first = await codeFlowTokens(h.em);
		const refresh = (token: string) => tokenRequest(h.em, { client_id: CLIENT_ID, grant_type: 'refresh_token', refresh_token: token, scope: 'Files.ReadWrite openid offline_access' }, { Origin: APP_ORIGIN });
		const second = await refresh(first.body.refresh_token);
		expect(second.status).toBe(200);
		expect(second.body.refresh_token).toBeTruthy();
		expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
		expect((await refresh(first.body.refresh_token)).status).toBe(200);
	});

	it('caps SPA refresh tokens 24 hours after sign-in, without sliding (AADSTS700084)', async () => {
		const first = await codeFlowTokens(h.em);
		const refresh = (token: string) => tokenRequest(h.em, { client_id: CLIENT_ID, grant_type: 'refresh_token', refresh_token: token, scope: 'Files.ReadWrite offline_access' }, { Origin: APP_ORIGIN });
		await control(h.em, 'POST', '/clock/advance', { seconds: 23 * 3600 });
		const later = await refresh(first.body.refresh_token);
		expect(later.status).toBe(200);
		expect(later.body.refresh_token_expires_in).toBeLessThanOrEqual(3600);
		await control(h.em, 'POST', '/clock/advance', { seconds: 3601 });
		const expired = await refresh(later.body.refresh_token);
		expect(expired.body.error).toBe('invalid_grant');
		expect(expired.body.error_codes).toEqual([700084]);
		expect(expired.body.error_description).toContain('1.00:00:00');
	});

	it('refuses refresh tokens revoked through the control API (AADSTS50173)', async () => {
		const first = await codeFlowTokens(h.em);
		await control(h.em, 'POST', '/accounts/alice@contoso.test/revoke-refresh-tokens');
		const { body } = await tokenRequest(h.em, { client_id: CLIENT_ID, grant_type: 'refresh_token', refresh_token: first.body.refresh_token, scope: 'Files.ReadWrite' }, { Origin: APP_ORIGIN });
		expect(body.error).toBe('invalid_grant');
		expect(body.error_codes).toEqual([50173]);
	});

	it('gives scripts tokens by password grant, with the documented errors', async () => {
		const ok = await tokenRequest(h.em, { client_id: CLIENT_ID, grant_type: 'password', username: 'bob@contoso.test', password: PASSWORD, scope: 'Files.ReadWrite offline_access' });
		expect(ok.status).toBe(200);
		expect(ok.body.id_token).toBeUndefined();
		expect(ok.body.refresh_token).toBeTruthy();
		const wrong = await tokenRequest(h.em, { client_id: CLIENT_ID, grant_type: 'password', username: 'bob@contoso.test', password: 'x', scope: 'Files.ReadWrite' });
		expect(wrong.body).toMatchObject({ error: 'invalid_grant', error_codes: [50126] });
		const nobody = await tokenRequest(h.em, { client_id: CLIENT_ID, grant_type: 'password', username: 'zed@contoso.test', password: 'x', scope: 'Files.ReadWrite' });
		expect(nobody.body.error_codes).toEqual([50034]);
	});
});

describe('logout', () => {
	it('ends the session and redirects only to a registered URI', async () => {
		const { browser } = await codeFor();
		const out = await browser.get(`${h.em.url}/common/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent('http://localhost:5173/')}&state=z`);
		expect(out.status).toBe(302);
		expect(out.headers.get('location')).toBe('http://localhost:5173/?state=z');
		const silent = await browser.get(authorizeUrl(h.em, { prompt: 'none', response_mode: 'fragment' }));
		expect(redirectParams(silent.headers.get('location')!).get('error')).toBe('login_required');
		const bad = await fetch(`${h.em.url}/common/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent('http://evil.test/')}`, { redirect: 'manual' });
		expect(bad.status).toBe(400);
	});
});
