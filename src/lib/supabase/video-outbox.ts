/**
 * Writes one outbox snapshot to Supabase: the latest snapshot of one videos row (or its
 * deletion). Upserts by id, so a retry never creates a duplicate row; the row's sync_version
 * makes the database skip a snapshot older than what it holds (see the migration).
 */
import type { OutboxEntry, VideoRowSnapshot } from '$lib/db/reeldrive-db';
import type { ReeldriveSupabase } from './client';
import { fromPostgrestError } from './errors';

export async function writeOutboxEntry(db: ReeldriveSupabase, entry: OutboxEntry): Promise<void> {
	if (!entry.row) {
		// A newer snapshot than this deletion (none is expected) would be kept.
		const { error } = await db.from('videos').delete().eq('id', entry.id).lte('sync_version', entry.version);
		if (error) throw fromPostgrestError(error, 'The video');
		return;
	}
	let row: VideoRowSnapshot = entry.row;
	for (let attempt = 0; attempt < 2; attempt++) {
		const { error } = await db.from('videos').upsert(row, { onConflict: 'id' });
		if (!error) return;
		// The product was deleted meanwhile: keep the video, unlinked, as deleting a product does.
		if (error.code === '23503' && row.product_id) {
			row = { ...row, product_id: null };
			continue;
		}
		throw fromPostgrestError(error, 'The video');
	}
}
