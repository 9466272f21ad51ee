/**
 * Intake: checks picked files and queues the accepted ones as uploads, with nothing but this
 * device: no network request is made, so it works offline. Each file is judged by its content,
 * not its name; refusals come back in words. Results come back one per file, in
 * the order given, so callers match them by position (two files may share a name).
 */
import { describeError } from '$lib/errors';
import { LibraryCache } from '$lib/db/library-cache';
import type { ConnectionRow } from '$lib/supabase/connections';
import type { JobLedger } from '$lib/db/job-ledger';
import type { UploadRecord, VideoMeta } from '$lib/db/reeldrive-db';
import { SNIFF_BYTES, checkUploadable, createUploadJob, describeNameFixes, sanitiseOneDriveName } from '$lib/upload';

export interface EnqueueResult {
	name: string;
	accepted: boolean;
	message: string;
	/** The new upload's id when accepted. */
	jobId?: string;
}

export interface IntakeDeps {
	ledger: JobLedger;
	appUserId: string;
	microsoftAccountId: string;
	driveId: string;
	/** The folder in the person's drive, as a path ("/Reeldrive"); made when the upload starts. */
	folderPath: string;
	graphBaseUrl: string;
	probe: (file: File) => Promise<{ meta: VideoMeta | null; poster: Blob | null }>;
	/** Bytes this origin may still store, or null when the browser does not say. */
	storageRoom: () => Promise<number | null>;
	newId?: () => string;
	now?: () => number;
}

/** Bytes kept free in the browser's storage beyond the video itself. */
const STORAGE_HEADROOM = 50 * 1024 * 1024;

/** Judges a file by its content: a video OneDrive takes, with a name it accepts (fixed if need be). */
export async function checkFile(file: File) {
	try {
		checkUploadable({ size: file.size, head: new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()) });
		return { file, name: sanitiseOneDriveName(file.name), problem: null };
	} catch (error) {
		return { file, name: null, problem: describeError(error) };
	}
}

const NO_ROOM =
	'This browser does not have room to keep this video until it is uploaded. Free some space on this device, or upload fewer videos at once.';

export async function queueFiles(files: readonly File[], productId: string | null, deps: IntakeDeps): Promise<{ results: EnqueueResult[]; records: UploadRecord[] }> {
	const now = deps.now ?? (() => Date.now());
	const newId = deps.newId ?? (() => crypto.randomUUID());
	const results: EnqueueResult[] = [];
	const checked = await Promise.all(files.map(checkFile));
	const records: UploadRecord[] = [];
	if (checked.every((entry) => entry.problem !== null)) {
		return { results: checked.map((entry) => ({ name: entry.file.name, accepted: false, message: entry.problem! })), records };
	}
	const room = await deps.storageRoom();
	let reserved = 0;
	for (const { file, name, problem } of checked) {
		if (problem !== null || !name) {
			results.push({ name: file.name, accepted: false, message: problem ?? 'This file was not added.' });
			continue;
		}
		if (room !== null && reserved + file.size + STORAGE_HEADROOM > room) {
			results.push({ name: file.name, accepted: false, message: NO_ROOM });
			continue;
		}
		reserved += file.size;
		const probe = await deps.probe(file);
		const id = newId();
		const at = now();
		const record: UploadRecord = {
			id,
			appUserId: deps.appUserId,
			microsoftAccountId: deps.microsoftAccountId,
			productId,
			driveId: deps.driveId,
			folderPath: deps.folderPath,
			originalName: file.name,
			nameFixes: name.fixes,
			mimeType: file.type || 'video/mp4',
			meta: probe.meta,
			poster: probe.poster,
			state: createUploadJob({ id, name: name.name, size: file.size, target: { kind: 'path', folderPath: deps.folderPath }, graphBaseUrl: deps.graphBaseUrl }, at),
			createdAt: at
		};
		await deps.ledger.add(record, file);
		records.push(record);
		results.push({
			name: file.name,
			accepted: true,
			jobId: id,
			message: name.changed ? `Queued as “${name.name}”: ${describeNameFixes(name.fixes)}` : 'Queued'
		});
	}
	return { results, records };
}

/**
 * Bytes this origin may still store. Asks first that its storage be kept (persistent), without
 * waiting for the answer: some browsers ask the person, and queueing must not wait on that.
 */
export async function browserStorageRoom(): Promise<number | null> {
	void navigator.storage?.persist?.().catch(() => false);
	const estimate = await navigator.storage?.estimate?.().catch(() => null);
	return estimate?.quota ? estimate.quota - (estimate.usage ?? 0) : null;
}

export interface UploadDestination {
	driveId: string;
	microsoftAccountId: string;
	folderPath: string;
}

const DESTINATION_KEY = 'upload-destination';
/** Where uploads go when no folder was chosen; made on the first upload. */
export const DEFAULT_UPLOAD_FOLDER = '/Reeldrive';

/**
 * Where new uploads go: the connected drive and account and the default folder (or
 * /Reeldrive), from the connection row, or from this device's copy of it when Supabase cannot
 * be reached (offline). null when OneDrive was never connected, or was disconnected.
 */
export class UploadDestinations {
	constructor(private readonly cache = new LibraryCache()) {}

	async resolve(appUserId: string, row: ConnectionRow | null): Promise<UploadDestination | null> {
		if (!row) return (await this.cache.read<UploadDestination>(appUserId, DESTINATION_KEY))?.data ?? null;
		if (row.status === 'disconnected' || !row.drive_id) {
			await this.cache.forget(appUserId, DESTINATION_KEY);
			return null;
		}
		const destination = { driveId: row.drive_id, microsoftAccountId: row.microsoft_account_id, folderPath: row.default_folder_path ?? DEFAULT_UPLOAD_FOLDER };
		await this.cache.write(appUserId, DESTINATION_KEY, destination);
		return destination;
	}
}
