/**
 * The one schema of the browser's own storage (IndexedDB through Dexie), shared by the pages
 * and the service worker. Only plain data and Blobs are stored; no token is ever written here.
 */
import Dexie, { type EntityTable } from 'dexie';
import type { UploadCommand } from '$lib/sw-bridge/protocol';
import type { NameFix, UploadJobState } from '$lib/upload';

export interface VideoMeta {
	durationMs: number | null;
	width: number | null;
	height: number | null;
}

/** One upload: who it belongs to, where it goes, and the core's persisted state. */
export interface UploadRecord {
	/** The job id, which is also the id of its row in Supabase's videos table. */
	id: string;
	appUserId: string;
	/** Graph user id of the Microsoft account it uploads with. */
	microsoftAccountId: string;
	productId: string | null;
	driveId: string;
	folderPath: string;
	/** The name as picked; `state.name` is the name sent to OneDrive. */
	originalName: string;
	nameFixes: NameFix[];
	mimeType: string;
	meta: VideoMeta | null;
	/** A poster frame captured in the browser, until OneDrive has a thumbnail. */
	poster: Blob | null;
	state: UploadJobState;
	createdAt: number;
	/**
	 * Version of the videos row this upload last put in the outbox; it only grows. Absent in
	 * records written before it existed (read as 0).
	 */
	rowVersion?: number;
	/**
	 * Commands given but not yet applied by the job's owner (a Pause survives a crash; another
	 * worker holding the job applies them). Cleared once applied.
	 */
	commands?: QueuedCommand[];
	/**
	 * How much of the video is kept in this browser (in `chunks`), for uploads queued since bytes
	 * are staged as they go. Absent in older records, whose whole file is in `files`.
	 */
	staging?: StagingState;
}

export interface StagingState {
	/** Bytes [acknowledged, stagedTo) are in `chunks` (bytes OneDrive acknowledged are freed). */
	stagedTo: number;
	/** The browser refused to keep more ('quota'): the rest comes from the open page's file. */
	problem: 'quota' | null;
}

/** A piece of a video kept until OneDrive acknowledges it; pieces start at multiples of STAGE_CHUNK_BYTES. */
export interface StagedChunk {
	jobId: string;
	start: number;
	end: number;
	blob: Blob;
}

export interface QueuedCommand {
	id: string;
	command: UploadCommand;
	at: number;
}

/** The video's bytes, kept until OneDrive holds them (or the upload is cancelled). */
export interface StoredFile {
	id: string;
	blob: Blob;
}

/** A videos row waiting to be written to Supabase (the latest snapshot per video; null deletes it). */
export interface OutboxEntry {
	id: string;
	appUserId: string;
	row: VideoRowSnapshot | null;
	/** The snapshot's sync_version: Supabase keeps a row's highest version, so writes cannot go back. */
	version: number;
	updatedAt: number;
	/**
	 * The upload turned out to be a video already in the library, and the person linked that one:
	 * its row (`videoId`) takes the upload's product (when the upload had one) and the upload's own
	 * row goes (`row` is null), so the library holds the video once.
	 */
	linkTo?: { videoId: string; productId: string | null };
}

export interface VideoRowSnapshot {
	id: string;
	product_id: string | null;
	drive_id: string;
	item_id: string | null;
	name: string;
	size_bytes: number;
	mime_type: string | null;
	duration_ms: number | null;
	width: number | null;
	height: number | null;
	quick_xor_hash: string | null;
	web_url: string | null;
	folder_path: string | null;
	status: 'queued' | 'uploading' | 'synced' | 'error' | 'conflict';
	error_code: string | null;
	error_message: string | null;
	uploaded_at: string | null;
	sync_version: number;
}

/** Who is signed in on this browser, so the service worker runs only their uploads. */
export interface ActiveUser {
	appUserId: string;
	microsoftAccountId: string | null;
}

export interface MetaEntry {
	key: 'active-user';
	value: ActiveUser | null;
}

/** Videos shared to the installed app from another app, waiting for a product. */
export interface InboxEntry {
	/** Also the id its upload gets, and the key of its pieces in `chunks` when `kept`. */
	id: string;
	/** The video itself (videos held through a OneDrive connect); absent when `kept`. */
	blob?: Blob;
	/** A shared video, kept in `chunks` as it arrived (never whole in memory). */
	kept?: { size: number };
	name: string;
	type: string;
	receivedAt: number;
	/**
	 * Picked on a product page before OneDrive was ever connected: kept here through the connect
	 * redirect, then queued for this person and product by itself. Absent for shared videos.
	 */
	heldFor?: { appUserId: string; productId: string | null };
}

export class ReeldriveDb extends Dexie {
	uploads!: EntityTable<UploadRecord, 'id'>;
	files!: EntityTable<StoredFile, 'id'>;
	outbox!: EntityTable<OutboxEntry, 'id'>;
	meta!: EntityTable<MetaEntry, 'key'>;
	inbox!: EntityTable<InboxEntry, 'id'>;
	chunks!: Dexie.Table<StagedChunk, [string, number]>;

	constructor(name = 'reeldrive') {
		super(name);
		this.version(1).stores({
			uploads: 'id, appUserId, [appUserId+createdAt], productId',
			files: 'id',
			outbox: 'id, appUserId',
			meta: 'key',
			inbox: 'id, receivedAt'
		});
		// Videos are kept in pieces as they are picked (until the upload is over, or room runs short),
		// no longer whole in `files`; `files` stays for uploads queued before.
		this.version(2).stores({
			chunks: '[jobId+start], jobId'
		});
	}
}

let shared: ReeldriveDb | undefined;

export function getDb(): ReeldriveDb {
	shared ??= new ReeldriveDb();
	return shared;
}
