/**
 * One OneDrive check: look up the item of every video Reeldrive keeps in the connected drive,
 * classify each (classify.ts) and write what changed in one database call per 500 videos.
 *
 * Lookups are GET /drives/{drive}/items/{id} (404: the file is gone), a few at a time. A lookup
 * carries the item's full path, which Graph's delta feeds leave out, so moves are seen as
 * well; uploads made by Reeldrive and imported videos are checked the same way. Any failure
 * other than a 404 stops the check before anything is written for the videos not yet looked
 * at, so a dropped connection never marks files as deleted.
 */
import type { DriveItem } from '@microsoft/microsoft-graph-types';
import { checkWrite, isFlagged, type CheckWrite, type RecordedVideo } from './classify';

/** What Graph asks for each item: enough to tell content, name, place and deletion apart. */
export const LOOKUP_SELECT =
	'id,name,size,eTag,cTag,file,folder,deleted,parentReference,lastModifiedDateTime,fileSystemInfo,webUrl,video';

export interface CheckPorts {
	/** The videos in this drive with an item id, in OneDrive or flagged by an earlier check. */
	tracked(driveId: string): Promise<RecordedVideo[]>;
	/** The item now, or null when OneDrive has none with this id (404). */
	lookup(driveId: string, itemId: string): Promise<DriveItem | null>;
	/** Writes findings; answers how many rows changed. */
	record(writes: CheckWrite[]): Promise<number>;
}

export interface CheckOptions {
	formatDateTime: (iso: string) => string;
	/** Lookups in flight at once. */
	concurrency?: number;
	signal?: AbortSignal;
}

export interface CheckOutcome {
	/** Videos looked up. */
	checked: number;
	/** Videos flagged after this check (changed or deleted in OneDrive). */
	flagged: number;
	/** Rows this check wrote (new flags, cleared flags, tags recorded). */
	written: number;
	/** When the check ended (ISO). */
	at: string;
}

const WRITE_BATCH = 500;

export async function runCheck(ports: CheckPorts, driveId: string, options: CheckOptions): Promise<CheckOutcome> {
	const rows = (await ports.tracked(driveId)).filter(
		(row): row is RecordedVideo & { item_id: string } => !!row.item_id && (row.status === 'synced' || isFlagged(row))
	);
	const writes: CheckWrite[] = [];
	let flagged = 0;
	let next = 0;
	const worker = async () => {
		while (next < rows.length) {
			options.signal?.throwIfAborted();
			const row = rows[next++]!;
			const item = await ports.lookup(driveId, row.item_id);
			const write = checkWrite(row, item, options.formatDateTime);
			if (write) writes.push(write);
			if ((write ?? row).status !== 'synced') flagged++;
		}
	};
	const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, rows.length)) }, worker);
	await Promise.all(workers);
	options.signal?.throwIfAborted();
	let written = 0;
	for (let i = 0; i < writes.length; i += WRITE_BATCH) written += await ports.record(writes.slice(i, i + WRITE_BATCH));
	return { checked: rows.length, flagged, written, at: new Date().toISOString() };
}
