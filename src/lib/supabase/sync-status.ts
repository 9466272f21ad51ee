/**
 * What the sync dashboard reads from Supabase: the per-status counts (one call of
 * video_sync_summary), the videos not in OneDrive yet, and the latest finished or failed ones.
 * RLS keeps every read to the signed-in user's rows.
 */
import type { ReeldriveSupabase } from './client';
import { fromPostgrestError } from './errors';
import type { VideoRow, VideoStatus } from './videos';

export interface StatusCount {
	status: VideoStatus;
	/** Videos of this status, less those the browser counts itself (see `summary`). */
	videoCount: number;
	/** Videos of this status with no product (all of them). */
	withoutProduct: number;
	/** When the latest video of this status reached OneDrive, if any did. */
	lastUploadedAt: string | null;
}

export type SyncRow = Pick<
	VideoRow,
	'id' | 'name' | 'size_bytes' | 'status' | 'product_id' | 'error_code' | 'error_message' | 'uploaded_at' | 'updated_at'
>;

const ROW_COLUMNS = 'id,name,size_bytes,status,product_id,error_code,error_message,uploaded_at,updated_at';

export class SyncStatusRepository {
	constructor(private readonly db: ReeldriveSupabase) {}

	/**
	 * The counts, in one query. `countedHere` are the uploads this browser knows better than the
	 * table (unfinished ones): the database leaves them out so the browser can count them itself.
	 */
	async summary(countedHere: readonly string[]): Promise<StatusCount[]> {
		const { data, error } = await this.db.rpc('video_sync_summary', { counted_here: [...countedHere] });
		if (error) throw fromPostgrestError(error, 'The sync status');
		return data.map((row) => ({
			status: row.status,
			videoCount: Number(row.video_count),
			withoutProduct: Number(row.without_product),
			lastUploadedAt: row.last_uploaded_at ?? null
		}));
	}

	/** Videos not (or no longer) in OneDrive, most recently changed first. */
	async unfinished(limit: number): Promise<SyncRow[]> {
		const { data, error } = await this.db
			.from('videos')
			.select(ROW_COLUMNS)
			.neq('status', 'synced')
			.order('updated_at', { ascending: false })
			.order('id')
			.limit(limit);
		if (error) throw fromPostgrestError(error, 'The videos waiting to sync');
		return data;
	}

	/** The latest videos that reached OneDrive or failed, newest first. */
	async recent(limit: number): Promise<SyncRow[]> {
		const { data, error } = await this.db
			.from('videos')
			.select(ROW_COLUMNS)
			.in('status', ['synced', 'error'])
			.order('updated_at', { ascending: false })
			.order('id')
			.limit(limit);
		if (error) throw fromPostgrestError(error, 'The recent uploads');
		return data;
	}
}
