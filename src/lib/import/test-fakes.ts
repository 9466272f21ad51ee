/**
 * Fakes for folder import's tests: a OneDrive whose folder delta behaves as Graph documents it
 * (pages, nextLink then deltaLink, deleted facets, no paths, 410 for an expired cursor), and an
 * in-memory store that keeps videos unique per drive and item as the database does.
 */
import type { DriveItem, Video } from '@microsoft/microsoft-graph-types';
import { AppError } from '$lib/errors';
import type { DeltaPage, DeltaSource } from './delta-scan';
import type { ExistingVideo, ImportJob, ImportStore, JobChanges, VideoWrite } from './import-run';
import type { ProductDraft } from './product-rule';
import type { VideoStatus } from '$lib/supabase/videos';

interface FakeItem {
	id: string;
	name: string;
	parentId: string | null;
	folder: boolean;
	size: number;
	mimeType?: string;
	video?: Video;
	deleted: boolean;
	seq: number;
}

interface Cursor {
	folder: string;
	since: number;
	upTo: number;
	offset: number;
}

export class FakeDrive implements DeltaSource {
	readonly items = new Map<string, FakeItem>();
	readonly rootId = 'drive!root';
	pageSize = 3;
	/** Cursors from before this change number are refused with 410, as an expired token is. */
	oldestCursor = 0;
	pagesServed = 0;
	itemLookups: string[] = [];
	/** Called before serving each page (to fail or cancel mid-scan). */
	beforePage: ((pageNumber: number) => void) | null = null;
	#seq = 1;
	#next = 1;

	constructor() {
		this.items.set(this.rootId, { id: this.rootId, name: 'root', parentId: null, folder: true, size: 0, deleted: false, seq: 1 });
	}

	get seq(): number {
		return this.#seq;
	}

	#child(parentId: string, name: string): FakeItem | undefined {
		for (const item of this.items.values()) if (item.parentId === parentId && !item.deleted && item.name.toLowerCase() === name.toLowerCase()) return item;
		return undefined;
	}

	#touch(item: FakeItem): void {
		item.seq = ++this.#seq;
		for (let parent = item.parentId; parent; parent = this.items.get(parent)!.parentId) this.items.get(parent)!.seq = this.#seq;
	}

	/** Makes the folders of a path (as needed) and answers the last one's id. */
	folder(path: string): string {
		let parent = this.rootId;
		for (const name of path.split('/').filter(Boolean)) {
			let item = this.#child(parent, name);
			if (!item) {
				item = { id: `drive!${this.#next++}`, name, parentId: parent, folder: true, size: 0, deleted: false, seq: 0 };
				this.items.set(item.id, item);
				this.#touch(item);
			}
			parent = item.id;
		}
		return parent;
	}

	file(path: string, options: { size?: number; video?: Video | null; mimeType?: string } = {}): string {
		const parts = path.split('/').filter(Boolean);
		const name = parts.pop()!;
		const parent = this.folder(parts.join('/'));
		const item: FakeItem = {
			id: `drive!${this.#next++}`,
			name,
			parentId: parent,
			folder: false,
			size: options.size ?? 1000,
			mimeType: options.mimeType ?? (/\.(mp4|mov)$/i.test(name) ? 'video/mp4' : 'application/octet-stream'),
			video: options.video === null ? undefined : (options.video ?? { duration: 5000, width: 1920, height: 1080 }),
			deleted: false,
			seq: 0
		};
		this.items.set(item.id, item);
		this.#touch(item);
		return item.id;
	}

	idOf(path: string): string {
		let id = this.rootId;
		for (const name of path.split('/').filter(Boolean)) id = this.#child(id, name)!.id;
		return id;
	}

	remove(path: string): void {
		const top = this.items.get(this.idOf(path))!;
		const doomed = [top];
		for (let i = 0; i < doomed.length; i++) for (const item of this.items.values()) if (item.parentId === doomed[i]!.id && !item.deleted) doomed.push(item);
		for (const item of doomed) {
			item.deleted = true;
			this.#touch(item);
		}
	}

	rename(path: string, name: string): void {
		const item = this.items.get(this.idOf(path))!;
		item.name = name;
		this.#touch(item);
	}

	#inside(scope: string, item: FakeItem): boolean {
		for (let id: string | null = item.id; id; id = this.items.get(id)!.parentId) if (id === scope) return true;
		return false;
	}

	#depth(item: FakeItem): number {
		let depth = 0;
		for (let id = item.parentId; id; id = this.items.get(id)!.parentId) depth++;
		return depth;
	}

	#json(item: FakeItem): DriveItem {
		const json: DriveItem = { id: item.id, name: item.name, parentReference: item.parentId ? { id: item.parentId, driveId: 'drive' } : { driveId: 'drive' } };
		if (item.parentId === null) json.root = {};
		if (item.deleted) {
			json.deleted = { state: 'deleted' };
			return json;
		}
		json.size = item.size;
		json.createdDateTime = '2026-01-01T00:00:00Z';
		json.lastModifiedDateTime = '2026-01-02T00:00:00Z';
		json.fileSystemInfo = { createdDateTime: '2025-12-31T00:00:00Z', lastModifiedDateTime: '2026-01-01T12:00:00Z' };
		json.webUrl = `https://onedrive.example/${item.id}`;
		if (item.folder) json.folder = { childCount: 0 };
		else {
			json.file = { mimeType: item.mimeType, hashes: { quickXorHash: `hash-${item.id}-${item.size}` } };
			if (item.video) json.video = item.video;
		}
		return json;
	}

	async deltaPage(folderId: string, link: string | null): Promise<DeltaPage> {
		this.pagesServed++;
		this.beforePage?.(this.pagesServed);
		const cursor: Cursor = link ? (JSON.parse(link.slice('fake-delta:'.length)) as Cursor) : { folder: folderId, since: 0, upTo: this.#seq, offset: 0 };
		if (link && cursor.since > 0 && cursor.since < this.oldestCursor) throw new AppError('graph-resync-required', { status: 410 });
		if (!link || cursor.offset === 0) cursor.upTo = this.#seq;
		const changed = [...this.items.values()]
			.filter((item) => item.seq > cursor.since && item.seq <= cursor.upTo && (cursor.since > 0 || !item.deleted) && this.#inside(cursor.folder, item))
			.sort((a, b) => this.#depth(a) - this.#depth(b) || a.id.localeCompare(b.id));
		const page = changed.slice(cursor.offset, cursor.offset + this.pageSize);
		const more = cursor.offset + this.pageSize < changed.length;
		const next = (c: Cursor) => `fake-delta:${JSON.stringify(c)}`;
		return {
			items: page.map((item) => this.#json(item)),
			nextLink: more ? next({ ...cursor, offset: cursor.offset + this.pageSize }) : null,
			deltaLink: more ? null : next({ folder: cursor.folder, since: cursor.upTo, upTo: cursor.upTo, offset: 0 })
		};
	}

	async item(itemId: string): Promise<DriveItem> {
		this.itemLookups.push(itemId);
		const item = this.items.get(itemId);
		if (!item || item.deleted) throw new AppError('graph-not-found', { status: 404 });
		return this.#json(item);
	}
}

export type StoredVideo = Omit<VideoWrite, 'status'> & { id: string; status: VideoStatus; writes: number };

/** The database as folder import sees it, with videos unique by drive and item. */
export class MemoryImportStore implements ImportStore {
	readonly jobs = new Map<string, ImportJob>();
	readonly jobUpdates: Array<{ id: string; changes: JobChanges }> = [];
	readonly videos = new Map<string, StoredVideo>();
	readonly products: Array<ProductDraft & { id: string }> = [];
	readonly writes: VideoWrite[][] = [];
	/** Fails a write (before storing anything) when it answers an error. */
	failWrite: ((rows: VideoWrite[], attempt: number) => Error | null) | null = null;
	#jobs = 0;
	#writeAttempts = 0;

	async createJob(input: { drive_id: string; folders: { id: string; path: string }[] }): Promise<ImportJob> {
		const job: ImportJob = {
			id: `job-${++this.#jobs}`,
			status: 'running',
			drive_id: input.drive_id,
			folders: input.folders,
			delta_cursor: null,
			total_found: 0,
			linked: 0,
			skipped: 0,
			failed: 0,
			removed: 0,
			error_code: null,
			error_message: null,
			started_at: new Date().toISOString(),
			completed_at: null,
			updated_at: new Date().toISOString()
		};
		this.jobs.set(job.id, job);
		return { ...job };
	}

	async updateJob(id: string, changes: JobChanges): Promise<void> {
		this.jobUpdates.push({ id, changes });
		this.jobs.set(id, { ...this.jobs.get(id)!, ...changes });
	}

	async findVideos(driveId: string, itemIds: string[]): Promise<ExistingVideo[]> {
		return itemIds.flatMap((itemId) => {
			const video = this.videos.get(`${driveId}|${itemId}`);
			return video ? [{ item_id: itemId, status: video.status, folder_path: video.folder_path }] : [];
		});
	}

	async videosUnder(driveId: string, folderPath: string): Promise<ExistingVideo[]> {
		return [...this.videos.values()]
			.filter((video) => video.drive_id === driveId && (video.folder_path === folderPath || video.folder_path.startsWith(`${folderPath}/`)))
			.map((video) => ({ item_id: video.item_id, status: video.status, folder_path: video.folder_path }));
	}

	async createProducts(drafts: ProductDraft[]): Promise<Map<string, string>> {
		const ids = new Map<string, string>();
		for (const draft of drafts) {
			const id = `product-${this.products.length + 1}`;
			this.products.push({ ...draft, id });
			ids.set(draft.key, id);
		}
		return ids;
	}

	async writeVideos(rows: VideoWrite[]): Promise<void> {
		const problem = this.failWrite?.(rows, ++this.#writeAttempts);
		if (problem) throw problem;
		this.writes.push(rows.map((row) => ({ ...row })));
		for (const row of rows) {
			const key = `${row.drive_id}|${row.item_id}`;
			const before = this.videos.get(key);
			// An upsert: every column the row carries is set, the others kept.
			this.videos.set(key, { ...(before ?? { id: `video-${this.videos.size + 1}`, product_id: null, writes: 0 }), ...row, writes: (before?.writes ?? 0) + 1 });
		}
	}

	async markMissing(driveId: string, itemIds: string[]): Promise<number> {
		let marked = 0;
		for (const itemId of itemIds) {
			const video = this.videos.get(`${driveId}|${itemId}`);
			if (video && video.status !== 'missing') {
				video.status = 'missing';
				video.writes++;
				marked++;
			}
		}
		return marked;
	}
}
