/**
 * Folder import's reads and writes: import_jobs rows, the videos an import links (upserted on
 * owner, drive and item, so an item imported twice keeps one row) and the products it creates.
 * Row-level security keeps all of it the signed-in user's.
 */
import type { ScanFolder } from '$lib/import/delta-scan';
import type { ExistingVideo, ImportJob, ImportStore, JobChanges, VideoWrite } from '$lib/import/import-run';
import type { ProductDraft } from '$lib/import/product-rule';
import type { Database, Json } from './database.types';
import type { ReeldriveSupabase } from './client';
import { fromPostgrestError } from './errors';
import { VideoRepository } from './videos';

type JobRow = Database['public']['Tables']['import_jobs']['Row'];

const JOB_COLUMNS =
	'id,status,drive_id,folders,delta_cursor,total_found,linked,skipped,failed,removed,error_code,error_message,started_at,completed_at,updated_at';
/** Supabase's max_rows. */
const PAGE_ROWS = 1000;

function asFolders(value: Json): ScanFolder[] {
	if (!Array.isArray(value)) return [];
	return value.flatMap((entry) =>
		entry && typeof entry === 'object' && !Array.isArray(entry) && typeof entry.id === 'string' && typeof entry.path === 'string'
			? [{ id: entry.id, path: entry.path }]
			: []
	);
}

function asCursor(value: Json | null): Record<string, string> | null {
	if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
	const cursor: Record<string, string> = {};
	for (const [folderId, link] of Object.entries(value)) if (typeof link === 'string') cursor[folderId] = link;
	return cursor;
}

export function toImportJob(row: Pick<JobRow, keyof ImportJob>): ImportJob {
	return { ...row, folders: asFolders(row.folders), delta_cursor: asCursor(row.delta_cursor) };
}

export class SupabaseImportStore implements ImportStore {
	readonly #db: ReeldriveSupabase;
	readonly #videos: VideoRepository;

	constructor(db: ReeldriveSupabase) {
		this.#db = db;
		this.#videos = new VideoRepository(db);
	}

	/** The most recent jobs, newest first. */
	async listJobs(limit = 20): Promise<ImportJob[]> {
		const { data, error } = await this.#db.from('import_jobs').select(JOB_COLUMNS).order('started_at', { ascending: false }).limit(limit);
		if (error) throw fromPostgrestError(error, 'Your imports');
		return data.map(toImportJob);
	}

	async createJob(input: { drive_id: string; folders: ScanFolder[] }): Promise<ImportJob> {
		const folders = input.folders.map((folder) => ({ id: folder.id, path: folder.path }));
		const { data, error } = await this.#db.from('import_jobs').insert({ drive_id: input.drive_id, folders }).select(JOB_COLUMNS).single();
		if (error) throw fromPostgrestError(error, 'The import');
		return toImportJob(data);
	}

	async updateJob(id: string, changes: JobChanges): Promise<void> {
		const { error } = await this.#db.from('import_jobs').update(changes).eq('id', id);
		if (error) throw fromPostgrestError(error, 'The import');
	}

	async findVideos(driveId: string, itemIds: string[]): Promise<ExistingVideo[]> {
		if (itemIds.length === 0) return [];
		const { data, error } = await this.#db.from('videos').select('item_id,status,folder_path').eq('drive_id', driveId).in('item_id', itemIds);
		if (error) throw fromPostgrestError(error, 'Your videos');
		return data.filter((row): row is ExistingVideo => row.item_id !== null);
	}

	async videosUnder(driveId: string, folderPath: string): Promise<ExistingVideo[]> {
		const base = folderPath.replace(/\/+$/, '');
		const inside = (path: string | null) => path !== null && (base === '' || path === base || path.startsWith(`${base}/`));
		const all: ExistingVideo[] = [];
		// LIKE treats _ and % in folder names as wildcards: ask broadly, then keep exact matches.
		const pattern = `${base.replace(/[%_\\*]/g, '_')}*`;
		for (let from = 0; ; from += PAGE_ROWS) {
			const { data, error } = await this.#db
				.from('videos')
				.select('item_id,status,folder_path')
				.eq('drive_id', driveId)
				.not('item_id', 'is', null)
				.like('folder_path', pattern)
				.order('id')
				.range(from, from + PAGE_ROWS - 1);
			if (error) throw fromPostgrestError(error, 'Your videos');
			for (const row of data) if (row.item_id !== null && inside(row.folder_path)) all.push(row as ExistingVideo);
			if (data.length < PAGE_ROWS) return all;
		}
	}

	async createProducts(drafts: ProductDraft[]): Promise<Map<string, string>> {
		const ids = new Map<string, string>();
		if (drafts.length === 0) return ids;
		const rows = drafts.map((draft) => ({ id: crypto.randomUUID(), title: draft.title, brand: draft.brand, asin: draft.asin, notes: null }));
		const { error } = await this.#db.from('products').insert(rows);
		if (!error) {
			drafts.forEach((draft, i) => ids.set(draft.key, rows[i]!.id));
			return ids;
		}
		if (error.code !== '23505') throw fromPostgrestError(error, 'The new products');
		// A product with one of these ASINs appeared since the preview (another tab): one at a
		// time, and an ASIN already taken links to that product.
		for (const [i, draft] of drafts.entries()) {
			const row = rows[i]!;
			const single = await this.#db.from('products').insert(row);
			if (!single.error) {
				ids.set(draft.key, row.id);
				continue;
			}
			if (single.error.code !== '23505' || !draft.asin) throw fromPostgrestError(single.error, 'The new products');
			const found = await this.#db.from('products').select('id').eq('asin', draft.asin).single();
			if (found.error) throw fromPostgrestError(found.error, 'The new products');
			ids.set(draft.key, found.data.id);
		}
		return ids;
	}

	async writeVideos(rows: VideoWrite[]): Promise<void> {
		if (rows.length === 0) return;
		const { error } = await this.#db.from('videos').upsert(rows, { onConflict: 'owner_id,drive_id,item_id' });
		if (error) throw fromPostgrestError(error, 'The imported videos');
	}

	async markMissing(driveId: string, itemIds: string[]): Promise<number> {
		return (await this.#videos.markMissing(driveId, itemIds)).length;
	}
}
