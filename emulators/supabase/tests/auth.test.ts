// GoTrue behaviour through unmodified supabase-js 2.109.0.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupabaseApi, type SupabaseApi } from '../src/index.js';
import { signJwt } from '../src/jwt.js';
import { localJwtSecret } from '../src/keys.js';
import { alice, client, demoPassword, raw, signedIn, startTestApi } from './support.js';

let api: SupabaseApi;
beforeAll(async () => {
	api = await startTestApi();
});
afterAll(() => api?.close());

describe('keys', () => {
	it('the anon key committed in .env.development is the one the server issues', () => {
		const env = readFileSync(new URL('../../../.env.development', import.meta.url), 'utf8');
		const committed = /^PUBLIC_SUPABASE_ANON_KEY=(.*)$/m.exec(env)?.[1]?.trim();
		expect(committed).toBe(api.anonKey);
	});

	it('the anon and service keys are JWTs with the anon and service_role roles', () => {
		const role = (key: string) => JSON.parse(Buffer.from(key.split('.')[1]!, 'base64url').toString()).role;
		expect(role(api.anonKey)).toBe('anon');
		expect(role(api.serviceRoleKey)).toBe('service_role');
	});
});

describe('sign-up, sign-in, refresh, user, sign-out', () => {
	it('signs up with a confirmed user and an immediate session', async () => {
		const supabase = client(api);
		const { data, error } = await supabase.auth.signUp({
			email: 'Carol@Reeldrive.test',
			password: 'carol-secret',
			options: { data: { display_name: 'Carol' } }
		});
		expect(error).toBeNull();
		expect(data.session?.access_token).toBeTruthy();
		expect(data.session?.expires_in).toBe(3600);
		expect(data.user).toMatchObject({
			email: 'carol@reeldrive.test',
			aud: 'authenticated',
			role: 'authenticated',
			app_metadata: { provider: 'email', providers: ['email'] },
			user_metadata: { display_name: 'Carol', email: 'carol@reeldrive.test', email_verified: true }
		});
		expect(data.user?.email_confirmed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
		expect(data.user?.identities?.[0]).toMatchObject({ provider: 'email', id: data.user?.id, user_id: data.user?.id });

		const claims = JSON.parse(Buffer.from(data.session!.access_token.split('.')[1]!, 'base64url').toString());
		expect(claims).toMatchObject({
			iss: `${api.url}/auth/v1`,
			sub: data.user?.id,
			aud: 'authenticated',
			role: 'authenticated',
			email: 'carol@reeldrive.test',
			aal: 'aal1',
			is_anonymous: false
		});
		expect(claims.exp - claims.iat).toBe(3600);
		expect(typeof claims.session_id).toBe('string');
	});

	it('refuses a second sign-up with the same email, a weak password and a bad address', async () => {
		const supabase = client(api);
		const taken = await supabase.auth.signUp({ email: alice.email, password: 'whatever-1' });
		expect(taken.error).toMatchObject({ status: 422, code: 'user_already_exists', message: 'User already registered' });

		const weak = await supabase.auth.signUp({ email: 'weak@reeldrive.test', password: '123' });
		expect(weak.error?.name).toBe('AuthWeakPasswordError');
		expect(weak.error).toMatchObject({ status: 422, code: 'weak_password', reasons: ['length'] });

		const bad = await supabase.auth.signUp({ email: 'not-an-email', password: 'long-enough' });
		expect(bad.error).toMatchObject({ status: 400, code: 'validation_failed' });
	});

	it('signs in the demo user and refuses a wrong password with invalid_credentials', async () => {
		const supabase = client(api);
		const ok = await supabase.auth.signInWithPassword({ email: alice.email, password: demoPassword });
		expect(ok.error).toBeNull();
		expect(ok.data.user?.id).toBe(alice.id);
		const wrong = await client(api).auth.signInWithPassword({ email: alice.email, password: 'nope-nope' });
		expect(wrong.error).toMatchObject({ status: 400, code: 'invalid_credentials', message: 'Invalid login credentials' });
		expect(wrong.data.session).toBeNull();
		const unknown = await client(api).auth.signInWithPassword({ email: 'nobody@reeldrive.test', password: demoPassword });
		expect(unknown.error).toMatchObject({ status: 400, code: 'invalid_credentials' });
	});

	it('answers legacy-shaped errors to clients without the API version header', async () => {
		const response = await raw(api, '/auth/v1/token?grant_type=password', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ email: alice.email, password: 'wrong-wrong' })
		});
		expect(response.status).toBe(400);
		expect(response.body).toEqual({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });
		expect(response.headers.get('x-sb-error-code')).toBe('invalid_credentials');
	});

	it('rotates refresh tokens, honours a just-used one within the reuse interval', async () => {
		const supabase = await signedIn(api, alice.email);
		const first = (await supabase.auth.getSession()).data.session!;
		const refreshed = await supabase.auth.refreshSession();
		expect(refreshed.error).toBeNull();
		const second = refreshed.data.session!;
		expect(second.refresh_token).not.toBe(first.refresh_token);
		expect(second.user.id).toBe(alice.id);

		// The parent of the active token (a client that lost our answer) gets the active token back.
		const replay = await refresh(api, first.refresh_token);
		expect(replay.status).toBe(200);
		expect((replay.body as { refresh_token: string }).refresh_token).toBe(second.refresh_token);

		// After one more rotation, the first token is no longer the active one's parent, but it
		// was revoked less than 10 s ago, so it is still accepted (and rotated).
		await supabase.auth.refreshSession();
		const late = await refresh(api, first.refresh_token);
		expect(late.status).toBe(200);
	});

	it('treats a revoked token used after the reuse interval as stolen and ends the session', async () => {
		const strict = await startSupabaseApi({ port: 0, seed: true, quiet: true, refreshTokenReuseInterval: 0 });
		try {
			const supabase = await signedIn(strict, alice.email);
			const first = (await supabase.auth.getSession()).data.session!;
			await supabase.auth.refreshSession();
			await supabase.auth.refreshSession();
			const stolen = await refresh(strict, first.refresh_token);
			expect(stolen).toMatchObject({
				status: 400,
				body: { code: 'refresh_token_already_used', message: 'Invalid Refresh Token: Already Used' }
			});
			// The legitimate holder is signed out too.
			const current = (await supabase.auth.getSession()).data.session!;
			expect(await refresh(strict, current.refresh_token)).toMatchObject({ status: 400, body: { code: 'refresh_token_not_found' } });
			// GET /user answers 403 session_not_found, which supabase-js turns into this error.
			expect((await supabase.auth.getUser()).error?.name).toBe('AuthSessionMissingError');
		} finally {
			await strict.close();
		}
	});

	it('refuses unknown and empty refresh tokens', async () => {
		const unknown = await raw(api, '/auth/v1/token?grant_type=refresh_token', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', 'X-Supabase-Api-Version': '2024-01-01' },
			body: JSON.stringify({ refresh_token: 'made-up' })
		});
		expect(unknown).toMatchObject({ status: 400, body: { code: 'refresh_token_not_found' } });
		const empty = await raw(api, '/auth/v1/token?grant_type=refresh_token', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: '{}'
		});
		expect(empty).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'refresh_token required' } });
	});

	it('gets and updates the user, and a new password ends the other sessions', async () => {
		const email = 'dave@reeldrive.test';
		const laptop = client(api);
		expect((await laptop.auth.signUp({ email, password: 'dave-first' })).error).toBeNull();
		const phone = await signedIn(api, email, 'dave-first');

		const me = await laptop.auth.getUser();
		expect(me.data.user?.email).toBe(email);

		const same = await laptop.auth.updateUser({ password: 'dave-first' });
		expect(same.error).toMatchObject({ status: 422, code: 'same_password' });
		const weak = await laptop.auth.updateUser({ password: 'x' });
		expect(weak.error).toMatchObject({ status: 422, code: 'weak_password' });

		const updated = await laptop.auth.updateUser({ password: 'dave-second', data: { plan: 'free' } });
		expect(updated.error).toBeNull();
		expect(updated.data.user?.user_metadata).toMatchObject({ plan: 'free' });

		// The other device's session ended; the one that changed the password keeps working.
		expect((await phone.auth.getUser()).error?.name).toBe('AuthSessionMissingError');
		expect((await laptop.auth.getUser()).error).toBeNull();
		expect((await client(api).auth.signInWithPassword({ email, password: 'dave-first' })).error?.code).toBe('invalid_credentials');
		expect((await client(api).auth.signInWithPassword({ email, password: 'dave-second' })).error).toBeNull();
	});

	it('signs out: the session and its refresh token stop working', async () => {
		const supabase = await signedIn(api, alice.email);
		const session = (await supabase.auth.getSession()).data.session!;
		expect((await supabase.auth.signOut()).error).toBeNull();
		expect((await supabase.auth.getSession()).data.session).toBeNull();

		const user = await raw(api, '/auth/v1/user', { token: session.access_token, headers: { 'X-Supabase-Api-Version': '2024-01-01' } });
		expect(user).toMatchObject({ status: 403, body: { code: 'session_not_found' } });
		const refresh = await raw(api, '/auth/v1/token?grant_type=refresh_token', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', 'X-Supabase-Api-Version': '2024-01-01' },
			body: JSON.stringify({ refresh_token: session.refresh_token })
		});
		expect(refresh).toMatchObject({ status: 400, body: { code: 'refresh_token_not_found' } });
	});

	it('refuses /user without a token, with the anon key, and with a tampered or expired token', async () => {
		const v = { 'X-Supabase-Api-Version': '2024-01-01' };
		expect(await raw(api, '/auth/v1/user', { headers: v })).toMatchObject({ status: 401, body: { code: 'no_authorization' } });
		expect(await raw(api, '/auth/v1/user', { headers: v, token: api.anonKey })).toMatchObject({
			status: 403,
			body: { code: 'bad_jwt', message: 'invalid claim: missing sub claim' }
		});
		const forged = signJwt({ sub: alice.id, role: 'authenticated', exp: 4102444800 }, 'not-the-local-secret-but-long-enough');
		expect(await raw(api, '/auth/v1/user', { headers: v, token: forged })).toMatchObject({ status: 403, body: { code: 'bad_jwt' } });
		const expired = signJwt({ sub: alice.id, role: 'authenticated', exp: 1000 }, localJwtSecret);
		expect(await raw(api, '/auth/v1/user', { headers: v, token: expired })).toMatchObject({ status: 403, body: { code: 'bad_jwt' } });
		const forever = signJwt({ sub: alice.id, role: 'authenticated' }, localJwtSecret);
		expect(await raw(api, '/auth/v1/user', { headers: v, token: forever })).toMatchObject({
			status: 403,
			body: { code: 'bad_jwt', message: 'invalid JWT: unable to parse or verify signature, token is missing required claim: exp claim is required' }
		});
		const text = signJwt({ sub: alice.id, role: 'authenticated', exp: '4102444800' }, localJwtSecret);
		expect(await raw(api, '/auth/v1/user', { headers: v, token: text })).toMatchObject({ status: 403, body: { code: 'bad_jwt' } });
	});

	it('answers CORS preflights for the app origin only', async () => {
		const preflight = (origin: string) =>
			fetch(`${api.url}/rest/v1/products`, {
				method: 'OPTIONS',
				headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'apikey, authorization, prefer' }
			});
		const ok = await preflight('http://localhost:5173');
		expect(ok.status).toBe(204);
		expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
		expect(ok.headers.get('access-control-allow-headers')).toContain('prefer');
		const other = await preflight('http://evil.test');
		expect(other.headers.get('access-control-allow-origin')).toBeNull();
		const get = await fetch(`${api.url}/auth/v1/health`, { headers: { Origin: 'http://localhost:5173' } });
		expect(get.headers.get('access-control-expose-headers')).toContain('Content-Range');
	});
});

function refresh(target: SupabaseApi, refreshToken: string) {
	return raw(target, '/auth/v1/token?grant_type=refresh_token', {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-Supabase-Api-Version': '2024-01-01' },
		body: JSON.stringify({ refresh_token: refreshToken })
	});
}
