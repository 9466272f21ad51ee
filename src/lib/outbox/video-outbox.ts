/**
 * The upload outbox, the one path by which uploads reach Supabase's videos table:
 *
 * - row mapping: the videos row an upload stands for (`videoRowFor`);
 * - worker side: which saved states put a new snapshot in the outbox (`outboxChange`); the job
 *   ledger calls it inside the same IndexedDB transaction as the state itself, so a job's status
 *   and its outbox row can never disagree;
 * - page side: `OutboxDrainer` writes the snapshots to Supabase (the page has the Supabase session),
 *   one drainer at a time across tabs, each write carrying a version Supabase refuses to go back from.
 *
 * A snapshot is written per state a person can see (queued, uploading, synced, error, conflict,
 * cancelled), never per fragment.
 */
import type { OutboxEntry, UploadRecord, VideoRowSnapshot } from '$lib/db/reeldrive-db';
import { describeUploadError } from '$lib/upload';
import type { JobLocks } from '$lib/upload-runner/job-locks';

// ---- row mapping -------------------------------------------------------------------------------

export function videoRowFor(record: UploadRecord, version: number, now: number): VideoRowSnapshot {
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
		uploaded_at: state.status === 'done' ? new Date(state.updatedAt || now).toISOString() : null,
		sync_version: version
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

// ---- worker side ---------------------------------------------------------------------------------

/** What a person can see of the row: a change here is worth a write, anything else is not. */
function visible(record: UploadRecord): string {
	if (record.state.status === 'cancelled') return 'cancelled';
	const row = videoRowFor(record, 0, 0);
	return JSON.stringify([row.status, row.item_id, row.error_code]);
}

/**
 * The outbox entry a save from `before` to `after` calls for, or null when nothing a person can
 * see changed (another fragment acknowledged). `before` is null for a new upload.
 */
export function outboxChange(before: UploadRecord | null, after: UploadRecord, now: number): OutboxEntry | null {
	if (before && visible(before) === visible(after)) return null;
	const version = (before?.rowVersion ?? 0) + 1;
	const linked = linkedLibraryVideo(after);
	return {
		id: after.id,
		appUserId: after.appUserId,
		row: after.state.status === 'cancelled' || linked ? null : videoRowFor(after, version, now),
		version,
		updatedAt: now,
		...(linked ? { linkTo: { videoId: linked, productId: after.productId } } : {})
	};
}

/**
 * The library's videos row this finished upload was linked to instead of uploading (the person
 * chose "Link the existing video"), or null. A link to a file only in the folder is not one: the
 * upload's own row records that file.
 */
export function linkedLibraryVideo(record: UploadRecord): string | null {
	const check = record.state.duplicates;
	if (record.state.status !== 'done' || check?.phase !== 'linked') return null;
	return check.match?.videoId ?? null;
}

// ---- page side ----------------------------------------------------------------------------------

export interface OutboxStore {
	outboxFor(appUserId: string): Promise<OutboxEntry[]>;
	/** Removes the entry only if it still holds `version` (a newer snapshot stays for the next round). */
	outboxWritten(id: string, version: number): Promise<void>;
}

export interface OutboxDrainerDeps {
	store: OutboxStore;
	/** Writes one snapshot to Supabase; rejects when it could not (offline, Supabase down). */
	write: (entry: OutboxEntry) => Promise<void>;
	locks: JobLocks;
	isOnline: () => boolean;
}

export const OUTBOX_LOCK = 'reeldrive-outbox';

/**
 * Writes the signed-in person's snapshots to Supabase. Only one drainer runs at a time across
 * every tab (a Web Lock); a drain asked for while one runs here goes round once more, so no
 * snapshot that arrived mid-drain is left behind. Resolves with the number of rows written.
 */
export class OutboxDrainer {
	#running: Promise<number> | null = null;
	#again = false;

	constructor(private readonly deps: OutboxDrainerDeps) {}

	drain(appUserId: string): Promise<number> {
		if (this.#running) {
			this.#again = true;
			return this.#running;
		}
		const run = this.deps.locks
			.withLock(`${OUTBOX_LOCK}:${appUserId}`, async () => {
				let written = 0;
				do {
					this.#again = false;
					written += await this.#once(appUserId);
				} while (this.#again);
				return written;
			})
			.finally(() => {
				this.#running = null;
			});
		this.#running = run;
		return run;
	}

	async #once(appUserId: string): Promise<number> {
		if (!this.deps.isOnline()) return 0;
		let written = 0;
		// Rows arriving while this round writes are picked up by the next round.
		for (;;) {
			const entries = await this.deps.store.outboxFor(appUserId);
			if (entries.length === 0) return written;
			for (const entry of entries) {
				try {
					await this.deps.write(entry);
				} catch {
					// Offline, or Supabase unreachable: the entry stays for the next drain.
					return written;
				}
				await this.deps.store.outboxWritten(entry.id, entry.version);
				written++;
			}
		}
	}
}
