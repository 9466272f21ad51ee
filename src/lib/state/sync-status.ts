/**
 * Every video's sync state, as the dashboard shows it: the database's counts merged with this
 * browser's own uploads, the list of what is not in OneDrive yet with the reason in words, the
 * short history, and which uploads "Sync all" starts. Pure, so the manager stays about wiring.
 *
 * Who knows best: while an upload runs in this browser, its IndexedDB record is newer than its
 * row (a paused upload is still 'queued' there, a change may wait in the outbox), so this
 * browser counts and describes it. Once it is done, the row is the truth again: a video found
 * missing or changed in OneDrive later is only known there.
 */
import { isFlagged } from '$lib/onedrive-check/classify';
import type { StatusCount, SyncRow } from '$lib/supabase/sync-status';
import type { VideoStatus } from '$lib/supabase/videos';
import type { UploadView } from './upload-view';

export type SyncState = 'queued' | 'waiting' | 'uploading' | 'synced' | 'error' | 'conflict' | 'missing';

export const SYNC_STATES: readonly { state: SyncState; label: string }[] = [
	{ state: 'queued', label: 'Queued' },
	{ state: 'waiting', label: 'Waiting' },
	{ state: 'uploading', label: 'Uploading' },
	{ state: 'synced', label: 'In OneDrive' },
	{ state: 'error', label: 'Failed' },
	{ state: 'conflict', label: 'Conflict' },
	{ state: 'missing', label: 'Missing' }
];

export const SYNC_STATE_LABELS = Object.fromEntries(SYNC_STATES.map(({ state, label }) => [state, label])) as Record<SyncState, string>;

/** What the dashboard needs of an upload of this browser. */
export type LocalUpload = Pick<UploadView, 'id' | 'name' | 'size' | 'productId' | 'status' | 'pause' | 'statusText' | 'errorText' | 'createdAt'>;

export type SyncCounts = Record<SyncState, number>;

export function emptyCounts(): SyncCounts {
	return { queued: 0, waiting: 0, uploading: 0, synced: 0, error: 0, conflict: 0, missing: 0 };
}

/** An upload of this browser that is not over: its record knows more than its row. */
export function isUnfinished(job: Pick<LocalUpload, 'status'>): boolean {
	return job.status !== 'done' && job.status !== 'cancelled';
}

/** The dashboard's state for an upload of this browser; null once cancelled. */
export function localState(job: Pick<LocalUpload, 'status'>): SyncState | null {
	switch (job.status) {
		case 'queued':
			return 'queued';
		case 'paused':
			return 'waiting';
		case 'uploading':
		case 'verifying':
			return 'uploading';
		case 'done':
			return 'synced';
		case 'error':
			return 'error';
		case 'conflict':
			return 'conflict';
		case 'cancelled':
			return null;
	}
}

/** The ids the summary query should leave out for this browser to count: its unfinished uploads. */
export function countedHere(jobs: readonly Pick<LocalUpload, 'id' | 'status'>[]): string[] {
	return jobs
		.filter(isUnfinished)
		.map((job) => job.id)
		.sort();
}

export interface SyncSummary {
	counts: SyncCounts;
	total: number;
	/** When a video last reached OneDrive (ISO time), or null when none has. */
	lastSyncedAt: string | null;
	withoutProduct: number;
}

/**
 * The database's counts (which left out `excluded`) plus this browser's count of exactly those
 * uploads, so nothing is counted twice or lost while an upload moves between states.
 */
export function mergeCounts(server: readonly StatusCount[], excluded: readonly string[], jobs: readonly LocalUpload[]): SyncSummary {
	const counts = emptyCounts();
	let lastSyncedAt: string | null = null;
	let withoutProduct = 0;
	for (const row of server) {
		counts[row.status as VideoStatus] += row.videoCount;
		withoutProduct += row.withoutProduct;
		if (row.status === 'synced' && row.lastUploadedAt && (!lastSyncedAt || Date.parse(row.lastUploadedAt) > Date.parse(lastSyncedAt))) {
			lastSyncedAt = row.lastUploadedAt;
		}
	}
	const left = new Set(excluded);
	for (const job of jobs) {
		if (!left.has(job.id)) continue;
		const state = localState(job);
		if (state) counts[state]++;
	}
	const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
	return { counts, total, lastSyncedAt, withoutProduct };
}

export interface SyncItem {
	id: string;
	name: string;
	size: number;
	productId: string | null;
	state: SyncState;
	/** Why it is where it is and what happens next, in words. */
	reason: string;
	/** Runs in this browser: its commands work here. */
	here: boolean;
	/** The command that starts it again from here, if any. */
	action: 'retry' | 'resume' | null;
}

/** The command "Sync all" or the item's button gives an upload of this browser; null when none helps. */
export function startCommand(job: Pick<LocalUpload, 'status' | 'pause'>): 'retry' | 'resume' | null {
	if (job.status === 'error') return 'retry';
	// An upload waiting for its file needs the file picked again; resuming would only stop again.
	// A duplicate waits for the person's choice (link the existing video, or upload a second copy).
	if (job.status === 'paused' && job.pause !== 'needs-file' && job.pause !== 'duplicate') return 'resume';
	return null;
}

/** Every command "Sync all" gives: retry each failed upload, resume each paused one. */
export function syncAllCommands(jobs: readonly LocalUpload[]): { id: string; command: 'retry' | 'resume' }[] {
	return jobs.flatMap((job) => {
		const command = isUnfinished(job) ? startCommand(job) : null;
		return command ? [{ id: job.id, command }] : [];
	});
}

const ELSEWHERE = 'in another browser or on another device';

/** Words for a row this browser does not run. */
export function describeRow(row: Pick<SyncRow, 'status' | 'error_message' | 'product_id'>): string {
	switch (row.status) {
		case 'queued':
			return `Queued ${ELSEWHERE}. It uploads from there while Reeldrive is open there.`;
		case 'uploading':
			return `Uploading ${ELSEWHERE}.`;
		case 'synced':
			return 'In OneDrive.';
		case 'error':
			return `${withStop(row.error_message ?? 'The upload stopped.')} It was started ${ELSEWHERE}: retry it there, or add the file again here.`;
		case 'conflict':
			return row.error_message ?? `A file with this name was already in the OneDrive folder. Choose Keep both or Replace where it was uploaded (${ELSEWHERE}).`;
		case 'missing':
			return row.product_id
				? 'Not found in your OneDrive any more: it was moved or deleted outside Reeldrive. Open its product to relink or forget it.'
				: 'Not found in your OneDrive any more: it was moved or deleted outside Reeldrive.';
	}
}

function withStop(text: string): string {
	return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

/** Words for an upload of this browser: its error, or what it waits for. */
export function describeLocal(job: LocalUpload): string {
	if (job.errorText) return job.errorText;
	switch (job.status) {
		case 'queued':
			return 'Queued in this browser: it starts when an upload ahead of it finishes.';
		case 'uploading':
		case 'verifying':
			return `${job.statusText} from this browser.`;
		default:
			return withStop(job.statusText);
	}
}

/** Which needs a person first: failures, then what waits, then what simply runs. */
const ATTENTION: Record<SyncState, number> = { error: 0, conflict: 1, missing: 2, waiting: 3, queued: 4, uploading: 5, synced: 6 };

/**
 * What is not in OneDrive: this browser's unfinished uploads as it sees them, then the rows it
 * does not run. A row of an upload finished here is left out (its "done" waits in the outbox).
 */
export function pendingItems(rows: readonly SyncRow[], jobs: readonly LocalUpload[]): SyncItem[] {
	const known = new Set(jobs.map((job) => job.id));
	const items: { item: SyncItem; at: number }[] = [];
	for (const job of jobs) {
		const state = localState(job);
		if (!state || !isUnfinished(job)) continue;
		items.push({
			item: { id: job.id, name: job.name, size: job.size, productId: job.productId, state, reason: describeLocal(job), here: true, action: startCommand(job) },
			at: job.createdAt
		});
	}
	for (const row of rows) {
		// Videos changed or gone in OneDrive have their own list, with their choices.
		if (row.status === 'synced' || known.has(row.id) || isFlagged(row)) continue;
		items.push({
			item: { id: row.id, name: row.name, size: row.size_bytes, productId: row.product_id, state: row.status, reason: describeRow(row), here: false, action: null },
			at: Date.parse(row.updated_at)
		});
	}
	// Within a state, what this browser can start comes first, then the newest.
	return items
		.sort((a, b) => ATTENTION[a.item.state] - ATTENTION[b.item.state] || Number(b.item.here) - Number(a.item.here) || b.at - a.at)
		.map(({ item }) => item);
}

export interface HistoryEntry {
	id: string;
	name: string;
	productId: string | null;
	outcome: 'synced' | 'error';
	/** ISO time it reached OneDrive or failed. */
	at: string;
	text: string;
}

/** The latest completions and failures, newest first. */
export function historyEntries(rows: readonly SyncRow[]): HistoryEntry[] {
	return rows
		.filter((row): row is SyncRow & { status: 'synced' | 'error' } => row.status === 'synced' || row.status === 'error')
		.map((row) => ({
			id: row.id,
			name: row.name,
			productId: row.product_id,
			outcome: row.status,
			at: row.status === 'synced' ? (row.uploaded_at ?? row.updated_at) : row.updated_at,
			text: row.status === 'synced' ? 'Reached OneDrive' : `Failed: ${withStop(row.error_message ?? 'the upload stopped')}`
		}))
		.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** "2 uploads started again." and the like, for what "Sync all" did. */
export function describeSyncAll(started: number, elsewhere: number): string {
	const parts: string[] = [];
	if (started === 0) parts.push('Nothing here needed starting: every upload of this browser is running or waits for you.');
	else parts.push(`${started} ${started === 1 ? 'upload' : 'uploads'} started again.`);
	if (elsewhere > 0) {
		parts.push(`${elsewhere} ${elsewhere === 1 ? 'video was' : 'videos were'} started ${ELSEWHERE} and can only be retried there.`);
	}
	return parts.join(' ');
}
