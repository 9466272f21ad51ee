/**
 * The import page's state: the folders chosen, the run under way (scanning, review, linking)
 * mirrored from ImportRun, the person's changes to the proposals, and past imports with their
 * rescans. One import runs at a time per page; it belongs to the signed-in user and is dropped
 * (cancelled) when they sign out.
 */
/* eslint-disable svelte/prefer-svelte-reactivity -- choices and drafts are $state.raw Maps that are
   replaced on every change, never mutated, so 10,000 choices cost no deep proxies; the other Maps,
   Sets and Dates here live inside one function call. */
import { AppError } from '$lib/errors';
import { DownloadHeaderProbe, graphDeltaSource } from '$lib/adapters/onedrive-import-ports';
import type { ScanFolder } from '$lib/import/delta-scan';
import { ImportRun, type Choice, type Counters, type ImportJob, type ImportReview } from '$lib/import/import-run';
import { ProductCatalogue, type CatalogueProduct, type ProductDraft } from '$lib/import/product-rule';
import { groupReview, reviewTotals, type ReviewGroup } from '$lib/import/review-groups';
import { getServices } from '$lib/services';
import { SupabaseImportStore } from '$lib/supabase/import-jobs';
import { ProductRepository } from '$lib/supabase/products';
import { FolderBrowser } from './folder-browser.svelte';
import { onedrive } from './onedrive.svelte';
import { session } from './session.svelte';

export type { Choice, Counters, ImportJob, ReviewGroup, ProductDraft, CatalogueProduct };

export type ImportPhase = 'choose' | 'scanning' | 'review' | 'linking' | 'completed' | 'cancelled' | 'failed';

/** A job still "running" that nobody has touched for this long was left by a closed page. */
const STALE_MS = 30 * 60_000;
const ZERO: Counters = { total_found: 0, linked: 0, skipped: 0, failed: 0, removed: 0 };

/** Whether `inner` is `outer` or inside it ("/" holds everything). */
export function isWithin(inner: string, outer: string): boolean {
	const base = outer.replace(/\/+$/, '');
	return base === '' || inner === base || inner.startsWith(`${base}/`);
}

export class FolderImportManager {
	folders = $state.raw<ScanFolder[]>([]);
	/** Why the last folder could not be added, in words. */
	folderNote = $state<string | null>(null);
	phase = $state<ImportPhase>('choose');
	counters = $state.raw<Counters>(ZERO);
	pagesRead = $state(0);
	review = $state.raw<ImportReview | null>(null);
	/** The person's changes to the proposals, by OneDrive item id. */
	choices = $state.raw<Map<string, Choice>>(new Map());
	/** New products as the person edited them, by draft key. */
	drafts = $state.raw<Map<string, ProductDraft>>(new Map());
	error = $state<AppError | null>(null);
	job = $state.raw<ImportJob | null>(null);
	/** The run reads only changes since an earlier import. */
	isRescan = $state(false);
	jobs = $state.raw<ImportJob[]>([]);
	jobsStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
	jobsError = $state<AppError | null>(null);
	products = $state.raw<CatalogueProduct[]>([]);
	/** Writing the decision (the commit button is busy). */
	busy = $state(false);

	readonly groups: ReviewGroup[] = $derived(this.review ? groupReview(this.review.videos, this.choices) : []);
	readonly totals = $derived(this.review ? reviewTotals(this.review, this.choices) : { link: 0, skip: 0, refresh: 0, remove: 0 });

	#run: ImportRun | null = null;
	/** Cancel was pressed before the job existed: the run stops as soon as it starts. */
	#cancelRequested = false;
	#userId: string | null = null;
	#started = false;

	/** Ties the manager to the signed-in user: another user starts afresh. */
	start(): void {
		if (this.#started) return;
		this.#started = true;
		session.onUserChange(async (user) => {
			if (user?.id === this.#userId) return;
			this.#userId = user?.id ?? null;
			await this.#run?.cancel().catch(() => {});
			this.#reset();
			this.folders = [];
			this.jobs = [];
			this.jobsStatus = 'idle';
		});
		this.#userId = session.user?.id ?? null;
	}

	#deps() {
		const services = getServices();
		return {
			store: new SupabaseImportStore(services.supabase),
			products: new ProductRepository(services.supabase),
			graph: services.graph
		};
	}

	/** The connected drive, or why importing is not possible now (in words). */
	get unavailableReason(): string | null {
		if (onedrive.state === 'loading') return 'Checking your OneDrive connection…';
		if (onedrive.state === 'needs-reauth') return 'Reconnect OneDrive in Settings to import from it.';
		if (onedrive.state !== 'connected' || !onedrive.row?.drive_id) return 'Connect OneDrive in Settings to import from it.';
		return null;
	}

	get #driveId(): string {
		const driveId = onedrive.row?.drive_id;
		if (onedrive.state !== 'connected' || !driveId) throw new AppError('microsoft-not-connected');
		return driveId;
	}

	createFolderBrowser(): FolderBrowser {
		return new FolderBrowser(this.#deps().graph);
	}

	/** Adds a folder to scan; one inside a folder already chosen is already covered. */
	addFolder(folder: ScanFolder): boolean {
		this.folderNote = null;
		const covering = this.folders.find((chosen) => isWithin(folder.path, chosen.path));
		if (covering) {
			this.folderNote = covering.path === folder.path ? `“${folder.path}” is already chosen.` : `“${folder.path}” is inside “${covering.path}”, which is already chosen.`;
			return false;
		}
		const inside = this.folders.filter((chosen) => isWithin(chosen.path, folder.path));
		if (inside.length > 0) this.folderNote = `“${folder.path}” holds ${inside.map((f) => `“${f.path}”`).join(', ')}, so it replaces ${inside.length === 1 ? 'it' : 'them'}.`;
		this.folders = [...this.folders.filter((chosen) => !inside.includes(chosen)), folder];
		return true;
	}

	removeFolder(id: string): void {
		this.folders = this.folders.filter((folder) => folder.id !== id);
		this.folderNote = null;
	}

	#reset(): void {
		this.#run = null;
		this.#cancelRequested = false;
		this.phase = 'choose';
		this.counters = ZERO;
		this.pagesRead = 0;
		this.review = null;
		this.choices = new Map();
		this.drafts = new Map();
		this.error = null;
		this.job = null;
		this.isRescan = false;
		this.busy = false;
	}

	#mirror(run: ImportRun): void {
		if (run !== this.#run) return;
		this.phase = run.phase;
		this.counters = run.counters;
		this.pagesRead = run.pagesRead;
		this.job = run.job;
		this.error = run.error;
		if (run.review !== this.review) {
			this.review = run.review;
			this.drafts = new Map(run.review?.drafts ?? []);
		}
	}

	/** Loads past imports, and the products the rule matches against. */
	async load(): Promise<void> {
		this.jobsStatus = 'loading';
		this.jobsError = null;
		try {
			const { store, products } = this.#deps();
			const [jobs, list] = await Promise.all([store.listJobs(), products.list()]);
			this.products = list.map(({ id, title, asin, brand }) => ({ id, title, asin, brand }));
			this.jobs = await this.#closeStale(store, jobs);
			this.jobsStatus = 'ready';
		} catch (error) {
			this.jobsError = error instanceof AppError ? error : new AppError('data-failed', {}, error);
			this.jobsStatus = 'error';
		}
	}

	/** Jobs left "running" by a page that closed are marked failed, saying so. */
	async #closeStale(store: SupabaseImportStore, jobs: ImportJob[]): Promise<ImportJob[]> {
		const now = Date.now();
		const out: ImportJob[] = [];
		for (const job of jobs) {
			const stale = job.status === 'running' && job.id !== this.job?.id && now - Date.parse(job.updated_at) > STALE_MS;
			if (!stale) {
				out.push(job);
				continue;
			}
			const changes = {
				status: 'failed' as const,
				error_code: 'interrupted',
				error_message: 'This import stopped when its page was closed. What it linked is kept; import the folders again to carry on (nothing is linked twice).',
				completed_at: new Date().toISOString()
			};
			await store.updateJob(job.id, changes).catch(() => {});
			out.push({ ...job, ...changes });
		}
		return out;
	}

	async #begin(start: (deps: Parameters<typeof ImportRun.start>[0], catalogue: ProductCatalogue, driveId: string) => Promise<ImportRun>): Promise<void> {
		if (this.phase === 'scanning' || this.phase === 'review' || this.phase === 'linking') return;
		this.#reset();
		this.phase = 'scanning';
		try {
			const driveId = this.#driveId;
			const { store, products, graph } = this.#deps();
			const list = await products.list();
			this.products = list.map(({ id, title, asin, brand }) => ({ id, title, asin, brand }));
			const deps = {
				store,
				source: graphDeltaSource(graph),
				probe: new DownloadHeaderProbe(graph),
				onChange: (run: ImportRun) => {
					if (!this.#run) {
						this.#run = run;
						if (this.#cancelRequested) void run.cancel();
					}
					this.#mirror(run);
				}
			};
			const run = await start(deps, new ProductCatalogue(this.products), driveId);
			this.#run = run;
			this.#mirror(run);
		} catch (error) {
			// The job could not even be created (offline, signed out of OneDrive).
			this.phase = 'failed';
			this.error = error instanceof AppError ? error : new AppError('data-failed', {}, error);
		}
		void this.load();
	}

	/** Scans the chosen folders. */
	scan(): Promise<void> {
		const folders = this.folders;
		return this.#begin((deps, catalogue, driveId) => ImportRun.start(deps, { driveId, folders, catalogue }));
	}

	/** Scans again what a completed import scanned, reading only what changed since. */
	rescan(job: ImportJob): Promise<void> {
		return this.#begin((deps, catalogue, driveId) => {
			this.isRescan = true;
			return ImportRun.start(deps, { driveId, folders: job.folders, catalogue, previous: job });
		});
	}

	/** Whether a past job can be rescanned from its cursor, or why not. */
	rescanCheck(job: ImportJob): { ok: true } | { ok: false; reason: string } {
		if (job.status !== 'completed' || !job.delta_cursor || Object.keys(job.delta_cursor).length === 0) {
			return { ok: false, reason: 'Only a finished import can be rescanned.' };
		}
		if (onedrive.row?.drive_id && job.drive_id !== onedrive.row.drive_id) {
			return { ok: false, reason: 'This import was from the OneDrive of another Microsoft account.' };
		}
		const newest = this.jobs.find((other) => other.status === 'completed' && sameFolders(other, job));
		if (newest && newest.id !== job.id) return { ok: false, reason: 'A later import of the same folders has the newer cursor.' };
		return { ok: true };
	}

	async cancel(): Promise<void> {
		if (!this.#run && this.phase === 'scanning') {
			this.#cancelRequested = true;
			return;
		}
		await this.#run?.cancel();
		void this.load();
	}

	/** Sets what every video of a group is linked to. */
	chooseForGroup(group: ReviewGroup, choice: Choice): void {
		const next = new Map(this.choices);
		for (const video of group.videos) {
			if (choice === video.proposed) next.delete(video.itemId);
			else next.set(video.itemId, choice);
		}
		this.choices = next;
	}

	chooseForVideo(itemId: string, proposed: Choice, choice: Choice): void {
		const next = new Map(this.choices);
		if (choice === proposed) next.delete(itemId);
		else next.set(itemId, choice);
		this.choices = next;
	}

	choiceOf(itemId: string, proposed: Choice): Choice {
		return this.choices.get(itemId) ?? proposed;
	}

	editDraft(key: string, fields: Partial<Pick<ProductDraft, 'title' | 'brand'>>): void {
		const draft = this.drafts.get(key);
		if (!draft) return;
		this.drafts = new Map(this.drafts).set(key, { ...draft, ...fields });
	}

	/** Problems that stop the commit, in words (a new product with no title). */
	get draftProblems(): string[] {
		const used = new Set<string>();
		for (const video of this.review?.videos ?? []) {
			const choice = this.choiceOf(video.itemId, video.proposed);
			if (choice.startsWith('new:')) used.add(choice.slice(4));
		}
		const problems: string[] = [];
		for (const key of used) {
			const draft = this.drafts.get(key);
			if (draft && !draft.title.trim()) problems.push(`Give the new product${draft.asin ? ` with ASIN ${draft.asin}` : ''} a title.`);
			else if (draft && draft.title.trim().length > 200) problems.push(`Keep “${draft.title.slice(0, 40)}…” to 200 characters.`);
			else if (draft && (draft.brand ?? '').trim().length > 200) problems.push('Keep brands to 200 characters.');
		}
		return problems;
	}

	async commit(): Promise<void> {
		const run = this.#run;
		if (!run || this.phase !== 'review' || this.draftProblems.length > 0) return;
		this.busy = true;
		try {
			const drafts = new Map([...this.drafts].map(([key, draft]) => [key, { ...draft, title: draft.title.trim(), brand: draft.brand?.trim() || null }]));
			await run.commit(this.choices, drafts);
		} finally {
			this.busy = false;
			void this.load();
		}
	}

	/** Back to choosing folders, after a run ended. */
	done(): void {
		if (this.phase === 'scanning' || this.phase === 'review' || this.phase === 'linking') return;
		this.#reset();
	}
}

function sameFolders(a: ImportJob, b: ImportJob): boolean {
	const ids = (job: ImportJob) => job.folders.map((folder) => folder.id).sort().join('\n');
	return ids(a) === ids(b);
}

export const folderImport = new FolderImportManager();
