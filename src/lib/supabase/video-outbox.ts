/**
 * Writes one outbox snapshot to Supabase: the latest snapshot of one videos row (or its
 * deletion). Upserts by id, so a retry never creates a duplicate row; the row's sync_version
 * makes the database skip a snapshot older than what it holds (see the migration).
 */
import type { OutboxEntry, VideoRowSnapshot } from '$lib/db/reeldrive-db';
import type { ReeldriveSupabase } from './client';
import { fromPostgrestError } from './errors';

export async function writeOutboxEntry(db: ReeldriveSupabase, entry: OutboxEntry): Promise<void> {
	if (entry.linkTo) await linkExisting(db, entry.linkTo.videoId, entry.linkTo.productId);
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
		// The OneDrive file is in the library already (a link to a file the page did not know
		// was there): that row takes the product, and this upload adds no second row.
		if (error.code === '23505' && row.item_id) {
			const { data, error: lookup } = await db.from('videos').select('id').eq('drive_id', row.drive_id).eq('item_id', row.item_id).neq('id', row.id).maybeSingle();
			if (lookup) throw fromPostgrestError(lookup, 'The video');
			if (data) {
				await linkExisting(db, data.id, row.product_id);
				const { error: removal } = await db.from('videos').delete().eq('id', entry.id);
				if (removal) throw fromPostgrestError(removal, 'The video');
				return;
			}
		}
		throw fromPostgrestError(error, 'The video');
	}
}

/** Puts a video already in the library under a product (none given: it stays where it is). */
async function linkExisting(db: ReeldriveSupabase, videoId: string, productId: string | null): Promise<void> {
	if (!productId) return;
	const { error } = await db.from('videos').update({ product_id: productId }).eq('id', videoId);
	// The product was deleted meanwhile: the video stays as it was.
	if (error && error.code !== '23503') throw fromPostgrestError(error, 'The video');
}
