// Contract: the two ImportStore implementations (the Supabase store over the local API with RLS,
// and the in-memory fake the unit tests use) answer alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportStore, VideoWrite } from '../../src/lib/import/import-run';
import { MemoryImportStore } from '../../src/lib/import/test-fakes';
import type { ReeldriveSupabase } from '../../src/lib/supabase/client';
import { SupabaseImportStore } from '../../src/lib/supabase/import-jobs';
import { signedIn, startTestApi } from '../../emulators/supabase/tests/support';
import type { SupabaseApi } from '../../emulators/supabase/src/index';

let api: SupabaseApi;
let db: ReeldriveSupabase;
let run = 0;

beforeAll(async () => {
	api = await startTestApi();
	db = (await signedIn(api, 'bob@reeldrive.test')) as unknown as ReeldriveSupabase;
});
afterAll(() => api?.close());

function row(driveId: string, itemId: string, folder: string, extra: Partial<VideoWrite> = {}): VideoWrite {
	return {
		drive_id: driveId,
		item_id: itemId,
		name: `${itemId}.mp4`,
		size_bytes: 1000,
		mime_type: 'video/mp4',
		duration_ms: 5000,
		width: 1920,
		height: 1080,
		quick_xor_hash: null,
		web_url: null,
		folder_path: folder,
		uploaded_at: null,
		item_created_at: '2026-01-01T00:00:00.000Z',
		item_modified_at: '2026-01-02T00:00:00.000Z',
		status: 'synced',
		error_code: null,
		error_message: null,
		...extra
	};
}

const implementations: Array<[string, () => ImportStore]> = [
	['MemoryImportStore', () => new MemoryImportStore()],
	['SupabaseImportStore', () => new SupabaseImportStore(db)]
];

describe.each(implementations)('%s', (_name, make) => {
	it('keeps one row per drive and item, and an update without a product keeps the product', async () => {
		const store = make();
		const drive = `drive-${++run}`;
		const products = await store.createProducts([{ key: 'k', title: `Kettle ${run}`, brand: null, asin: null }]);
		const productId = products.get('k')!;
		await store.writeVideos([row(drive, 'a', '/Imports', { product_id: productId }), row(drive, 'b', '/Imports', { product_id: null })]);
		await store.writeVideos([row(drive, 'a', '/Imports/Moved', { name: 'renamed.mp4' })]);
		const found = await store.findVideos(drive, ['a', 'b', 'c']);
		expect(found.map((video) => [video.item_id, video.status, video.folder_path]).sort()).toEqual([
			['a', 'synced', '/Imports/Moved'],
			['b', 'synced', '/Imports']
		]);
		if (store instanceof SupabaseImportStore) {
			const { data } = await db.from('videos').select('item_id,product_id,name').eq('drive_id', drive).order('item_id');
			expect(data).toEqual([
				{ item_id: 'a', product_id: productId, name: 'renamed.mp4' },
				{ item_id: 'b', product_id: null, name: 'b.mp4' }
			]);
		}
	});

	it('lists the videos in a folder and below it, and only those, whatever the folder names hold', async () => {
		const store = make();
		const drive = `drive-${++run}`;
		await store.writeVideos([
			row(drive, 'in', '/Shoots/Acme_1'),
			row(drive, 'below', '/Shoots/Acme_1/raw'),
			row(drive, 'lookalike', '/Shoots/AcmeX1'),
			row(drive, 'prefix', '/Shoots/Acme_10'),
			row(drive, 'percent', '/Shoots/50%')
		]);
		const under = async (path: string) => (await store.videosUnder(drive, path)).map((video) => video.item_id).sort();
		expect(await under('/Shoots/Acme_1')).toEqual(['below', 'in']);
		expect(await under('/Shoots/50%')).toEqual(['percent']);
		expect(await under('/Shoots')).toEqual(['below', 'in', 'lookalike', 'percent', 'prefix']);
	});

	it('marks missing once, and says how many it changed', async () => {
		const store = make();
		const drive = `drive-${++run}`;
		await store.writeVideos([row(drive, 'x', '/A'), row(drive, 'y', '/A')]);
		expect(await store.markMissing(drive, ['x', 'nope'])).toBe(1);
		expect(await store.markMissing(drive, ['x'])).toBe(0);
		expect((await store.findVideos(drive, ['x'])).map((video) => video.status)).toEqual(['missing']);
	});

	it('keeps a job’s counters, cursor and reason', async () => {
		const store = make();
		const job = await store.createJob({ drive_id: 'drive-job', folders: [{ id: 'f1', path: '/Imports' }] });
		expect(job).toMatchObject({ status: 'running', drive_id: 'drive-job', folders: [{ id: 'f1', path: '/Imports' }], total_found: 0 });
		await store.updateJob(job.id, { total_found: 3, linked: 2, delta_cursor: { f1: 'https://graph.example/delta?token=1' } });
		await store.updateJob(job.id, { status: 'failed', error_code: 'graph-unavailable', error_message: 'OneDrive is having trouble.', completed_at: new Date().toISOString() });
		if (store instanceof SupabaseImportStore) {
			const [saved] = (await store.listJobs()).filter((listed) => listed.id === job.id);
			expect(saved).toMatchObject({ status: 'failed', total_found: 3, linked: 2, error_code: 'graph-unavailable', delta_cursor: { f1: 'https://graph.example/delta?token=1' } });
		} else {
			expect((store as MemoryImportStore).jobs.get(job.id)).toMatchObject({ status: 'failed', total_found: 3, error_code: 'graph-unavailable' });
		}
	});
});
