import { describe, expect, it } from 'vitest';
import type { DriveItem } from '@microsoft/microsoft-graph-types';
import { AppError } from '$lib/errors';
import type { CheckWrite, RecordedVideo } from '$lib/onedrive-check/classify';
import type { FlaggedVideo } from '$lib/supabase/onedrive-check';
import { OneDriveCheckManager, type OneDriveCheckDeps } from './onedrive-check.svelte';

function recorded(id: string, over: Partial<RecordedVideo> = {}): RecordedVideo {
	return {
		id,
		item_id: `item-${id}`,
		name: `${id}.mp4`,
		folder_path: '/Videos',
		size_bytes: 10,
		quick_xor_hash: 'h',
		e_tag: 'e1',
		c_tag: 'c1',
		status: 'synced',
		error_code: null,
		error_message: null,
		...over
	};
}

function flagOf(id: string, over: Partial<FlaggedVideo> = {}): FlaggedVideo {
	return {
		id,
		name: `${id}.mp4`,
		folder_path: '/Videos',
		size_bytes: 10,
		status: 'conflict',
		product_id: null,
		drive_id: 'drive',
		item_id: `item-${id}`,
		error_code: 'onedrive-changed',
		error_message: 'Renamed in OneDrive to “x.mp4”.',
		updated_at: '2026-11-27T10:00:00Z',
		...over
	};
}

function setup(options: { rows?: RecordedVideo[]; items?: Record<string, DriveItem | 'fail'>; flags?: FlaggedVideo[] } = {}) {
	const calls: string[] = [];
	const written: CheckWrite[] = [];
	let flags = options.flags ?? [];
	let userId: string | null = 'u1';
	const graph = {
		driveItem: async (_drive: string, itemId: string) => {
			const item = options.items?.[itemId];
			if (item === 'fail') throw new AppError('network-unreachable', { service: 'OneDrive' });
			if (!item) throw new AppError('graph-not-found', {});
			return item as DriveItem & { id: string; name: string };
		},
		children: async () => {
			throw new Error('not used');
		}
	} as unknown as OneDriveCheckDeps['graph'];
	const deps: OneDriveCheckDeps = {
		repo: {
			tracked: async () => options.rows ?? [],
			record: async (writes) => {
				written.push(...writes);
				return writes.length;
			},
			flagged: async () => ({ rows: flags, total: flags.length }),
			takeItem: async (id, values) => {
				calls.push(`take ${id} ${values.name} ${values.item_id}`);
				flags = flags.filter((row) => row.id !== id);
			},
			remove: async (id) => {
				calls.push(`remove ${id}`);
				flags = flags.filter((row) => row.id !== id);
			}
		},
		graph,
		driveId: () => 'drive',
		userId: () => userId
	};
	return { manager: new OneDriveCheckManager(deps), calls, written, setUser: (id: string | null) => (userId = id), setFlags: (rows: FlaggedVideo[]) => (flags = rows) };
}

const file = (id: string, over: Partial<DriveItem> = {}): DriveItem => ({
	id: `item-${id}`,
	name: `${id}.mp4`,
	size: 10,
	eTag: 'e1',
	cTag: 'c1',
	file: { hashes: { quickXorHash: 'h' } },
	parentReference: { path: '/drive/root:/Videos' },
	...over
});

describe('OneDriveCheckManager', () => {
	it('checks once on opening, records what it found and lists the flags', async () => {
		const { manager, written, setFlags } = setup({ rows: [recorded('a'), recorded('b')], items: { 'item-a': file('a') } });
		setFlags([flagOf('b', { status: 'missing', error_code: 'onedrive-deleted', error_message: 'Deleted from OneDrive.' })]);
		await manager.checkOnOpen();
		expect(manager.status).toBe('done');
		expect(manager.last).toMatchObject({ checked: 2, flagged: 1, written: 1 });
		expect(written).toMatchObject([{ id: 'b', status: 'missing' }]);
		expect(manager.flags.map((row) => row.id)).toEqual(['b']);
		// Opening again in the same page load does not check again.
		await manager.checkOnOpen();
		expect(written).toHaveLength(1);
	});

	it('a check that cannot reach OneDrive says so and writes nothing', async () => {
		const { manager, written } = setup({ rows: [recorded('a')], items: { 'item-a': 'fail' } });
		await manager.check();
		expect(manager.status).toBe('error');
		expect(manager.error?.code).toBe('network-unreachable');
		expect(written).toEqual([]);
	});

	it('accept takes OneDrive’s version; relink takes the picked file; remove says the file stays', async () => {
		const { manager, calls } = setup({
			flags: [flagOf('a'), flagOf('b'), flagOf('c')],
			items: { 'item-a': file('a', { name: 'renamed.mp4' }), 'item-z': file('z', { id: 'item-z', name: 'other.mp4' }) }
		});
		await manager.loadFlags();
		await manager.accept(manager.flags[0]!);
		expect(manager.message).toBe('“renamed.mp4” now matches OneDrive.');
		await manager.relink(flagOf('b'), { id: 'item-z', name: 'other.mp4' });
		expect(manager.message).toBe('“b.mp4” now points at “other.mp4”.');
		await manager.remove(flagOf('c'));
		expect(manager.message).toBe('“c.mp4” was removed from Reeldrive. The file is still in your OneDrive.');
		expect(calls).toEqual(['take a renamed.mp4 item-a', 'take b other.mp4 item-z', 'remove c']);
		await manager.loadFlags();
		expect(manager.flags).toEqual([]);
	});

	it('accepting a file that is gone too fails in words and keeps the flag', async () => {
		const { manager } = setup({ flags: [flagOf('a')] });
		await manager.loadFlags();
		await expect(manager.accept(manager.flags[0]!)).rejects.toMatchObject({ code: 'graph-not-found' });
		expect(manager.flags.map((row) => row.id)).toEqual(['a']);
		expect(manager.working).toBeNull();
	});

	it('a restored session keeps its flags; another user starts empty', async () => {
		const { manager, setUser } = setup({ flags: [flagOf('a')] });
		await manager.loadFlags();
		manager.reset();
		expect(manager.flags).toHaveLength(1);
		setUser('u2');
		manager.reset();
		expect(manager.flags).toEqual([]);
	});
});
