/**
 * Folder import's Graph ports over the app's OneDriveApi: the delta pages and item lookups of a
 * scan, and header reads through a file's download URL for videos without a video facet.
 */
import type { OneDriveApi } from '$lib/graph/onedrive-api';
import type { DeltaSource } from '$lib/import/delta-scan';
import type { HeaderProbe } from '$lib/import/import-run';
import { readMp4Header, type VideoHeader } from '$lib/import/mp4-header';
import { HttpRangeReader } from './http-range-reader';

/** What a scan asks of each delta item (the download URL is fetched fresh when needed instead). */
export const DELTA_SELECT =
	'id,name,size,file,folder,video,deleted,root,parentReference,createdDateTime,lastModifiedDateTime,fileSystemInfo,webUrl';
/** rclone's page size; Graph may answer with smaller pages. */
export const DELTA_PAGE_SIZE = 1000;

export function graphDeltaSource(graph: Pick<OneDriveApi, 'folderDeltaPage' | 'item'>): DeltaSource {
	return {
		deltaPage: (folderId, link) => graph.folderDeltaPage(folderId, link, { top: DELTA_PAGE_SIZE, select: DELTA_SELECT }),
		item: (itemId) => graph.item(itemId, 'A folder')
	};
}

export class DownloadHeaderProbe implements HeaderProbe {
	readonly #graph: Pick<OneDriveApi, 'downloadUrl'>;
	readonly #fetch: typeof fetch | undefined;

	constructor(graph: Pick<OneDriveApi, 'downloadUrl'>, fetchImpl?: typeof fetch) {
		this.#graph = graph;
		this.#fetch = fetchImpl;
	}

	async probe(driveId: string, itemId: string, size: number, signal: AbortSignal): Promise<VideoHeader | null> {
		const url = await this.#graph.downloadUrl(driveId, itemId);
		return readMp4Header(new HttpRangeReader(url, { fetch: this.#fetch, signal }), size);
	}
}
