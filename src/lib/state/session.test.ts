import { describe, expect, it, vi } from 'vitest';
import { SESSION_STORAGE_KEY } from '$lib/auth/stored-session';
import { AppError } from '$lib/errors';
import type { Services } from '$lib/services';
import { SessionManager } from './session.svelte';

/** Supabase Auth and the Microsoft sign-in, as far as the session manager uses them. */
function services(options: { bind: (userId: string) => Promise<void>; stored?: boolean }) {
	const session = { user: { id: 'user-1', email: 'alice@reeldrive.test' } };
	return {
		supabase: {
			auth: {
				getSession: async () => ({ data: { session: options.stored ? session : null } }),
				onAuthStateChange: () => ({ data: { subscription: { unsubscribe() {} } } }),
				signInWithPassword: async () => ({ data: { session }, error: null }),
				signOut: async () => ({ error: null })
			}
		},
		microsoft: { bindToAppUser: options.bind, releaseAppUser: async () => {} }
	} as unknown as Services;
}

/** A window whose storage holds `stored` and whose `storage` events the test fires. */
function browserWindow(stored: Record<string, string> = {}) {
	const listeners: ((event: StorageEvent) => void)[] = [];
	const localStorage = { getItem: (key: string) => stored[key] ?? null } as Storage;
	return {
		localStorage,
		addEventListener: (_type: 'storage', listener: (event: StorageEvent) => void) => {
			listeners.push(listener);
		},
		/** Another tab wrote `key`. */
		storageChanged(key: string, newValue: string | null) {
			stored[key] = newValue ?? '';
			for (const listener of listeners) listener({ key, newValue } as StorageEvent);
		}
	};
}

/** Counts how often the services were built. */
function loader(built: Services) {
	const calls = { count: 0 };
	const load = async () => {
		calls.count++;
		return built;
	};
	return { load, calls };
}

describe('SessionManager', () => {
	it('is signed out at once, without loading the services, when this browser holds no session', async () => {
		const manager = new SessionManager();
		const { load, calls } = loader(services({ bind: async () => {} }));
		await manager.start(load, browserWindow());
		expect(manager.status).toBe('signed-out');
		expect(calls.count).toBe(0);

		// Signing in loads them (once), then signs in.
		await manager.signIn('alice@reeldrive.test', 'reeldrive-demo');
		await manager.signOut();
		await manager.signIn('alice@reeldrive.test', 'reeldrive-demo');
		expect(manager.status).toBe('signed-in');
		expect(calls.count).toBe(1);
	});

	it('loads the services and adopts the session this browser holds', async () => {
		const manager = new SessionManager();
		const { load, calls } = loader(services({ bind: async () => {}, stored: true }));
		await manager.start(load, browserWindow({ [SESSION_STORAGE_KEY]: '{"access_token":"…"}' }));
		expect(calls.count).toBe(1);
		expect(manager.status).toBe('signed-in');
		expect(manager.user?.id).toBe('user-1');
	});

	it('follows another tab signing in, and ignores other keys and sign-outs there', async () => {
		const manager = new SessionManager();
		const { load, calls } = loader(services({ bind: async () => {}, stored: true }));
		const target = browserWindow();
		await manager.start(load, target);
		target.storageChanged('some-other-key', 'x');
		target.storageChanged(SESSION_STORAGE_KEY, null);
		expect(calls.count).toBe(0);
		expect(manager.status).toBe('signed-out');

		target.storageChanged(SESSION_STORAGE_KEY, '{"access_token":"…"}');
		await vi.waitFor(() => expect(manager.status).toBe('signed-in'));
		expect(calls.count).toBe(1);
	});

	it('says so in words when signing in cannot load the app (offline on a first visit), and works on the next try', async () => {
		const manager = new SessionManager();
		let online = false;
		const built = services({ bind: async () => {} });
		await manager.start(async () => {
			if (!online) throw new TypeError('Failed to fetch dynamically imported module');
			return built;
		}, browserWindow());
		await expect(manager.signIn('alice@reeldrive.test', 'reeldrive-demo')).rejects.toMatchObject({ code: 'network-unreachable' });
		expect(manager.status).toBe('signed-out');
		online = true;
		await manager.signIn('alice@reeldrive.test', 'reeldrive-demo');
		expect(manager.status).toBe('signed-in');
	});

	it('says why signing in did not complete when the Microsoft sign-in cannot be handed over, and succeeds on the next try', async () => {
		let reachable = false;
		const manager = new SessionManager();
		const built = services({
			bind: async () => {
				if (!reachable) throw new AppError('network-unreachable', { service: 'Microsoft sign-in' });
			}
		});
		await manager.start(async () => built, browserWindow());
		expect(manager.status).toBe('signed-out');

		await expect(manager.signIn('alice@reeldrive.test', 'reeldrive-demo')).rejects.toMatchObject({ code: 'network-unreachable' });
		expect(manager.status).toBe('signed-out');
		expect(manager.user).toBeNull();

		reachable = true;
		await manager.signIn('alice@reeldrive.test', 'reeldrive-demo');
		expect(manager.status).toBe('signed-in');
		expect(manager.user).toEqual({ id: 'user-1', email: 'alice@reeldrive.test' });
	});
});
