/** The Supabase videos row that mirrors an upload, as a snapshot (the outbox keeps the latest). */
import { describeUploadError } from '$lib/upload';
import type { UploadRecord, VideoRowSnapshot } from './reeldrive-db';

export function videoRowFor(record: UploadRecord, now: number): VideoRowSnapshot {
	const state = record.state;
	const item = state.status === 'done' ? state.item : null;
	const facet = (item?.video ?? {}) as { duration?: unknown; width?: unknown; height?: unknown };
	const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : null);
	return {
		id: record.id,
		product_id: record.productId,
		drive_id: item?.driveId ?? record.driveId,
		item_id: item?.id ?? null,
		name: item?.name ?? state.name,
		size_bytes: state.size,
		mime_type: record.mimeType || null,
		// OneDrive's video facet wins; the browser's reading of the header fills in until then.
		duration_ms: number(facet.duration) ?? record.meta?.durationMs ?? null,
		width: number(facet.width) ?? record.meta?.width ?? null,
		height: number(facet.height) ?? record.meta?.height ?? null,
		quick_xor_hash: item?.quickXorHash ?? null,
		web_url: item?.webUrl ?? null,
		folder_path: record.folderPath,
		status: rowStatus(record),
		error_code: state.status === 'error' ? (state.error?.code ?? null) : null,
		error_message: state.status === 'error' && state.error ? describeUploadError(state.error) : null,
		uploaded_at: state.status === 'done' ? new Date(state.updatedAt || now).toISOString() : null
	};
}

function rowStatus(record: UploadRecord): VideoRowSnapshot['status'] {
	switch (record.state.status) {
		case 'done':
			return 'synced';
		case 'error':
			return 'error';
		case 'conflict':
			return 'conflict';
		case 'uploading':
		case 'verifying':
			return 'uploading';
		default:
			return 'queued';
	}
}
