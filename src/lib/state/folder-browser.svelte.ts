/**
 * Browsing OneDrive folders for the default-folder picker: one folder at a time, with
 * breadcrumbs, page-by-page loading of large folders and creating a folder in place.
 */
import { AppError } from '$lib/errors';
import type { GraphClient, GraphItem } from '$lib/graph/graph-client';
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
	nextLink = $state<string | null>(null);

	readonly #graph: GraphClient;
	#generation = 0;

	constructor(graph: GraphClient) {
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
		this.nextLink = null;
		await this.#fetchPage(null);
	}

	async loadMore(): Promise<void> {
		if (this.nextLink) await this.#fetchPage(this.nextLink);
	}

	async #fetchPage(nextLink: string | null): Promise<void> {
		const generation = ++this.#generation;
		this.loading = true;
		this.error = null;
		try {
			const page = await this.#graph.children(this.current.id, {
				top: PAGE_SIZE,
				nextLink,
				select: 'id,name,folder,file,size'
			});
			if (generation !== this.#generation) return;
			this.folders = [...this.folders, ...page.value.filter(isFolder).map(toEntry)];
			this.fileCount += page.value.filter((item) => !item.folder).length;
			this.nextLink = page.nextLink;
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

function isFolder(item: GraphItem): boolean {
	return !!item.folder;
}

function toEntry(item: GraphItem): FolderEntry {
	return { id: item.id, name: item.name, childCount: item.folder?.childCount ?? 0 };
}
