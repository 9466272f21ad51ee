import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from './jwt.js';
import { apiKey, localJwtSecret } from './keys.js';

describe('HS256 JWT', () => {
	it('round-trips claims', () => {
		const token = signJwt({ sub: 'u1', role: 'authenticated', exp: 2000 }, 'k'.repeat(32));
		expect(verifyJwt(token, 'k'.repeat(32), 1000)).toEqual({
			ok: true,
			claims: { sub: 'u1', role: 'authenticated', exp: 2000 }
		});
	});

	it('refuses a token signed with another secret or altered', () => {
		const token = signJwt({ role: 'service_role', exp: 4102444800 }, 'a'.repeat(32));
		expect(verifyJwt(token, 'b'.repeat(32))).toEqual({ ok: false, reason: 'bad-signature' });
		const [head, , sig] = token.split('.');
		const forged = `${head}.${Buffer.from('{"role":"postgres"}').toString('base64url')}.${sig}`;
		expect(verifyJwt(forged, 'a'.repeat(32))).toEqual({ ok: false, reason: 'bad-signature' });
	});

	it('refuses alg none and garbage', () => {
		const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"role":"anon"}').toString('base64url')}.`;
		expect(verifyJwt(none, 'x'.repeat(32))).toEqual({ ok: false, reason: 'bad-signature' });
		expect(verifyJwt('not-a-jwt', 'x')).toEqual({ ok: false, reason: 'malformed' });
		expect(verifyJwt('a.b.c', 'x')).toEqual({ ok: false, reason: 'malformed' });
	});

	it('applies exp and nbf with 30 s of skew', () => {
		const secret = 's'.repeat(32);
		const token = signJwt({ exp: 1000, nbf: 900 }, secret);
		expect(verifyJwt(token, secret, 1029).ok).toBe(true);
		expect(verifyJwt(token, secret, 1030)).toEqual({ ok: false, reason: 'expired' });
		expect(verifyJwt(token, secret, 869)).toEqual({ ok: false, reason: 'not-yet-valid' });
	});

	it('requires a numeric exp, as GoTrue tokens and the API keys always carry one', () => {
		const secret = 's'.repeat(32);
		expect(verifyJwt(signJwt({ role: 'service_role' }, secret), secret)).toEqual({ ok: false, reason: 'missing-exp' });
		for (const exp of ['9999999999', null, true, [9999999999], { at: 9999999999 }]) {
			expect({ exp, result: verifyJwt(signJwt({ role: 'service_role', exp }, secret), secret) }).toEqual({ exp, result: { ok: false, reason: 'invalid-exp' } });
		}
		expect(verifyJwt(signJwt({ role: 'service_role', exp: 2000.5 }, secret), secret, 1000).ok).toBe(true);
	});

	it('mints the Supabase CLI demo anon key from the local secret', () => {
		const anon = apiKey('anon');
		expect(JSON.parse(Buffer.from(anon.split('.')[1]!, 'base64url').toString())).toEqual({
			iss: 'supabase-demo',
			role: 'anon',
			exp: 1983812996
		});
		expect(verifyJwt(anon, localJwtSecret).ok).toBe(true);
	});
});
