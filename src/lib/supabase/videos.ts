/** The signed-in user's videos rows: metadata only; the bytes stay in their OneDrive. */
import type { ExistingCopy } from '$lib/upload';
import type { Database } from './database.types';
import type { ReeldriveSupabase } from './client';
import { fromPostgrestError } from './errors';

export type VideoRow = Database['public']['Tables']['videos']['Row'];
export type VideoStatus = Database['public']['Enums']['video_status'];

/** What a OneDrive file tells us about a video, for linking or relinking it. */
export type VideoItemFields = Pick<
	VideoRow,
	| 'drive_id'
	| 'item_id'
	| 'name'
	| 'size_bytes'
	| 'mime_type'
	| 'duration_ms'
	| 'width'
	| 'height'
	| 'quick_xor_hash'
	| 'web_url'
	| 'folder_path'
	| 'uploaded_at'
>;

const PAGE_ROWS = 1000;

export class VideoRepository {
	constructor(private readonly db: ReeldriveSupabase) {}

	/** Every video of a product, newest first, read in pages of Supabase's row limit. */
	async listForProduct(productId: string): Promise<VideoRow[]> {
		const all: VideoRow[] = [];
		for (let from = 0; ; from += PAGE_ROWS) {
			const { data, error } = await this.db
				.from('videos')
				.select('*')
				.eq('product_id', productId)
				.order('created_at', { ascending: false })
				.order('id')
				.range(from, from + PAGE_ROWS - 1);
			if (error) throw fromPostgrestError(error, 'The videos');
			all.push(...data);
			if (data.length < PAGE_ROWS) return all;
		}
	}

	/** Links OneDrive files to a product; a file already in Reeldrive moves to this product. */
	async link(productId: string, items: VideoItemFields[]): Promise<VideoRow[]> {
		if (items.length === 0) return [];
		const rows = items.map((item) => ({ ...item, product_id: productId, status: 'synced' as const, error_code: null, error_message: null }));
		const { data, error } = await this.db
			.from('videos')
			.upsert(rows, { onConflict: 'owner_id,drive_id,item_id' })
			.select('*');
		if (error) throw fromPostgrestError(error, 'That video');
		return data;
	}

	/**
	 * The person's videos in OneDrive of exactly these sizes, with the hash to compare and the
	 * product to name: what an upload of the same size may duplicate. Rows whose file is not in
	 * OneDrive (no item yet, missing) or has no hash cannot be compared and are left out.
	 */
	async sameSize(sizes: readonly number[]): Promise<ExistingCopy[]> {
		const wanted = [...new Set(sizes)];
		if (wanted.length === 0) return [];
		const { data, error } = await this.db
			.from('videos')
			.select('id,product_id,drive_id,item_id,name,folder_path,size_bytes,quick_xor_hash,web_url')
			.in('size_bytes', wanted)
			.eq('status', 'synced')
			.not('item_id', 'is', null)
			.not('quick_xor_hash', 'is', null)
			.limit(PAGE_ROWS);
		if (error) throw fromPostgrestError(error, 'The videos');
		const productIds = [...new Set(data.map((row) => row.product_id).filter((id): id is string => !!id))];
		const titles = new Map<string, string>();
		if (productIds.length > 0) {
			const { data: products, error: failed } = await this.db.from('products').select('id,title').in('id', productIds);
			if (failed) throw fromPostgrestError(failed, 'The products');
			for (const product of products) titles.set(product.id, product.title);
		}
		return data.map((row) => ({
			source: 'library' as const,
			videoId: row.id,
			productId: row.product_id,
			productTitle: row.product_id ? (titles.get(row.product_id) ?? null) : null,
			itemId: row.item_id!,
			driveId: row.drive_id,
			name: row.name,
			folderPath: row.folder_path,
			size: row.size_bytes,
			quickXorHash: row.quick_xor_hash!,
			webUrl: row.web_url
		}));
	}

	/** Points a video's row at another OneDrive file (after the first went missing). */
	relink(id: string, item: VideoItemFields): Promise<VideoRow> {
		return this.#update(id, { ...item, status: 'synced', error_code: null, error_message: null }, 'That file');
	}

	/** Moves a video to another product, or unlinks it (null). */
	setProduct(id: string, productId: string | null): Promise<VideoRow> {
		return this.#update(id, { product_id: productId });
	}

	rename(id: string, name: string, webUrl: string | null): Promise<VideoRow> {
		return this.#update(id, { name, ...(webUrl ? { web_url: webUrl } : {}) });
	}

	/** Catches the row up with a change made in OneDrive outside Reeldrive (renamed, moved). */
	updateFromItem(id: string, fields: Partial<VideoItemFields>): Promise<VideoRow> {
		return this.#update(id, fields);
	}

	/** Marks every video of these OneDrive files as missing (found deleted by a delta check). */
	async markMissing(driveId: string, itemIds: string[]): Promise<string[]> {
		if (itemIds.length === 0) return [];
		const { data, error } = await this.db
			.from('videos')
			.update({ status: 'missing' })
			.eq('drive_id', driveId)
			.in('item_id', itemIds)
			.neq('status', 'missing')
			.select('id');
		if (error) throw fromPostgrestError(error, 'The videos');
		return data.map((row) => row.id);
	}

	setStatus(id: string, status: VideoStatus): Promise<VideoRow> {
		return this.#update(id, { status });
	}

	/** Forgets the row (the OneDrive file, if any, is not touched here). */
	async remove(id: string): Promise<void> {
		const { error } = await this.db.from('videos').delete().eq('id', id);
		if (error) throw fromPostgrestError(error, 'That video');
	}

	async #update(id: string, changes: Database['public']['Tables']['videos']['Update'], what = 'That video'): Promise<VideoRow> {
		const { data, error } = await this.db.from('videos').update(changes).eq('id', id).select('*').single();
		if (error) {
			throw fromPostgrestError(error, error.code === '23505' ? 'A video for that file' : what);
		}
		return data;
	}
}
