/**
 * Microsoft Graph calls for OneDrive other than fragment uploads: profile, drive, folders, items,
 * thumbnails, download URLs, renames, deletes and delta. Requests go through the official Graph
 * client (graph-client.ts), which this class loads the first time it is used, so that the page
 * a visitor sees before signing in carries none of it. Shapes are Graph's own published types.
 */
import type { Drive, DriveItem, ThumbnailSet, User } from '@microsoft/microsoft-graph-types';
import type { Client } from '@microsoft/microsoft-graph-client';
import type * as GraphClientModule from './graph-client';
import type { TokenSource } from './graph-client';
import { AppError } from '$lib/errors';

export type { Drive, DriveItem, Quota, ThumbnailSet, User } from '@microsoft/microsoft-graph-types';
export type { TokenSource };

/** The items of a Graph collection, handed out a batch at a time (graph-client.ts: GraphCursor). */
export interface ItemCursor<T> {
	/** Up to `count` more items; fewer only at the end of the collection. */
	next(count: number): Promise<T[]>;
	/** Every item has been handed out. */
	readonly done: boolean;
	/** For a delta feed read to its end: the link that asks for the changes after it. */
	readonly deltaLink: string | null;
}

/** A driveItem as Graph returns it for listings and lookups: it always has an id and a name. */
export type OneDriveItem = DriveItem & { id: string; name: string };

/** One page of a delta feed: more to read (nextLink) or caught up (deltaLink, kept for later). */
export interface DeltaPage {
	items: DriveItem[];
	nextLink: string | null;
	deltaLink: string | null;
}

/** The delta feed since a link, read to its end (or to `limit` items). */
export interface DeltaChanges {
	items: DriveItem[];
	/** The link for the changes after these; null when the feed was longer than `limit`. */
	deltaLink: string | null;
}

export interface OneDriveApiOptions {
	/** Graph's base URL with its version, e.g. `https://graph.microsoft.com/v1.0`. */
	baseUrl: string;
	tokens: TokenSource;
	fetch?: typeof fetch;
	/** Loads graph-client.ts: `() => import('$lib/graph/graph-client')`. */
	load: () => Promise<typeof GraphClientModule>;
}

interface Loaded {
	module: typeof GraphClientModule;
	client: Client;
}

/** The driveItem instance annotation Graph adds when it is selected; not part of the schema types. */
type WithDownloadUrl = DriveItem & { '@microsoft.graph.downloadUrl'?: string };

export function asOneDriveItem(raw: unknown): OneDriveItem {
	const item = raw as DriveItem;
	if (typeof item?.id !== 'string' || typeof item.name !== 'string') {
		throw new AppError('graph-failed', { detail: 'OneDrive answered with an item that has no id or name' });
	}
	return item as OneDriveItem;
}

export class OneDriveApi {
	readonly #options: OneDriveApiOptions;
	#loaded: Promise<Loaded> | undefined;

	constructor(options: OneDriveApiOptions) {
		this.#options = options;
	}

	#load(): Promise<Loaded> {
		this.#loaded ??= this.#options.load().then(
			(module) => ({
				module,
				client: module.createGraphClient({ baseUrl: this.#options.baseUrl, tokens: this.#options.tokens, fetch: this.#options.fetch })
			}),
			(error: unknown) => {
				// The code could not be downloaded (offline): try again next time.
				this.#loaded = undefined;
				throw new AppError('network-unreachable', { service: 'OneDrive' }, error);
			}
		);
		return this.#loaded;
	}

	/** Runs one call on the client, with its failure in Reeldrive's codes. */
	async #call<T>(what: string | undefined, run: (client: Client, module: typeof GraphClientModule) => Promise<T>): Promise<T> {
		const { client, module } = await this.#load();
		try {
			return await run(client, module);
		} catch (error) {
			throw module.toAppError(error, what);
		}
	}

	me(): Promise<User> {
		return this.#call(undefined, (client) => client.api('/me').select(['id', 'displayName', 'userPrincipalName', 'mail']).get());
	}

	drive(): Promise<Drive> {
		return this.#call(undefined, (client) => client.api('/me/drive').select(['id', 'driveType', 'owner', 'quota']).get());
	}

	item(itemId: string, what = 'That item'): Promise<OneDriveItem> {
		return this.#call(what, async (client) => asOneDriveItem(await client.api(`/me/drive/items/${encodeURIComponent(itemId)}`).get()));
	}

	/** An item by its path from the drive's root, e.g. "/Videos/Blender". */
	itemByPath(path: string, what = 'That folder'): Promise<OneDriveItem> {
		const trimmed = path.replace(/^\/+|\/+$/g, '');
		const url = trimmed ? `/me/drive/root:/${trimmed.split('/').map(encodeURIComponent).join('/')}` : '/me/drive/root';
		return this.#call(what, async (client) => asOneDriveItem(await client.api(url).get()));
	}

	/**
	 * A folder's children, as a cursor: the first page is read now, later ones as the cursor is
	 * asked for more (`top` items per page at most).
	 */
	children(folderId: string, options: { top?: number; select?: string } = {}): Promise<ItemCursor<OneDriveItem>> {
		const folder = folderId === 'root' ? '/me/drive/root' : `/me/drive/items/${encodeURIComponent(folderId)}`;
		return this.#call('That folder', async (client, module) => {
			let request = client.api(`${folder}/children`).top(options.top ?? 200);
			if (options.select) request = request.select(options.select);
			return new module.GraphCursor(client, await request.get(), asOneDriveItem, 'That folder');
		});
	}

	/** Where an item of a given drive lives: `/drives/{drive}/items/{item}`. */
	#driveItemPath(driveId: string, itemId: string): string {
		return `/drives/${encodeURIComponent(driveId)}/items/${encodeURIComponent(itemId)}`;
	}

	/** An item of a given drive, with optional `$select` and `$expand` (e.g. "thumbnails"). */
	driveItem(driveId: string, itemId: string, options: { select?: string; expand?: string; what?: string } = {}): Promise<OneDriveItem> {
		const what = options.what ?? 'That video';
		return this.#call(what, async (client) => {
			let request = client.api(this.#driveItemPath(driveId, itemId));
			if (options.select) request = request.select(options.select);
			if (options.expand) request = request.expand(options.expand);
			return asOneDriveItem(await request.get());
		});
	}

	/** An item's thumbnail sets (zero or more); `size` limits them to one size, e.g. "medium". */
	thumbnails(driveId: string, itemId: string, size?: string): Promise<ThumbnailSet[]> {
		return this.#call('That video', async (client) => {
			let request = client.api(`${this.#driveItemPath(driveId, itemId)}/thumbnails`);
			if (size) request = request.query({ select: size });
			const page = (await request.get()) as { value: ThumbnailSet[] };
			return page.value;
		});
	}

	/**
	 * A fresh pre-authenticated download URL for a file. It needs no Authorization header and
	 * expires (about an hour; "a few minutes" per one doc), so it is fetched when needed, never stored.
	 */
	downloadUrl(driveId: string, itemId: string, what = 'That video'): Promise<string> {
		return this.#call(what, async (client) => {
			const item = (await client
				.api(this.#driveItemPath(driveId, itemId))
				.select(['id', '@microsoft.graph.downloadUrl'])
				.get()) as WithDownloadUrl;
			const url = item['@microsoft.graph.downloadUrl'];
			if (!url) throw new AppError('graph-failed', { what, detail: 'OneDrive gave no download address' });
			return url;
		});
	}

	/** Renames or moves an item; a taken name fails (409) rather than being renamed silently. */
	updateItem(driveId: string, itemId: string, changes: { name?: string; parentId?: string }, what = 'That video'): Promise<OneDriveItem> {
		const body: DriveItem & { '@microsoft.graph.conflictBehavior': string } = { '@microsoft.graph.conflictBehavior': 'fail' };
		if (changes.name !== undefined) body.name = changes.name;
		if (changes.parentId !== undefined) body.parentReference = { id: changes.parentId };
		return this.#call(what, async (client) => asOneDriveItem(await client.api(this.#driveItemPath(driveId, itemId)).patch(body)));
	}

	/** Deletes an item (OneDrive keeps it in its recycle bin). */
	deleteItem(driveId: string, itemId: string, what = 'That video'): Promise<void> {
		return this.#call(what, async (client) => {
			await client.api(this.#driveItemPath(driveId, itemId)).delete();
		});
	}

	/**
	 * The drive's delta feed. Without a link: `token=latest` (no items, just the link for the
	 * changes from now on). With a deltaLink from an earlier call: every change since, read page
	 * by page to the end, or to `limit` items (then `deltaLink` is null: the feed was too long).
	 */
	delta(
		link: string | null,
		options: { limit?: number; select?: string } = {}
	): Promise<DeltaChanges> {
		const select = options.select ?? 'id,name,deleted,parentReference,file,size,webUrl';
		return this.#call('Your OneDrive', async (client, module) => {
			const first = link
				? await client.api(link).get()
				: await client.api('/me/drive/root/delta').query({ token: 'latest' }).select(select).get();
			const cursor = new module.GraphCursor<DriveItem>(client, first, (raw) => raw as DriveItem, 'Your OneDrive');
			const items = await cursor.next(options.limit ?? Number.POSITIVE_INFINITY);
			return { items, deltaLink: cursor.done ? cursor.deltaLink : null };
		});
	}

	/**
	 * One page of a folder's delta feed, for scans that save progress and can stop page by page:
	 * the first page (no link), or the page a nextLink or deltaLink names. `folderId` "root" is
	 * the drive's root.
	 */
	folderDeltaPage(folderId: string, link: string | null, options: { top?: number; select?: string } = {}): Promise<DeltaPage> {
		const folder = folderId === 'root' ? '/me/drive/root' : `/me/drive/items/${encodeURIComponent(folderId)}`;
		return this.#call('That folder', async (client) => {
			let request = client.api(link ?? `${folder}/delta`);
			if (!link) {
				if (options.top) request = request.top(options.top);
				if (options.select) request = request.select(options.select);
			}
			const page = (await request.get()) as { value?: DriveItem[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
			return { items: page.value ?? [], nextLink: page['@odata.nextLink'] ?? null, deltaLink: page['@odata.deltaLink'] ?? null };
		});
	}

	createFolder(parentId: string, name: string, conflictBehavior: 'fail' | 'rename' | 'replace' = 'fail'): Promise<OneDriveItem> {
		const parent = parentId === 'root' ? '/me/drive/root' : `/me/drive/items/${encodeURIComponent(parentId)}`;
		const body: DriveItem & { '@microsoft.graph.conflictBehavior': string } = {
			name,
			folder: {},
			'@microsoft.graph.conflictBehavior': conflictBehavior
		};
		return this.#call('The parent folder', async (client) => asOneDriveItem(await client.api(`${parent}/children`).post(body)));
	}
}
