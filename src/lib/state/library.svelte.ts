/**
 * The signed-in user's products, searched and sorted in the browser, with a last-known copy
 * for offline use; and the factory for each product page's gallery. Cached copies are keyed by
 * app user and wiped on sign-out.
 */
import { AppError } from '$lib/errors';
import { LibraryCache } from '$lib/db/library-cache';
import { getServices, type Services } from '$lib/services';
import { ProductRepository, type ProductFields, type ProductSummary } from '$lib/supabase/products';
import { VideoRepository } from '$lib/supabase/videos';
import { connectivity } from './connectivity.svelte';
import { onedrive } from './onedrive.svelte';
import { session } from './session.svelte';
import { ProductGallery } from './product-gallery.svelte';

export type { ProductSummary, ProductFields };

export type ProductSort = 'title' | 'newest' | 'updated' | 'videos';

export const PRODUCT_SORTS: { value: ProductSort; label: string }[] = [
	{ value: 'title', label: 'Title (A–Z)' },
	{ value: 'newest', label: 'Newest first' },
	{ value: 'updated', label: 'Recently changed' },
	{ value: 'videos', label: 'Most videos' }
];

const PRODUCTS_SNAPSHOT = 'products';

/** Case- and accent-insensitive match of every word of the query in title, ASIN or brand. */
export function matchesProduct(product: Pick<ProductSummary, 'title' | 'asin' | 'brand'>, query: string): boolean {
	const words = fold(query).split(/\s+/).filter(Boolean);
	if (words.length === 0) return true;
	const haystack = fold(`${product.title} ${product.asin ?? ''} ${product.brand ?? ''}`);
	return words.every((word) => haystack.includes(word));
}

function fold(text: string): string {
	return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

export function sortProducts(products: ProductSummary[], sort: ProductSort): ProductSummary[] {
	const byTitle = (a: ProductSummary, b: ProductSummary) => a.title.localeCompare(b.title, undefined, { sensitivity: 'base', numeric: true });
	const sorted = [...products];
	switch (sort) {
		case 'title':
			return sorted.sort(byTitle);
		case 'newest':
			return sorted.sort((a, b) => b.created_at.localeCompare(a.created_at) || byTitle(a, b));
		case 'updated':
			return sorted.sort((a, b) => b.updated_at.localeCompare(a.updated_at) || byTitle(a, b));
		case 'videos':
			return sorted.sort((a, b) => b.video_count - a.video_count || byTitle(a, b));
	}
}

export function isNetworkError(error: unknown): boolean {
	return error instanceof AppError && error.code === 'network-unreachable';
}

export class LibraryManager {
	/** Raw: the list is replaced, never mutated in place, so it needs no deep proxies. */
	products = $state.raw<ProductSummary[]>([]);
	status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
	error = $state<AppError | null>(null);
	/** When the list shown is a saved copy (offline): when it was saved. */
	savedAt = $state<number | null>(null);
	query = $state('');
	sort = $state<ProductSort>('title');

	readonly #cache = new LibraryCache();
	#services: Services | undefined;
	#started = false;
	#loadedFor: string | null = null;

	readonly visible = $derived(sortProducts(this.products.filter((p) => matchesProduct(p, this.query)), this.sort));

	/** Why actions that need the network are unavailable right now, or null. */
	get offlineReason(): string | null {
		if (!connectivity.online) return 'You are offline. This needs a connection.';
		if (this.savedAt !== null) return 'Reeldrive cannot be reached right now. This needs a connection.';
		return null;
	}

	/** Ties the cache to the session: a new user starts empty, and signing out wipes it. */
	start(): void {
		if (this.#started) return;
		this.#started = true;
		session.onUserChange(async () => {
			// Calls can arrive late (after other listeners' awaits), so act on who is signed in
			// now: the same user keeps what is already loaded.
			const user = session.user;
			if (user && user.id === this.#loadedFor) return;
			this.#reset();
			if (!user) await this.#cache.clear();
		});
	}

	#reset(): void {
		this.products = [];
		this.status = 'idle';
		this.error = null;
		this.savedAt = null;
		this.query = '';
		this.#loadedFor = null;
	}

	#deps() {
		this.#services ??= getServices();
		const userId = session.user?.id;
		if (!userId) throw new AppError('app-session-expired');
		return {
			userId,
			products: new ProductRepository(this.#services.supabase),
			videos: new VideoRepository(this.#services.supabase),
			graph: this.#services.graph
		};
	}

	/** Loads the list (again); offline, falls back to the last copy saved for this user. */
	async loadProducts(): Promise<void> {
		const { userId, products } = this.#deps();
		if (this.#loadedFor !== userId) this.products = [];
		this.#loadedFor = userId;
		this.status = this.products.length ? 'ready' : 'loading';
		this.error = null;
		try {
			// Known to be offline: straight to the saved copy, without waiting on retries.
			if (!connectivity.online) throw new AppError('network-unreachable', { service: 'Reeldrive' });
			// Falls back at once when Reeldrive turns out to be offline, not after the client's retries.
			const list = await connectivity.whileOnline(products.list());
			if (session.user?.id !== userId) return;
			this.products = list;
			this.savedAt = null;
			this.status = 'ready';
			void this.#cache.write(userId, PRODUCTS_SNAPSHOT, list);
		} catch (error) {
			if (session.user?.id !== userId) return;
			const saved = isNetworkError(error) ? await this.#cache.read<ProductSummary[]>(userId, PRODUCTS_SNAPSHOT) : null;
			if (saved) {
				this.products = saved.data;
				this.savedAt = saved.savedAt;
				this.status = 'ready';
			} else {
				this.error = asAppError(error);
				this.status = 'error';
			}
		}
	}

	async createProduct(fields: ProductFields): Promise<ProductSummary> {
		const { userId, products } = this.#deps();
		const created = await products.create(fields);
		this.products = [...this.products, created];
		void this.#cache.write(userId, PRODUCTS_SNAPSHOT, this.products);
		return created;
	}

	async updateProduct(id: string, fields: ProductFields): Promise<ProductSummary> {
		const { userId, products } = this.#deps();
		const row = await products.update(id, fields);
		const count = this.products.find((p) => p.id === id)?.video_count ?? 0;
		const updated = { ...row, video_count: count };
		this.products = this.products.map((p) => (p.id === id ? updated : p));
		void this.#cache.write(userId, PRODUCTS_SNAPSHOT, this.products);
		return updated;
	}

	/** Deletes a product; its videos stay in OneDrive and in Reeldrive, linked to no product. */
	async deleteProduct(id: string): Promise<void> {
		const { userId, products } = this.#deps();
		await products.delete(id);
		this.products = this.products.filter((p) => p.id !== id);
		void this.#cache.write(userId, PRODUCTS_SNAPSHOT, this.products);
		void this.#cache.forget(userId, `product:${id}`);
	}

	/** Keeps the list's count in step with a gallery's changes. */
	setVideoCount(id: string, count: number): void {
		if (this.products.some((p) => p.id === id && p.video_count !== count)) {
			this.products = this.products.map((p) => (p.id === id ? { ...p, video_count: count } : p));
		}
	}

	adjustVideoCount(id: string, delta: number): void {
		this.products = this.products.map((p) => (p.id === id ? { ...p, video_count: Math.max(0, p.video_count + delta) } : p));
	}

	/** A gallery for one product page, bound to the signed-in user. */
	openProduct(productId: string): ProductGallery {
		const deps = this.#deps();
		return new ProductGallery(productId, {
			userId: deps.userId,
			products: deps.products,
			videos: deps.videos,
			graph: deps.graph,
			cache: this.#cache,
			library: this,
			onedrive,
			online: () => connectivity.online,
			whileOnline: (work) => connectivity.whileOnline(work)
		});
	}
}

export function asAppError(error: unknown): AppError {
	return error instanceof AppError ? error : new AppError('data-failed', {}, error);
}

export const library = new LibraryManager();
