/**
 * Notices a service worker that died while it ran uploads for this page, and wakes it again.
 *
 * A page asks the worker to run uploads ('pump', a command, who is signed in); the worker
 * answers 'pump-finished' when its run ends, and the page asks again while work is left. A worker
 * the browser stops mid-run (its event ran too long, memory pressure, a crash) never answers, and
 * nothing else would wake it while the page stays open. The worker holds the shared lock
 * PUMP_LOCK for as long as a run lasts, and the browser releases a dead holder's locks at once;
 * so a run asked for a while ago, unanswered, with nobody holding that lock, means the worker is
 * gone. Asking again starts it. Asking a live worker again is harmless (it joins the run).
 */
export const PUMP_LOCK = 'reeldrive-pump';

/** How often the page looks, while a run it asked for is unanswered. */
export const PUMP_WATCH_EVERY_MS = 2_000;
/** A worker being started may not hold the lock yet: a run asked for this recently is not judged. */
export const PUMP_WATCH_GRACE_MS = 3_000;

export interface LockSnapshotSource {
	query(): Promise<{ held?: { name?: string }[] }>;
}

export class PumpWatch {
	#askedAt: number | null = null;

	constructor(
		private readonly deps: {
			locks: LockSnapshotSource | null;
			now: () => number;
			/** Asks the worker to run again (which starts a stopped one). */
			askAgain: () => void;
		}
	) {}

	/** The page asked the worker for a run. */
	asked(): void {
		this.#askedAt ??= this.deps.now();
	}

	/** The worker said a run ended. */
	answered(): void {
		this.#askedAt = null;
	}

	get waiting(): boolean {
		return this.#askedAt !== null;
	}

	/** Looks once; true when the worker was found gone and asked again. */
	async check(): Promise<boolean> {
		const askedAt = this.#askedAt;
		if (askedAt === null || !this.deps.locks) return false;
		if (this.deps.now() - askedAt < PUMP_WATCH_GRACE_MS) return false;
		let running: boolean;
		try {
			running = ((await this.deps.locks.query()).held ?? []).some((lock) => lock.name === PUMP_LOCK);
		} catch {
			return false;
		}
		// Answered meanwhile, or asked again by someone else: not ours to judge now.
		if (running || this.#askedAt !== askedAt) return false;
		this.#askedAt = this.deps.now();
		this.deps.askAgain();
		return true;
	}
}
