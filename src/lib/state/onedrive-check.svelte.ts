/**
 * The OneDrive check as the Sync page sees it: runs the check (once when the app opens with
 * OneDrive connected, and on "Check OneDrive now"), lists the videos it flagged, and carries
 * out the person's answer to each flag: accept OneDrive's version, relink to another file, or
 * remove the video from Reeldrive (never the OneDrive file).
 */
import { AppError } from '$lib/errors';
import { formatDateTime } from '$lib/format';
import { graphItemLookup } from '$lib/adapters/onedrive-check-ports';
import type { DriveItem, OneDriveApi } from '$lib/graph/onedrive-api';
import { LOOKUP_SELECT, runCheck, type CheckOutcome, type CheckPorts } from '$lib/onedrive-check/check-run';
import { valuesFromItem } from '$lib/onedrive-check/classify';
import { OneDriveCheckRepository, type FlaggedVideo } from '$lib/supabase/onedrive-check';
import { getServices } from '$lib/services';
import { asAppError } from './library.svelte';
import { onedrive } from './onedrive.svelte';
import { session } from './session.svelte';
import { VideoBrowser } from './video-browser.svelte';

export type { FlaggedVideo };

/** How many flagged videos the page lists (the count covers all of them). */
export const FLAG_LIMIT = 200;

export interface OneDriveCheckDeps {
	repo: Pick<OneDriveCheckRepository, 'tracked' | 'record' | 'flagged' | 'takeItem' | 'remove'>;
	graph: Pick<OneDriveApi, 'driveItem' | 'children'>;
	/** The connected drive, when OneDrive is connected now. */
	driveId: () => string | null;
	userId: () => string | null;
}

export class OneDriveCheckManager {
	status = $state<'idle' | 'checking' | 'done' | 'error'>('idle');
	error = $state<AppError | null>(null);
	/** The last check's outcome and when it ended. */
	last = $state.raw<CheckOutcome | null>(null);
	flags = $state.raw<FlaggedVideo[]>([]);
	flagTotal = $state(0);
	/** The flag being answered (its buttons wait). */
	working = $state<string | null>(null);
	/** What the last answer did, in words. */
	message = $state<string | null>(null);

	readonly #deps: OneDriveCheckDeps;
	/** The user whose check and flags these are. */
	#owner: string | null = null;
	#checkedFor: string | null = null;
	#running: Promise<void> | null = null;
	#loadGeneration = 0;

	constructor(deps: OneDriveCheckDeps) {
		this.#deps = deps;
	}

	/** Runs the check once per signed-in user and page load (the app opening). */
	checkOnOpen(): Promise<void> {
		const userId = this.#deps.userId();
		const driveId = this.#deps.driveId();
		if (!userId || !driveId) return Promise.resolve();
		this.#own(userId);
		const key = `${userId}|${driveId}`;
		if (this.#checkedFor === key) return Promise.resolve();
		this.#checkedFor = key;
		return this.check();
	}

	/** Looks up every video's OneDrive item and flags what changed; one check at a time. */
	check(): Promise<void> {
		this.#running ??= this.#check().finally(() => (this.#running = null));
		return this.#running;
	}

	async #check(): Promise<void> {
		const driveId = this.#deps.driveId();
		const userId = this.#deps.userId();
		if (!userId) return;
		this.#own(userId);
		if (!driveId) {
			this.error = new AppError('microsoft-not-connected');
			this.status = 'error';
			return;
		}
		this.status = 'checking';
		this.error = null;
		try {
			const ports: CheckPorts = {
				tracked: (drive) => this.#deps.repo.tracked(drive),
				lookup: graphItemLookup(this.#deps.graph),
				record: (writes) => this.#deps.repo.record(writes)
			};
			const outcome = await runCheck(ports, driveId, { formatDateTime });
			if (this.#deps.userId() !== userId) return;
			this.last = outcome;
			this.status = 'done';
		} catch (error) {
			this.error = asAppError(error);
			this.status = 'error';
		}
		await this.loadFlags();
	}

	/** Reads the flagged videos again; the latest call wins. */
	async loadFlags(): Promise<void> {
		const userId = this.#deps.userId();
		if (!userId) return;
		this.#own(userId);
		const generation = ++this.#loadGeneration;
		try {
			const { rows, total } = await this.#deps.repo.flagged(FLAG_LIMIT);
			if (generation !== this.#loadGeneration || this.#deps.userId() !== userId) return;
			this.flags = rows;
			this.flagTotal = total;
		} catch (error) {
			if (generation !== this.#loadGeneration) return;
			this.error = asAppError(error);
		}
	}

	/** Forgets everything about the previous user (on sign-out or a change of user). */
	reset(): void {
		const userId = this.#deps.userId();
		// The same user again (the session was restored): what was found stays theirs.
		if (userId && userId === this.#owner) return;
		this.#clear(userId);
	}

	#own(userId: string): void {
		if (this.#owner !== userId) this.#clear(userId);
	}

	#clear(userId: string | null): void {
		this.#owner = userId;
		this.#checkedFor = null;
		this.status = 'idle';
		this.error = null;
		this.last = null;
		this.flags = [];
		this.flagTotal = 0;
		this.message = null;
	}

	/** Takes OneDrive's current version of the file into the record and clears the flag. */
	accept(flag: FlaggedVideo): Promise<void> {
		return this.#answer(flag, async () => {
			const item = await this.#item(flag.drive_id, flag.item_id, `“${flag.name}”`);
			const values = valuesFromItem(item);
			if (!values) throw new AppError('data-invalid', { detail: `“${item.name ?? flag.name}” in OneDrive is empty or not a file, so it cannot be this video.` });
			await this.#deps.repo.takeItem(flag.id, values);
			return `“${values.name}” now matches OneDrive.`;
		});
	}

	/** Points the video at another OneDrive file the person picked. */
	relink(flag: FlaggedVideo, picked: DriveItem): Promise<void> {
		return this.#answer(flag, async () => {
			const driveId = this.#deps.driveId();
			if (!driveId || !picked.id) throw new AppError('microsoft-not-connected');
			// The picker's listing carries no tags: read the chosen item whole.
			const item = await this.#item(driveId, picked.id, `“${picked.name ?? 'That file'}”`);
			const values = valuesFromItem(item);
			if (!values) throw new AppError('data-invalid', { detail: `“${item.name ?? 'That file'}” is empty or not a file.` });
			await this.#deps.repo.takeItem(flag.id, { ...values, drive_id: item.parentReference?.driveId ?? driveId }, 'That file');
			return `“${flag.name}” now points at “${values.name}”.`;
		});
	}

	/** Removes the video from Reeldrive; its OneDrive file, if any, stays where it is. */
	remove(flag: FlaggedVideo): Promise<void> {
		return this.#answer(flag, async () => {
			await this.#deps.repo.remove(flag.id);
			return flag.status === 'missing'
				? `“${flag.name}” was removed from Reeldrive.`
				: `“${flag.name}” was removed from Reeldrive. The file is still in your OneDrive.`;
		});
	}

	/** A browser over the connected OneDrive, for picking the file to relink to. */
	createVideoBrowser(): VideoBrowser {
		return new VideoBrowser(this.#deps.graph);
	}

	async #item(driveId: string, itemId: string | null, what: string): Promise<DriveItem> {
		if (!itemId) throw new AppError('graph-not-found', { what });
		return this.#deps.graph.driveItem(driveId, itemId, { select: LOOKUP_SELECT, what });
	}

	async #answer(flag: FlaggedVideo, run: () => Promise<string>): Promise<void> {
		this.working = flag.id;
		this.message = null;
		try {
			this.message = await run();
			this.flags = this.flags.filter((row) => row.id !== flag.id);
			this.flagTotal = Math.max(0, this.flagTotal - 1);
		} finally {
			this.working = null;
		}
		void this.loadFlags();
	}
}

/** Built on first use, so importing this module does not start Supabase or Graph. */
function lazyDeps(): Pick<OneDriveCheckDeps, 'repo' | 'graph'> {
	let repo: OneDriveCheckRepository | undefined;
	const get = () => (repo ??= new OneDriveCheckRepository(getServices().supabase));
	return {
		repo: {
			tracked: (driveId) => get().tracked(driveId),
			record: (writes) => get().record(writes),
			flagged: (limit) => get().flagged(limit),
			takeItem: (id, values, what) => get().takeItem(id, values, what),
			remove: (id) => get().remove(id)
		},
		graph: {
			driveItem: (...args) => getServices().graph.driveItem(...args),
			children: (...args) => getServices().graph.children(...args)
		}
	};
}

export const onedriveCheck = new OneDriveCheckManager({
	...lazyDeps(),
	driveId: () => (onedrive.state === 'connected' ? (onedrive.row?.drive_id ?? null) : null),
	userId: () => session.user?.id ?? null
});
