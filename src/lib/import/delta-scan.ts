/**
 * The scan behind folder import: Graph's delta feed over each chosen folder, every
 * `@odata.nextLink` followed until the page that carries the `@odata.deltaLink`. Without a cursor
 * the feed lists the whole folder; with the deltaLink a previous scan kept, only what changed
 * since (new, changed and deleted items). A cursor Graph no longer honours (410, resync) starts
 * that folder over from scratch, which is always correct.
 *
 * Delta items carry no `parentReference.path`, so paths are rebuilt from the folders the feed
 * lists (parents usually come first) and, for a folder it does not list, one item lookup by id.
 * An item listed more than once counts as its last listing.
 */
import type { DriveItem } from '@microsoft/microsoft-graph-types';
import { AppError } from '$lib/errors';
import type { DeltaPage } from '$lib/graph/onedrive-api';

export type { DeltaPage };

/** The two Graph reads a scan needs (graph/onedrive-api.ts implements them). */
export interface DeltaSource {
	/** A folder's delta feed: its first page (no link), or the page a nextLink or deltaLink names. */
	deltaPage(folderId: string, link: string | null): Promise<DeltaPage>;
	/** One item by id, for a folder the feed does not list. */
	item(itemId: string): Promise<DriveItem>;
}

export interface ScanFolder {
	id: string;
	/** The folder's path from the drive's root, e.g. "/Videos/Imports" ("/" for the root). */
	path: string;
}

export type NamedItem = DriveItem & { id: string; name: string };

export interface FoundVideo {
	item: NamedItem;
	/** The folder holding the video, from the drive's root: "/Videos/Imports/Acme". */
	folderPath: string;
	/** Folder names from the scanned folder (first) down to the video's own folder. */
	folders: string[];
	scanFolderId: string;
}

export interface ScanProgress {
	folder: ScanFolder;
	pages: number;
	videos: number;
	deleted: number;
}

export interface ScanResult {
	videos: FoundVideo[];
	/** Items the feed reported deleted (files and folders alike; the ids are all it gives). */
	deletedIds: string[];
	/** The deltaLink each folder's feed ended with: the cursor for the next rescan. */
	deltaLinks: Map<string, string>;
	/** Folders listed in full (no cursor, or a cursor Graph refused). */
	fullFolders: Set<string>;
}

export interface ScanOptions {
	/** Checked before every page: cancelling stops the scan between pages. */
	signal?: AbortSignal;
	/** After every page, with the totals so far; awaited, so a slow save slows the scan, not loses it. */
	onPage?: (progress: ScanProgress) => void | Promise<void>;
}

/** Extensions taken as video when OneDrive gave neither a video facet nor a video/* type. */
export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set([
	'3g2', '3gp', 'avi', 'flv', 'm2ts', 'm4v', 'mkv', 'mov', 'mp4', 'mpeg', 'mpg', 'mts', 'ogv', 'qt', 'webm', 'wmv'
]);

/** A file OneDrive calls a video (facet), types as one (MIME) or that is named like one. */
export function isVideoFile(item: DriveItem): boolean {
	if (!item.file || item.folder) return false;
	if (item.video) return true;
	if (item.file.mimeType?.toLowerCase().startsWith('video/')) return true;
	const name = item.name ?? '';
	const dot = name.lastIndexOf('.');
	return dot > 0 && VIDEO_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

const MAX_DEPTH = 1000;

/** Folder names and paths, learnt from the feed and, for folders it skips, looked up by id. */
class FolderTree {
	readonly #source: DeltaSource;
	readonly #records = new Map<string, { name: string; parentId: string | null }>();
	/** The scanned folders, whose paths are as chosen (the feed lists them without one). */
	readonly #scopes = new Map<string, string>();

	constructor(source: DeltaSource) {
		this.#source = source;
	}

	addScope(folder: ScanFolder): void {
		this.#scopes.set(folder.id, folder.path);
	}

	note(item: DriveItem): void {
		if (!item.id || !item.folder || item.deleted) return;
		this.#records.set(item.id, { name: item.name ?? '', parentId: item.root ? null : (item.parentReference?.id ?? null) });
	}

	async #record(id: string): Promise<{ name: string; parentId: string | null }> {
		const known = this.#records.get(id);
		if (known) return known;
		const item = await this.#source.item(id);
		const record = { name: item.name ?? '', parentId: item.root ? null : (item.parentReference?.id ?? null) };
		this.#records.set(id, record);
		return record;
	}

	/** The absolute path of a folder, and its names below the scanned folder `scopeId`. */
	async locate(folderId: string, scopeId: string): Promise<{ path: string; below: string[] }> {
		const names: string[] = [];
		let id: string | null = folderId;
		for (let depth = 0; id !== null && depth < MAX_DEPTH; depth++) {
			const scopePath = this.#scopes.get(id);
			if (scopePath !== undefined && id === scopeId) {
				const path = joinPath(scopePath, names);
				return { path, below: names };
			}
			const record: { name: string; parentId: string | null } = await this.#record(id);
			if (record.parentId === null) break; // the drive's root
			names.unshift(record.name);
			id = record.parentId;
		}
		// Outside the scanned folder (a folder delta never says so, but a feed is not a promise).
		return { path: joinPath('/', names), below: names };
	}
}

function joinPath(base: string, names: string[]): string {
	const trimmed = base.replace(/\/+$/, '');
	return names.length === 0 ? trimmed || '/' : `${trimmed}/${names.join('/')}`;
}

function lastSegment(path: string): string {
	const parts = path.split('/').filter(Boolean);
	return parts[parts.length - 1] ?? '';
}

export async function scanFolders(
	source: DeltaSource,
	folders: ScanFolder[],
	cursors: ReadonlyMap<string, string>,
	options: ScanOptions = {}
): Promise<ScanResult> {
	const tree = new FolderTree(source);
	for (const folder of folders) tree.addScope(folder);
	const videos = new Map<string, FoundVideo>();
	const deleted = new Set<string>();
	const deltaLinks = new Map<string, string>();
	const fullFolders = new Set<string>();

	for (const folder of folders) {
		let link = cursors.get(folder.id) ?? null;
		let resynced = false;
		if (link === null) fullFolders.add(folder.id);
		let pages = 0;
		for (;;) {
			options.signal?.throwIfAborted();
			let page: DeltaPage;
			try {
				page = await source.deltaPage(folder.id, link);
			} catch (error) {
				if (!resynced && link !== null && error instanceof AppError && error.code === 'graph-resync-required') {
					// The cursor expired: list the folder again from scratch.
					resynced = true;
					fullFolders.add(folder.id);
					link = null;
					continue;
				}
				if (link === null && error instanceof AppError && error.context.status === 400) {
					// OneDrive for work or school answers a folder's delta with 400: it lists changes
					// for a whole drive only (reference §11).
					throw new AppError('graph-failed', { what: 'That folder', detail: 'this OneDrive lists changes only for the whole drive, so its folders cannot be imported yet' }, error);
				}
				throw error;
			}
			options.signal?.throwIfAborted();
			pages++;
			for (const item of page.items) tree.note(item);
			for (const item of page.items) {
				if (!item.id) continue;
				if (item.deleted) {
					videos.delete(item.id);
					deleted.add(item.id);
					continue;
				}
				if (!isVideoFile(item) || !item.name) continue;
				deleted.delete(item.id);
				const parentId = item.parentReference?.id;
				const where = parentId ? await tree.locate(parentId, folder.id) : { path: '/', below: [] };
				videos.delete(item.id); // a later listing moves it to the end, as the feed's latest state
				videos.set(item.id, {
					item: item as NamedItem,
					folderPath: where.path,
					folders: [lastSegment(folder.path), ...where.below],
					scanFolderId: folder.id
				});
			}
			await options.onPage?.({ folder, pages, videos: videos.size, deleted: deleted.size });
			if (page.deltaLink) {
				deltaLinks.set(folder.id, page.deltaLink);
				break;
			}
			if (!page.nextLink) throw new AppError('graph-failed', { what: 'Your OneDrive', detail: 'a change list ended without a link for the next scan' });
			link = page.nextLink;
		}
	}
	return { videos: [...videos.values()], deletedIds: [...deleted], deltaLinks, fullFolders };
}
