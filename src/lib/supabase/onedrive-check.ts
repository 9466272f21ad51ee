/**
 * What the OneDrive check reads and writes in Supabase: the videos to look at, one call that
 * records a check's findings (record_onedrive_check), the flagged videos for the Sync page, and
 * the three answers to a flag (accept OneDrive's version, relink, remove). RLS keeps every read
 * and write to the signed-in user's rows.
 */
import type { Json } from './database.types';
import type { ReeldriveSupabase } from './client';
import { fromPostgrestError } from './errors';
import type { VideoRow } from './videos';
import { CHANGED_CODE, type CheckWrite, type RecordedVideo } from '$lib/onedrive-check/classify';

export type FlaggedVideo = Pick<
	VideoRow,
	'id' | 'name' | 'folder_path' | 'size_bytes' | 'status' | 'product_id' | 'drive_id' | 'item_id' | 'error_code' | 'error_message' | 'updated_at'
>;

/** A OneDrive item's values for a row, when accepting OneDrive's version or relinking. */
export type ItemRecord = Pick<
	VideoRow,
	| 'drive_id'
	| 'item_id'
	| 'name'
	| 'folder_path'
	| 'size_bytes'
	| 'quick_xor_hash'
	| 'e_tag'
	| 'c_tag'
	| 'mime_type'
	| 'web_url'
	| 'duration_ms'
	| 'width'
	| 'height'
	| 'item_created_at'
	| 'item_modified_at'
>;

const TRACKED_COLUMNS = 'id,item_id,name,folder_path,size_bytes,quick_xor_hash,e_tag,c_tag,status,error_code,error_message';
const FLAG_COLUMNS = 'id,name,folder_path,size_bytes,status,product_id,drive_id,item_id,error_code,error_message,updated_at';
const FLAGGED = `status.eq.missing,and(status.eq.conflict,error_code.eq.${CHANGED_CODE})`;
const PAGE_ROWS = 1000;

export class OneDriveCheckRepository {
	constructor(private readonly db: ReeldriveSupabase) {}

	/** Every video of this drive with an item id that is in OneDrive or flagged, in pages. */
	async tracked(driveId: string): Promise<RecordedVideo[]> {
		const all: RecordedVideo[] = [];
		for (let from = 0; ; from += PAGE_ROWS) {
			const { data, error } = await this.db
				.from('videos')
				.select(TRACKED_COLUMNS)
				.eq('drive_id', driveId)
				.not('item_id', 'is', null)
				.in('status', ['synced', 'conflict', 'missing'])
				.order('id')
				.range(from, from + PAGE_ROWS - 1);
			if (error) throw fromPostgrestError(error, 'Your videos');
			all.push(...data);
			if (data.length < PAGE_ROWS) return all;
		}
	}

	async record(writes: CheckWrite[]): Promise<number> {
		if (writes.length === 0) return 0;
		const { data, error } = await this.db.rpc('record_onedrive_check', { results: writes as unknown as Json });
		if (error) throw fromPostgrestError(error, 'The OneDrive check');
		return data;
	}

	/** The flagged videos, most recently flagged first, and how many there are in all. */
	async flagged(limit: number): Promise<{ rows: FlaggedVideo[]; total: number }> {
		const { data, error, count } = await this.db
			.from('videos')
			.select(FLAG_COLUMNS, { count: 'exact' })
			.or(FLAGGED)
			.order('updated_at', { ascending: false })
			.order('id')
			.limit(limit);
		if (error) throw fromPostgrestError(error, 'The videos changed in OneDrive');
		return { rows: data, total: count ?? data.length };
	}

	/** Takes a OneDrive item's values into the row and clears the flag. */
	async takeItem(id: string, values: Partial<ItemRecord>, what = 'That video'): Promise<void> {
		const { error } = await this.db
			.from('videos')
			.update({ ...values, status: 'synced', error_code: null, error_message: null, onedrive_checked_at: new Date().toISOString() })
			.eq('id', id)
			.select('id')
			.single();
		if (error) throw fromPostgrestError(error, error.code === '23505' ? 'A video for that file' : what);
	}

	/** Forgets the video; its OneDrive file is not touched. */
	async remove(id: string): Promise<void> {
		const { error } = await this.db.from('videos').delete().eq('id', id);
		if (error) throw fromPostgrestError(error, 'That video');
	}
}
