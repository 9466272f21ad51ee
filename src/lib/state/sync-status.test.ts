import { describe, expect, it } from 'vitest';
import type { StatusCount, SyncRow } from '$lib/supabase/sync-status';
import {
	countedHere,
	describeRow,
	describeSyncAll,
	historyEntries,
	localState,
	mergeCounts,
	pendingItems,
	syncAllCommands,
	type LocalUpload
} from './sync-status';

function job(id: string, changes: Partial<LocalUpload> = {}): LocalUpload {
	return {
		id,
		name: `${id}.mp4`,
		size: 1000,
		productId: null,
		status: 'uploading',
		pause: null,
		statusText: 'Uploading',
		errorText: null,
		createdAt: 1,
		...changes
	};
}

function row(id: string, changes: Partial<SyncRow> = {}): SyncRow {
	return {
		id,
		name: `${id}.mp4`,
		size_bytes: 2000,
		status: 'queued',
		product_id: 'p1',
		error_code: null,
		error_message: null,
		uploaded_at: null,
		updated_at: '2026-11-27T10:00:00Z',
		...changes
	};
}

const count = (status: StatusCount['status'], videoCount: number, more: Partial<StatusCount> = {}): StatusCount => ({
	status,
	videoCount,
	withoutProduct: 0,
	lastUploadedAt: null,
	...more
});

describe('localState', () => {
	it('maps every upload status to a dashboard state', () => {
		expect(localState({ status: 'queued' })).toBe('queued');
		expect(localState({ status: 'paused' })).toBe('waiting');
		expect(localState({ status: 'uploading' })).toBe('uploading');
		expect(localState({ status: 'verifying' })).toBe('uploading');
		expect(localState({ status: 'done' })).toBe('synced');
		expect(localState({ status: 'error' })).toBe('error');
		expect(localState({ status: 'conflict' })).toBe('conflict');
		expect(localState({ status: 'cancelled' })).toBeNull();
	});
});

describe('countedHere', () => {
	it('names only unfinished uploads, sorted, so the key is stable', () => {
		const jobs = [job('c'), job('a', { status: 'paused' }), job('b', { status: 'done' }), job('d', { status: 'cancelled' })];
		expect(countedHere(jobs)).toEqual(['a', 'c']);
	});
});

describe('mergeCounts', () => {
	it('adds this browser’s count of exactly the uploads the query left out', () => {
		// The database counted 'p' as queued before this browser asked it to leave 'p' out.
		const server = [count('queued', 2), count('synced', 5, { lastUploadedAt: '2026-11-27T09:00:00Z' }), count('error', 1)];
		const jobs = [job('p', { status: 'paused', pause: 'offline' }), job('u'), job('f', { status: 'error' }), job('n', { status: 'queued' })];
		const merged = mergeCounts(server, ['p', 'u', 'f'], jobs);
		expect(merged.counts).toEqual({ queued: 2, waiting: 1, uploading: 1, synced: 5, error: 2, conflict: 0, missing: 0 });
		expect(merged.total).toBe(11);
		// 'n' is not in the excluded list: the database counted it already, so it is not added again.
	});

	it('counts an excluded upload that finished since as in OneDrive, and one cancelled since as nothing', () => {
		const merged = mergeCounts([count('synced', 1)], ['done', 'gone'], [job('done', { status: 'done' }), job('gone', { status: 'cancelled' })]);
		expect(merged.counts.synced).toBe(2);
		expect(merged.total).toBe(2);
	});

	it('takes the last sync from synced rows only, and sums videos without a product', () => {
		const merged = mergeCounts(
			[
				count('synced', 3, { withoutProduct: 2, lastUploadedAt: '2026-11-26T10:00:00Z' }),
				count('missing', 1, { withoutProduct: 1, lastUploadedAt: '2026-11-27T10:00:00Z' })
			],
			[],
			[]
		);
		expect(merged.lastSyncedAt).toBe('2026-11-26T10:00:00Z');
		expect(merged.withoutProduct).toBe(3);
		expect(merged.counts.missing).toBe(1);
	});

	it('knows no last sync when nothing reached OneDrive', () => {
		expect(mergeCounts([count('queued', 1)], [], []).lastSyncedAt).toBeNull();
	});
});

describe('pendingItems', () => {
	it('lists this browser’s unfinished uploads with their own words and commands, and rows it does not run', () => {
		const jobs = [
			job('mine-failed', { status: 'error', errorText: 'Your OneDrive is full. Free up space or add storage, then retry.' }),
			job('mine-paused', { status: 'paused', pause: 'offline', statusText: 'Waiting for the network. The upload will continue when you are back online.' }),
			job('mine-done', { status: 'done' })
		];
		const rows = [
			// Rows of this browser's uploads: the browser knows better, or the upload is done here.
			row('mine-failed', { status: 'queued' }),
			row('mine-done', { status: 'uploading' }),
			row('elsewhere-failed', { status: 'error', error_message: 'OneDrive refused the upload' }),
			row('elsewhere-queued', { status: 'queued' }),
			row('named', { status: 'conflict', error_code: 'name-conflict', error_message: null }),
			// The OneDrive check's flags have their own list.
			row('gone', { status: 'missing', product_id: null }),
			row('renamed', { status: 'conflict', error_code: 'onedrive-changed', error_message: 'Renamed in OneDrive to “x.mp4”.' })
		];
		const items = pendingItems(rows, jobs);
		expect(items.map((item) => [item.id, item.state, item.here, item.action])).toEqual([
			['mine-failed', 'error', true, 'retry'],
			['elsewhere-failed', 'error', false, null],
			['named', 'conflict', false, null],
			['mine-paused', 'waiting', true, 'resume'],
			['elsewhere-queued', 'queued', false, null]
		]);
		expect(items[0]!.reason).toMatch(/OneDrive is full/);
		expect(items[1]!.reason).toBe('OneDrive refused the upload. It was started in another browser or on another device: retry it there, or add the file again here.');
		expect(items[2]!.reason).toMatch(/Keep both or Replace/);
		expect(items[3]!.reason).toMatch(/Waiting for the network/);
		expect(items[0]!.size).toBe(1000);
		expect(items[1]!.size).toBe(2000);
	});

	it('offers nothing for an upload waiting for its file to be picked again', () => {
		const [item] = pendingItems([], [job('f', { status: 'paused', pause: 'needs-file', statusText: 'Pick the same file again' })]);
		expect(item!.action).toBeNull();
	});
});

describe('describeRow', () => {
	it('tells, for every status, what happens next', () => {
		expect(describeRow({ status: 'queued', error_message: null, product_id: null })).toMatch(/another browser or on another device/);
		expect(describeRow({ status: 'error', error_message: null, product_id: null })).toMatch(/^The upload stopped\. /);
		expect(describeRow({ status: 'conflict', error_message: null, product_id: null })).toMatch(/Keep both or Replace/);
		expect(describeRow({ status: 'missing', error_message: null, product_id: 'p' })).toMatch(/Open its product to relink or forget it/);
	});
});

describe('syncAllCommands', () => {
	it('retries every failed upload and resumes every paused one that can go on', () => {
		const jobs = [
			job('a', { status: 'error' }),
			job('b', { status: 'paused', pause: 'user' }),
			job('c', { status: 'paused', pause: 'needs-sign-in' }),
			job('d', { status: 'paused', pause: 'needs-file' }),
			job('e', { status: 'uploading' }),
			job('f', { status: 'conflict' }),
			job('g', { status: 'done' })
		];
		expect(syncAllCommands(jobs)).toEqual([
			{ id: 'a', command: 'retry' },
			{ id: 'b', command: 'resume' },
			{ id: 'c', command: 'resume' }
		]);
	});

	it('says what it did in words', () => {
		expect(describeSyncAll(1, 0)).toBe('1 upload started again.');
		expect(describeSyncAll(3, 2)).toBe('3 uploads started again. 2 videos were started in another browser or on another device and can only be retried there.');
		expect(describeSyncAll(0, 0)).toMatch(/^Nothing here needed starting/);
	});
});

describe('historyEntries', () => {
	it('keeps completions and failures, newest first, timed by upload or by the failure', () => {
		const entries = historyEntries([
			row('a', { status: 'synced', uploaded_at: '2026-11-27T08:00:00Z', updated_at: '2026-11-27T12:00:00Z' }),
			row('b', { status: 'error', error_message: 'Your OneDrive is full', updated_at: '2026-11-27T09:00:00Z' }),
			row('c', { status: 'queued', updated_at: '2026-11-27T13:00:00Z' })
		]);
		expect(entries.map((entry) => [entry.id, entry.outcome, entry.at, entry.text])).toEqual([
			['b', 'error', '2026-11-27T09:00:00Z', 'Failed: Your OneDrive is full.'],
			['a', 'synced', '2026-11-27T08:00:00Z', 'Reached OneDrive']
		]);
	});
});
