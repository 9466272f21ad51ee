import { describe, expect, it } from 'vitest';
import { AppError } from '$lib/errors';
import type { Services } from '$lib/services';
import { SessionManager } from './session.svelte';

/** Supabase Auth and the Microsoft sign-in, as far as the session manager uses them. */
function services(options: { bind: (userId: string) => Promise<void> }) {
	const session = { user: { id: 'user-1', email: 'alice@reeldrive.test' } };
	return {
		supabase: {
			auth: {
				getSession: async () => ({ data: { session: null } }),
				onAuthStateChange: () => ({ data: { subscription: { unsubscribe() {} } } }),
				signInWithPassword: async () => ({ data: { session }, error: null })
			}
		},
		microsoft: { bindToAppUser: options.bind, releaseAppUser: async () => {} }
	} as unknown as Services;
}

describe('SessionManager', () => {
	it('says why signing in did not complete when the Microsoft sign-in cannot be handed over, and succeeds on the next try', async () => {
		let reachable = false;
		const manager = new SessionManager();
		await manager.start(
			services({
				bind: async () => {
					if (!reachable) throw new AppError('network-unreachable', { service: 'Microsoft sign-in' });
				}
			})
		);
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
