/**
 * Microsoft Graph calls for OneDrive other than fragment uploads: profile, drive, folders, items,
 * thumbnails, download URLs, renames, deletes and delta.
 * `fetch` and the token source are injected, so the same code runs in pages, tests and against
 * the local emulator. Paging follows `@odata.nextLink` as the absolute URL Graph gives.
 */
import { AppError } from '$lib/errors';

export interface TokenSource {
	getAccessToken(options?: { forceRefresh?: boolean }): Promise<string>;
}

export interface GraphUser {
	id: string;
	displayName: string | null;
	userPrincipalName: string;
	mail: string | null;
}

export interface GraphQuota {
	total: number;
	used: number;
	remaining: number;
	deleted?: number;
	state: 'normal' | 'nearing' | 'critical' | 'exceeded';
}

export interface GraphDrive {
	id: string;
	driveType: 'personal' | 'business' | 'documentLibrary';
	owner?: { user?: { displayName?: string; id?: string } };
	quota?: GraphQuota;
}

export interface GraphItemReference {
	driveId: string;
	driveType?: string;
	id?: string;
	path?: string;
}

export interface GraphThumbnailSet {
	id: string;
	small?: { url: string; width: number; height: number };
	medium?: { url: string; width: number; height: number };
	large?: { url: string; width: number; height: number };
}

export interface GraphItem {
	id: string;
	name: string;
	size?: number;
	webUrl?: string;
	createdDateTime?: string;
	lastModifiedDateTime?: string;
	parentReference?: GraphItemReference;
	folder?: { childCount: number };
	file?: { mimeType?: string; hashes?: { quickXorHash?: string; sha1Hash?: string; sha256Hash?: string } };
	video?: { duration?: number; width?: number; height?: number };
	root?: object;
	deleted?: { state?: string };
	thumbnails?: GraphThumbnailSet[];
	'@microsoft.graph.downloadUrl'?: string;
}

export interface GraphPage<T> {
	value: T[];
	nextLink: string | null;
}

/** One page of a delta feed: more pages now (nextLink), or caught up (deltaLink, kept for later). */
export interface GraphDeltaPage {
	value: GraphItem[];
	nextLink: string | null;
	deltaLink: string | null;
}

interface GraphErrorBody {
	error?: { code?: string; message?: string };
}

const MAX_THROTTLE_WAIT_MS = 30_000;

export interface GraphClientOptions {
	baseUrl: string;
	tokens: TokenSource;
	fetch?: typeof fetch;
	sleep?: (ms: number) => Promise<void>;
}

export class GraphClient {
	readonly #baseUrl: string;
	readonly #tokens: TokenSource;
	readonly #fetch: typeof fetch;
	readonly #sleep: (ms: number) => Promise<void>;

	constructor(options: GraphClientOptions) {
		this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
		this.#tokens = options.tokens;
		this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
		this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
	}

	url(path: string): string {
		return /^https?:\/\//.test(path) ? path : `${this.#baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
	}

	/**
	 * One Graph request with Reeldrive's policy: a 401 gets one fresh token and one more try;
	 * 429 and 503 wait for Retry-After (or a short backoff) up to twice; the rest become AppErrors.
	 */
	async request<T>(method: string, path: string, body?: unknown, what?: string): Promise<T> {
		let forceRefresh = false;
		for (let attempt = 0; ; attempt++) {
			const token = await this.#tokens.getAccessToken({ forceRefresh });
			let response: Response;
			try {
				response = await this.#fetch(this.url(path), {
					method,
					headers: {
						Authorization: `Bearer ${token}`,
						Accept: 'application/json',
						...(body === undefined ? {} : { 'Content-Type': 'application/json' })
					},
					body: body === undefined ? undefined : JSON.stringify(body)
				});
			} catch (error) {
				throw new AppError('network-unreachable', { service: 'OneDrive' }, error);
			}
			if (response.ok) {
				if (response.status === 204) return undefined as T;
				return (await response.json()) as T;
			}
			if (response.status === 401 && !forceRefresh) {
				forceRefresh = true;
				continue;
			}
			if ((response.status === 429 || response.status === 503) && attempt < 2) {
				await this.#sleep(retryAfterMs(response.headers.get('Retry-After'), attempt));
				continue;
			}
			throw await toGraphError(response, what);
		}
	}

	get<T>(path: string, what?: string): Promise<T> {
		return this.request<T>('GET', path, undefined, what);
	}

	me(): Promise<GraphUser> {
		return this.get('/me?$select=id,displayName,userPrincipalName,mail');
	}

	drive(): Promise<GraphDrive> {
		return this.get('/me/drive?$select=id,driveType,owner,quota');
	}

	item(itemId: string, what = 'That item'): Promise<GraphItem> {
		return this.get(`/me/drive/items/${encodeURIComponent(itemId)}`, what);
	}

	/** An item by its path from the drive's root, e.g. "/Videos/Blender". */
	itemByPath(path: string, what = 'That folder'): Promise<GraphItem> {
		const trimmed = path.replace(/^\/+|\/+$/g, '');
		if (!trimmed) return this.get('/me/drive/root', what);
		const encoded = trimmed.split('/').map(encodeURIComponent).join('/');
		return this.get(`/me/drive/root:/${encoded}`, what);
	}

	/** One page of a folder's children; pass the previous page's nextLink for the next one. */
	async children(
		folderId: string,
		options: { top?: number; nextLink?: string | null; foldersFirst?: boolean; select?: string } = {}
	): Promise<GraphPage<GraphItem>> {
		const params = new URLSearchParams({ $top: String(options.top ?? 200) });
		if (options.select) params.set('$select', options.select);
		const folder = folderId === 'root' ? '/me/drive/root' : `/me/drive/items/${encodeURIComponent(folderId)}`;
		const url = options.nextLink ?? `${folder}/children?${params}`;
		const page = await this.get<{ value: GraphItem[]; '@odata.nextLink'?: string }>(url, 'That folder');
		return { value: page.value, nextLink: page['@odata.nextLink'] ?? null };
	}

	/** Where an item of a given drive lives: `/drives/{drive}/items/{item}`. */
	#driveItemPath(driveId: string, itemId: string): string {
		return `/drives/${encodeURIComponent(driveId)}/items/${encodeURIComponent(itemId)}`;
	}

	/** An item of a given drive, with optional `$select` and `$expand` (e.g. "thumbnails"). */
	driveItem(
		driveId: string,
		itemId: string,
		options: { select?: string; expand?: string; what?: string } = {}
	): Promise<GraphItem> {
		const params = new URLSearchParams();
		if (options.select) params.set('$select', options.select);
		if (options.expand) params.set('$expand', options.expand);
		const query = params.size ? `?${params}` : '';
		return this.get(`${this.#driveItemPath(driveId, itemId)}${query}`, options.what ?? 'That video');
	}

	/** An item's thumbnail sets (zero or more); `size` limits them to one size, e.g. "medium". */
	async thumbnails(driveId: string, itemId: string, size?: string): Promise<GraphThumbnailSet[]> {
		const query = size ? `?${new URLSearchParams({ select: size })}` : '';
		const page = await this.get<{ value: GraphThumbnailSet[] }>(
			`${this.#driveItemPath(driveId, itemId)}/thumbnails${query}`,
			'That video'
		);
		return page.value;
	}

	/**
	 * A fresh pre-authenticated download URL for a file. It needs no Authorization header and
	 * expires (about an hour; "a few minutes" per one doc), so it is fetched when needed, never stored.
	 */
	async downloadUrl(driveId: string, itemId: string, what = 'That video'): Promise<string> {
		const item = await this.driveItem(driveId, itemId, { select: 'id,@microsoft.graph.downloadUrl', what });
		const url = item['@microsoft.graph.downloadUrl'];
		if (!url) throw new AppError('graph-failed', { what, detail: 'OneDrive gave no download address' });
		return url;
	}

	/** Renames or moves an item; a taken name fails (409) rather than being renamed silently. */
	updateItem(
		driveId: string,
		itemId: string,
		changes: { name?: string; parentId?: string },
		what = 'That video'
	): Promise<GraphItem> {
		const body: Record<string, unknown> = { '@microsoft.graph.conflictBehavior': 'fail' };
		if (changes.name !== undefined) body.name = changes.name;
		if (changes.parentId !== undefined) body.parentReference = { id: changes.parentId };
		return this.request('PATCH', this.#driveItemPath(driveId, itemId), body, what);
	}

	/** Deletes an item (OneDrive keeps it in its recycle bin). */
	async deleteItem(driveId: string, itemId: string, what = 'That video'): Promise<void> {
		await this.request<void>('DELETE', this.#driveItemPath(driveId, itemId), undefined, what);
	}

	/**
	 * One page of the drive's delta feed. Without a link: `token=latest` (no items, just a cursor
	 * for now); with a nextLink or deltaLink from an earlier page: the changes since.
	 */
	async delta(link: string | null, select = 'id,name,deleted,parentReference,file,size,webUrl'): Promise<GraphDeltaPage> {
		const url = link ?? `/me/drive/root/delta?${new URLSearchParams({ token: 'latest', $select: select })}`;
		const page = await this.get<{ value: GraphItem[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }>(
			url,
			'Your OneDrive'
		);
		return { value: page.value, nextLink: page['@odata.nextLink'] ?? null, deltaLink: page['@odata.deltaLink'] ?? null };
	}

	createFolder(
		parentId: string,
		name: string,
		conflictBehavior: 'fail' | 'rename' | 'replace' = 'fail'
	): Promise<GraphItem> {
		const parent = parentId === 'root' ? '/me/drive/root' : `/me/drive/items/${encodeURIComponent(parentId)}`;
		return this.request('POST', `${parent}/children`, {
			name,
			folder: {},
			'@microsoft.graph.conflictBehavior': conflictBehavior
		}, 'The parent folder');
	}
}

function retryAfterMs(header: string | null, attempt: number): number {
	const seconds = header ? Number(header) : NaN;
	if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_THROTTLE_WAIT_MS);
	const date = header ? Date.parse(header) : NaN;
	if (Number.isFinite(date)) return Math.min(Math.max(date - Date.now(), 0), MAX_THROTTLE_WAIT_MS);
	return 1000 * 2 ** attempt;
}

async function toGraphError(response: Response, what?: string): Promise<AppError> {
	let body: GraphErrorBody = {};
	try {
		body = (await response.json()) as GraphErrorBody;
	} catch {
		// Not JSON: the status alone decides.
	}
	const code = body.error?.code ?? '';
	const context = { status: response.status, graphCode: code, what };
	switch (response.status) {
		case 401:
			return new AppError('graph-unauthorized', context);
		case 403:
			return new AppError('graph-forbidden', context);
		case 404:
			return new AppError('graph-not-found', context);
		case 409:
			return new AppError('graph-name-conflict', context);
		case 410:
			return new AppError('graph-resync-required', context);
		case 429:
			return new AppError('graph-throttled', context);
		case 503:
		case 502:
		case 504:
			return new AppError('graph-unavailable', context);
		case 400:
			if (/invalid.*name|nameContainsInvalidCharacters/i.test(code + ' ' + (body.error?.message ?? ''))) {
				return new AppError('graph-invalid-name', context);
			}
	}
	return new AppError('graph-failed', { ...context, detail: body.error?.message ?? `HTTP ${response.status}` });
}
