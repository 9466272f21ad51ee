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
import { SNIFF_BYTES, checkUploadable, createUploadJob, describeNameFixes, sanitiseOneDriveName, type ExistingCopy } from '$lib/upload';

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
	/**
	 * Look for the same video before uploading (never the same video twice), with these
	 * same-size videos of the person's library; the target folder is listed by the uploader.
	 * Absent: no look.
	 */
	libraryCopies?: readonly ExistingCopy[] | Promise<readonly ExistingCopy[]>;
	newId?: () => string;
	now?: () => number;
}

/** Judges a file by its content: a video OneDrive takes, with a name it accepts (fixed if need be). */
export async function checkFile(file: File) {
	try {
		checkUploadable({ size: file.size, head: new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()) });
		return { file, name: sanitiseOneDriveName(file.name), problem: null };
	} catch (error) {
		return { file, name: null, problem: describeError(error) };
	}
}

/**
 * Queues the acceptable files at once: only a small record each is written, so uploading can
 * start from the picked file straight away. Its bytes are kept in storage as it goes
 * (`FileStager`), and what the browser reads of the video (duration, size, a poster) follows
 * (`describeQueued`). No room check up front: the browser's estimate is a share of the disk, not
 * what is free, so it both refuses videos that would fit and passes ones that do not.
 */
export async function queueFiles(
	files: readonly File[],
	productId: string | null,
	deps: IntakeDeps,
	/** Per file: the id under which its pieces are already kept (a shared video), or null. */
	keptAs: readonly (string | null)[] = []
): Promise<{ results: EnqueueResult[]; records: UploadRecord[] }> {
	const now = deps.now ?? (() => Date.now());
	const newId = deps.newId ?? (() => crypto.randomUUID());
	const results: EnqueueResult[] = [];
	const records: UploadRecord[] = [];
	const checked = await Promise.all(files.map(checkFile));
	// Looked up while the files were checked (it never fails: offline it is empty).
	const libraryCopies = await deps.libraryCopies;
	for (const [index, { file, name, problem }] of checked.entries()) {
		if (problem !== null || !name) {
			results.push({ name: file.name, accepted: false, message: problem ?? 'This file was not added.' });
			continue;
		}
		const kept = keptAs[index] ?? null;
		const id = kept ?? newId();
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
			meta: null,
			poster: null,
			state: createUploadJob(
				{
					id,
					name: name.name,
					size: file.size,
					target: { kind: 'path', folderPath: deps.folderPath },
					graphBaseUrl: deps.graphBaseUrl,
					checkDuplicates: libraryCopies ? { known: libraryCopies.filter((copy) => copy.size === file.size) } : undefined
				},
				at
			),
			createdAt: at,
			staging: { stagedTo: kept ? file.size : 0, problem: null }
		};
		await deps.ledger.add(record);
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

/** Reads each queued video's duration, size and a poster frame in the browser, after the fact. */
export async function describeQueued(
	queued: readonly { jobId: string; file: File }[],
	ledger: JobLedger,
	probe: (file: File) => Promise<{ meta: VideoMeta | null; poster: Blob | null }>
): Promise<UploadRecord[]> {
	const described: UploadRecord[] = [];
	for (const { jobId, file } of queued) {
		const { meta, poster } = await probe(file).catch(() => ({ meta: null, poster: null }));
		const record = await ledger.describe(jobId, meta, poster);
		if (record) described.push(record);
	}
	return described;
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
