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
		private readonly enqueue: (files: File[], productId: string) => Promise<EnqueueResult[]> = (files, productId) => uploads.enqueue(files, productId),
		private readonly db = getDb
	) {}

	async load(services: Services = getServices()): Promise<void> {
		// Videos kept through a OneDrive connect are queued by themselves, not shown here.
		const entries = (await this.db().inbox.orderBy('receivedAt').toArray()).filter((entry) => !entry.heldFor);
		this.items = entries.map((entry) => ({ id: entry.id, name: entry.name, size: entry.blob.size }));
		const { data } = await services.supabase.from('products').select('id,title').order('title');
		this.products = data ?? [];
		this.loaded = true;
	}

	/** Queues the shared videos for a product and removes from the inbox exactly those that were queued. */
	async assign(ids: string[], productId: string): Promise<EnqueueResult[]> {
		const db = this.db();
		const entries = (await db.inbox.bulkGet(ids)).filter((entry) => entry !== undefined);
		const files = entries.map((entry) => new File([entry.blob], entry.name, { type: entry.type }));
		const results = await this.enqueue(files, productId);
		const queued = entries.filter((_, index) => results[index]?.accepted).map((entry) => entry.id);
		await db.inbox.bulkDelete(queued);
		this.items = this.items.filter((item) => !queued.includes(item.id));
		return results;
	}

	async discard(id: string): Promise<void> {
		await this.db().inbox.delete(id);
		this.items = this.items.filter((item) => item.id !== id);
	}
}

export const inbox = new InboxManager();
