/**
 * Videos shared to the installed app (the share sheet), waiting for the person to pick their
 * product. Entries are matched to intake results by position, never by name: two shared videos
 * may well have the same name.
 */
import { getDb } from '$lib/db/reeldrive-db';
import { getServices, type Services } from '$lib/services';
import type { EnqueueResult } from './upload-intake';
import { uploads } from './uploads.svelte';

export interface InboxItem {
	id: string;
	name: string;
	size: number;
}

export class InboxManager {
	items = $state<InboxItem[]>([]);
	products = $state<{ id: string; title: string }[]>([]);
	loaded = $state(false);

	constructor(
		private readonly enqueue: (files: File[], productId: string, keptAs: (string | null)[]) => Promise<EnqueueResult[]> = (files, productId, keptAs) =>
			uploads.enqueue(files, productId, keptAs),
		private readonly db = getDb
	) {}

	async load(services: Services = getServices()): Promise<void> {
		// Videos kept through a OneDrive connect are queued by themselves, not shown here.
		const entries = (await this.db().inbox.orderBy('receivedAt').toArray()).filter((entry) => !entry.heldFor);
		this.items = entries.map((entry) => ({ id: entry.id, name: entry.name, size: entry.kept?.size ?? entry.blob?.size ?? 0 }));
		const { data } = await services.supabase.from('products').select('id,title').order('title');
		this.products = data ?? [];
		this.loaded = true;
	}

	/** Queues the shared videos for a product and removes from the inbox exactly those that were queued. */
	async assign(ids: string[], productId: string): Promise<EnqueueResult[]> {
		const db = this.db();
		const entries = (await db.inbox.bulkGet(ids)).filter((entry) => entry !== undefined);
		// A shared video's pieces become its upload's: the File made of them is a view, not a copy.
		const files = await Promise.all(
			entries.map(async (entry) => {
				const parts = entry.kept ? (await db.chunks.where('jobId').equals(entry.id).sortBy('start')).map((chunk) => chunk.blob) : [entry.blob!];
				return new File(parts, entry.name, { type: entry.type });
			})
		);
		const results = await this.enqueue(
			files,
			productId,
			entries.map((entry) => (entry.kept ? entry.id : null))
		);
		const queued = entries.filter((_, index) => results[index]?.accepted).map((entry) => entry.id);
		await db.inbox.bulkDelete(queued);
		this.items = this.items.filter((item) => !queued.includes(item.id));
		return results;
	}

	async discard(id: string): Promise<void> {
		const db = this.db();
		await db.transaction('rw', db.inbox, db.chunks, async () => {
			await db.inbox.delete(id);
			await db.chunks.where('jobId').equals(id).delete();
		});
		this.items = this.items.filter((item) => item.id !== id);
	}
}

export const inbox = new InboxManager();
