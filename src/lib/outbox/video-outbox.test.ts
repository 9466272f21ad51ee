import { describe, expect, it } from 'vitest';
import type { OutboxEntry, UploadRecord } from '$lib/db/reeldrive-db';
import { createUploadJob, type UploadJobState } from '$lib/upload';
import { MemoryLocks } from '$lib/upload-runner/job-locks';
import { OutboxDrainer, outboxChange, videoRowFor, type OutboxStore } from './video-outbox';

function record(state: Partial<UploadJobState>): UploadRecord {
	const base = createUploadJob({ id: 'v1', name: 'Clip_ 1.mp4', size: 5_000, target: { kind: 'folder', parentId: 'f1' } }, 1_000);
	return {
		id: 'v1',
		appUserId: 'u1',
		microsoftAccountId: 'm1',
		productId: 'p1',
		driveId: 'd1',
		folderPath: '/Reeldrive',
		originalName: 'Clip: 1.mp4',
		nameFixes: ['forbidden-characters'],
		mimeType: 'video/mp4',
		meta: { durationMs: 4_000, width: 1080, height: 1920 },
		poster: null,
		state: { ...base, ...state },
		createdAt: 1_000
	};
}

describe('videoRowFor', () => {
	it('mirrors a queued upload with what the browser read from the file', () => {
		expect(videoRowFor(record({}), 1, 2_000)).toMatchObject({
			id: 'v1',
			product_id: 'p1',
			drive_id: 'd1',
			item_id: null,
			name: 'Clip_ 1.mp4',
			size_bytes: 5_000,
			duration_ms: 4_000,
			width: 1080,
			height: 1920,
			status: 'queued',
			uploaded_at: null
		});
	});

	it('records the finished item, preferring OneDrive’s video facet and hash', () => {
		const row = videoRowFor(
			record({
				status: 'done',
				updatedAt: Date.UTC(2026, 10, 23),
				item: {
					id: 'item-9',
					name: 'Clip_ 1 1.mp4',
					size: 5_000,
					driveId: 'd1',
					webUrl: 'https://onedrive.example/item-9',
					quickXorHash: 'abc=',
					video: { duration: 4_021, width: 1080, height: 1920 }
				}
			}),
			4,
			0
		);
		expect(row).toMatchObject({
			sync_version: 4,
			item_id: 'item-9',
			name: 'Clip_ 1 1.mp4',
			duration_ms: 4_021,
			quick_xor_hash: 'abc=',
			web_url: 'https://onedrive.example/item-9',
			status: 'synced',
			uploaded_at: '2026-11-23T00:00:00.000Z'
		});
	});

	it('carries a failure as a code and words, never a raw status', () => {
		const row = videoRowFor(record({ status: 'error', error: { code: 'onedrive-full', retryable: true, context: {}, at: 1 } }), 1, 0);
		expect(row.status).toBe('error');
		expect(row.error_code).toBe('onedrive-full');
		expect(row.error_message).toMatch(/OneDrive is full/);
		expect(videoRowFor(record({ status: 'uploading' }), 1, 0).status).toBe('uploading');
		expect(videoRowFor(record({ status: 'paused', pause: 'offline' }), 1, 0).status).toBe('queued');
		expect(videoRowFor(record({ status: 'conflict' }), 1, 0).status).toBe('conflict');
	});
});

describe('finding 4: one snapshot per state a person can see, never one per fragment', () => {
	it('puts a snapshot for queued, uploading, done and cancelled, each with a higher version, and none for fragments', () => {
		let previous: UploadRecord | null = null;
		const versions: [string, number][] = [];
		const step = (state: Partial<UploadJobState>) => {
			const next = { ...record(state), rowVersion: previous?.rowVersion };
			const entry = outboxChange(previous, next, 0);
			if (entry) {
				next.rowVersion = entry.version;
				versions.push([entry.row?.status ?? 'deleted', entry.version]);
			}
			previous = next;
		};
		step({});
		step({ status: 'uploading', acknowledged: 0 });
		for (let acknowledged = 327_680; acknowledged < 5_000; acknowledged += 327_680) step({ status: 'uploading', acknowledged });
		step({ status: 'uploading', acknowledged: 4_000 });
		step({ status: 'paused', pause: 'offline' });
		step({ status: 'uploading', acknowledged: 4_000 });
		step({ status: 'verifying', acknowledged: 5_000 });
		step({ status: 'done', item: { id: 'i', name: 'n', size: 5_000, driveId: 'd1', webUrl: null, quickXorHash: null, video: null } });
		expect(versions).toEqual([
			['queued', 1],
			['uploading', 2],
			['queued', 3],
			['uploading', 4],
			['synced', 5]
		]);
	});

	it('a cancelled upload puts a deletion', () => {
		const before = { ...record({ status: 'uploading' }), rowVersion: 2 };
		expect(outboxChange(before, { ...before, state: { ...before.state, status: 'cancelled' } }, 0)).toMatchObject({ row: null, version: 3 });
	});
});

/** Supabase's videos table as far as the outbox is concerned: it keeps each row's highest version. */
class FakeVideosTable {
	rows = new Map<string, { status: string; item_id: string | null; sync_version: number }>();
	async write(entry: OutboxEntry): Promise<void> {
		const stored = this.rows.get(entry.id);
		if (!entry.row) {
			if (!stored || stored.sync_version <= entry.version) this.rows.delete(entry.id);
			return;
		}
		if (stored && stored.sync_version > entry.row.sync_version) return;
		this.rows.set(entry.id, { status: entry.row.status, item_id: entry.row.item_id, sync_version: entry.row.sync_version });
	}
}

class FakeOutbox implements OutboxStore {
	entries = new Map<string, OutboxEntry>();
	put(entry: OutboxEntry) {
		this.entries.set(entry.id, entry);
	}
	async outboxFor() {
		return [...this.entries.values()];
	}
	async outboxWritten(id: string, version: number) {
		if ((this.entries.get(id)?.version ?? Infinity) <= version) this.entries.delete(id);
	}
}

const snapshot = (status: 'uploading' | 'synced', version: number): OutboxEntry => ({
	id: 'v1',
	appUserId: 'u1',
	version,
	updatedAt: version,
	row: { ...videoRowFor(record(status === 'synced' ? { status: 'done' } : { status: 'uploading' }), version, 0), item_id: status === 'synced' ? 'item-1' : null }
});

describe('finding 4: the outbox cannot go backwards', () => {
	it('two tabs drain one at a time: a slow stale write can never land after the newer one', async () => {
		const table = new FakeVideosTable();
		const outbox = new FakeOutbox();
		const locks = new MemoryLocks();
		// Tab A's write of "uploading" is slow; meanwhile the upload finishes and tab B drains "synced".
		let releaseSlow: () => void = () => {};
		const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
		const tabA = new OutboxDrainer({
			store: outbox,
			locks: locks.context(),
			isOnline: () => true,
			write: async (entry) => {
				if (entry.row?.status === 'uploading') await slowGate;
				await table.write(entry);
			}
		});
		const tabB = new OutboxDrainer({ store: outbox, locks: locks.context(), isOnline: () => true, write: (entry) => table.write(entry) });
		outbox.put(snapshot('uploading', 2));
		const a = tabA.drain('u1');
		await new Promise((resolve) => setImmediate(resolve));
		outbox.put(snapshot('synced', 3));
		const b = tabB.drain('u1');
		releaseSlow();
		await Promise.all([a, b]);
		expect(table.rows.get('v1')).toEqual({ status: 'synced', item_id: 'item-1', sync_version: 3 });
		expect(outbox.entries.size).toBe(0);
	});

	it('even without the lock, the version keeps the newer row (the database refuses to go back)', async () => {
		const table = new FakeVideosTable();
		await table.write(snapshot('synced', 3));
		await table.write(snapshot('uploading', 2));
		expect(table.rows.get('v1')).toMatchObject({ status: 'synced', sync_version: 3 });
	});

	it('a failed write keeps the entry for the next drain, and a drain asked for mid-drain goes round again', async () => {
		const table = new FakeVideosTable();
		const outbox = new FakeOutbox();
		let down = true;
		const drainer = new OutboxDrainer({
			store: outbox,
			locks: new MemoryLocks().context(),
			isOnline: () => true,
			write: async (entry) => {
				if (down) throw new Error('Supabase unreachable');
				await table.write(entry);
			}
		});
		outbox.put(snapshot('uploading', 2));
		expect(await drainer.drain('u1')).toBe(0);
		expect(outbox.entries.size).toBe(1);
		down = false;
		const first = drainer.drain('u1');
		outbox.put(snapshot('synced', 3));
		void drainer.drain('u1');
		await first;
		expect(table.rows.get('v1')).toMatchObject({ status: 'synced', sync_version: 3 });
		expect(outbox.entries.size).toBe(0);
	});
});
