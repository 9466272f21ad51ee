import { describe, expect, it } from 'vitest';
import type { KnownAccount, MicrosoftAccount } from '$lib/auth/microsoft-auth';
import type { Services } from '$lib/services';
import type { ConnectionRow } from '$lib/supabase/connections';
import { knownAccount, OneDriveManager } from './onedrive.svelte';

const ALICE: MicrosoftAccount = { homeAccountId: 'oid-alice.tid', localAccountId: 'oid-alice', tenantId: 'tid', username: 'alice@contoso.test', name: 'Alice' };

function row(fields: Partial<ConnectionRow> = {}): ConnectionRow {
	return {
		id: 'c1',
		owner_id: 'user-1',
		microsoft_account_id: 'oid-alice',
		microsoft_username: 'alice@contoso.test',
		drive_id: 'drive-alice',
		drive_type: 'personal',
		status: 'connected',
		default_folder_id: null,
		default_folder_path: null,
		connected_at: '2026-01-01T00:00:00Z',
		disconnected_at: null,
		created_at: '2026-01-01T00:00:00Z',
		updated_at: '2026-01-01T00:00:00Z',
		...fields
	};
}

/**
 * The services the manager uses: the connection row in "Supabase", a Microsoft sign-in that this
 * browser does or does not hold, and a silent sign-in that answers as scripted.
 */
function services(options: { row: ConnectionRow | null; cached?: MicrosoftAccount | null; silent?: () => Promise<MicrosoftAccount | null> }) {
	let stored = options.row;
	const log: string[] = [];
	let cached = options.cached ?? null;
	let listener: ((account: MicrosoftAccount) => void) | undefined;
	let known: KnownAccount | null = null;
	const query = {
		select: () => query,
		not: () => query,
		maybeSingle: async () => ({ data: stored, error: null }),
		single: async () => ({ data: stored, error: null }),
		update: (fields: Partial<ConnectionRow>) => {
			stored = { ...stored!, ...fields };
			log.push(`row status ${fields.status}`);
			return query;
		}
	};
	const value = {
		supabase: { from: () => query },
		microsoft: {
			initialize: async () => {},
			takeRedirectOutcome: () => null,
			account: () => cached,
			expectAccount: (next: KnownAccount | null) => {
				known = next;
				log.push(`expect ${next?.username ?? 'nobody'}`);
			},
			onSilentSignIn: (next: (account: MicrosoftAccount) => void) => {
				listener = next;
				return () => (listener = undefined);
			},
			reconnectSilently: async () => {
				log.push(`silent ${known?.username ?? 'nobody'}`);
				if (!known || !options.silent) return null;
				const account = await options.silent();
				if (account) {
					cached = account;
					listener?.(account);
				}
				return account;
			},
			reconnect: async (hint: string) => void log.push(`reconnect ${hint}`),
			connect: async (request: { loginHint?: string }) => void log.push(`connect ${request.loginHint}`)
		},
		graph: {
			drive: async () => {
				log.push('graph drive');
				return { id: 'drive-alice', driveType: 'personal', quota: { used: 1, total: 10 } };
			},
			item: async () => ({ id: 'f', name: 'Reeldrive', parentReference: { path: '/drive/root:' } })
		}
	};
	return { services: value as unknown as Services, log, row: () => stored };
}

describe('OneDriveManager: staying connected', () => {
	it('after a browser restart, a silent sign-in for the connected account brings it back with no click', async () => {
		const s = services({ row: row(), silent: async () => ALICE });
		const manager = new OneDriveManager();
		await manager.start(s.services);
		expect(manager.state).toBe('connected');
		expect(manager.account?.localAccountId).toBe('oid-alice');
		expect(manager.quota).toEqual({ used: 1, total: 10 });
		expect(s.log).toEqual(['expect alice@contoso.test', 'silent alice@contoso.test', 'graph drive']);
	});

	it('falls to "needs you to sign in again" when Microsoft has no session for it, and Reconnect is one redirect with the account as hint', async () => {
		const s = services({ row: row(), silent: async () => null });
		const manager = new OneDriveManager();
		await manager.start(s.services);
		expect(manager.state).toBe('needs-reauth');
		expect(manager.error).toBeNull();
		await manager.reconnect();
		expect(s.log).toEqual(['expect alice@contoso.test', 'silent alice@contoso.test', 'reconnect alice@contoso.test']);
	});

	it('never binds another Microsoft account a silent sign-in might bring', async () => {
		const s = services({ row: row(), silent: async () => ({ ...ALICE, localAccountId: 'oid-mallory', username: 'mallory@contoso.test' }) });
		const manager = new OneDriveManager();
		await manager.start(s.services);
		expect(manager.state).toBe('needs-reauth');
		expect(manager.account).toBeNull();
		expect(s.log).not.toContain('graph drive');
	});

	it('a silent sign-in made later (a Graph call, an upload’s token loan) turns "sign in again" into connected', async () => {
		let answer: MicrosoftAccount | null = null;
		const s = services({ row: row({ status: 'needs_reauth' }), silent: async () => answer });
		const manager = new OneDriveManager();
		await manager.start(s.services);
		expect(manager.state).toBe('needs-reauth');
		answer = ALICE;
		// What the token broker does: ask the Microsoft sign-in, which tells every listener.
		await (s.services.microsoft as unknown as { reconnectSilently(): Promise<unknown> }).reconnectSilently();
		await expect.poll(() => manager.state).toBe('connected');
		expect(s.row()?.status).toBe('connected');
	});

	it('asks nothing of Microsoft after a deliberate disconnect, or with no connection at all', async () => {
		for (const start of [row({ status: 'disconnected' }), null]) {
			const s = services({ row: start, silent: async () => ALICE });
			const manager = new OneDriveManager();
			await manager.start(s.services);
			expect(manager.state).toBe(start ? 'disconnected' : 'not-connected');
			expect(s.log).toEqual(['expect nobody']);
		}
	});
});

describe('knownAccount', () => {
	it('names the row’s account, unless it was disconnected or has no user name to hint with', () => {
		expect(knownAccount(row())).toEqual({ localAccountId: 'oid-alice', username: 'alice@contoso.test' });
		expect(knownAccount(row({ status: 'needs_reauth' }))).toEqual({ localAccountId: 'oid-alice', username: 'alice@contoso.test' });
		expect(knownAccount(row({ status: 'disconnected' }))).toBeNull();
		expect(knownAccount(row({ microsoft_username: null }))).toBeNull();
		expect(knownAccount(null)).toBeNull();
	});
});
