import { describe, expect, it } from 'vitest';
import { MicrosoftAuth, OWNER_KEY, RECONNECT_KEY, type MsalModule } from './microsoft-auth';

const config = {
	clientId: 'client',
	authority: 'https://login.example/common',
	knownAuthorities: ['login.example'],
	authorityMetadata: '',
	redirectUri: 'http://localhost:5173/auth/microsoft',
	scopes: ['User.Read']
};

function memoryStorage(): Storage {
	const map = new Map<string, string>();
	return {
		get length() {
			return map.size;
		},
		clear: () => map.clear(),
		getItem: (key) => map.get(key) ?? null,
		key: (index) => [...map.keys()][index] ?? null,
		removeItem: (key) => void map.delete(key),
		setItem: (key, value) => void map.set(key, value)
	};
}

/** A stand-in for @azure/msal-browser that records what was done with it. */
function fakeMsal(accounts: { homeAccountId: string }[]) {
	const calls: string[] = [];
	class PublicClientApplication {
		async initialize() {
			calls.push('initialize');
		}
		async handleRedirectPromise() {
			return null;
		}
		getAllAccounts() {
			return accounts;
		}
		getActiveAccount() {
			return null;
		}
		setActiveAccount() {}
		async clearCache(request?: { account?: { homeAccountId: string } }) {
			calls.push(`clear ${request?.account?.homeAccountId ?? 'all'}`);
		}
	}
	const module = { PublicClientApplication } as unknown as MsalModule;
	let loads = 0;
	return {
		calls,
		loads: () => loads,
		load: async () => {
			loads++;
			return module;
		}
	};
}

describe('MicrosoftAuth', () => {
	it('loads MSAL only when it is needed: signing in as the same or a first user loads nothing', async () => {
		const storage = memoryStorage();
		const msal = fakeMsal([]);
		const auth = new MicrosoftAuth(config, msal.load, storage);
		await auth.bindToAppUser('u1');
		await auth.bindToAppUser('u1');
		expect(storage.getItem(OWNER_KEY)).toBe('u1');
		expect(auth.account()).toBeNull();
		expect(msal.loads()).toBe(0);
	});

	it("wipes another app user's Microsoft accounts before binding to the new one", async () => {
		const storage = memoryStorage();
		storage.setItem(OWNER_KEY, 'alice');
		const msal = fakeMsal([{ homeAccountId: 'ms-alice' }]);
		const auth = new MicrosoftAuth(config, msal.load, storage);
		await auth.bindToAppUser('bob');
		expect(msal.calls).toEqual(['initialize', 'clear ms-alice', 'clear all']);
		expect(storage.getItem(OWNER_KEY)).toBe('bob');
		expect(msal.loads()).toBe(1);
	});

	it('tries loading again after a failed download, and says the network is the problem', async () => {
		const msal = fakeMsal([]);
		let fail = true;
		const auth = new MicrosoftAuth(config, async () => {
			if (fail) throw new TypeError('Failed to fetch dynamically imported module');
			return msal.load();
		}, memoryStorage());
		await expect(auth.initialize()).rejects.toMatchObject({ code: 'network-unreachable' });
		fail = false;
		await auth.initialize();
		expect(msal.calls).toEqual(['initialize']);
	});
});

interface FakeAccount {
	homeAccountId: string;
	localAccountId: string;
	tenantId: string;
	username: string;
	name: string;
}

const ALICE: FakeAccount = { homeAccountId: 'oid-alice.tid', localAccountId: 'oid-alice', tenantId: 'tid', username: 'alice@contoso.test', name: 'Alice' };
const MALLORY: FakeAccount = { homeAccountId: 'oid-mallory.tid', localAccountId: 'oid-mallory', tenantId: 'tid', username: 'mallory@contoso.test', name: 'Mallory' };

/**
 * A richer stand-in for MSAL: an account cache, ssoSilent that answers as scripted (and caches
 * what it signs in, as MSAL does), refresh that works or not, and redirects recorded.
 */
function scriptedMsal(script: {
	cached?: FakeAccount[];
	ssoSilent?: (request: { loginHint?: string }) => Promise<FakeAccount>;
	refreshWorks?: boolean;
	redirectResult?: () => Promise<{ account: FakeAccount } | null>;
}) {
	const calls: string[] = [];
	const accounts = [...(script.cached ?? [])];
	let active: FakeAccount | null = null;
	class AuthError extends Error {
		constructor(
			readonly errorCode: string,
			readonly errorMessage = ''
		) {
			super(errorCode);
		}
	}
	class InteractionRequiredAuthError extends AuthError {}
	class BrowserAuthError extends AuthError {}
	class PublicClientApplication {
		constructor(readonly config: unknown) {}
		async initialize() {}
		async handleRedirectPromise() {
			return script.redirectResult ? script.redirectResult() : null;
		}
		getAllAccounts() {
			return accounts;
		}
		getAccount(filter: { homeAccountId?: string; localAccountId?: string }) {
			return accounts.find((a) => (filter.homeAccountId ? a.homeAccountId === filter.homeAccountId : a.localAccountId === filter.localAccountId)) ?? null;
		}
		getActiveAccount() {
			return active;
		}
		setActiveAccount(account: FakeAccount | null) {
			active = account;
			calls.push(`active ${account?.localAccountId ?? 'none'}`);
		}
		async clearCache(request?: { account?: FakeAccount }) {
			calls.push(`clear ${request?.account?.localAccountId ?? 'all'}`);
			if (request?.account) accounts.splice(accounts.indexOf(request.account), 1);
			else accounts.length = 0;
		}
		async ssoSilent(request: { loginHint?: string }) {
			calls.push(`ssoSilent ${request.loginHint}`);
			if (!script.ssoSilent) throw new InteractionRequiredAuthError('login_required');
			const account = await script.ssoSilent(request);
			if (!accounts.includes(account)) accounts.push(account);
			return { account, accessToken: `sso-${account.localAccountId}` };
		}
		async acquireTokenSilent(request: { account: FakeAccount; forceRefresh: boolean }) {
			calls.push(`acquire ${request.account.localAccountId}`);
			if (!accounts.includes(request.account)) throw new InteractionRequiredAuthError('no_tokens_found');
			if (script.refreshWorks === false && !calls.includes(`ssoSilent ${request.account.username}`)) throw new InteractionRequiredAuthError('invalid_grant');
			return { accessToken: `token-${request.account.localAccountId}` };
		}
		async loginRedirect(request: { prompt?: string; loginHint?: string; redirectStartPage?: string }) {
			calls.push(`loginRedirect prompt=${request.prompt ?? '-'} hint=${request.loginHint} start=${request.redirectStartPage}`);
		}
	}
	const module = {
		PublicClientApplication,
		AuthError,
		InteractionRequiredAuthError,
		BrowserAuthError,
		CacheLookupPolicy: { AccessTokenAndRefreshToken: 1, RefreshToken: 2 }
	} as unknown as MsalModule;
	return { calls, load: async () => module, errors: { InteractionRequiredAuthError, AuthError } };
}

/** Timers that never fire unless a test fires them. */
function manualSleep() {
	const pending: Array<() => void> = [];
	return {
		fireAll: () => pending.splice(0).forEach((fire) => fire()),
		sleep: () => {
			let fire!: () => void;
			const done = new Promise<void>((resolve) => (fire = resolve));
			pending.push(fire);
			return { done, cancel: () => {} };
		}
	};
}

function authWith(msal: ReturnType<typeof scriptedMsal>, extra: { pendingStorage?: Storage; sleep?: ReturnType<typeof manualSleep> } = {}) {
	return new MicrosoftAuth(config, msal.load, memoryStorage(), {
		pendingStorage: extra.pendingStorage ?? memoryStorage(),
		online: () => true,
		sleep: (extra.sleep ?? manualSleep()).sleep
	});
}

const knownAlice = { localAccountId: 'oid-alice', username: 'alice@contoso.test' };

describe('MicrosoftAuth: staying connected without a click', () => {
	it('with no account in the cache (a browser restart), a token comes from a silent sign-in for the known account', async () => {
		const msal = scriptedMsal({ ssoSilent: async () => ALICE });
		const auth = authWith(msal);
		auth.expectAccount(knownAlice);
		const told: string[] = [];
		auth.onSilentSignIn((account) => told.push(account.username));
		expect(await auth.getAccessToken()).toBe('token-oid-alice');
		expect(msal.calls).toEqual(['ssoSilent alice@contoso.test', 'active oid-alice', 'acquire oid-alice']);
		expect(auth.account()?.localAccountId).toBe('oid-alice');
		expect(told).toEqual(['alice@contoso.test']);
	});

	it('refuses a silent answer for another Microsoft account: removed, never active, and the person is asked', async () => {
		const msal = scriptedMsal({ ssoSilent: async () => MALLORY });
		const auth = authWith(msal);
		auth.expectAccount(knownAlice);
		await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'microsoft-reauth-required' });
		expect(msal.calls).toEqual(['ssoSilent alice@contoso.test', 'clear oid-mallory']);
		expect(auth.account()).toBeNull();
		expect(await auth.reconnectSilently()).toBeNull();
	});

	it('asks Microsoft once per page load, for every concurrent caller (Settings, Graph, the upload worker)', async () => {
		let answer!: (account: FakeAccount) => void;
		const msal = scriptedMsal({ ssoSilent: () => new Promise((resolve) => (answer = resolve)) });
		const auth = authWith(msal);
		auth.expectAccount(knownAlice);
		const callers = Promise.all([auth.reconnectSilently(), auth.getAccessToken(), auth.reconnectSilently()] as const);
		await expect.poll(() => msal.calls.filter((c) => c.startsWith('ssoSilent'))).toHaveLength(1);
		answer(ALICE);
		const [first, token, third] = await callers;
		expect(first?.localAccountId).toBe('oid-alice');
		expect(third?.localAccountId).toBe('oid-alice');
		expect(token).toBe('token-oid-alice');
		expect(msal.calls.filter((c) => c.startsWith('ssoSilent'))).toEqual(['ssoSilent alice@contoso.test']);
	});

	it('a silent sign-in that does not answer in time leaves the person to reconnect, without hanging', async () => {
		const msal = scriptedMsal({ ssoSilent: () => new Promise(() => {}) });
		const timers = manualSleep();
		const auth = authWith(msal, { sleep: timers });
		auth.expectAccount(knownAlice);
		const waiting = auth.reconnectSilently();
		await expect.poll(() => msal.calls).toContain('ssoSilent alice@contoso.test');
		timers.fireAll();
		expect(await waiting).toBeNull();
	});

	it('without Microsoft’s session it falls to "sign in again"; with no known account it asks nobody', async () => {
		const msal = scriptedMsal({});
		const auth = authWith(msal);
		await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'microsoft-not-connected' });
		expect(msal.calls).toEqual([]);
		auth.expectAccount(knownAlice);
		await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'microsoft-reauth-required' });
		expect(msal.calls).toEqual(['ssoSilent alice@contoso.test']);
	});

	it('a refresh Microsoft refuses (24 hours after sign-in) is followed by one silent sign-in, then the token', async () => {
		const msal = scriptedMsal({ cached: [ALICE], refreshWorks: false, ssoSilent: async () => ALICE });
		const auth = authWith(msal);
		auth.expectAccount(knownAlice);
		expect(await auth.getAccessToken()).toBe('token-oid-alice');
		expect(msal.calls).toEqual(['acquire oid-alice', 'ssoSilent alice@contoso.test', 'active oid-alice', 'acquire oid-alice']);
	});

	it('uses the cached account when this browser holds it, with no request to Microsoft', async () => {
		const msal = scriptedMsal({ cached: [ALICE], ssoSilent: async () => ALICE });
		const auth = authWith(msal);
		auth.expectAccount(knownAlice);
		expect((await auth.reconnectSilently())?.localAccountId).toBe('oid-alice');
		expect(msal.calls).toEqual(['active oid-alice']);
	});
});

describe('MicrosoftAuth: one-click reconnect', () => {
	it('starts a top-level redirect with prompt=none and the account as login_hint, and remembers it for the return', async () => {
		const pending = memoryStorage();
		const msal = scriptedMsal({});
		const auth = authWith(msal, { pendingStorage: pending });
		(globalThis as { location?: unknown }).location = { href: 'http://localhost:5173/products/p1' };
		try {
			await auth.reconnect('alice@contoso.test');
		} finally {
			delete (globalThis as { location?: unknown }).location;
		}
		expect(msal.calls).toEqual(['loginRedirect prompt=none hint=alice@contoso.test start=http://localhost:5173/products/p1']);
		expect(JSON.parse(pending.getItem(RECONNECT_KEY)!)).toEqual({ loginHint: 'alice@contoso.test', startPage: 'http://localhost:5173/products/p1' });
	});

	it('when prompt=none comes back login_required, goes straight on to the sign-in page for the same account (no picker, no error)', async () => {
		const pending = memoryStorage();
		pending.setItem(RECONNECT_KEY, JSON.stringify({ loginHint: 'alice@contoso.test', startPage: 'http://localhost:5173/settings' }));
		const box: { msal?: ReturnType<typeof scriptedMsal> } = {};
		const msal = scriptedMsal({
			redirectResult: async () => {
				throw new box.msal!.errors.InteractionRequiredAuthError('login_required', 'AADSTS50058: A silent sign-in request was sent but no user is signed in.');
			}
		});
		box.msal = msal;
		const auth = authWith(msal, { pendingStorage: pending });
		await auth.initialize();
		expect(msal.calls).toEqual(['loginRedirect prompt=- hint=alice@contoso.test start=http://localhost:5173/settings']);
		expect(auth.takeRedirectOutcome()).toEqual({ account: null, error: null, continuing: true });
		expect(pending.getItem(RECONNECT_KEY)).toBeNull();
	});

	it('the same failure without a reconnect under way is an error to show, and a reconnect that succeeded leaves nothing behind', async () => {
		const box: { msal?: ReturnType<typeof scriptedMsal> } = {};
		const failing = scriptedMsal({
			redirectResult: async () => {
				throw new box.msal!.errors.InteractionRequiredAuthError('login_required');
			}
		});
		box.msal = failing;
		const plain = authWith(failing);
		await plain.initialize();
		expect(failing.calls).toEqual([]);
		expect(plain.takeRedirectOutcome()).toMatchObject({ account: null, error: { code: 'microsoft-reauth-required' } });

		const pending = memoryStorage();
		pending.setItem(RECONNECT_KEY, JSON.stringify({ loginHint: 'alice@contoso.test', startPage: 'http://localhost:5173/settings' }));
		const returning = scriptedMsal({ cached: [ALICE], redirectResult: async () => ({ account: ALICE }) });
		const auth = authWith(returning, { pendingStorage: pending });
		await auth.initialize();
		expect(auth.takeRedirectOutcome()).toMatchObject({ account: { localAccountId: 'oid-alice' }, error: null });
		expect(returning.calls).toEqual(['active oid-alice']);
		expect(pending.getItem(RECONNECT_KEY)).toBeNull();
	});
});
