import { describe, expect, it } from 'vitest';
import { AppError } from '$lib/errors';
import type { StatusCount, SyncRow } from '$lib/supabase/sync-status';
import { SyncManager, type SyncDeps } from './sync.svelte';
import type { LocalUpload } from './sync-status';

function job(id: string, changes: Partial<LocalUpload> = {}): LocalUpload {
	return { id, name: `${id}.mp4`, size: 10, productId: null, status: 'uploading', pause: null, statusText: 'Uploading', errorText: null, createdAt: 1, ...changes };
}

function setup(options: { jobs?: LocalUpload[]; counts?: StatusCount[]; rows?: SyncRow[]; fail?: boolean } = {}) {
	const calls: string[] = [];
	const jobs = $state(options.jobs ?? []);
	const uploads = {
		jobs,
		async command(id: string, command: string) {
			calls.push(`${command} ${id}`);
		},
		async pump() {
			calls.push('pump');
		}
	};
	let userId: string | null = 'u1';
	const deps: SyncDeps = {
		repo: {
			summary: async (excluded) => {
				calls.push(`summary ${excluded.join(',')}`);
				if (options.fail) throw new AppError('network-unreachable', { service: 'Reeldrive' });
				return options.counts ?? [];
			},
			unfinished: async () => {
				calls.push('unfinished');
				return options.rows ?? [];
			},
			recent: async () => {
				calls.push('recent');
				return [];
			}
		},
		uploads,
		userId: () => userId
	};
	return { manager: new SyncManager(deps), calls, uploads, signOut: () => (userId = null) };
}

describe('SyncManager', () => {
	it('asks the database to leave out the uploads it counts itself, and merges both', async () => {
		const { manager, calls } = setup({
			jobs: [job('b', { status: 'paused', pause: 'offline' }), job('a'), job('done', { status: 'done' })],
			counts: [
				{ status: 'queued', videoCount: 1, withoutProduct: 0, lastUploadedAt: null },
				{ status: 'synced', videoCount: 4, withoutProduct: 1, lastUploadedAt: '2026-11-27T10:00:00Z' }
			]
		});
		await manager.refresh();
		expect(calls).toEqual(['summary a,b']);
		expect(manager.summary.counts).toMatchObject({ queued: 1, waiting: 1, uploading: 1, synced: 4 });
		expect(manager.summary.lastSyncedAt).toBe('2026-11-27T10:00:00Z');
		expect(manager.status).toBe('ready');
	});

	it('loads the lists only for the dashboard', async () => {
		const { manager, calls } = setup();
		await manager.refresh({ lists: true });
		expect(calls.sort()).toEqual(['recent', 'summary ', 'unfinished']);
	});

	it('keeps counting live uploads as they move, and says when the counts are due again', async () => {
		const { manager, uploads } = setup({ jobs: [job('a', { status: 'error' })] });
		await manager.refresh();
		const key = manager.localKey;
		expect(manager.summary.counts.error).toBe(1);
		uploads.jobs[0]!.status = 'queued';
		expect(manager.summary.counts).toMatchObject({ error: 0, queued: 1 });
		expect(manager.localKey).toBe(key);
		uploads.jobs.push(job('new'));
		expect(manager.localKey).not.toBe(key);
	});

	it('Sync all retries failed uploads, resumes paused ones, then runs the queue, and says so', async () => {
		const { manager, calls } = setup({
			jobs: [job('f', { status: 'error' }), job('p', { status: 'paused', pause: 'user' }), job('u')],
			rows: [{ id: 'x', name: 'x.mp4', size_bytes: 5, status: 'error', product_id: null, error_code: null, error_message: null, uploaded_at: null, updated_at: '2026-11-27T10:00:00Z' }]
		});
		await manager.refresh({ lists: true });
		calls.length = 0;
		expect(manager.startable).toBe(2);
		await manager.syncAll();
		expect(calls).toEqual(['retry f', 'resume p', 'pump']);
		expect(manager.message).toBe('2 uploads started again. 1 video was started in another browser or on another device and can only be retried there.');
	});

	it('starts one upload with the command it needs, and nothing for one it cannot start', async () => {
		const { manager, calls } = setup({ jobs: [job('f', { status: 'error' }), job('u')] });
		await manager.start('f');
		await manager.start('u');
		expect(calls).toEqual(['retry f', 'pump']);
	});

	it('shows an unreachable database in words, keeping this browser’s own counts', async () => {
		const { manager } = setup({ jobs: [job('a')], fail: true });
		await manager.refresh();
		expect(manager.status).toBe('error');
		expect(manager.error?.code).toBe('network-unreachable');
		expect(manager.summary.counts.uploading).toBe(0);
	});

	it('does nothing once signed out', async () => {
		const { manager, calls, signOut } = setup();
		signOut();
		await manager.refresh();
		expect(calls).toEqual([]);
	});
});
