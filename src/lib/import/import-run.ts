/**
 * One folder import, as an import_jobs row from start to end: scan (delta over each folder),
 * review (the person changes what the product rule proposed), then link (rows written in pages,
 * counters saved after each). Pure: the database, Graph and header reads arrive as ports, so
 * counting, cancelling, failing and rescanning are tested with fakes.
 *
 * Counters (README "Folder import"): `total_found` is every video the scan found (new and
 * changed; a rescan finds only what changed); `linked` the rows written, new or updated;
 * `skipped` what the person skipped, empty files, and videos Reeldrive is busy with (uploading,
 * failed or in conflict), which an import leaves alone; `failed` rows the database refused;
 * `removed` videos deleted in OneDrive and so marked missing. At the end
 * linked + skipped + failed = total_found.
 */
import { AppError, describeError } from '$lib/errors';
import type { VideoStatus } from '$lib/supabase/videos';
import { scanFolders, type DeltaSource, type FoundVideo, type ScanFolder, type ScanResult } from './delta-scan';
import type { VideoHeader } from './mp4-header';
import { proposeProduct, type ProductCatalogue, type ProductDraft, type Proposal } from './product-rule';

export type ImportJobStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface ImportJob {
	id: string;
	status: ImportJobStatus;
	drive_id: string | null;
	folders: ScanFolder[];
	/** deltaLink per folder id, saved when a job completes. */
	delta_cursor: Record<string, string> | null;
	total_found: number;
	linked: number;
	skipped: number;
	failed: number;
	removed: number;
	error_code: string | null;
	error_message: string | null;
	started_at: string;
	completed_at: string | null;
	updated_at: string;
}

export type JobChanges = Partial<
	Pick<ImportJob, 'status' | 'total_found' | 'linked' | 'skipped' | 'failed' | 'removed' | 'error_code' | 'error_message' | 'delta_cursor' | 'completed_at'>
>;

/** A videos row as the import writes it (upserted on owner, drive and item). */
export interface VideoWrite {
	drive_id: string;
	item_id: string;
	name: string;
	size_bytes: number;
	mime_type: string | null;
	duration_ms: number | null;
	width: number | null;
	height: number | null;
	quick_xor_hash: string | null;
	web_url: string | null;
	folder_path: string;
	uploaded_at: string | null;
	item_created_at: string | null;
	item_modified_at: string | null;
	status: 'synced';
	error_code: null;
	error_message: null;
	import_job_id?: string;
	/** Left out for videos already in Reeldrive: their product stays as the person set it. */
	product_id?: string | null;
}

export interface ExistingVideo {
	item_id: string;
	status: VideoStatus;
	folder_path: string | null;
}

export interface ImportStore {
	createJob(input: { drive_id: string; folders: ScanFolder[] }): Promise<ImportJob>;
	updateJob(id: string, changes: JobChanges): Promise<void>;
	/** The person's videos for these items of the drive (any status). */
	findVideos(driveId: string, itemIds: string[]): Promise<ExistingVideo[]>;
	/** The person's videos of the drive in a folder or below it. */
	videosUnder(driveId: string, folderPath: string): Promise<ExistingVideo[]>;
	/** Creates products; answers each draft's key with its product id. */
	createProducts(drafts: ProductDraft[]): Promise<Map<string, string>>;
	/** Upserts rows on (owner, drive, item): a second import of an item updates its one row. */
	writeVideos(rows: VideoWrite[]): Promise<void>;
	/** Marks these items' videos missing; answers how many changed. */
	markMissing(driveId: string, itemIds: string[]): Promise<number>;
}

/** Reads duration and size from a file's header, for videos OneDrive gave no video facet. */
export interface HeaderProbe {
	probe(driveId: string, itemId: string, size: number, signal: AbortSignal): Promise<VideoHeader | null>;
}

export interface ImportDeps {
	store: ImportStore;
	source: DeltaSource;
	probe: HeaderProbe;
	/** Called after every change of the run's state (phase, counters, review). */
	onChange?: (run: ImportRun) => void;
}

/** What a video will be linked to: "skip", "none" (No product), "product:<id>" or "new:<draft key>". */
export type Choice = 'skip' | 'none' | `product:${string}` | `new:${string}`;

export interface ReviewVideo {
	itemId: string;
	name: string;
	folderPath: string;
	size: number;
	proposal: Proposal;
	/** The proposal as a choice; videos with the same one form a group in the preview. */
	proposed: Choice;
	row: VideoWrite;
}

export interface ImportReview {
	/** Videos new to Reeldrive, with what the rule proposes. */
	videos: ReviewVideo[];
	/** Products the rule proposes to create, by key. */
	drafts: Map<string, ProductDraft>;
	/** Videos already in Reeldrive that the import refreshes (their product stays). */
	updates: VideoWrite[];
	/** Videos Reeldrive is busy with (uploading, failed, conflict): left alone. */
	busy: number;
	/** Empty files: nothing to play, skipped. */
	empty: number;
	/** Items deleted in OneDrive whose videos will be marked missing. */
	removed: string[];
	/** The scan started from the last import's cursors (only changes were read). */
	rescan: boolean;
}

export type RunPhase = 'scanning' | 'review' | 'linking' | 'completed' | 'cancelled' | 'failed';

export interface Counters {
	total_found: number;
	linked: number;
	skipped: number;
	failed: number;
	removed: number;
}

/** Rows per database write. */
export const WRITE_PAGE = 500;
/** Item ids per lookup (they go in the URL). */
const LOOKUP_PAGE = 100;
const PROBE_CONCURRENCY = 4;
/** Extensions of the ISO media family whose header readMp4Header understands. */
const PROBEABLE = /\.(mp4|m4v|mov|qt|3gp|3g2)$/i;
const INT_MAX = 2_147_483_647;

export function choiceFor(proposal: Proposal): Choice {
	if (proposal.kind === 'existing') return `product:${proposal.productId}`;
	if (proposal.kind === 'new') return `new:${proposal.draft.key}`;
	return 'none';
}

function whole(value: number | null | undefined, min: number): number | null {
	if (typeof value !== 'number' || !Number.isFinite(value)) return null;
	const rounded = Math.round(value);
	return rounded >= min && rounded <= INT_MAX ? rounded : null;
}

/** A found video as its row; null for an empty file (the table wants a size above zero). */
export function rowFromFound(found: FoundVideo, driveId: string): VideoWrite | null {
	const item = found.item;
	if (!item.size || item.size <= 0) return null;
	return {
		drive_id: driveId,
		item_id: item.id,
		name: item.name,
		size_bytes: item.size,
		mime_type: item.file?.mimeType ?? null,
		duration_ms: whole(item.video?.duration, 0),
		width: whole(item.video?.width, 1),
		height: whole(item.video?.height, 1),
		quick_xor_hash: item.file?.hashes?.quickXorHash ?? null,
		web_url: item.webUrl ?? null,
		folder_path: found.folderPath,
		uploaded_at: item.createdDateTime ?? null,
		item_created_at: item.fileSystemInfo?.createdDateTime ?? item.createdDateTime ?? null,
		item_modified_at: item.fileSystemInfo?.lastModifiedDateTime ?? item.lastModifiedDateTime ?? null,
		status: 'synced',
		error_code: null,
		error_message: null
	};
}

function isCancel(error: unknown): boolean {
	return (error as { name?: string } | null)?.name === 'AbortError';
}

function asAppError(error: unknown): AppError {
	return error instanceof AppError ? error : new AppError('data-failed', { detail: 'the import stopped unexpectedly' }, error);
}

function chunks<T>(items: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
	return out;
}

/** A row the database refuses for what it holds, not for a network or server fault. */
function isRowProblem(error: unknown): boolean {
	if (!(error instanceof AppError)) return false;
	// 23503: a product deleted since the preview was made.
	return error.code === 'data-invalid' || error.code === 'data-conflict' || error.context.pgCode === '23503';
}

export class ImportRun {
	job: ImportJob;
	phase: RunPhase = 'scanning';
	counters: Counters = { total_found: 0, linked: 0, skipped: 0, failed: 0, removed: 0 };
	review: ImportReview | null = null;
	error: AppError | null = null;
	/** Pages of the delta feeds read so far. */
	pagesRead = 0;

	readonly #deps: ImportDeps;
	readonly #abort = new AbortController();
	#deltaLinks = new Map<string, string>();

	private constructor(deps: ImportDeps, job: ImportJob) {
		this.#deps = deps;
		this.job = job;
	}

	/**
	 * Starts a job and scans. With `previous` (a completed job over the same folders) only what
	 * changed since it is read. Resolves once the run is in review (or cancelled, or failed).
	 */
	static async start(
		deps: ImportDeps,
		input: { driveId: string; folders: ScanFolder[]; catalogue: ProductCatalogue; previous?: ImportJob }
	): Promise<ImportRun> {
		const folders = input.previous ? input.previous.folders : input.folders;
		const job = await deps.store.createJob({ drive_id: input.driveId, folders });
		const run = new ImportRun(deps, job);
		run.#changed();
		await run.#scan(input.driveId, folders, input.catalogue, input.previous ?? null);
		return run;
	}

	get cancelled(): boolean {
		return this.#abort.signal.aborted;
	}

	/** Stops the run: between pages while scanning or linking, at once while in review. */
	async cancel(): Promise<void> {
		if (this.phase === 'completed' || this.phase === 'failed' || this.phase === 'cancelled') return;
		const reviewing = this.phase === 'review';
		this.#abort.abort();
		// Scanning and linking see the signal between pages and finish the job themselves.
		if (reviewing) await this.#finish('cancelled');
	}

	#changed(): void {
		this.#deps.onChange?.(this);
	}

	async #save(changes: JobChanges): Promise<void> {
		await this.#deps.store.updateJob(this.job.id, changes);
		this.job = { ...this.job, ...changes };
	}

	async #finish(status: 'completed' | 'cancelled' | 'failed', error?: AppError): Promise<void> {
		this.phase = status;
		this.error = error ?? null;
		const changes: JobChanges = { status, ...this.counters, completed_at: new Date().toISOString() };
		if (status === 'completed') changes.delta_cursor = Object.fromEntries(this.#deltaLinks);
		if (error) {
			changes.error_code = error.code;
			changes.error_message = describeError(error).slice(0, 2000);
		}
		this.#changed();
		try {
			await this.#save(changes);
		} catch (saveError) {
			// The job row cannot be finished now (offline); the page says what happened regardless.
			if (status !== 'failed') {
				this.phase = 'failed';
				this.error = asAppError(saveError);
			}
		}
		this.#changed();
	}

	async #fail(error: unknown): Promise<void> {
		if (isCancel(error)) await this.#finish('cancelled');
		else await this.#finish('failed', asAppError(error));
	}

	async #scan(driveId: string, folders: ScanFolder[], catalogue: ProductCatalogue, previous: ImportJob | null): Promise<void> {
		const { store, source } = this.#deps;
		let result: ScanResult;
		try {
			const cursors = new Map(Object.entries(previous?.delta_cursor ?? {}));
			result = await scanFolders(source, folders, cursors, {
				signal: this.#abort.signal,
				onPage: async (progress) => {
					this.pagesRead++;
					this.counters = { ...this.counters, total_found: progress.videos };
					this.#changed();
					await this.#save({ total_found: progress.videos });
				}
			});
			this.#deltaLinks = result.deltaLinks;

			const rows = new Map<string, VideoWrite>();
			let empty = 0;
			for (const found of result.videos) {
				const row = rowFromFound(found, driveId);
				if (row) rows.set(found.item.id, row);
				else empty++;
			}
			const existing = new Map<string, ExistingVideo>();
			for (const ids of chunks([...rows.keys()], LOOKUP_PAGE)) {
				this.#abort.signal.throwIfAborted();
				for (const video of await store.findVideos(driveId, ids)) existing.set(video.item_id, video);
			}

			const review: ImportReview = { videos: [], drafts: new Map(), updates: [], busy: 0, empty, removed: [], rescan: previous !== null };
			for (const found of result.videos) {
				const row = rows.get(found.item.id);
				if (!row) continue;
				const known = existing.get(found.item.id);
				if (known) {
					if (known.status === 'synced' || known.status === 'missing') review.updates.push(row);
					else review.busy++;
					continue;
				}
				const proposal = proposeProduct({ folders: found.folders, name: found.item.name }, catalogue);
				if (proposal.kind === 'new' && !review.drafts.has(proposal.draft.key)) review.drafts.set(proposal.draft.key, proposal.draft);
				review.videos.push({
					itemId: found.item.id,
					name: found.item.name,
					folderPath: found.folderPath,
					size: row.size_bytes,
					proposal,
					proposed: choiceFor(proposal),
					row
				});
			}

			// Deleted in OneDrive: their videos become missing. A rescan whose cursor had expired
			// listed its folder in full, so videos there that it no longer lists are gone too.
			const gone = new Set<string>();
			for (const ids of chunks(result.deletedIds, LOOKUP_PAGE)) {
				this.#abort.signal.throwIfAborted();
				for (const video of await store.findVideos(driveId, ids)) if (video.status !== 'missing') gone.add(video.item_id);
			}
			if (previous) {
				for (const folder of folders) {
					if (!result.fullFolders.has(folder.id)) continue;
					for (const video of await store.videosUnder(driveId, folder.path)) {
						if (video.status === 'synced' && !rows.has(video.item_id)) gone.add(video.item_id);
					}
				}
			}
			review.removed = [...gone];

			this.review = review;
			const totalFound = review.videos.length + review.updates.length + review.busy + review.empty;
			this.counters = { ...this.counters, total_found: totalFound };
			this.phase = 'review';
			this.#changed();
			await this.#save({ total_found: totalFound });
		} catch (error) {
			await this.#fail(error);
		}
	}

	/**
	 * Links what the person decided. `choices` overrides the proposal per item id; `drafts` holds
	 * the products to create as the person edited them (by key).
	 */
	async commit(choices: ReadonlyMap<string, Choice>, drafts: ReadonlyMap<string, ProductDraft>): Promise<void> {
		const review = this.review;
		if (this.phase !== 'review' || !review) throw new Error('Nothing to commit: the run is not in review.');
		const { store } = this.#deps;
		const driveId = this.job.drive_id!;
		this.phase = 'linking';
		this.counters = { ...this.counters, skipped: review.busy + review.empty };
		this.#changed();
		try {
			const decided = review.videos.map((video) => ({ video, choice: choices.get(video.itemId) ?? video.proposed }));
			const skipped = decided.filter(({ choice }) => choice === 'skip').length;
			this.counters = { ...this.counters, skipped: this.counters.skipped + skipped };

			// Products first, only those some video still points at.
			const wanted = new Map<string, ProductDraft>();
			for (const { choice } of decided) {
				if (!choice.startsWith('new:')) continue;
				const key = choice.slice(4);
				const draft = drafts.get(key) ?? review.drafts.get(key);
				if (draft) wanted.set(key, draft);
			}
			const productIds = wanted.size > 0 ? await store.createProducts([...wanted.values()]) : new Map<string, string>();

			const productOf = (choice: Choice): string | null => {
				if (choice.startsWith('product:')) return choice.slice(8);
				if (choice.startsWith('new:')) return productIds.get(choice.slice(4)) ?? null;
				return null;
			};
			const linked: VideoWrite[] = [];
			for (const { video, choice } of decided) {
				if (choice === 'skip') continue;
				linked.push({ ...video.row, product_id: productOf(choice), import_job_id: this.job.id });
			}
			const refreshed = review.updates.map((row) => ({ ...row, import_job_id: this.job.id }));
			await this.#save({ skipped: this.counters.skipped });

			// New and refreshed rows never share a page: an upsert sets every column any row of the
			// page has, so a refreshed row beside a new one would lose its product.
			for (const page of [...chunks(linked, WRITE_PAGE), ...chunks(refreshed, WRITE_PAGE)]) {
				this.#abort.signal.throwIfAborted();
				await this.#probe(page);
				this.#abort.signal.throwIfAborted();
				const { written, refused } = await this.#write(page);
				this.counters = { ...this.counters, linked: this.counters.linked + written, failed: this.counters.failed + refused };
				this.#changed();
				await this.#save({ linked: this.counters.linked, failed: this.counters.failed });
			}
			for (const ids of chunks(review.removed, LOOKUP_PAGE)) {
				this.#abort.signal.throwIfAborted();
				const marked = await store.markMissing(driveId, ids);
				this.counters = { ...this.counters, removed: this.counters.removed + marked };
				this.#changed();
				await this.#save({ removed: this.counters.removed });
			}
			await this.#finish('completed');
		} catch (error) {
			await this.#fail(error);
		}
	}

	/** Writes a page; rows the database refuses are found by halving, the rest still written. */
	async #write(rows: VideoWrite[]): Promise<{ written: number; refused: number }> {
		try {
			await this.#deps.store.writeVideos(rows);
			return { written: rows.length, refused: 0 };
		} catch (error) {
			if (!isRowProblem(error)) throw error;
			if (rows.length === 1) return { written: 0, refused: 1 };
			const half = Math.ceil(rows.length / 2);
			const first = await this.#write(rows.slice(0, half));
			const second = await this.#write(rows.slice(half));
			return { written: first.written + second.written, refused: first.refused + second.refused };
		}
	}

	/** Fills duration and size from the file's header where OneDrive gave no video facet. */
	async #probe(rows: VideoWrite[]): Promise<void> {
		const wanting = rows.filter((row) => (row.duration_ms === null || row.width === null) && PROBEABLE.test(row.name));
		let next = 0;
		const worker = async () => {
			while (next < wanting.length) {
				this.#abort.signal.throwIfAborted();
				const row = wanting[next++]!;
				let header: VideoHeader | null;
				try {
					header = await this.#deps.probe.probe(row.drive_id, row.item_id, row.size_bytes, this.#abort.signal);
				} catch (error) {
					if (isCancel(error)) throw error;
					header = null; // An unreadable header only means unknown duration and size.
				}
				if (!header) continue;
				row.duration_ms ??= whole(header.durationMs, 0);
				row.width ??= whole(header.width, 1);
				row.height ??= whole(header.height, 1);
			}
		};
		await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, wanting.length) }, worker));
	}
}
