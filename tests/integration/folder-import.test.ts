// Folder import with its real adapters: the app's OneDriveApi (official Graph client) against the
// Microsoft emulator's folder delta, the Supabase store through supabase-js against the local API
// (Postgres with RLS), and header reads through the emulator's download URLs.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DownloadHeaderProbe, graphDeltaSource } from '../../src/lib/adapters/onedrive-import-ports';
import { OneDriveApi } from '../../src/lib/graph/onedrive-api';
import { ImportRun, type ImportDeps } from '../../src/lib/import/import-run';
import { ProductCatalogue } from '../../src/lib/import/product-rule';
import type { ReeldriveSupabase } from '../../src/lib/supabase/client';
import { SupabaseImportStore } from '../../src/lib/supabase/import-jobs';
import { control, passwordToken, startHarness, type Harness } from '../../emulators/microsoft/tests/support';
import { signedIn, startTestApi } from '../../emulators/supabase/tests/support';
import type { SupabaseApi } from '../../emulators/supabase/src/index';

let ms: Harness;
let api: SupabaseApi;
let db: ReeldriveSupabase;
let onedrive: OneDriveApi;
let driveId: string;

beforeAll(async () => {
	ms = await startHarness();
	api = await startTestApi();
	db = (await signedIn(api, 'alice@reeldrive.test')) as unknown as ReeldriveSupabase;
	const token = await passwordToken(ms.em);
	onedrive = new OneDriveApi({
		baseUrl: `${ms.em.url}/v1.0`,
		tokens: { getAccessToken: async () => token },
		load: () => import('../../src/lib/graph/graph-client')
	});
	driveId = (await onedrive.drive()).id!;
});
afterAll(async () => {
	await ms?.stop();
	await api?.close();
});

function deps(): ImportDeps {
	return { store: new SupabaseImportStore(db), source: graphDeltaSource(onedrive), probe: new DownloadHeaderProbe(onedrive) };
}

async function catalogue(): Promise<ProductCatalogue> {
	const { data, error } = await db.from('products').select('id,title,asin,brand');
	if (error) throw error;
	return new ProductCatalogue(data);
}

async function rows() {
	const { data, error } = await db.from('videos').select('item_id,name,product_id,status,folder_path,updated_at,import_job_id').like('folder_path', '/Imports*');
	if (error) throw error;
	return new Map(data.map((row) => [row.name, row]));
}

it('imports a seeded tree, then a rescan touches only what changed', async () => {
	await control(ms.em, 'POST', '/drives/alice@contoso.test/seed', {
		path: '/Imports',
		items: [
			{
				name: 'Acme',
				children: [
					{ name: 'Kettle (B0ABCDEF12)', children: [{ name: 'clip.mp4', size: 5000, video: { duration: 4000, width: 1920, height: 1080 } }, { name: 'unboxing.mp4', size: 6000 }] },
					{ name: 'Toaster', children: [{ name: 'toast.mp4', size: 7000 }] }
				]
			},
			{ name: 'loose.mp4', size: 100 },
			{ name: 'notes.txt', size: 10 }
		]
	});
	const imports = await onedrive.itemByPath('/Imports');
	const folders = [{ id: imports.id, path: '/Imports' }];

	const run = await ImportRun.start(deps(), { driveId, folders, catalogue: await catalogue() });
	expect(run.phase).toBe('review');
	expect(run.review!.videos.map((video) => [video.name, video.proposed]).sort()).toEqual([
		['clip.mp4', 'new:asin:B0ABCDEF12'],
		['loose.mp4', 'none'],
		['toast.mp4', 'new:title:acme|toaster'],
		['unboxing.mp4', 'new:asin:B0ABCDEF12']
	]);
	await run.commit(new Map(), new Map());
	expect(run.phase).toBe('completed');

	const { data: job } = await db.from('import_jobs').select('*').eq('id', run.job.id).single();
	expect(job).toMatchObject({ status: 'completed', total_found: 4, linked: 4, skipped: 0, failed: 0, removed: 0, drive_id: driveId });
	expect(Object.keys(job!.delta_cursor as object)).toEqual([imports.id]);
	const { data: kettle } = await db.from('products').select('id,title,brand,asin').eq('asin', 'B0ABCDEF12').single();
	expect(kettle).toMatchObject({ title: 'Kettle', brand: 'Acme' });
	const before = await rows();
	expect(before.get('clip.mp4')).toMatchObject({ product_id: kettle!.id, status: 'synced', folder_path: '/Imports/Acme/Kettle (B0ABCDEF12)' });
	const { data: clip } = await db.from('videos').select('duration_ms,width,height,quick_xor_hash,item_created_at,item_modified_at,size_bytes').eq('name', 'clip.mp4').single();
	expect(clip).toMatchObject({ duration_ms: 4000, width: 1920, height: 1080, size_bytes: 5000 });
	expect(clip!.quick_xor_hash).toMatch(/=$/);
	expect(clip!.item_created_at).not.toBeNull();

	// Outside Reeldrive: one file added, one deleted.
	await control(ms.em, 'POST', '/drives/alice@contoso.test/seed', { path: '/Imports/Acme/Kettle (B0ABCDEF12)', items: [{ name: 'second.mp4', size: 900 }] });
	await onedrive.deleteItem(driveId, before.get('toast.mp4')!.item_id!);

	const rescan = await ImportRun.start(deps(), { driveId, folders: [], catalogue: await catalogue(), previous: job as never });
	expect(rescan.review!.videos.map((video) => [video.name, video.proposed])).toEqual([['second.mp4', `product:${kettle!.id}`]]);
	expect(rescan.review!.removed).toEqual([before.get('toast.mp4')!.item_id]);
	await rescan.commit(new Map(), new Map());
	expect(rescan.counters).toEqual({ total_found: 1, linked: 1, skipped: 0, failed: 0, removed: 1 });

	const after = await rows();
	expect(after.size).toBe(5);
	expect(after.get('second.mp4')).toMatchObject({ product_id: kettle!.id, import_job_id: rescan.job.id });
	expect(after.get('toast.mp4')!.status).toBe('missing');
	for (const name of ['clip.mp4', 'unboxing.mp4', 'loose.mp4']) expect(after.get(name)!.updated_at).toBe(before.get(name)!.updated_at);
});

it('reads duration and size through a ranged download when there is no video facet', async () => {
	const bytes = readFileSync(new URL('../fixtures/videos/portrait-1080x1920-2s.mp4', import.meta.url));
	const token = await passwordToken(ms.em);
	const put = await fetch(`${ms.em.url}/v1.0/me/drive/root:/portrait.mp4:/content`, {
		method: 'PUT',
		headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'video/mp4' },
		body: bytes
	});
	const item = (await put.json()) as { id: string };
	const header = await new DownloadHeaderProbe(onedrive).probe(driveId, item.id, bytes.length, new AbortController().signal);
	expect(header).toEqual({ durationMs: 2000, width: 1080, height: 1920 });
});
