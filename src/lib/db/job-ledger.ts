/**
 * The job ledger: every read and write of uploads, their stored bytes and the outbox goes
 * through here, for pages and the service worker alike. A job's state, its outbox snapshot and
 * the freeing of its bytes change in ONE IndexedDB transaction, so a worker killed at any
 * instant leaves either the old state with everything that belongs to it, or the new one.
 */
import { outboxChange } from '$lib/outbox/video-outbox';
import type { UploadCommand } from '$lib/sw-bridge/protocol';
import { isFinished, type JobStore, type UploadJobState } from '$lib/upload';
import type { ActiveUser, OutboxEntry, QueuedCommand, ReeldriveDb, UploadRecord } from './reeldrive-db';

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
	constructor(
		readonly db: ReeldriveDb,
		private readonly now: () => number = () => Date.now()
	) {}

	// ---- intake -------------------------------------------------------------------------------

	/** Stores a new upload, its bytes and its first outbox snapshot together. */
	async add(record: UploadRecord, bytes: Blob): Promise<void> {
		const db = this.db;
		await db.transaction('rw', db.uploads, db.files, db.outbox, async () => {
			const entry = outboxChange(null, record, this.now())!;
			await db.uploads.add({ ...record, rowVersion: entry.version, commands: [] });
			await db.files.add({ id: record.id, blob: bytes });
			await db.outbox.put(entry);
		});
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
	storedFileCount(): Promise<number> {
		return this.db.files.count();
	}

	// ---- the job's state ---------------------------------------------------------------------

	/**
	 * Saves a job's state, with its outbox snapshot when a person would see a change, and frees
	 * its bytes when it is finished: all in one transaction.
	 */
	async save(jobId: string, state: UploadJobState): Promise<SavedChange> {
		const db = this.db;
		return db.transaction('rw', db.uploads, db.files, db.outbox, async () => {
			const before = await db.uploads.get(jobId);
			if (!before) throw new JobGoneError(jobId);
			const after: UploadRecord = { ...before, state };
			const outbox = outboxChange(before, after, this.now());
			if (outbox) {
				after.rowVersion = outbox.version;
				await db.outbox.put(outbox);
			}
			await db.uploads.put(after);
			// OneDrive holds the bytes (or they are not wanted): free the browser's copy.
			if (isFinished(state.status)) await db.files.delete(jobId);
			return { record: after, outbox };
		});
	}

	/** The core's JobStore for one job; `onSaved` runs after each committed save. */
	storeFor(jobId: string, onSaved: (change: SavedChange) => void | Promise<void> = () => {}): JobStore {
		return {
			load: async () => (await this.get(jobId))?.state,
			save: async (state) => {
				await onSaved(await this.save(jobId, state));
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
