/**
 * One product page: the product, its videos (rows of any status, from the videos table), their
 * thumbnails, playback addresses and the actions on them. Thumbnails are fetched only for the
 * cards on screen, a few at a time; the same request tells whether the file still exists, which
 * is how a video deleted outside Reeldrive is found "on view". A delta check finds the rest.
 */
/* eslint-disable svelte/prefer-svelte-reactivity -- the plain Maps and Sets here are queues and
   caches that no template reads; only `thumbnails` is shown, and it is a SvelteMap. */
import { SvelteMap } from 'svelte/reactivity';
import { AppError } from '$lib/errors';
import type { LibraryCache } from '$lib/db/library-cache';
import type { OneDriveApi, OneDriveItem } from '$lib/graph/onedrive-api';
import type { ProductRepository, ProductSummary } from '$lib/supabase/products';
import type { VideoItemFields, VideoRepository, VideoRow, VideoStatus } from '$lib/supabase/videos';
import { sanitiseOneDriveName } from '$lib/upload/onedrive-names';
import type { ConnectionState } from './onedrive.svelte';
import { VideoBrowser } from './video-browser.svelte';
import { parentFolderPath, videoFieldsFromItem } from '$lib/graph/video-items';

export type { VideoRow, VideoStatus };

export type Thumbnail = { kind: 'image'; url: string } | { kind: 'none' };

export type PlayCheck = { ok: true } | { ok: false; reason: string; fix?: 'connect' | 'reconnect' };

export interface GalleryDeps {
	userId: string;
	products: Pick<ProductRepository, 'get'>;
	videos: Pick<
		VideoRepository,
		'listForProduct' | 'link' | 'relink' | 'setProduct' | 'rename' | 'setStatus' | 'remove' | 'updateFromItem' | 'markMissing'
	>;
	graph: Pick<OneDriveApi, 'driveItem' | 'downloadUrl' | 'updateItem' | 'deleteItem' | 'delta' | 'children'>;
	cache: Pick<LibraryCache, 'read' | 'write' | 'forget'>;
	library: { setVideoCount(productId: string, count: number): void; adjustVideoCount?(productId: string, delta: number): void };
	onedrive: { state: ConnectionState; row: { drive_id: string | null } | null };
	online: () => boolean;
	/** The work, unless the app goes offline first (then a network-unreachable error at once). */
	whileOnline?: <T>(work: Promise<T>) => Promise<T>;
}

interface Snapshot {
	product: ProductSummary;
	videos: VideoRow[];
}

/** Cards fetch their item (thumbnail + existence) at most this many at a time. */
const ITEM_CONCURRENCY = 4;
/** Download URLs are short-lived ("a few minutes" to an hour): reuse one only briefly. */
const DOWNLOAD_URL_REUSE_MS = 5 * 60_000;
/**
 * A delta feed with more changes than this is not read further: the check starts a fresh cursor
 * instead, and cards still check themselves on view (20 of Graph's 200-item pages).
 */
const MAX_DELTA_CHANGES = 4000;
const SAVE_DELAY_MS = 500;
const ITEM_SELECT = 'id,name,size,webUrl,parentReference,deleted,file,video';

const IN_PROGRESS: VideoStatus[] = ['queued', 'uploading'];

export const STATUS_LABELS: Record<VideoStatus, string> = {
	queued: 'Queued',
	uploading: 'Uploading',
	synced: 'In OneDrive',
	error: 'Upload failed',
	conflict: 'Name conflict',
	missing: 'Missing in OneDrive'
};

export class ProductGallery {
	readonly productId: string;
	product = $state.raw<ProductSummary | null>(null);
	/** Raw: 1,000 rows must not become 1,000 deep proxies; the list is replaced on change. */
	videos = $state.raw<VideoRow[]>([]);
	status = $state<'loading' | 'ready' | 'not-found' | 'error'>('loading');
	error = $state<AppError | null>(null);
	/** When what is shown is a saved copy (Reeldrive unreachable): when it was saved. */
	savedAt = $state<number | null>(null);
	readonly thumbnails = new SvelteMap<string, Thumbnail>();

	readonly #deps: GalleryDeps;
	readonly #queue = new Map<string, VideoRow>();
	/** Cards on screen now, so they can be asked again when OneDrive becomes reachable. */
	readonly #onScreen = new Map<string, VideoRow>();
	readonly #inFlight = new Set<string>();
	readonly #downloadUrls = new Map<string, { url: string; at: number }>();
	#disposed = false;
	#saveTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(productId: string, deps: GalleryDeps) {
		this.productId = productId;
		this.#deps = deps;
	}

	get #snapshotName(): string {
		return `product:${this.productId}`;
	}

	get #connectedDriveId(): string | null {
		return this.#deps.onedrive.row?.drive_id ?? null;
	}

	/** Why changes cannot be saved right now (offline, or showing a saved copy), or null. */
	get offlineReason(): string | null {
		if (!this.#deps.online()) return 'You are offline. This needs a connection.';
		if (this.savedAt !== null) return 'Reeldrive cannot be reached right now. This needs a connection.';
		return null;
	}

	/** Whether OneDrive can be browsed and changed now (connected and online). */
	get oneDriveReady(): boolean {
		return this.#deps.online() && this.#deps.onedrive.state === 'connected' && !!this.#connectedDriveId;
	}

	/** Whether a video can be played, and if not, why. */
	playCheck(video: VideoRow): PlayCheck {
		const reach = this.#reachCheck(video);
		if (!reach.ok) return reach;
		if (video.status === 'missing') return { ok: false, reason: 'This video is missing in OneDrive.' };
		return reach;
	}

	/** Whether Reeldrive can ask OneDrive about this video's file now (missing ones included). */
	#reachCheck(video: VideoRow): PlayCheck {
		if (!video.item_id || IN_PROGRESS.includes(video.status)) {
			return { ok: false, reason: 'This video is not in OneDrive yet. It plays once its upload finishes.' };
		}
		if (!this.#deps.online()) return { ok: false, reason: 'You are offline. Playing needs a connection.' };
		const state = this.#deps.onedrive.state;
		if (state === 'loading') return { ok: false, reason: 'Checking your OneDrive connection…' };
		if (state === 'not-connected' && !this.#deps.onedrive.row) {
			return { ok: false, reason: 'Connect OneDrive to play.', fix: 'connect' };
		}
		if (state !== 'connected') return { ok: false, reason: 'Reconnect OneDrive to play.', fix: 'reconnect' };
		const drive = this.#connectedDriveId;
		if (drive && video.drive_id !== drive) {
			return {
				ok: false,
				reason: 'This video is in the OneDrive of another Microsoft account. Connect that account to play it.',
				fix: 'reconnect'
			};
		}
		return { ok: true };
	}

	async load(): Promise<void> {
		const { products, videos, cache, userId } = this.#deps;
		this.error = null;
		try {
			// Known to be offline: straight to the saved copy, without waiting on retries.
			if (!this.#deps.online()) throw new AppError('network-unreachable', { service: 'Reeldrive' });
			const whileOnline = this.#deps.whileOnline ?? (<T>(work: Promise<T>) => work);
			const product = await whileOnline(products.get(this.productId));
			if (!product) {
				this.product = null;
				this.videos = [];
				this.status = 'not-found';
				void cache.forget(userId, this.#snapshotName);
				return;
			}
			const rows = await whileOnline(videos.listForProduct(this.productId));
			this.product = product;
			this.videos = rows;
			this.savedAt = null;
			this.status = 'ready';
			this.#countChanged();
			void this.#save();
		} catch (error) {
			const saved =
				error instanceof AppError && error.code === 'network-unreachable'
					? await cache.read<Snapshot>(userId, this.#snapshotName)
					: null;
			if (saved) {
				this.product = saved.data.product;
				this.videos = saved.data.videos;
				this.savedAt = saved.savedAt;
				this.status = 'ready';
			} else {
				this.error = toAppError(error);
				this.status = 'error';
			}
		}
	}

	#save(): Promise<void> {
		if (!this.product) return Promise.resolve();
		const product = { ...this.product, video_count: this.videos.length };
		return this.#deps.cache.write<Snapshot>(this.#deps.userId, this.#snapshotName, { product, videos: this.videos });
	}

	/**
	 * Saves the copy a moment after the last change, so a burst of row updates (cards catching
	 * up while someone scrolls) costs one write of the list, not one per card.
	 */
	#saveSoon(): void {
		if (this.#saveTimer) clearTimeout(this.#saveTimer);
		this.#saveTimer = setTimeout(() => {
			this.#saveTimer = undefined;
			void this.#save();
		}, SAVE_DELAY_MS);
	}

	#countChanged(): void {
		if (this.product) this.#deps.library.setVideoCount(this.productId, this.videos.length);
	}

	#replace(row: VideoRow): void {
		this.videos = this.videos.map((video) => (video.id === row.id ? row : video));
		this.#saveSoon();
	}

	#drop(id: string): void {
		this.videos = this.videos.filter((video) => video.id !== id);
		this.thumbnails.delete(id);
		this.#countChanged();
		this.#saveSoon();
	}

	#needsNetwork(): void {
		const reason = this.offlineReason;
		if (reason) throw new AppError('network-unreachable', { service: 'Reeldrive' });
	}

	/** Stops background work when the page goes away. */
	dispose(): void {
		this.#disposed = true;
		this.#queue.clear();
		if (this.#saveTimer) {
			clearTimeout(this.#saveTimer);
			this.#saveTimer = undefined;
			void this.#save();
		}
	}

	// Thumbnails and "missing in OneDrive" on view

	/** A card came on screen: fetch its item (thumbnail + existence) unless already known. */
	requestThumbnail(video: VideoRow): void {
		this.#onScreen.set(video.id, video);
		if (this.thumbnails.has(video.id) || this.#inFlight.has(video.id) || !this.#reachCheck(video).ok) return;
		this.#queue.set(video.id, video);
		this.#pump();
	}

	/** A card left the screen before its turn: do not fetch it. */
	releaseThumbnail(id: string): void {
		this.#onScreen.delete(id);
		this.#queue.delete(id);
	}

	/** OneDrive became reachable (connected, back online): fetch what the cards on screen lack. */
	retryOnScreen(): void {
		for (const video of [...this.#onScreen.values()]) {
			const current = this.videos.find((row) => row.id === video.id);
			if (current) this.requestThumbnail(current);
		}
	}

	#pump(): void {
		while (!this.#disposed && this.#inFlight.size < ITEM_CONCURRENCY && this.#queue.size > 0) {
			const [id, video] = this.#queue.entries().next().value as [string, VideoRow];
			this.#queue.delete(id);
			this.#inFlight.add(id);
			void this.#inspect(video).finally(() => {
				this.#inFlight.delete(id);
				this.#pump();
			});
		}
	}

	async #inspect(video: VideoRow): Promise<void> {
		try {
			const item = await this.#deps.graph.driveItem(video.drive_id, video.item_id!, {
				select: ITEM_SELECT,
				expand: 'thumbnails'
			});
			if (this.#disposed) return;
			if (item.deleted) {
				await this.#markMissing(video);
				return;
			}
			const set = item.thumbnails?.[0];
			const url = (set?.medium ?? set?.large ?? set?.small)?.url;
			this.thumbnails.set(video.id, url ? { kind: 'image', url } : { kind: 'none' });
			await this.#catchUp(video, item);
		} catch (error) {
			if (this.#disposed) return;
			if (error instanceof AppError && error.code === 'graph-not-found') {
				await this.#markMissing(video);
			} else {
				// Unknown for now (throttled, offline): a placeholder, and another try on the next visit.
				this.thumbnails.set(video.id, { kind: 'none' });
			}
		}
	}

	async #markMissing(video: VideoRow): Promise<void> {
		this.thumbnails.set(video.id, { kind: 'none' });
		if (video.status === 'missing') return;
		const current = this.videos.find((row) => row.id === video.id) ?? video;
		this.#replace({ ...current, status: 'missing' });
		try {
			this.#replace(await this.#deps.videos.setStatus(video.id, 'missing'));
		} catch {
			// Shown as missing now; the row catches up on the next view.
		}
	}

	/** The file exists: bring a missing row back, and follow renames and moves made in OneDrive. */
	async #catchUp(video: VideoRow, item: OneDriveItem): Promise<void> {
		const changes: Partial<VideoItemFields> & { status?: VideoStatus } = {};
		if (item.name && item.name !== video.name) changes.name = item.name;
		if (item.webUrl && item.webUrl !== video.web_url) changes.web_url = item.webUrl;
		const folder = parentFolderPath(item);
		if (folder && folder !== video.folder_path) changes.folder_path = folder;
		const restored = video.status === 'missing';
		if (Object.keys(changes).length === 0 && !restored) return;
		try {
			let row = await this.#deps.videos.updateFromItem(video.id, changes);
			if (restored) row = await this.#deps.videos.setStatus(video.id, 'synced');
			this.#replace(row);
		} catch {
			// Only a stale name or path; the next view tries again.
		}
	}

	/**
	 * Reads OneDrive's changes since the last check and marks videos whose files were deleted
	 * as missing (in every product, not only this one). The first check only takes a cursor; a
	 * feed too long to read (MAX_DELTA_CHANGES) is dropped for a fresh cursor next time.
	 */
	async checkOneDriveChanges(): Promise<void> {
		const drive = this.#connectedDriveId;
		if (!drive || this.#deps.onedrive.state !== 'connected' || this.offlineReason) return;
		const { cache, graph, userId } = this.#deps;
		const cursorName = `delta:${drive}`;
		const saved = await cache.read<string>(userId, cursorName);
		try {
			if (!saved) {
				const start = await graph.delta(null);
				if (start.deltaLink) await cache.write(userId, cursorName, start.deltaLink);
				return;
			}
			const changes = await graph.delta(saved.data, { limit: MAX_DELTA_CHANGES });
			const deleted = new Set<string>();
			for (const item of changes.items) {
				if (!item.id) continue;
				if (item.deleted) deleted.add(item.id);
				else deleted.delete(item.id);
			}
			if (changes.deltaLink) await cache.write(userId, cursorName, changes.deltaLink);
			else await cache.forget(userId, cursorName);
			if (deleted.size === 0 || this.#disposed) return;
			const marked = new Set(await this.#deps.videos.markMissing(drive, [...deleted]));
			const touched = this.videos.some((video) => marked.has(video.id));
			if (touched) {
				this.videos = this.videos.map((video) => (marked.has(video.id) ? { ...video, status: 'missing' as const } : video));
				this.#saveSoon();
			}
		} catch (error) {
			if (error instanceof AppError && error.code === 'graph-resync-required') {
				await cache.forget(userId, cursorName);
			}
			// Otherwise a failed check changes nothing; cards still check themselves on view.
		}
	}

	// Playback and download

	/** A pre-authenticated address for the file; `fresh` when the last one stopped working. */
	async playbackUrl(video: VideoRow, options: { fresh?: boolean } = {}): Promise<string> {
		const check = this.playCheck(video);
		if (!check.ok) throw new AppError('graph-failed', { detail: check.reason });
		const known = this.#downloadUrls.get(video.id);
		if (known && !options.fresh && Date.now() - known.at < DOWNLOAD_URL_REUSE_MS) return known.url;
		try {
			const url = await this.#deps.graph.downloadUrl(video.drive_id, video.item_id!, `"${video.name}"`);
			this.#downloadUrls.set(video.id, { url, at: Date.now() });
			return url;
		} catch (error) {
			if (error instanceof AppError && error.code === 'graph-not-found') await this.#markMissing(video);
			throw error;
		}
	}

	// Managing videos

	async move(video: VideoRow, productId: string | null): Promise<void> {
		this.#needsNetwork();
		await this.#deps.videos.setProduct(video.id, productId);
		this.#drop(video.id);
		if (productId) this.#deps.library.adjustVideoCount?.(productId, 1);
	}

	/**
	 * Renames the file in OneDrive, then the row. The extension is kept; names OneDrive
	 * refuses are refused here with a suggestion, never silently changed.
	 */
	async rename(video: VideoRow, newName: string): Promise<void> {
		this.#needsNetwork();
		const name = newName.trim();
		const check = sanitiseOneDriveName(name);
		if (!name || check.changed) {
			throw new AppError('graph-invalid-name', {
				name,
				reason: name ? `Try "${check.name}" instead.` : 'Type a name first.'
			});
		}
		if (name === video.name) return;
		const item = await this.#deps.graph.updateItem(video.drive_id, video.item_id!, { name }, `"${video.name}"`);
		this.#replace(await this.#deps.videos.rename(video.id, item.name, item.webUrl ?? null));
	}

	/** Deletes the file from OneDrive (to its recycle bin) and forgets the row. */
	async deleteFromOneDrive(video: VideoRow): Promise<void> {
		this.#needsNetwork();
		if (video.item_id) {
			try {
				await this.#deps.graph.deleteItem(video.drive_id, video.item_id, `"${video.name}"`);
			} catch (error) {
				// Already gone from OneDrive: forgetting the row is all that is left to do.
				if (!(error instanceof AppError && error.code === 'graph-not-found')) throw error;
			}
		}
		await this.#deps.videos.remove(video.id);
		this.#drop(video.id);
	}

	/** Forgets the row only (for a video missing in OneDrive). */
	async remove(video: VideoRow): Promise<void> {
		this.#needsNetwork();
		await this.#deps.videos.remove(video.id);
		this.#drop(video.id);
	}

	/** Points a missing video at another OneDrive file. */
	async relink(video: VideoRow, item: OneDriveItem): Promise<void> {
		this.#needsNetwork();
		const row = await this.#deps.videos.relink(video.id, videoFieldsFromItem(item, this.#connectedDriveId ?? video.drive_id));
		this.thumbnails.delete(video.id);
		this.#downloadUrls.delete(video.id);
		this.#replace(row);
	}

	/** A browser over the connected OneDrive, for picking files to link or relink. */
	createVideoBrowser(): VideoBrowser {
		return new VideoBrowser(this.#deps.graph);
	}

	/** Links OneDrive files to this product; files already in another product move here. */
	async link(items: OneDriveItem[]): Promise<number> {
		this.#needsNetwork();
		const drive = this.#connectedDriveId;
		if (!drive) throw new AppError('microsoft-not-connected');
		const rows = await this.#deps.videos.link(
			this.productId,
			items.map((item) => videoFieldsFromItem(item, drive))
		);
		const linked = new Set(rows.map((row) => row.id));
		this.videos = [...rows, ...this.videos.filter((video) => !linked.has(video.id))];
		this.#countChanged();
		this.#saveSoon();
		return rows.length;
	}
}

function toAppError(error: unknown): AppError {
	return error instanceof AppError ? error : new AppError('data-failed', {}, error);
}
