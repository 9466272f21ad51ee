import { describe, expect, it } from 'vitest';
import { AppError } from '$lib/errors';
import type { OneDriveItem } from '$lib/graph/onedrive-api';
import type { ProductSummary } from '$lib/supabase/products';
import type { VideoRow } from '$lib/supabase/videos';
import { ProductGallery, type GalleryDeps } from './product-gallery.svelte';

const product: ProductSummary = {
	id: 'p1',
	title: 'Blender',
	asin: null,
	brand: null,
	notes: null,
	created_at: '2026-01-01T00:00:00Z',
	updated_at: '2026-01-01T00:00:00Z',
	video_count: 2
};

function row(id: string, changes: Partial<VideoRow> = {}): VideoRow {
	return {
		id,
		owner_id: 'u1',
		product_id: 'p1',
		drive_id: 'drive-a',
		item_id: `item-${id}`,
		name: `${id}.mp4`,
		size_bytes: 1000,
		mime_type: 'video/mp4',
		duration_ms: 5000,
		width: 640,
		height: 360,
		quick_xor_hash: null,
		web_url: `http://web/${id}`,
		folder_path: '/Videos',
		status: 'synced',
		error_code: null,
		error_message: null,
		sync_version: 0,
		uploaded_at: null,
		item_created_at: null,
		item_modified_at: null,
		import_job_id: null,
		e_tag: null,
		c_tag: null,
		onedrive_checked_at: null,
		created_at: '2026-01-01T00:00:00Z',
		updated_at: '2026-01-01T00:00:00Z',
		...changes
	};
}

function setup(options: { rows?: VideoRow[]; items?: Record<string, OneDriveItem | 'gone' | 'slow'>; online?: boolean; state?: GalleryDeps['onedrive']['state'] } = {}) {
	const calls: string[] = [];
	const snapshots = new Map<string, { data: unknown; savedAt: number }>();
	const releases: (() => void)[] = [];
	let rows = options.rows ?? [row('a'), row('b')];
	const deps: GalleryDeps = {
		userId: 'u1',
		products: { get: async (id) => (id === 'p1' ? product : null) },
		videos: {
			listForProduct: async () => rows,
			link: async (_p, items) => items.map((item, i) => row(`n${i}`, { ...item })),
			relink: async (id, item) => row(id, { ...item }),
			setProduct: async (id, productId) => {
				calls.push(`setProduct ${id} ${productId}`);
				return row(id, { product_id: productId });
			},
			rename: async (id, name) => {
				calls.push(`rename ${id} ${name}`);
				return row(id, { name });
			},
			setStatus: async (id, status) => {
				calls.push(`setStatus ${id} ${status}`);
				return row(id, { status });
			},
			remove: async (id) => {
				calls.push(`remove ${id}`);
			},
			updateFromItem: async (id, fields) => {
				calls.push(`update ${id} ${JSON.stringify(fields)}`);
				return row(id, fields);
			},
			markMissing: async (_drive, ids) => {
				calls.push(`markMissing ${ids.join(',')}`);
				return rows.filter((r) => ids.includes(r.item_id!)).map((r) => r.id);
			}
		},
		graph: {
			driveItem: async (_drive, itemId) => {
				calls.push(`item ${itemId}`);
				const item = options.items?.[itemId];
				if (item === 'gone') throw new AppError('graph-not-found');
				if (item === 'slow') await new Promise<void>((resolve) => releases.push(resolve));
				return typeof item === 'object'
					? item
					: { id: itemId, name: `${itemId.slice(5)}.mp4`, webUrl: `http://web/${itemId.slice(5)}`, parentReference: { driveId: 'drive-a', path: '/drive/root:/Videos' }, thumbnails: [{ id: '0', medium: { url: `http://thumb/${itemId}`, width: 176, height: 99 } }] };
			},
			downloadUrl: async (_d, itemId) => `http://dl/${itemId}?${calls.push('download')}`,
			updateItem: async (_d, itemId, changes) => ({ id: itemId, name: changes.name!, webUrl: 'http://web/renamed' }),
			deleteItem: async (_d, itemId) => {
				calls.push(`delete ${itemId}`);
			},
			delta: async (link) => {
				calls.push(`delta ${link}`);
				if (!link) return { items: [], deltaLink: 'cursor-1' };
				return { items: [{ id: 'item-b', name: 'b.mp4', deleted: {} }], deltaLink: 'cursor-2' };
			},
			children: async () => ({ next: async () => [], done: true, deltaLink: null })
		},
		cache: {
			read: async <T,>(user: string, name: string) => {
				const entry = snapshots.get(`${user}|${name}`);
				return entry ? { key: name, appUserId: user, savedAt: entry.savedAt, data: entry.data as T } : null;
			},
			write: async (user, name, data) => {
				snapshots.set(`${user}|${name}`, { data: JSON.parse(JSON.stringify(data)), savedAt: 42 });
			},
			forget: async (user, name) => {
				snapshots.delete(`${user}|${name}`);
			}
		},
		library: { setVideoCount: () => {}, adjustVideoCount: (id, delta) => calls.push(`count ${id} ${delta}`) },
		onedrive: { state: options.state ?? 'connected', row: { drive_id: 'drive-a' } },
		online: () => options.online ?? true
	};
	return {
		deps,
		calls,
		snapshots,
		releases,
		setRows: (next: VideoRow[]) => (rows = next),
		gallery: new ProductGallery('p1', deps)
	};
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('ProductGallery', () => {
	it('loads the product and its videos, and keeps a copy for offline use', async () => {
		const { gallery, snapshots } = setup();
		await gallery.load();
		expect(gallery.status).toBe('ready');
		expect(gallery.videos.map((v) => v.id)).toEqual(['a', 'b']);
		await settle();
		expect(snapshots.has('u1|product:p1')).toBe(true);
	});

	it('answers an unknown (or someone else\'s) product with not-found, and drops any copy of it', async () => {
		const { deps, snapshots } = setup();
		snapshots.set('u1|product:p2', { data: {}, savedAt: 1 });
		const gallery = new ProductGallery('p2', deps);
		await gallery.load();
		expect(gallery.status).toBe('not-found');
		expect(gallery.videos).toEqual([]);
		await settle();
		expect(snapshots.has('u1|product:p2')).toBe(false);
	});

	it('shows the saved copy when Reeldrive cannot be reached, and blocks changes with the reason', async () => {
		const { deps, snapshots } = setup();
		snapshots.set('u1|product:p1', { data: { product, videos: [row('a')] }, savedAt: 7 });
		deps.products.get = async () => {
			throw new AppError('network-unreachable');
		};
		const gallery = new ProductGallery('p1', deps);
		await gallery.load();
		expect(gallery.status).toBe('ready');
		expect(gallery.savedAt).toBe(7);
		expect(gallery.offlineReason).toMatch(/cannot be reached/);
		await expect(gallery.move(gallery.videos[0]!, null)).rejects.toMatchObject({ code: 'network-unreachable' });
	});

	it('fetches thumbnails for cards on screen at most four at a time, and skips cards that left', async () => {
		const items = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => [`item-${id}`, 'slow' as const]));
		const rows = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => row(id));
		const { gallery, calls, releases } = setup({ rows, items });
		await gallery.load();
		for (const video of rows) gallery.requestThumbnail(video);
		gallery.releaseThumbnail('f');
		await settle();
		expect(calls.filter((c) => c.startsWith('item'))).toEqual(['item item-a', 'item item-b', 'item item-c', 'item item-d']);
		releases.shift()!();
		await settle();
		await settle();
		expect(calls.filter((c) => c.startsWith('item'))).toHaveLength(5);
		expect(calls).not.toContain('item item-f');
	});

	it('marks a video missing when OneDrive says its file is gone, on view', async () => {
		const { gallery, calls } = setup({ items: { 'item-b': 'gone' } });
		await gallery.load();
		gallery.requestThumbnail(gallery.videos[1]!);
		await settle();
		await settle();
		expect(gallery.videos[1]!.status).toBe('missing');
		expect(calls).toContain('setStatus b missing');
		expect(gallery.playCheck(gallery.videos[1]!)).toMatchObject({ ok: false, reason: /missing/ });
	});

	it('follows a rename made in OneDrive, and brings a missing video back when its file is there again', async () => {
		const renamed: OneDriveItem = { id: 'item-a', name: 'new.mp4', webUrl: 'http://web/a', parentReference: { driveId: 'drive-a', path: '/drive/root:/Videos' } };
		const { gallery, calls } = setup({ rows: [row('a', { status: 'missing' })], items: { 'item-a': renamed } });
		await gallery.load();
		gallery.requestThumbnail(gallery.videos[0]!);
		await settle();
		await settle();
		expect(calls).toContain('update a {"name":"new.mp4"}');
		expect(calls).toContain('setStatus a synced');
		expect(gallery.thumbnails.get('a')).toEqual({ kind: 'none' });
	});

	it('does not ask OneDrive while it is disconnected, and says how to play', async () => {
		const { gallery, calls } = setup({ state: 'disconnected' });
		await gallery.load();
		gallery.requestThumbnail(gallery.videos[0]!);
		await settle();
		expect(calls.some((c) => c.startsWith('item'))).toBe(false);
		expect(gallery.playCheck(gallery.videos[0]!)).toEqual({ ok: false, reason: 'Reconnect OneDrive to play.', fix: 'reconnect' });
	});

	it('never reaches into a drive other than the connected one', async () => {
		const { gallery } = setup({ rows: [row('x', { drive_id: 'drive-b' })] });
		await gallery.load();
		expect(gallery.playCheck(gallery.videos[0]!)).toMatchObject({ ok: false, reason: /another Microsoft account/ });
	});

	it('reuses a download URL briefly, and fetches a fresh one when asked', async () => {
		const { gallery, calls } = setup();
		await gallery.load();
		const first = await gallery.playbackUrl(gallery.videos[0]!);
		expect(await gallery.playbackUrl(gallery.videos[0]!)).toBe(first);
		const fresh = await gallery.playbackUrl(gallery.videos[0]!, { fresh: true });
		expect(fresh).not.toBe(first);
		expect(calls.filter((c) => c === 'download')).toHaveLength(2);
	});

	it('moves, unlinks, renames (refusing names OneDrive forbids) and deletes', async () => {
		const { gallery, calls } = setup({ rows: [row('a'), row('b'), row('c')] });
		await gallery.load();
		await gallery.move(gallery.videos[0]!, 'p2');
		expect(calls).toContain('setProduct a p2');
		expect(calls).toContain('count p2 1');
		await gallery.move(gallery.videos[0]!, null);
		expect(calls).toContain('setProduct b null');
		await expect(gallery.rename(gallery.videos[0]!, 'bad:name.mp4')).rejects.toMatchObject({ code: 'graph-invalid-name' });
		await gallery.rename(gallery.videos[0]!, 'good.mp4');
		expect(calls).toContain('rename c good.mp4');
		await gallery.deleteFromOneDrive(gallery.videos[0]!);
		expect(calls).toEqual(expect.arrayContaining(['delete item-c', 'remove c']));
		expect(gallery.videos).toEqual([]);
	});

	it('takes a delta cursor on the first check, then marks files deleted since as missing', async () => {
		const { gallery, calls, snapshots } = setup();
		await gallery.load();
		await gallery.checkOneDriveChanges();
		expect(snapshots.get('u1|delta:drive-a')?.data).toBe('cursor-1');
		await gallery.checkOneDriveChanges();
		expect(calls).toContain('delta cursor-1');
		expect(calls).toContain('markMissing item-b');
		expect(gallery.videos.find((v) => v.id === 'b')?.status).toBe('missing');
		expect(snapshots.get('u1|delta:drive-a')?.data).toBe('cursor-2');
	});
});
