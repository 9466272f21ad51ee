/**
 * The "no product" page's state: the signed-in user's videos with no product, which of them are
 * selected, and linking one or several to a product through supabase-js (RLS applies). The
 * rules and words live in `product-linking.ts`.
 */
/* eslint-disable svelte/prefer-svelte-reactivity -- the plain Sets below are lookups inside one
   call; only `selected`, which templates read, is a SvelteSet. */
import { SvelteSet } from 'svelte/reactivity';
import type { AppError } from '$lib/errors';
import { describeError } from '$lib/errors';
import { getServices } from '$lib/services';
import { UnlinkedVideoRepository, type UnlinkedVideo } from '$lib/supabase/unlinked-videos';
import { asAppError, library } from './library.svelte';
import { describeLinked, linkableIds, whyNotLinkable } from './product-linking';
import { session } from './session.svelte';

export type { UnlinkedVideo };

export interface UnlinkedDeps {
	repo: Pick<UnlinkedVideoRepository, 'list' | 'link'>;
	/** Keeps the products list's video counts in step. */
	library: { adjustVideoCount(productId: string, delta: number): void };
	userId: () => string | null;
}

export interface LinkNotice {
	tone: 'success' | 'warning' | 'error';
	text: string;
}

export class UnlinkedVideosManager {
	/** Raw: the list is replaced, never changed in place. */
	videos = $state.raw<UnlinkedVideo[]>([]);
	status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
	error = $state<AppError | null>(null);
	readonly selected = new SvelteSet<string>();
	notice = $state<LinkNotice | null>(null);
	busy = $state(false);

	readonly #deps: UnlinkedDeps;
	#loadedFor: string | null = null;

	constructor(deps: UnlinkedDeps) {
		this.#deps = deps;
	}

	/** Videos that can be linked now (the others' uploads still own their rows). */
	readonly linkable = $derived(this.videos.filter((video) => whyNotLinkable(video) === null));
	readonly selectedIds = $derived(linkableIds(this.videos, this.selected));
	readonly allSelected = $derived(this.linkable.length > 0 && this.linkable.every((video) => this.selected.has(video.id)));

	async load(): Promise<void> {
		const userId = this.#deps.userId();
		if (!userId) return;
		if (userId !== this.#loadedFor) {
			this.#loadedFor = userId;
			this.videos = [];
			this.selected.clear();
			this.notice = null;
		}
		this.status = this.videos.length ? 'ready' : 'loading';
		try {
			const videos = await this.#deps.repo.list();
			if (this.#deps.userId() !== userId) return;
			this.videos = videos;
			// Forget selections of videos that left the list (linked elsewhere meanwhile).
			const present = new Set(videos.map((video) => video.id));
			for (const id of [...this.selected]) if (!present.has(id)) this.selected.delete(id);
			this.error = null;
			this.status = 'ready';
		} catch (error) {
			this.error = asAppError(error);
			this.status = 'error';
		}
	}

	toggle(id: string, on: boolean): void {
		if (on) this.selected.add(id);
		else this.selected.delete(id);
	}

	selectAll(on: boolean): void {
		if (!on) this.selected.clear();
		else for (const video of this.linkable) this.selected.add(video.id);
	}

	/**
	 * Links these videos (those that can be linked) to the product in one update; what was linked
	 * leaves the list. Answers whether every one was linked.
	 */
	async link(ids: readonly string[], product: { id: string; title: string }): Promise<boolean> {
		const wanted = linkableIds(this.videos, new Set(ids));
		if (wanted.length === 0) return false;
		this.busy = true;
		this.notice = null;
		try {
			const linked = new Set(await this.#deps.repo.link(wanted, product.id));
			this.videos = this.videos.filter((video) => !linked.has(video.id));
			for (const id of wanted) this.selected.delete(id);
			if (linked.size > 0) this.#deps.library.adjustVideoCount(product.id, linked.size);
			const all = linked.size === wanted.length;
			this.notice = { tone: all ? 'success' : 'warning', text: describeLinked(wanted.length, linked.size, product.title) };
			// Some changed elsewhere meanwhile: show the list as it is now.
			if (!all) await this.load();
			return all;
		} catch (error) {
			this.notice = { tone: 'error', text: describeError(error) };
			return false;
		} finally {
			this.busy = false;
		}
	}
}

function lazyRepository(): UnlinkedDeps['repo'] {
	let repo: UnlinkedVideoRepository | undefined;
	const get = () => (repo ??= new UnlinkedVideoRepository(getServices().supabase));
	return { list: () => get().list(), link: (ids, productId) => get().link(ids, productId) };
}

export const unlinked = new UnlinkedVideosManager({ repo: lazyRepository(), library, userId: () => session.user?.id ?? null });
