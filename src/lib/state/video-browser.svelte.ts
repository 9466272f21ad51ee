/**
 * Browsing OneDrive for video files to link to a product: one folder at a time, with
 * breadcrumbs and page-by-page loading, listing sub-folders and the videos among the files.
 */
import { AppError } from '$lib/errors';
import type { ItemCursor, OneDriveApi, OneDriveItem } from '$lib/graph/onedrive-api';
import { isVideoItem } from '$lib/graph/video-items';

export type { OneDriveItem };

export interface Crumb {
	id: string;
	name: string;
}

const PAGE_SIZE = 200;
const SELECT = 'id,name,size,folder,file,video,webUrl,parentReference,createdDateTime';

export class VideoBrowser {
	trail = $state<Crumb[]>([{ id: 'root', name: 'OneDrive' }]);
	folders = $state.raw<OneDriveItem[]>([]);
	videos = $state.raw<OneDriveItem[]>([]);
	/** Files in this folder that are not videos (not offered, but counted so the list makes sense). */
	otherFiles = $state(0);
	loading = $state(false);
	error = $state<AppError | null>(null);
	/** The folder has more children than shown: "Load more" reads the next batch. */
	hasMore = $state(false);

	readonly #graph: Pick<OneDriveApi, 'children'>;
	#cursor: ItemCursor<OneDriveItem> | null = null;
	#generation = 0;

	constructor(graph: Pick<OneDriveApi, 'children'>) {
		this.#graph = graph;
	}

	get current(): Crumb {
		return this.trail[this.trail.length - 1]!;
	}

	async open(crumbIndex: number): Promise<void> {
		this.trail = this.trail.slice(0, crumbIndex + 1);
		await this.#load();
	}

	async enter(folder: OneDriveItem): Promise<void> {
		this.trail = [...this.trail, { id: folder.id, name: folder.name }];
		await this.#load();
	}

	async loadMore(): Promise<void> {
		if (this.hasMore) await this.#fetchBatch();
	}

	async #load(): Promise<void> {
		this.folders = [];
		this.videos = [];
		this.otherFiles = 0;
		this.hasMore = false;
		this.#cursor = null;
		await this.#fetchBatch();
	}

	async #fetchBatch(): Promise<void> {
		const generation = ++this.#generation;
		this.loading = true;
		this.error = null;
		try {
			let cursor = this.#cursor;
			if (!cursor) {
				cursor = await this.#graph.children(this.current.id, { top: PAGE_SIZE, select: SELECT });
				if (generation !== this.#generation) return;
				this.#cursor = cursor;
			}
			const items = await cursor.next(PAGE_SIZE);
			if (generation !== this.#generation) return;
			this.folders = [...this.folders, ...items.filter((item) => !!item.folder)];
			const files = items.filter((item) => !item.folder);
			this.videos = [...this.videos, ...files.filter(isVideoItem)];
			this.otherFiles += files.filter((item) => !isVideoItem(item)).length;
			this.hasMore = !cursor.done;
		} catch (error) {
			if (generation === this.#generation) {
				this.error = error instanceof AppError ? error : new AppError('graph-failed', {}, error);
			}
		} finally {
			if (generation === this.#generation) this.loading = false;
		}
	}
}
