import { describe, expect, it } from 'vitest';
import { AppError } from '$lib/errors';
import type { UnlinkedVideo } from '$lib/supabase/unlinked-videos';
import { UnlinkedVideosManager, type UnlinkedDeps } from './unlinked.svelte';

function video(id: string, status: UnlinkedVideo['status'] = 'synced'): UnlinkedVideo {
	return { id, name: `${id}.mp4`, size_bytes: 10, status, duration_ms: null, width: null, height: null, folder_path: '/Reeldrive', created_at: '2026-11-27T10:00:00Z' };
}

function setup(rows: UnlinkedVideo[], options: { linkOnly?: string[]; fail?: AppError } = {}) {
	const calls: string[] = [];
	let stored = rows;
	const deps: UnlinkedDeps = {
		repo: {
			list: async () => stored,
			link: async (ids, productId) => {
				calls.push(`link ${ids.join(',')} → ${productId}`);
				if (options.fail) throw options.fail;
				const linked = options.linkOnly ? ids.filter((id) => options.linkOnly!.includes(id)) : [...ids];
				stored = stored.filter((row) => !ids.includes(row.id));
				return linked;
			}
		},
		library: { adjustVideoCount: (productId, delta) => calls.push(`count ${productId} +${delta}`) },
		userId: () => 'u1'
	};
	return { manager: new UnlinkedVideosManager(deps), calls };
}

const kettle = { id: 'p1', title: 'Kettle' };

describe('UnlinkedVideosManager', () => {
	it('links the selected videos in one call, drops them from the list and counts them on the product', async () => {
		const { manager, calls } = setup([video('a'), video('b'), video('c')]);
		await manager.load();
		manager.toggle('a', true);
		manager.toggle('c', true);
		expect(manager.selectedIds).toEqual(['a', 'c']);
		expect(await manager.link(manager.selectedIds, kettle)).toBe(true);
		expect(calls).toEqual(['link a,c → p1', 'count p1 +2']);
		expect(manager.videos.map((v) => v.id)).toEqual(['b']);
		expect(manager.selected.size).toBe(0);
		expect(manager.notice).toEqual({ tone: 'success', text: '2 videos linked to “Kettle”.' });
	});

	it('links one video by itself, leaving the selection of others alone', async () => {
		const { manager, calls } = setup([video('a'), video('b')]);
		await manager.load();
		manager.toggle('b', true);
		await manager.link(['a'], kettle);
		expect(calls).toEqual(['link a → p1', 'count p1 +1']);
		expect([...manager.selected]).toEqual(['b']);
	});

	it('select all takes only the videos that can be linked, and never sends one still uploading', async () => {
		const { manager, calls } = setup([video('a'), video('up', 'uploading'), video('m', 'missing')]);
		await manager.load();
		manager.selectAll(true);
		expect(manager.allSelected).toBe(true);
		expect(manager.selectedIds).toEqual(['a', 'm']);
		await manager.link(['a', 'up', 'm'], kettle);
		expect(calls[0]).toBe('link a,m → p1');
		manager.selectAll(false);
		expect(manager.selected.size).toBe(0);
	});

	it('says so when some were linked or removed elsewhere meanwhile, and shows the list as it is now', async () => {
		const { manager } = setup([video('a'), video('b')], { linkOnly: ['a'] });
		await manager.load();
		expect(await manager.link(['a', 'b'], kettle)).toBe(false);
		expect(manager.notice?.tone).toBe('warning');
		expect(manager.notice?.text).toBe('1 video of 2 linked to “Kettle”; 1 not: it was linked or removed elsewhere meanwhile.');
		expect(manager.videos).toEqual([]);
	});

	it('keeps the list and the selection when linking fails, and says why in words', async () => {
		const { manager } = setup([video('a')], { fail: new AppError('data-not-found', { what: 'That product' }) });
		await manager.load();
		manager.toggle('a', true);
		expect(await manager.link(['a'], kettle)).toBe(false);
		expect(manager.notice).toEqual({ tone: 'error', text: 'That product was not found.' });
		expect(manager.videos.map((v) => v.id)).toEqual(['a']);
		expect(manager.selectedIds).toEqual(['a']);
	});
});
