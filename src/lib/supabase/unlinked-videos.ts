/** The signed-in user's videos with no product, and linking them to one. RLS keeps them their own. */
import { AppError } from '$lib/errors';
import type { ReeldriveSupabase } from './client';
import { fromPostgrestError } from './errors';
import type { VideoRow } from './videos';

export type UnlinkedVideo = Pick<
	VideoRow,
	'id' | 'name' | 'size_bytes' | 'status' | 'duration_ms' | 'width' | 'height' | 'folder_path' | 'created_at'
>;

const COLUMNS = 'id,name,size_bytes,status,duration_ms,width,height,folder_path,created_at';
/** Supabase's max_rows: a read answers at most this many rows, so longer lists are paged. */
const PAGE_ROWS = 1000;
/** Ids per update, so the request's address stays well within what servers accept. */
const IDS_PER_UPDATE = 100;

export class UnlinkedVideoRepository {
	constructor(private readonly db: ReeldriveSupabase) {}

	/** Every video with no product, newest first. */
	async list(): Promise<UnlinkedVideo[]> {
		const all: UnlinkedVideo[] = [];
		for (let from = 0; ; from += PAGE_ROWS) {
			const { data, error } = await this.db
				.from('videos')
				.select(COLUMNS)
				.is('product_id', null)
				.order('created_at', { ascending: false })
				.order('id')
				.range(from, from + PAGE_ROWS - 1);
			if (error) throw fromPostgrestError(error, 'Your videos without a product');
			all.push(...data);
			if (data.length < PAGE_ROWS) return all;
		}
	}

	/**
	 * Links these videos to the product and answers the ids that were linked. A video linked or
	 * removed meanwhile (another tab, another device) is left alone and is not in the answer.
	 */
	async link(ids: readonly string[], productId: string): Promise<string[]> {
		const linked: string[] = [];
		for (let from = 0; from < ids.length; from += IDS_PER_UPDATE) {
			const { data, error } = await this.db
				.from('videos')
				.update({ product_id: productId })
				.in('id', ids.slice(from, from + IDS_PER_UPDATE))
				.is('product_id', null)
				.select('id');
			// 23503: the product was deleted meanwhile (or was never this user's; RLS makes both look alike).
			if (error?.code === '23503') throw new AppError('data-not-found', { what: 'That product' }, error);
			if (error) throw fromPostgrestError(error, 'Those videos');
			linked.push(...data.map((row) => row.id));
		}
		return linked;
	}
}
