/**
 * Browsing OneDrive folders for the default-folder picker: one folder at a time, with
 * breadcrumbs, page-by-page loading of large folders and creating a folder in place.
 */
import { AppError } from '$lib/errors';
import type { ItemCursor, OneDriveApi, OneDriveItem } from '$lib/graph/onedrive-api';
import { sanitiseOneDriveName } from '$lib/upload/onedrive-names';

export interface Crumb {
	id: string;
	name: string;
}

export interface FolderEntry {
	id: string;
	name: string;
	childCount: number;
}

const PAGE_SIZE = 200;

export class FolderBrowser {
	trail = $state<Crumb[]>([{ id: 'root', name: 'OneDrive' }]);
	folders = $state<FolderEntry[]>([]);
	/** Files seen in this folder so far (they are not choosable, but the count helps). */
	fileCount = $state(0);
	loading = $state(false);
	error = $state<AppError | null>(null);
	/** The folder has more children than shown: "Load more" reads the next batch. */
	hasMore = $state(false);

	readonly #graph: Pick<OneDriveApi, 'children' | 'createFolder'>;
	#cursor: ItemCursor<OneDriveItem> | null = null;
	#generation = 0;

	constructor(graph: Pick<OneDriveApi, 'children' | 'createFolder'>) {
		this.#graph = graph;
	}

	get current(): Crumb {
		return this.trail[this.trail.length - 1]!;
	}

	/** The folder's path from the root, as stored with the default folder. */
	get currentPath(): string {
		return '/' + this.trail.slice(1).map((crumb) => crumb.name).join('/');
	}

	async open(crumbIndex: number): Promise<void> {
		this.trail = this.trail.slice(0, crumbIndex + 1);
		await this.#load();
	}

	async enter(folder: FolderEntry): Promise<void> {
		this.trail = [...this.trail, { id: folder.id, name: folder.name }];
		await this.#load();
	}

	async #load(): Promise<void> {
		this.folders = [];
		this.fileCount = 0;
		this.hasMore = false;
		this.#cursor = null;
		await this.#fetchBatch();
	}

	async loadMore(): Promise<void> {
		if (this.hasMore) await this.#fetchBatch();
	}

	async #fetchBatch(): Promise<void> {
		const generation = ++this.#generation;
		this.loading = true;
		this.error = null;
		try {
			let cursor = this.#cursor;
			if (!cursor) {
				cursor = await this.#graph.children(this.current.id, { top: PAGE_SIZE, select: 'id,name,folder,file,size' });
				if (generation !== this.#generation) return;
				this.#cursor = cursor;
			}
			const items = await cursor.next(PAGE_SIZE);
			if (generation !== this.#generation) return;
			this.folders = [...this.folders, ...items.filter(isFolder).map(toEntry)];
			this.fileCount += items.filter((item) => !item.folder).length;
			this.hasMore = !cursor.done;
		} catch (error) {
			if (generation === this.#generation) {
				this.error = error instanceof AppError ? error : new AppError('graph-failed', {}, error);
			}
		} finally {
			if (generation === this.#generation) this.loading = false;
		}
	}

	/**
	 * Creates a folder inside the current one and returns it. Names OneDrive forbids are
	 * refused with the reason, rather than silently changed.
	 */
	async createFolder(name: string): Promise<FolderEntry> {
		const trimmed = name.trim();
		const check = sanitiseOneDriveName(trimmed);
		if (!trimmed || check.changed) {
			throw new AppError('graph-invalid-name', {
				name: trimmed,
				reason: trimmed ? `Try "${check.name}" instead.` : 'Type a name first.'
			});
		}
		const created = await this.#graph.createFolder(this.current.id, trimmed, 'fail');
		const entry = toEntry(created);
		this.folders = [entry, ...this.folders.filter((folder) => folder.id !== entry.id)];
		return entry;
	}
}

function isFolder(item: OneDriveItem): boolean {
	return !!item.folder;
}

function toEntry(item: OneDriveItem): FolderEntry {
	return { id: item.id, name: item.name, childCount: item.folder?.childCount ?? 0 };
}
