/**
 * Videos picked before OneDrive was ever connected. They are kept on this device (beside the
 * share inbox, marked for this person and product) through the connect redirect, and queued by
 * themselves once the connection is known, so nobody has to pick them again.
 */
import { getDb, type ReeldriveDb } from '$lib/db/reeldrive-db';
import type { JobLocks } from '$lib/upload-runner/job-locks';
import { checkFile, type EnqueueResult } from './upload-intake';

export async function holdVideos(files: File[], appUserId: string, productId: string | null, db: ReeldriveDb = getDb()): Promise<EnqueueResult[]> {
	const results: EnqueueResult[] = [];
	for (const { file, problem } of await Promise.all(files.map(checkFile))) {
		if (problem !== null) {
			results.push({ name: file.name, accepted: false, message: problem });
			continue;
		}
		await db.inbox.add({ id: crypto.randomUUID(), blob: file, name: file.name, type: file.type, receivedAt: Date.now(), heldFor: { appUserId, productId } });
		results.push({ name: file.name, accepted: true, message: 'Kept on this device: it uploads once OneDrive is connected' });
	}
	return results;
}

/**
 * Queues this person's kept videos, product by product, and lets go of those queued. Holds a
 * lock meanwhile, so two tabs (or two calls) never queue the same video twice.
 */
export async function queueHeldVideos(
	appUserId: string,
	enqueue: (files: File[], productId: string | null) => Promise<EnqueueResult[]>,
	locks: JobLocks,
	db: ReeldriveDb = getDb()
): Promise<void> {
	await locks.withLock(`reeldrive-held:${appUserId}`, () => queueHeld(appUserId, enqueue, db));
}

async function queueHeld(appUserId: string, enqueue: (files: File[], productId: string | null) => Promise<EnqueueResult[]>, db: ReeldriveDb): Promise<void> {
	const held = (await db.inbox.toArray()).filter((entry) => entry.heldFor?.appUserId === appUserId && entry.blob);
	for (const productId of new Set(held.map((entry) => entry.heldFor!.productId))) {
		const entries = held.filter((entry) => entry.heldFor!.productId === productId);
		const results = await enqueue(
			entries.map((entry) => new File([entry.blob!], entry.name, { type: entry.type })),
			productId
		);
		await db.inbox.bulkDelete(entries.filter((_, index) => results[index]?.accepted).map((entry) => entry.id));
	}
}
