/**
 * The OneDrive check's rules: given what Reeldrive recorded about a video and what OneDrive
 * says of its item now, was the file left alone, changed (new content, renamed, moved) or
 * deleted, and what does the check write for it. Pure: no Graph, no Supabase.
 *
 * The tag subtleties, from Graph's documentation:
 * - eTag changes on any change to the item, a rename or move included, and on metadata
 *   Reeldrive does not keep (a description): a different eTag alone is not a change worth a
 *   flag. An equal eTag does mean the item itself (content included) is as recorded.
 * - cTag changes only when the content changes, but OneDrive for Business leaves it out of
 *   some answers, so it is a fallback.
 * - QuickXorHash is the content's fingerprint and wins when both sides have one; OneDrive for
 *   Business may not have computed it yet for a new file, then size and cTag decide.
 * - A move shows in parentReference.path, which item lookups carry and delta feeds do not; an
 *   unknown path is never taken for a move, nor is a difference in case only (OneDrive paths
 *   ignore case; the record then takes OneDrive's spelling). Renaming or moving a folder above the file changes
 *   the file's path but not its eTag: that is a move too.
 */
import type { DriveItem } from '@microsoft/microsoft-graph-types';
import { parentFolderPath } from '$lib/graph/video-items';

/** What Reeldrive recorded: the videos row's columns the check reads. */
export interface RecordedVideo {
	id: string;
	item_id: string | null;
	name: string;
	folder_path: string | null;
	size_bytes: number;
	quick_xor_hash: string | null;
	e_tag: string | null;
	c_tag: string | null;
	status: 'queued' | 'uploading' | 'synced' | 'error' | 'conflict' | 'missing';
	error_code: string | null;
	error_message: string | null;
}

export type Finding =
	| { kind: 'unchanged' }
	| { kind: 'deleted' }
	| {
			kind: 'changed';
			/** The file's content is different (hash, size or cTag). */
			content: boolean;
			/** Its new name, when it was renamed. */
			renamedTo: string | null;
			/** Its new folder, when it (or a folder above it) was moved. */
			movedTo: string | null;
			/** When OneDrive says the file last changed. */
			changedAt: string | null;
	  };

/** The codes a check puts on the videos it flags (error_code). */
export const CHANGED_CODE = 'onedrive-changed';
export const DELETED_CODE = 'onedrive-deleted';

/** One video's line in record_onedrive_check's findings: the row's new values for these columns. */
export interface CheckWrite {
	id: string;
	e_tag: string | null;
	c_tag: string | null;
	quick_xor_hash: string | null;
	folder_path: string | null;
	status: 'synced' | 'conflict' | 'missing';
	error_code: string | null;
	error_message: string | null;
}

function normalisedFolder(path: string | null | undefined): string | null {
	if (!path) return null;
	const trimmed = path.replace(/\/+$/, '');
	return trimmed.startsWith('/') ? trimmed || '/' : `/${trimmed}`;
}

/** Whether the content differs from what was recorded (see the subtleties above). */
export function contentChanged(recorded: RecordedVideo, item: DriveItem): boolean {
	if (recorded.e_tag && item.eTag && recorded.e_tag === item.eTag) return false;
	const hash = item.file?.hashes?.quickXorHash ?? null;
	if (recorded.quick_xor_hash && hash) return recorded.quick_xor_hash !== hash;
	if (typeof item.size === 'number' && item.size !== recorded.size_bytes) return true;
	if (recorded.c_tag && item.cTag) return recorded.c_tag !== item.cTag;
	return false;
}

/** What happened to a video's item: `null` is an item OneDrive no longer has (404). */
export function classify(recorded: RecordedVideo, item: DriveItem | null): Finding {
	if (!item || item.deleted || item.folder || !item.file) return { kind: 'deleted' };
	const content = contentChanged(recorded, item);
	const renamedTo = item.name && item.name !== recorded.name ? item.name : null;
	const was = normalisedFolder(recorded.folder_path);
	const now = normalisedFolder(parentFolderPath(item));
	// OneDrive paths ignore case: an upload to "/Reeldrive" may land in an existing "/reeldrive".
	const movedTo = was && now && was.toLowerCase() !== now.toLowerCase() ? now : null;
	if (!content && !renamedTo && !movedTo) return { kind: 'unchanged' };
	return {
		kind: 'changed',
		content,
		renamedTo,
		movedTo,
		changedAt: item.fileSystemInfo?.lastModifiedDateTime ?? item.lastModifiedDateTime ?? null
	};
}

/** The reason in words, as the Sync page shows it and the row keeps it. */
export function describeFinding(finding: Finding, formatDateTime: (iso: string) => string): string | null {
	if (finding.kind === 'unchanged') return null;
	if (finding.kind === 'deleted') return 'Deleted from OneDrive.';
	const parts: string[] = [];
	if (finding.content) {
		parts.push(
			finding.changedAt
				? `Changed in OneDrive on ${formatDateTime(finding.changedAt)} (different content).`
				: 'Changed in OneDrive (different content).'
		);
	}
	if (finding.renamedTo) parts.push(`Renamed in OneDrive to “${finding.renamedTo}”.`);
	if (finding.movedTo) parts.push(`Moved to ${finding.movedTo === '/' ? 'the top of your OneDrive' : `“${finding.movedTo}”`}.`);
	return parts.join(' ');
}

/**
 * What the check writes for one video, or null when the row is already right. A file left
 * alone gets its tags recorded (and a hash or folder the row lacked) and loses a check's flag;
 * a changed or deleted one is flagged with its reason and keeps every recorded value.
 */
export function checkWrite(
	recorded: RecordedVideo,
	item: DriveItem | null,
	formatDateTime: (iso: string) => string
): CheckWrite | null {
	const finding = classify(recorded, item);
	const keep = {
		id: recorded.id,
		e_tag: recorded.e_tag,
		c_tag: recorded.c_tag,
		quick_xor_hash: recorded.quick_xor_hash,
		folder_path: recorded.folder_path
	};
	if (finding.kind === 'unchanged') {
		const next: CheckWrite = {
			id: recorded.id,
			e_tag: item?.eTag ?? recorded.e_tag,
			c_tag: item?.cTag ?? recorded.c_tag,
			quick_xor_hash: recorded.quick_xor_hash ?? item?.file?.hashes?.quickXorHash ?? null,
			// OneDrive's spelling of the folder, when it differs from the record only in case.
			folder_path: (item ? normalisedFolder(parentFolderPath(item)) : null) ?? recorded.folder_path,
			status: 'synced',
			error_code: null,
			error_message: null
		};
		const same =
			recorded.status === 'synced' &&
			next.e_tag === recorded.e_tag &&
			next.c_tag === recorded.c_tag &&
			next.quick_xor_hash === recorded.quick_xor_hash &&
			next.folder_path === recorded.folder_path;
		return same ? null : next;
	}
	const reason = describeFinding(finding, formatDateTime);
	const next: CheckWrite =
		finding.kind === 'deleted'
			? { ...keep, status: 'missing', error_code: DELETED_CODE, error_message: reason }
			: { ...keep, status: 'conflict', error_code: CHANGED_CODE, error_message: reason };
	const same = recorded.status === next.status && recorded.error_code === next.error_code && recorded.error_message === next.error_message;
	return same ? null : next;
}

/** Whether a row is one of the check's flags (a video changed or gone in OneDrive). */
export function isFlagged(row: Pick<RecordedVideo, 'status' | 'error_code'>): boolean {
	return row.status === 'missing' || (row.status === 'conflict' && row.error_code === CHANGED_CODE);
}

/** A OneDrive file's values for a videos row, when accepting OneDrive's version or relinking. */
export interface ItemValues {
	item_id: string;
	name: string;
	folder_path: string | null;
	size_bytes: number;
	quick_xor_hash: string | null;
	e_tag: string | null;
	c_tag: string | null;
	mime_type: string | null;
	web_url: string | null;
	duration_ms: number | null;
	width: number | null;
	height: number | null;
	item_created_at: string | null;
	item_modified_at: string | null;
}

/** The item's values, or null for an item that cannot be a video's (no file, or empty). */
export function valuesFromItem(item: DriveItem): ItemValues | null {
	if (!item.id || !item.name || !item.file || item.folder || item.deleted || !item.size || item.size <= 0) return null;
	const whole = (value: number | null | undefined) =>
		typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(Math.round(value), 2_147_483_647) : null;
	return {
		item_id: item.id,
		name: item.name,
		folder_path: parentFolderPath(item),
		size_bytes: item.size,
		quick_xor_hash: item.file.hashes?.quickXorHash ?? null,
		e_tag: item.eTag ?? null,
		c_tag: item.cTag ?? null,
		mime_type: item.file.mimeType ?? null,
		web_url: item.webUrl ?? null,
		duration_ms: whole(item.video?.duration),
		width: whole(item.video?.width),
		height: whole(item.video?.height),
		item_created_at: item.fileSystemInfo?.createdDateTime ?? item.createdDateTime ?? null,
		item_modified_at: item.fileSystemInfo?.lastModifiedDateTime ?? item.lastModifiedDateTime ?? null
	};
}
