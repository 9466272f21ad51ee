/**
 * Keeps a picked video in the browser's storage piece by piece while it already uploads from the
 * picked file, so a reload or a closed tab resumes from what is kept. Pieces stay until the upload
 * is over, so that an upload OneDrive makes start over (an expired or lost session) still finds
 * every byte here after the page has gone; pieces OneDrive acknowledged are given back early only
 * when the browser runs short of room (`JobLedger.makeRoom`, or a save it refused).
 *
 * Where: IndexedDB pieces (`chunks`), not the origin private file system. A piece, how far
 * keeping has come and the job's state change in IndexedDB transactions that also hold the
 * upload's record, so a kill between any two writes leaves them consistent; the file system has
 * no transaction shared with IndexedDB, and its synchronous handles exist only in dedicated
 * workers, not in the service worker that reads the pieces back.
 *
 * Keeping stops short of the wall: a piece is written only while the browser's estimate leaves
 * room for it and a reserve besides, because the uploader's own small writes (its progress, the
 * outbox) need that room, and Chromium may take minutes to give back the room of a deleted piece.
 * When the browser refuses a piece all the same (QuotaExceededError), the newest piece is given
 * back. Either way nothing is lost: the upload goes on from the picked file while the page stays
 * open, the job says so, and keeping resumes once OneDrive's acknowledgements let room be freed.
 */
import type { StagingState } from './reeldrive-db';
import { STAGE_CHUNK_BYTES, isQuotaError, type JobLedger } from './job-ledger';

export interface FileStagerDeps {
	ledger: JobLedger;
	/** Asks that this origin's storage be kept (not evicted); answered within a bound. */
	persist?: () => Promise<boolean>;
	/** After each piece, and when keeping stops for want of room. */
	onProgress?: (jobId: string, staging: StagingState) => void;
	/** The browser's storage estimate (navigator.storage.estimate()); none means "unknown". */
	estimate?: () => Promise<{ quota?: number; usage?: number } | null>;
}

/** Room left free for the uploader's own writes when keeping pieces: one piece's worth. */
export const KEEP_RESERVE_BYTES = STAGE_CHUNK_BYTES;

function browserEstimate(): Promise<{ quota?: number; usage?: number } | null> {
	return globalThis.navigator?.storage?.estimate?.().catch(() => null) ?? Promise.resolve(null);
}

/** Persistent storage is asked for at most this long before keeping starts anyway. */
const PERSIST_WAIT_MS = 3_000;


/** navigator.storage.persist(), asked once, never waited on for more than a few seconds. */
export function requestPersistence(): Promise<boolean> {
	const ask = navigator.storage?.persist?.().catch(() => false) ?? Promise.resolve(false);
	return Promise.race([ask, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), PERSIST_WAIT_MS))]);
}

interface AckWaiter {
	until: number;
	resolve: (acknowledged: number | null) => void;
}

export class FileStager {
	readonly #deps: FileStagerDeps;
	#persisted: Promise<boolean> | null = null;
	/** One piece is read and written at a time, whatever the number of videos. */
	#turn: Promise<void> = Promise.resolve();
	readonly #waiters = new Map<string, AckWaiter>();
	readonly #active = new Map<string, Promise<void>>();

	constructor(deps: FileStagerDeps) {
		this.#deps = deps;
	}

	/** Keeping of this job's file is under way here. */
	isStaging(jobId: string): boolean {
		return this.#active.has(jobId);
	}

	/**
	 * Keeps `file` for `jobId` from byte `from` on (a picked-again file continues where keeping
	 * stopped). Resolves when all of it is kept, the upload is over, or the file cannot be read.
	 */
	stage(jobId: string, file: Blob, from = 0): Promise<void> {
		const running = this.#active.get(jobId);
		if (running) return running;
		const run = this.#run(jobId, file, from).finally(() => this.#active.delete(jobId));
		this.#active.set(jobId, run);
		return run;
	}

	/** OneDrive acknowledged bytes [0, acknowledged) of a job: keeping that waited for room may go on. */
	acknowledged(jobId: string, acknowledged: number): void {
		const waiter = this.#waiters.get(jobId);
		if (waiter && acknowledged >= waiter.until) {
			this.#waiters.delete(jobId);
			waiter.resolve(acknowledged);
		}
	}

	/** The upload is over (done, cancelled): stop keeping its bytes. */
	finished(jobId: string): void {
		const waiter = this.#waiters.get(jobId);
		this.#waiters.delete(jobId);
		waiter?.resolve(null);
	}

	async #run(jobId: string, file: Blob, from: number): Promise<void> {
		const { ledger } = this.#deps;
		// Before the first piece: a browser that grants it will not evict what is kept.
		this.#persisted ??= (this.#deps.persist ?? requestPersistence)();
		await this.#persisted;
		const size = file.size;
		let start = Math.floor(from / STAGE_CHUNK_BYTES) * STAGE_CHUNK_BYTES;
		let roomLacking = false;
		while (start < size) {
			const end = Math.min(size, start + STAGE_CHUNK_BYTES);
			const outcome = await this.#keep(jobId, file, start, end);
			if (outcome === 'finished' || outcome === 'unreadable') return;
			if (outcome === 'no-room' || outcome === 'low-room') {
				// First the pieces OneDrive already has, of every upload: then this piece again at once.
				if ((await ledger.releaseAcknowledged().catch(() => 0)) > 0) continue;
				// Storage is full to the last byte now: give a piece back, or the uploader could not
				// even record its progress. (Stopped short of the wall, only the problem is noted.)
				await ledger.makeRoom(jobId, outcome === 'no-room').catch(() => {});
				if (!roomLacking) {
					roomLacking = true;
					const record = await ledger.get(jobId);
					this.#deps.onProgress?.(jobId, { stagedTo: record?.staging?.stagedTo ?? start, problem: 'quota' });
				}
				// Pieces OneDrive acknowledges can be given back for room; try again then, from the
				// first byte OneDrive still needs.
				const known = (await ledger.get(jobId))?.state.acknowledged ?? 0;
				const acknowledged = known >= end ? known : await this.#ackReaches(jobId, end);
				if (acknowledged === null) return;
				start = Math.floor(acknowledged / STAGE_CHUNK_BYTES) * STAGE_CHUNK_BYTES;
				continue;
			}
			this.#deps.onProgress?.(jobId, { stagedTo: end, problem: end >= size ? null : roomLacking ? 'quota' : null });
			start = end;
		}
	}

	/** Reads and keeps one piece, one piece at a time across all videos. */
	#keep(jobId: string, file: Blob, start: number, end: number): Promise<'kept' | 'not-needed' | 'finished' | 'no-room' | 'low-room' | 'unreadable'> {
		const attempt = this.#turn.then(async () => {
			const estimate = await (this.#deps.estimate ?? browserEstimate)();
			if (estimate && typeof estimate.quota === 'number' && typeof estimate.usage === 'number') {
				if (estimate.quota - estimate.usage < end - start + KEEP_RESERVE_BYTES) return 'low-room' as const;
			}
			let bytes: Blob;
			try {
				// Read into memory first: a file changed or removed since it was picked fails here,
				// in words of our own, not later inside a storage transaction.
				bytes = new Blob([await file.slice(start, end).arrayBuffer()]);
			} catch {
				return 'unreadable' as const;
			}
			try {
				return await this.#deps.ledger.stageChunk(jobId, start, bytes);
			} catch (error) {
				if (isQuotaError(error)) return 'no-room' as const;
				throw error;
			}
		});
		this.#turn = attempt.then(
			() => undefined,
			() => undefined
		);
		return attempt;
	}

	#ackReaches(jobId: string, until: number): Promise<number | null> {
		return new Promise((resolve) => {
			this.#waiters.get(jobId)?.resolve(null);
			this.#waiters.set(jobId, { until, resolve });
		});
	}
}
