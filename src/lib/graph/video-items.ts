/** A OneDrive file as Reeldrive sees it: is it a video, where is it, and its videos-row fields. */
import { AppError } from '$lib/errors';
import type { VideoItemFields } from '$lib/supabase/videos';
import type { DriveItem, OneDriveItem } from './onedrive-api';

/** The folder holding an item, e.g. "/Videos", from its parentReference.path ("/drive/root:/Videos"). */
export function parentFolderPath(item: DriveItem): string | null {
	const parent = item.parentReference?.path;
	if (!parent) return null;
	const afterRoot = parent.includes('root:') ? parent.slice(parent.indexOf('root:') + 5) : '';
	return decodeURIComponent(afterRoot).replace(/\/+$/, '') || '/';
}

export function isVideoItem(item: DriveItem): boolean {
	return !!item.file && (!!item.video || !!item.file.mimeType?.startsWith('video/'));
}

/** A OneDrive file as the fields of a videos row. */
export function videoFieldsFromItem(item: OneDriveItem, fallbackDriveId: string): VideoItemFields {
	const whole = (value: number | null | undefined) => (typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : null);
	if (!item.size) throw new AppError('data-invalid', { detail: `"${item.name}" is empty, so there is nothing to play.` });
	return {
		drive_id: item.parentReference?.driveId ?? fallbackDriveId,
		item_id: item.id,
		name: item.name,
		size_bytes: item.size,
		mime_type: item.file?.mimeType ?? null,
		duration_ms: whole(item.video?.duration),
		width: whole(item.video?.width) || null,
		height: whole(item.video?.height) || null,
		quick_xor_hash: item.file?.hashes?.quickXorHash ?? null,
		web_url: item.webUrl ?? null,
		folder_path: parentFolderPath(item),
		uploaded_at: item.createdDateTime ?? null
	};
}
