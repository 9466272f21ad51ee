import { describe, expect, it } from 'vitest';
import { AppError } from '$lib/errors';
import { ImportRun, WRITE_PAGE, type Choice, type HeaderProbe, type ImportDeps } from './import-run';
import { ProductCatalogue, type ProductDraft } from './product-rule';
import { FakeDrive, MemoryImportStore } from './test-fakes';

const DRIVE = 'drive';

function tree(): FakeDrive {
	const drive = new FakeDrive();
	drive.file('Imports/Acme/Kettle (B0KETTLE01)/clip.mp4');
	drive.file('Imports/Acme/Kettle (B0KETTLE01)/unboxing.mp4');
	drive.file('Imports/Acme/Toaster/toast.mp4');
	drive.file('Imports/Blender Pro/blend.mp4');
	drive.file('Imports/loose.mp4');
	drive.file('Imports/empty.mp4', { size: 0 });
	drive.file('Imports/readme.txt', { video: null });
	return drive;
}

const noProbe: HeaderProbe = { probe: async () => null };

function setup(drive = tree(), store = new MemoryImportStore(), probe = noProbe) {
	const changes: string[] = [];
	const deps: ImportDeps = { store, source: drive, probe, onChange: (run) => changes.push(run.phase) };
	const catalogue = new ProductCatalogue([{ id: 'p-blender', title: 'Blender Pro', asin: null, brand: null }]);
	const imports = [...drive.items.values()].find((item) => item.folder && item.name === 'Imports');
	const folders = imports ? [{ id: imports.id, path: '/Imports' }] : [];
	return { drive, store, deps, catalogue, folders, changes };
}

const proposals = (run: ImportRun) => Object.fromEntries(run.review!.videos.map((video) => [video.name, video.proposed]));

describe('ImportRun: a first import', () => {
	it('scans into a review with proposals, then links what the person decided, counting as it goes', async () => {
		const { store, deps, catalogue, folders } = setup();
		const run = await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		expect(run.phase).toBe('review');
		expect(proposals(run)).toEqual({
			'loose.mp4': 'none',
			'blend.mp4': 'product:p-blender',
			'toast.mp4': 'new:title:acme|toaster',
			'clip.mp4': 'new:asin:B0KETTLE01',
			'unboxing.mp4': 'new:asin:B0KETTLE01'
		});
		expect([...run.review!.drafts.values()]).toEqual([
			{ key: 'asin:B0KETTLE01', title: 'Kettle', brand: 'Acme', asin: 'B0KETTLE01' },
			{ key: 'title:acme|toaster', title: 'Toaster', brand: 'Acme', asin: null }
		]);
		expect(run.review!.empty).toBe(1);
		expect(store.jobs.get(run.job.id)).toMatchObject({ status: 'running', total_found: 6, drive_id: DRIVE, folders });

		const loose = run.review!.videos.find((video) => video.name === 'loose.mp4')!;
		const choices = new Map<string, Choice>([[loose.itemId, 'skip']]);
		const drafts = new Map<string, ProductDraft>([['title:acme|toaster', { key: 'title:acme|toaster', title: 'Toaster 2000', brand: 'Acme', asin: null }]]);
		await run.commit(choices, drafts);

		expect(run.phase).toBe('completed');
		expect(run.counters).toEqual({ total_found: 6, linked: 4, skipped: 2, failed: 0, removed: 0 });
		expect(store.products.map((p) => [p.id, p.title, p.brand, p.asin])).toEqual([
			['product-1', 'Kettle', 'Acme', 'B0KETTLE01'],
			['product-2', 'Toaster 2000', 'Acme', null]
		]);
		const byName = new Map([...store.videos.values()].map((video) => [video.name, video]));
		expect(byName.get('toast.mp4')).toMatchObject({ product_id: 'product-2', folder_path: '/Imports/Acme/Toaster', status: 'synced', import_job_id: run.job.id });
		expect(byName.get('clip.mp4')!.product_id).toBe('product-1');
		expect(byName.get('blend.mp4')!.product_id).toBe('p-blender');
		expect(byName.has('loose.mp4')).toBe(false);
		expect(byName.get('clip.mp4')).toMatchObject({
			size_bytes: 1000,
			duration_ms: 5000,
			width: 1920,
			height: 1080,
			quick_xor_hash: `hash-${byName.get('clip.mp4')!.item_id}-1000`,
			item_created_at: '2025-12-31T00:00:00Z',
			item_modified_at: '2026-01-01T12:00:00Z',
			mime_type: 'video/mp4'
		});
		const job = store.jobs.get(run.job.id)!;
		expect(job).toMatchObject({ status: 'completed', total_found: 6, linked: 4, skipped: 2, failed: 0, removed: 0 });
		expect(Object.keys(job.delta_cursor!)).toEqual([folders[0]!.id]);
		expect(job.completed_at).not.toBeNull();
	});

	it('imports the same items again into the same rows, keeping the products people set', async () => {
		const { store, deps, catalogue, folders } = setup();
		const first = await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		await first.commit(new Map(), new Map());
		const rowsBefore = store.videos.size;
		const blend = [...store.videos.values()].find((video) => video.name === 'blend.mp4')!;
		blend.product_id = 'p-moved-by-hand';

		const second = await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		expect(second.review!.videos).toEqual([]);
		expect(second.review!.updates).toHaveLength(5);
		await second.commit(new Map(), new Map());
		expect(store.videos.size).toBe(rowsBefore);
		expect(blend.product_id).toBe('p-moved-by-hand');
		expect(store.products).toHaveLength(2);
		expect(second.counters).toMatchObject({ total_found: 6, linked: 5, skipped: 1 });
	});

	it('leaves videos Reeldrive is busy with alone', async () => {
		const { store, deps, catalogue, folders } = setup();
		const first = await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		await first.commit(new Map(), new Map());
		const loose = [...store.videos.values()].find((video) => video.name === 'loose.mp4')!;
		loose.status = 'uploading';
		const writesBefore = loose.writes;
		const second = await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		expect(second.review!.busy).toBe(1);
		await second.commit(new Map(), new Map());
		expect(loose.writes).toBe(writesBefore);
		expect(loose.status).toBe('uploading');
	});
});

describe('ImportRun: rescans', () => {
	it('reads only what changed since the last import and touches only those rows', async () => {
		const { drive, store, deps, catalogue, folders } = setup();
		const first = await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		await first.commit(new Map(), new Map());
		const writes = new Map([...store.videos.values()].map((video) => [video.name, video.writes]));

		drive.file('Imports/Acme/Kettle (B0KETTLE01)/second-take.mp4');
		drive.remove('Imports/Acme/Toaster/toast.mp4');
		drive.rename('Imports/loose.mp4', 'loose-renamed.mp4');

		const previous = store.jobs.get(first.job.id)!;
		const pagesBefore = drive.pagesServed;
		const rescan = await ImportRun.start(deps, { driveId: DRIVE, folders: [], catalogue: new ProductCatalogue([...store.products, { id: 'p-blender', title: 'Blender Pro', asin: null, brand: null }]), previous });
		expect(drive.pagesServed - pagesBefore).toBe(3); // 7 changed items (files and their folders), pages of 3
		expect(rescan.review!.rescan).toBe(true);
		expect(rescan.review!.videos.map((video) => [video.name, video.proposed])).toEqual([['second-take.mp4', 'product:product-1']]);
		expect(rescan.review!.updates.map((row) => row.name)).toEqual(['loose-renamed.mp4']);
		expect(rescan.review!.removed).toHaveLength(1);
		await rescan.commit(new Map(), new Map());

		expect(rescan.counters).toEqual({ total_found: 2, linked: 2, skipped: 0, failed: 0, removed: 1 });
		const after = new Map([...store.videos.values()].map((video) => [video.name, video]));
		expect(after.get('second-take.mp4')).toMatchObject({ product_id: 'product-1', writes: 1 });
		expect(after.get('toast.mp4')).toMatchObject({ status: 'missing', writes: writes.get('toast.mp4')! + 1 });
		expect(after.get('loose-renamed.mp4')!.writes).toBe(writes.get('loose.mp4')! + 1);
		for (const name of ['clip.mp4', 'unboxing.mp4', 'blend.mp4']) expect(after.get(name)!.writes).toBe(writes.get(name));
		expect(store.jobs.get(rescan.job.id)).toMatchObject({ status: 'completed', folders, removed: 1 });

		// Nothing changed since: nothing is read beyond one empty page, nothing written.
		const quiet = await ImportRun.start(deps, { driveId: DRIVE, folders: [], catalogue, previous: store.jobs.get(rescan.job.id)! });
		expect(quiet.review).toMatchObject({ videos: [], updates: [], removed: [] });
		await quiet.commit(new Map(), new Map());
		expect(quiet.counters).toEqual({ total_found: 0, linked: 0, skipped: 0, failed: 0, removed: 0 });
	});

	it('after an expired cursor lists the folder in full and marks what is no longer there missing', async () => {
		const { drive, store, deps, catalogue, folders } = setup();
		const first = await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		await first.commit(new Map(), new Map());
		drive.remove('Imports/Blender Pro');
		drive.oldestCursor = drive.seq + 1;
		const rescan = await ImportRun.start(deps, { driveId: DRIVE, folders: [], catalogue, previous: store.jobs.get(first.job.id)! });
		expect(rescan.review!.removed).toHaveLength(1);
		await rescan.commit(new Map(), new Map());
		expect([...store.videos.values()].find((video) => video.name === 'blend.mp4')!.status).toBe('missing');
		expect(rescan.counters.removed).toBe(1);
	});
});

describe('ImportRun: cancelling and failing', () => {
	it('cancels mid-scan: the job says cancelled and keeps no cursor', async () => {
		const { drive, store, deps, catalogue, folders } = setup();
		drive.pageSize = 1;
		let run: ImportRun | undefined;
		deps.onChange = (current) => {
			run = current;
			if (current.pagesRead === 2) void current.cancel();
		};
		await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		expect(run!.phase).toBe('cancelled');
		expect(drive.pagesServed).toBe(2);
		expect(store.jobs.get(run!.job.id)).toMatchObject({ status: 'cancelled', delta_cursor: null });
		expect(store.writes).toEqual([]);
	});

	it('cancels in review', async () => {
		const { store, deps, catalogue, folders } = setup();
		const run = await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		await run.cancel();
		expect(store.jobs.get(run.job.id)!.status).toBe('cancelled');
		await expect(run.commit(new Map(), new Map())).rejects.toThrow();
	});

	it('cancels while linking, between pages, keeping what it linked', async () => {
		const drive = new FakeDrive();
		for (let i = 0; i < WRITE_PAGE * 2 + 10; i++) drive.file(`Big/clip-${i}.mp4`);
		drive.pageSize = 1000;
		const store = new MemoryImportStore();
		const { deps, catalogue } = setup(drive, store);
		const run = await ImportRun.start(deps, { driveId: DRIVE, folders: [{ id: drive.idOf('Big'), path: '/Big' }], catalogue });
		store.failWrite = (_rows, attempt) => {
			if (attempt === 1) void run.cancel();
			return null;
		};
		await run.commit(new Map(), new Map());
		expect(run.phase).toBe('cancelled');
		expect(store.videos.size).toBe(WRITE_PAGE);
		expect(store.jobs.get(run.job.id)).toMatchObject({ status: 'cancelled', linked: WRITE_PAGE, delta_cursor: null });
	});

	it('fails with its reason when the database cannot be reached, keeping what it linked', async () => {
		const drive = new FakeDrive();
		for (let i = 0; i < WRITE_PAGE + 3; i++) drive.file(`Big/clip-${i}.mp4`);
		drive.pageSize = 1000;
		const store = new MemoryImportStore();
		store.failWrite = (_rows, attempt) => (attempt === 2 ? new AppError('network-unreachable', { service: 'Reeldrive' }) : null);
		const { deps, catalogue } = setup(drive, store);
		const run = await ImportRun.start(deps, { driveId: DRIVE, folders: [{ id: drive.idOf('Big'), path: '/Big' }], catalogue });
		await run.commit(new Map(), new Map());
		expect(run.phase).toBe('failed');
		expect(run.error?.code).toBe('network-unreachable');
		expect(store.jobs.get(run.job.id)).toMatchObject({
			status: 'failed',
			linked: WRITE_PAGE,
			error_code: 'network-unreachable',
			error_message: expect.stringContaining('cannot be reached'),
			delta_cursor: null
		});
		expect(store.videos.size).toBe(WRITE_PAGE);
	});

	it('fails with its reason when OneDrive stops answering mid-scan', async () => {
		const { drive, store, deps, catalogue, folders } = setup();
		drive.pageSize = 2;
		drive.beforePage = (n) => {
			if (n === 3) throw new AppError('graph-unavailable', { status: 503 });
		};
		const run = await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		expect(run.phase).toBe('failed');
		expect(store.jobs.get(run.job.id)).toMatchObject({ status: 'failed', error_code: 'graph-unavailable' });
	});

	it('counts rows the database refuses as failed and links the rest', async () => {
		const { store, deps, catalogue, folders } = setup();
		store.failWrite = (rows) => (rows.some((row) => row.name === 'blend.mp4') ? new AppError('data-invalid', { pgCode: '23514' }) : null);
		const run = await ImportRun.start(deps, { driveId: DRIVE, folders, catalogue });
		await run.commit(new Map(), new Map());
		expect(run.phase).toBe('completed');
		expect(run.counters).toEqual({ total_found: 6, linked: 4, skipped: 1, failed: 1, removed: 0 });
	});
});

describe('ImportRun: metadata and scale', () => {
	it('reads duration and size from the header of videos without a video facet', async () => {
		const drive = new FakeDrive();
		drive.file('Imports/raw.mp4', { video: null });
		drive.file('Imports/raw.webm', { video: null, mimeType: 'video/webm' });
		const asked: string[] = [];
		const probe: HeaderProbe = {
			probe: async (_drive, itemId) => {
				asked.push(itemId);
				return { durationMs: 2000, width: 1080, height: 1920 };
			}
		};
		const { store, deps, catalogue } = setup(drive, new MemoryImportStore(), probe);
		const run = await ImportRun.start(deps, { driveId: DRIVE, folders: [{ id: drive.idOf('Imports'), path: '/Imports' }], catalogue });
		await run.commit(new Map(), new Map());
		expect(asked).toEqual([drive.idOf('Imports/raw.mp4')]);
		const byName = new Map([...store.videos.values()].map((video) => [video.name, video]));
		expect(byName.get('raw.mp4')).toMatchObject({ duration_ms: 2000, width: 1080, height: 1920 });
		expect(byName.get('raw.webm')).toMatchObject({ duration_ms: null, width: null, height: null });
	});

	it('imports 10,000 videos in pages of 500, saving the counters after each', async () => {
		const drive = new FakeDrive();
		for (let i = 0; i < 10_000; i++) drive.file(`Big/Acme/Product ${i % 50}/clip-${i}.mp4`);
		drive.pageSize = 1000;
		const store = new MemoryImportStore();
		const { deps, catalogue } = setup(drive, store);
		const started = performance.now();
		const run = await ImportRun.start(deps, { driveId: DRIVE, folders: [{ id: drive.idOf('Big'), path: '/Big' }], catalogue });
		await run.commit(new Map(), new Map());
		const seconds = (performance.now() - started) / 1000;
		expect(run.counters).toEqual({ total_found: 10_000, linked: 10_000, skipped: 0, failed: 0, removed: 0 });
		expect(store.writes.map((rows) => rows.length)).toEqual(Array(20).fill(500));
		expect(store.products).toHaveLength(50);
		const linkedSaves = store.jobUpdates.filter((update) => update.changes.linked !== undefined && update.changes.status === undefined);
		expect(linkedSaves.map((update) => update.changes.linked)).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 500));
		expect(seconds).toBeLessThan(20);
	});
});
