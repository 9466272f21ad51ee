/**
 * Where an upload's bytes come from: the file a page picked, while that page is open and has
 * handed it over; else the pieces kept in the browser's storage; else (uploads queued before
 * pieces existed) the whole stored copy. Bytes in none of them are "not here": the job waits for
 * its file rather than failing.
 */
import type { JobLedger } from '$lib/db/job-ledger';
import { BytesNotHereError, type ByteSource } from '$lib/upload';
import { readBlobInto } from '$lib/upload/blob-read';

/** Files handed over by open pages, by job id. They live as long as this context does. */
export class LiveFiles {
	readonly #files = new Map<string, Blob>();

	attach(jobId: string, file: Blob): void {
		this.#files.set(jobId, file);
	}

	get(jobId: string): Blob | undefined {
		return this.#files.get(jobId);
	}

	forget(jobId: string): void {
		this.#files.delete(jobId);
	}

	has(jobId: string): boolean {
		return this.#files.has(jobId);
	}
}

export class JobBytes implements ByteSource {
	constructor(
		readonly name: string,
		readonly size: number,
		private readonly jobId: string,
		private readonly ledger: Pick<JobLedger, 'stagedBlob'>,
		private readonly live: LiveFiles,
		/** The whole video, for uploads stored before pieces existed. */
		private readonly whole: Blob | undefined
	) {}

	/** Bytes [start, end) in a buffer of their own (see readInto for where they come from). */
	read(start: number, end: number): Promise<Uint8Array> {
		return this.readInto(start, end, new ArrayBuffer(end - start));
	}

	/**
	 * The same bytes filled into `buffer` (see readBlobInto): from the whole stored copy (uploads
	 * stored before pieces existed), else the picked file, else the kept pieces.
	 */
	async readInto(start: number, end: number, buffer: ArrayBuffer): Promise<Uint8Array> {
		const size = buffer.byteLength;
		if (this.whole) return readBlobInto(this.whole.slice(start, end), buffer);
		const file = this.live.get(this.jobId);
		let spare = buffer;
		if (file && file.size === this.size) {
			try {
				return await readBlobInto(file.slice(start, end), spare);
			} catch {
				// Changed or removed on disk since it was picked: only the kept pieces count now.
				this.live.forget(this.jobId);
				// The failed read may have taken the buffer with it.
				if (spare.byteLength !== size) spare = new ArrayBuffer(size);
			}
		}
		const kept = await this.ledger.stagedBlob(this.jobId, start, end);
		if (kept) return readBlobInto(kept, spare);
		throw new BytesNotHereError(start);
	}

	/**
	 * The same bytes as a Blob that nothing reads until it is sent: from the kept pieces when they
	 * hold the range (they outlive the page, whose file goes with it mid-send), else the picked
	 * file. A file changed on disk since fails only when read; `read` of the same range (the core
	 * hashes it meanwhile) then lets go of the file, and the next attempt takes the pieces.
	 */
	async blob(start: number, end: number): Promise<Blob> {
		if (this.whole) return this.whole.slice(start, end);
		const kept = await this.ledger.stagedBlob(this.jobId, start, end);
		if (kept) return kept;
		// Not kept yet: a copy of the file's bytes, so that the fragment in flight does not die with
		// the page that picked the file (a reload, a closed tab).
		const file = this.live.get(this.jobId);
		if (file && file.size === this.size) {
			try {
				return new Blob([await file.slice(start, end).arrayBuffer()]);
			} catch {
				// Changed or removed on disk since it was picked.
				this.live.forget(this.jobId);
			}
		}
		throw new BytesNotHereError(start);
	}
}
