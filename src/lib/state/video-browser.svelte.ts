/**
 * Browsing OneDrive for video files to link to a product: one folder at a time, with
 * breadcrumbs and page-by-page loading, listing sub-folders and the videos among the files.
 */
import { AppError } from '$lib/errors';
import type { GraphClient, GraphItem } from '$lib/graph/graph-client';
import { isVideoItem } from '$lib/graph/video-items';

export type { GraphItem };

export interface Crumb {
	id: string;
	name: string;
}

const PAGE_SIZE = 200;
const SELECT = 'id,name,size,folder,file,video,webUrl,parentReference,createdDateTime';

export class VideoBrowser {
	trail = $state<Crumb[]>([{ id: 'root', name: 'OneDrive' }]);
	folders = $state.raw<GraphItem[]>([]);
	videos = $state.raw<GraphItem[]>([]);
	/** Files in this folder that are not videos (not offered, but counted so the list makes sense). */
	otherFiles = $state(0);
	loading = $state(false);
	error = $state<AppError | null>(null);
	nextLink = $state<string | null>(null);

	readonly #graph: Pick<GraphClient, 'children'>;
	#generation = 0;

	constructor(graph: Pick<GraphClient, 'children'>) {
		this.#graph = graph;
	}

	get current(): Crumb {
		return this.trail[this.trail.length - 1]!;
	}

	async open(crumbIndex: number): Promise<void> {
		this.trail = this.trail.slice(0, crumbIndex + 1);
		await this.#load();
	}

	async enter(folder: GraphItem): Promise<void> {
		this.trail = [...this.trail, { id: folder.id, name: folder.name }];
		await this.#load();
	}

	async loadMore(): Promise<void> {
		if (this.nextLink) await this.#fetchPage(this.nextLink);
	}

	async #load(): Promise<void> {
		this.folders = [];
		this.videos = [];
		this.otherFiles = 0;
		this.nextLink = null;
		await this.#fetchPage(null);
	}

	async #fetchPage(nextLink: string | null): Promise<void> {
		const generation = ++this.#generation;
		this.loading = true;
		this.error = null;
		try {
			const page = await this.#graph.children(this.current.id, { top: PAGE_SIZE, nextLink, select: SELECT });
			if (generation !== this.#generation) return;
			this.folders = [...this.folders, ...page.value.filter((item) => !!item.folder)];
			const files = page.value.filter((item) => !item.folder);
			this.videos = [...this.videos, ...files.filter(isVideoItem)];
			this.otherFiles += files.filter((item) => !isVideoItem(item)).length;
			this.nextLink = page.nextLink;
		} catch (error) {
			if (generation === this.#generation) {
				this.error = error instanceof AppError ? error : new AppError('graph-failed', {}, error);
			}
		} finally {
			if (generation === this.#generation) this.loading = false;
		}
	}
}
