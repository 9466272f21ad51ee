import { describe, expect, it } from 'vitest';
import { MicrosoftAuth, OWNER_KEY, type MsalModule } from './microsoft-auth';

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
