/**
 * The job ledger: every read and write of uploads, their stored bytes and the outbox goes
 * through here, for pages and the service worker alike. A job's state, its outbox snapshot and
 * the freeing of its bytes change in ONE IndexedDB transaction, so a worker killed at any
 * instant leaves either the old state with everything that belongs to it, or the new one.
 */
import { outboxChange } from '$lib/outbox/video-outbox';
import type { UploadCommand } from '$lib/sw-bridge/protocol';
import { StorageFullError, isFinished, type JobStore, type UploadJobState } from '$lib/upload';
import type { ActiveUser, OutboxEntry, QueuedCommand, ReeldriveDb, StagingState, UploadRecord } from './reeldrive-db';

/** A write the browser refused for want of room (Dexie wraps it; some browsers only say so in words). */
export function isQuotaError(error: unknown): boolean {
	for (let e = error as { name?: unknown; inner?: unknown; message?: unknown } | null, depth = 0; e && depth < 4; e = e.inner as typeof e, depth++) {
		if (e.name === 'QuotaExceededError') return true;
		if (typeof e.message === 'string' && /quota/i.test(e.message)) return true;
	}
	return false;
}

/**
 * Size of the pieces a video is kept in while it uploads. Big enough that a GiB is 128 writes,
 * small enough that room can be given back piece by piece when the browser runs short.
 */
export const STAGE_CHUNK_BYTES = 8 * 1024 * 1024;

/** Where the piece starting at `start` ends, known from its key alone (every piece but the last is whole). */
const pieceEnd = (start: number, size: number) => Math.min(start + STAGE_CHUNK_BYTES, size);

/** What became of one piece offered for keeping. */
export type StageOutcome =
	/** Stored. */
	| 'kept'
	/** OneDrive already acknowledged these bytes: nothing to keep. */
	| 'not-needed'
	/** The upload is finished or gone: stop keeping its bytes. */
	| 'finished';

/** What a save changed, for the host to tell pages about. */
export interface SavedChange {
	record: UploadRecord;
	/** A new snapshot went into the outbox (a state a person can see). */
	outbox: OutboxEntry | null;
}

export class JobGoneError extends Error {
	constructor(readonly jobId: string) {
		super(`upload ${jobId} is not stored any more`);
		this.name = 'JobGoneError';
	}
}

export class JobLedger {
	#freeing: Promise<void> = Promise.resolve();

	constructor(
		readonly db: ReeldriveDb,
		private readonly now: () => number = () => Date.now()
	) {}

	// ---- intake -------------------------------------------------------------------------------

	/**
	 * Stores a new upload and its first outbox snapshot together. Its bytes come after, piece by
	 * piece (`stageChunk`), while it already uploads from the picked file.
	 */
	async add(record: UploadRecord): Promise<void> {
		const db = this.db;
		await db.transaction('rw', db.uploads, db.outbox, async () => {
			const entry = outboxChange(null, record, this.now())!;
			await db.uploads.add({ ...record, staging: record.staging ?? { stagedTo: 0, problem: null }, rowVersion: entry.version, commands: [] });
			await db.outbox.put(entry);
		});
	}

	/** Adds what the browser read of the video (after queueing, so the upload need not wait for it). */
	async describe(jobId: string, meta: UploadRecord['meta'], poster: Blob | null): Promise<UploadRecord | undefined> {
		const db = this.db;
		return db.transaction('rw', db.uploads, async () => {
			if (!(await db.uploads.get(jobId))) return undefined;
			await db.uploads.update(jobId, { meta, poster });
			return db.uploads.get(jobId);
		});
	}

	// ---- the video's bytes, kept as they go ---------------------------------------------------

	/**
	 * Keeps one piece of a video, starting at `start` (a multiple of STAGE_CHUNK_BYTES), unless
	 * OneDrive already has it or the upload is over. Rejects as the browser does when it has no
	 * room (QuotaExceededError).
	 *
	 * The piece is written in a transaction of its own over `chunks` only: writing megabytes takes
	 * a while, and the uploader's saves (over `uploads`) must not queue behind it, or the first
	 * fragment would wait for keeping. How far keeping has come is recorded right after; a kill in
	 * between only understates it. A piece written for an upload that ended meanwhile is removed
	 * again (and `sweep()` removes any a kill left behind).
	 */
	async stageChunk(jobId: string, start: number, blob: Blob): Promise<StageOutcome> {
		const db = this.db;
		const end = start + blob.size;
		const before = await db.uploads.get(jobId);
		if (!before || isFinished(before.state.status)) return 'finished';
		const needed = end > before.state.acknowledged;
		if (needed) await db.chunks.put({ jobId, start, end, blob });
		return db.transaction('rw', db.uploads, db.chunks, async () => {
			const record = await db.uploads.get(jobId);
			if (!record || isFinished(record.state.status)) {
				await db.chunks.delete([jobId, start]);
				return 'finished';
			}
			const stagedTo = Math.max(record.staging?.stagedTo ?? 0, end);
			const staging: StagingState = { stagedTo, problem: stagedTo >= record.state.size ? null : (record.staging?.problem ?? null) };
			await db.uploads.update(jobId, { staging });
			return needed ? 'kept' : 'not-needed';
		});
	}

	/**
	 * Removes kept pieces nobody needs any more: of uploads that are over or gone (not of videos
	 * waiting in the share inbox). Pages run it on start.
	 */
	async sweep(): Promise<number> {
		const db = this.db;
		return db.transaction('rw', [db.uploads, db.inbox, db.chunks], async () => {
			const uploads = new Map((await db.uploads.toArray()).map((record) => [record.id, record]));
			const inbox = new Set(await db.inbox.toCollection().primaryKeys());
			// Keys only: a piece's value read here would be a Blob handle on its file, and Chromium
			// keeps a deleted piece's file (and counts its room as used) until every handle is gone.
			const keys = (await db.chunks.toCollection().primaryKeys()) as unknown as [string, number][];
			const unwanted = keys.filter(([jobId]) => {
				if (inbox.has(jobId)) return false;
				const record = uploads.get(jobId);
				// Pieces OneDrive acknowledged stay while the upload goes on (see save()).
				return !record || isFinished(record.state.status);
			});
			await db.chunks.bulkDelete(unwanted);
			return unwanted.length;
		});
	}

	/** Settles once the freeing of pieces that saves so far asked for is done. */
	freed(): Promise<void> {
		return this.#freeing;
	}

	/**
	 * The browser has no room left: gives back the newest kept piece of this video (`giveBack`), so
	 * that the uploader's own small writes (its progress, the outbox) still fit, and notes the problem.
	 * Pieces kept before it stay; the bytes given back come from the open page's file.
	 */
	async makeRoom(jobId: string, giveBack = true): Promise<void> {
		const db = this.db;
		await db.transaction('rw', db.uploads, db.chunks, async () => {
			const record = await db.uploads.get(jobId);
			if (!record) return;
			// The newest piece's key, not its value (see sweep(): a Blob handle would keep its room taken).
			const [newestKey] = (await db.chunks.where('[jobId+start]').between([jobId, 0], [jobId, Infinity]).reverse().limit(1).primaryKeys()) as unknown as [string, number][];
			let stagedTo = record.staging?.stagedTo ?? 0;
			if (giveBack && newestKey) {
				const start = newestKey[1];
				const end = pieceEnd(start, record.state.size);
				if (end > record.state.acknowledged) {
					await db.chunks.delete([jobId, start]);
					stagedTo = Math.min(stagedTo, Math.max(start, record.state.acknowledged));
				}
			}
			await db.uploads.update(jobId, { staging: { stagedTo, problem: 'quota' } });
		});
	}

	/**
	 * Room is short: gives back the kept pieces OneDrive has wholly acknowledged, of every upload
	 * (kept only in case OneDrive starts an upload over). Answers how many went.
	 */
	async releaseAcknowledged(): Promise<number> {
		const db = this.db;
		return db.transaction('rw', db.uploads, db.chunks, async () => {
			let dropped = 0;
			for (const record of await db.uploads.toArray()) {
				if (!isFinished(record.state.status)) dropped += await this.#deleteAcknowledged(record.id, record.state.acknowledged);
			}
			return dropped;
		});
	}

	/**
	 * Deletes a job's pieces that lie wholly below `acknowledged` (every piece but the last is
	 * whole, so their starts say it), by key range: no piece's value (a Blob handle) is read.
	 */
	#deleteAcknowledged(jobId: string, acknowledged: number): Promise<number> {
		if (acknowledged < STAGE_CHUNK_BYTES) return Promise.resolve(0);
		return this.db.chunks
			.where('[jobId+start]')
			.between([jobId, 0], [jobId, acknowledged - STAGE_CHUNK_BYTES], true, true)
			.delete();
	}

	/** Bytes [start, end) from the kept pieces, or null when any of them is not kept. */
	async readStaged(jobId: string, start: number, end: number): Promise<Uint8Array | null> {
		const blob = await this.stagedBlob(jobId, start, end);
		return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
	}

	/**
	 * Bytes [start, end) from the kept pieces as one Blob, read only when used (a fragment is sent
	 * straight from IndexedDB's files); null when any piece of the range is not kept.
	 */
	async stagedBlob(jobId: string, start: number, end: number): Promise<Blob | null> {
		const first = Math.floor(start / STAGE_CHUNK_BYTES) * STAGE_CHUNK_BYTES;
		const chunks = await this.db.chunks.where('[jobId+start]').between([jobId, first], [jobId, end], true, false).toArray();
		const parts: Blob[] = [];
		let at = start;
		for (const chunk of chunks) {
			if (chunk.end <= at) continue;
			if (chunk.start > at) return null;
			parts.push(chunk.blob.slice(at - chunk.start, Math.min(end, chunk.end) - chunk.start));
			at = Math.min(end, chunk.end);
			if (at >= end) break;
		}
		if (at < end) return null;
		return parts.length === 1 ? parts[0]! : new Blob(parts);
	}

	/** Bytes of this upload kept in the browser now (tests and the chaos run check it falls to 0). */
	async stagedBytes(jobId?: string): Promise<number> {
		const chunks = jobId ? this.db.chunks.where('jobId').equals(jobId) : this.db.chunks.toCollection();
		let total = 0;
		await chunks.each((chunk) => {
			total += chunk.end - chunk.start;
		});
		return total;
	}

	// ---- reading ------------------------------------------------------------------------------

	get(jobId: string): Promise<UploadRecord | undefined> {
		return this.db.uploads.get(jobId);
	}

	/** One person's uploads, oldest first. */
	forUser(appUserId: string): Promise<UploadRecord[]> {
		return this.db.uploads.where('[appUserId+createdAt]').between([appUserId, 0], [appUserId, Infinity]).toArray();
	}

	async unfinishedCount(appUserId: string): Promise<number> {
		return this.db.uploads
			.where('appUserId')
			.equals(appUserId)
			.filter((record) => !isFinished(record.state.status))
			.count();
	}

	async bytes(jobId: string): Promise<Blob | undefined> {
		return (await this.db.files.get(jobId))?.blob;
	}

	/** How many uploads still keep bytes in this browser (tests and the chaos run check it is 0 when all are done). */
	async storedFileCount(): Promise<number> {
		const staged = new Set(await this.db.chunks.orderBy('jobId').uniqueKeys());
		return (await this.db.files.count()) + staged.size;
	}

	// ---- the job's state ---------------------------------------------------------------------

	/**
	 * Saves a job's state, with its outbox snapshot when a person would see a change, and frees
	 * its bytes when it is finished: all in one transaction.
	 */
	async save(jobId: string, state: UploadJobState): Promise<SavedChange> {
		const db = this.db;
		const change = await db.transaction('rw', [db.uploads, db.files, db.outbox], async () => {
			const before = await db.uploads.get(jobId);
			if (!before) throw new JobGoneError(jobId);
			const after: UploadRecord = { ...before, state };
			const outbox = outboxChange(before, after, this.now());
			if (outbox) {
				after.rowVersion = outbox.version;
				await db.outbox.put(outbox);
			}
			await db.uploads.put(after);
			// OneDrive holds the bytes (or they are not wanted): free the browser's whole copy.
			if (isFinished(state.status)) await db.files.delete(jobId);
			return { record: after, outbox };
		});
		// Pieces OneDrive acknowledged stay until the upload is over: should OneDrive start the
		// upload over (an expired or lost session), every byte is still on this device, whether or
		// not the page that picked the file is open. They go early only when room is needed
		// (makeRoom, a refused save).
		if (isFinished(state.status)) this.#free(jobId, state);
		return change;
	}

	/**
	 * Frees the pieces OneDrive has wholly acknowledged (all of them once the upload is over),
	 * right after the save that says so, without holding the uploader up: a piece being written
	 * may keep `chunks` busy for a moment. A kill before it runs leaves work for `sweep()`.
	 */
	#free(jobId: string, state: UploadJobState): void {
		const finished = isFinished(state.status);
		if (!finished && state.acknowledged < STAGE_CHUNK_BYTES) return;
		this.#freeing = this.#freeing
			.then(() => (finished ? this.db.chunks.where('jobId').equals(jobId).delete() : this.#deleteAcknowledged(jobId, state.acknowledged)))
			.then(
				() => undefined,
				() => undefined
			);
	}

	/** The core's JobStore for one job; `onSaved` runs after each committed save. */
	storeFor(jobId: string, onSaved: (change: SavedChange) => void | Promise<void> = () => {}): JobStore {
		return {
			load: async () => (await this.get(jobId))?.state,
			save: async (state) => {
				let change: SavedChange;
				try {
					change = await this.save(jobId, state);
				} catch (error) {
					if (!isQuotaError(error)) throw error;
					// The state could not be written, but the pieces OneDrive acknowledged are safe to
					// give back now, and must be: they are the room the next save needs.
					this.#free(jobId, state);
					throw new StorageFullError(error);
				}
				await onSaved(change);
			}
		};
	}

	/** An upload whose bytes are gone can only be forgotten: cancelled, bytes and row removed. */
	async forget(jobId: string): Promise<SavedChange | null> {
		const record = await this.get(jobId);
		if (!record || isFinished(record.state.status)) return null;
		return this.save(jobId, { ...record.state, status: 'cancelled', pause: null, updatedAt: this.now() });
	}

	// ---- commands -----------------------------------------------------------------------------

	async queueCommand(jobId: string, command: UploadCommand): Promise<QueuedCommand | null> {
		const db = this.db;
		return db.transaction('rw', db.uploads, async () => {
			const record = await db.uploads.get(jobId);
			if (!record) return null;
			const queued: QueuedCommand = { id: `${this.now()}-${Math.random().toString(36).slice(2)}`, command, at: this.now() };
			await db.uploads.update(jobId, { commands: [...(record.commands ?? []), queued] });
			return queued;
		});
	}

	async commands(jobId: string): Promise<QueuedCommand[]> {
		return (await this.get(jobId))?.commands ?? [];
	}

	/** Removes commands once applied (a crash before this applies them again, which is harmless). */
	async clearCommands(jobId: string, ids: readonly string[]): Promise<void> {
		if (ids.length === 0) return;
		const db = this.db;
		await db.transaction('rw', db.uploads, async () => {
			const record = await db.uploads.get(jobId);
			if (!record) return;
			await db.uploads.update(jobId, { commands: (record.commands ?? []).filter((c) => !ids.includes(c.id)) });
		});
	}

	// ---- the outbox ---------------------------------------------------------------------------

	outboxFor(appUserId: string): Promise<OutboxEntry[]> {
		return this.db.outbox.where('appUserId').equals(appUserId).toArray();
	}

	outboxCount(appUserId: string): Promise<number> {
		return this.db.outbox.where('appUserId').equals(appUserId).count();
	}

	async outboxWritten(id: string, version: number): Promise<void> {
		const db = this.db;
		await db.transaction('rw', db.outbox, async () => {
			const current = await db.outbox.get(id);
			if (current && (current.version ?? 0) <= version) await db.outbox.delete(id);
		});
	}

	// ---- who is signed in here ---------------------------------------------------------------

	async activeUser(): Promise<ActiveUser | null> {
		return (await this.db.meta.get('active-user'))?.value ?? null;
	}

	async setActiveUser(user: ActiveUser | null): Promise<void> {
		await this.db.meta.put({ key: 'active-user', value: user });
	}
}
