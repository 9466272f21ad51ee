import type { JobStore, UploadJobState } from '$lib/upload';
import type { ReeldriveDb } from '$lib/db/reeldrive-db';

/**
 * Keeps one job's core state inside its upload record. Each save is its own IndexedDB
 * transaction, durable when the promise resolves; `onSaved` lets the host react to changes.
 */
export class DexieJobStore implements JobStore {
	constructor(
		private readonly db: ReeldriveDb,
		private readonly jobId: string,
		private readonly onSaved: (state: UploadJobState) => void | Promise<void> = () => {}
	) {}

	async load(): Promise<UploadJobState | undefined> {
		return (await this.db.uploads.get(this.jobId))?.state;
	}

	async save(state: UploadJobState): Promise<void> {
		const updated = await this.db.uploads.update(this.jobId, { state });
		if (updated === 0) throw new Error(`upload ${this.jobId} is not stored any more`);
		await this.onSaved(state);
	}
}
