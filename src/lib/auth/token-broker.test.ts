import { describe, expect, it } from 'vitest';
import { AppError } from '$lib/errors';
import type { TokenRequest } from '$lib/sw-bridge/protocol';
import { lendToken, type TokenBrokerDeps } from './token-broker';

const request: TokenRequest = { v: 1, type: 'token-request', appUserId: 'alice', microsoftAccountId: 'ms-alice', forceRefresh: false };

function deps(overrides: Partial<{ user: string | null; account: string | null; restores: string | null; token: () => Promise<string> }> = {}) {
	const calls = { reauth: 0, forceRefresh: [] as boolean[], silent: 0 };
	const value: TokenBrokerDeps = {
		appUserId: () => ('user' in overrides ? overrides.user! : 'alice'),
		microsoft: () => ({
			account: () => {
				const id = 'account' in overrides ? overrides.account : 'ms-alice';
				return id ? { localAccountId: id } : null;
			},
			reconnectSilently: async () => {
				calls.silent++;
				const id = overrides.restores ?? null;
				return id ? { localAccountId: id } : null;
			},
			getAccessToken: async ({ forceRefresh }) => {
				calls.forceRefresh.push(forceRefresh);
				return (overrides.token ?? (async () => 'access-token'))();
			}
		}),
		onReauthNeeded: () => calls.reauth++
	};
	return { value, calls };
}

describe('lendToken', () => {
	it('lends to the signed-in owner for the connected account', async () => {
		const d = deps();
		expect(await lendToken({ ...request, forceRefresh: true }, d.value)).toEqual({ kind: 'token', accessToken: 'access-token' });
		expect(d.calls.forceRefresh).toEqual([true]);
	});

	it('never lends for another person, or with nobody signed in here', async () => {
		expect(await lendToken(request, deps({ user: 'bob' }).value)).toEqual({ kind: 'not-mine' });
		expect(await lendToken(request, deps({ user: null }).value)).toEqual({ kind: 'not-mine' });
	});

	it('the owner without a Microsoft sign-in for the upload’s account is asked to reconnect when no silent sign-in restores it', async () => {
		for (const account of [null, 'ms-other']) {
			for (const restores of [null, 'ms-other']) {
				const d = deps({ account, restores });
				expect(await lendToken(request, d.value)).toEqual({ kind: 'sign-in-required' });
				expect(d.calls).toMatchObject({ reauth: 1, forceRefresh: [], silent: 1 });
			}
		}
	});

	it('lends once a silent sign-in restored the upload’s account (after a browser restart)', async () => {
		const d = deps({ account: null, restores: 'ms-alice' });
		expect(await lendToken(request, d.value)).toEqual({ kind: 'token', accessToken: 'access-token' });
		expect(d.calls).toMatchObject({ reauth: 0, forceRefresh: [false], silent: 1 });
	});

	it('does not try a silent sign-in while the account is already here', async () => {
		const d = deps();
		await lendToken(request, d.value);
		expect(d.calls.silent).toBe(0);
	});

	it('a refused refresh is "sign in again"; any other failure lends nothing', async () => {
		const refused = deps({ token: async () => Promise.reject(new AppError('microsoft-reauth-required')) });
		expect(await lendToken(request, refused.value)).toEqual({ kind: 'sign-in-required' });
		expect(refused.calls.reauth).toBe(1);
		const broken = deps({ token: async () => Promise.reject(new Error('network')) });
		expect(await lendToken(request, broken.value)).toEqual({ kind: 'not-mine' });
	});
});
