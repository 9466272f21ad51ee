/**
 * The sync dashboard's state: counts per state from one database query merged with this
 * browser's uploads, the videos not in OneDrive yet, the short history, "Sync all" and
 * per-video starts. The rules live in `sync-status.ts`; this class wires them to Supabase and
 * to the uploads manager.
 */
import { AppError } from '$lib/errors';
import { getServices } from '$lib/services';
import { SyncStatusRepository, type StatusCount, type SyncRow } from '$lib/supabase/sync-status';
import type { UploadCommand } from '$lib/sw-bridge/protocol';
import { asAppError } from './library.svelte';
import { session } from './session.svelte';
import {
	countedHere,
	describeSyncAll,
	historyEntries,
	mergeCounts,
	pendingItems,
	startCommand,
	syncAllCommands,
	type LocalUpload
} from './sync-status';
import { uploads } from './uploads.svelte';

/** How many videos not in OneDrive the list shows (the counts cover all of them). */
export const PENDING_LIMIT = 200;
/** How many recent completions and failures the history shows. */
export const HISTORY_LIMIT = 10;

export interface SyncDeps {
	repo: Pick<SyncStatusRepository, 'summary' | 'unfinished' | 'recent'>;
	uploads: { readonly jobs: readonly LocalUpload[]; command(id: string, command: UploadCommand): Promise<void>; pump(): Promise<void> };
	userId: () => string | null;
}

export class SyncManager {
	/** The database's counts and the ids it was asked to leave out for this browser to count. */
	#server = $state.raw<{ counts: StatusCount[]; excluded: string[] }>({ counts: [], excluded: [] });
	/** Rows not in OneDrive; raw: replaced, never changed in place. */
	rows = $state.raw<SyncRow[]>([]);
	recentRows = $state.raw<SyncRow[]>([]);
	status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
	error = $state<AppError | null>(null);
	/** What the last "Sync all" did, in words. */
	message = $state<string | null>(null);
	busy = $state(false);

	readonly #deps: SyncDeps;
	#generation = 0;
	#loadedFor: string | null = null;

	constructor(deps: SyncDeps) {
		this.#deps = deps;
	}

	#jobs(): readonly LocalUpload[] {
		return this.#deps.uploads.jobs;
	}

	readonly summary = $derived(mergeCounts(this.#server.counts, this.#server.excluded, this.#jobs()));
	readonly pending = $derived(pendingItems(this.rows, this.#jobs()));
	readonly history = $derived(historyEntries(this.recentRows));
	/** The uploads this browser counts itself, as a key: when it changes, the counts are due again. */
	readonly localKey = $derived(countedHere(this.#jobs()).join(','));
	/** Failed videos this browser cannot retry: they were started elsewhere. */
	readonly failedElsewhere = $derived(this.pending.filter((item) => !item.here && item.state === 'error').length);
	/** Uploads "Sync all" would start now. */
	readonly startable = $derived(syncAllCommands(this.#jobs()).length);

	/** Loads the counts (one query) and, for the dashboard, the lists. The latest call wins. */
	async refresh(options: { lists?: boolean } = {}): Promise<void> {
		const userId = this.#deps.userId();
		if (!userId) return;
		if (userId !== this.#loadedFor) this.#reset(userId);
		const generation = ++this.#generation;
		if (this.status !== 'ready') this.status = 'loading';
		const excluded = countedHere(this.#deps.uploads.jobs);
		try {
			const [counts, rows, recentRows] = await Promise.all([
				this.#deps.repo.summary(excluded),
				options.lists ? this.#deps.repo.unfinished(PENDING_LIMIT) : null,
				options.lists ? this.#deps.repo.recent(HISTORY_LIMIT) : null
			]);
			if (generation !== this.#generation || this.#deps.userId() !== userId) return;
			this.#server = { counts, excluded };
			if (rows) this.rows = rows;
			if (recentRows) this.recentRows = recentRows;
			this.error = null;
			this.status = 'ready';
		} catch (error) {
			if (generation !== this.#generation) return;
			this.error = asAppError(error);
			this.status = 'error';
		}
	}

	#reset(userId: string | null): void {
		this.#loadedFor = userId;
		this.#server = { counts: [], excluded: [] };
		this.rows = [];
		this.recentRows = [];
		this.status = 'idle';
		this.error = null;
		this.message = null;
	}

	/** Starts every failed or paused upload of this browser, then runs the queue. */
	async syncAll(): Promise<void> {
		this.busy = true;
		try {
			const commands = syncAllCommands(this.#deps.uploads.jobs);
			for (const { id, command } of commands) await this.#deps.uploads.command(id, command);
			await this.#deps.uploads.pump();
			this.message = describeSyncAll(commands.length, this.failedElsewhere);
		} finally {
			this.busy = false;
		}
	}

	/** Retries or resumes one upload of this browser. */
	async start(id: string): Promise<void> {
		const job = this.#deps.uploads.jobs.find((entry) => entry.id === id);
		const command = job ? startCommand(job) : null;
		if (!command) return;
		await this.#deps.uploads.command(id, command);
		await this.#deps.uploads.pump();
	}
}

/** Built on first use, so importing this module does not start Supabase. */
function lazyRepository(): SyncDeps['repo'] {
	let repo: SyncStatusRepository | undefined;
	const get = () => (repo ??= new SyncStatusRepository(getServices().supabase));
	return {
		summary: (excluded) => get().summary(excluded),
		unfinished: (limit) => get().unfinished(limit),
		recent: (limit) => get().recent(limit)
	};
}

export const sync = new SyncManager({ repo: lazyRepository(), uploads, userId: () => session.user?.id ?? null });
