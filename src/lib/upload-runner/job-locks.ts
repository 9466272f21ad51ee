/**
 * Exclusive holds on jobs (and on the outbox) across every context of the origin: pages,
 * the service worker, and a new service worker activated while the old one still runs.
 *
 * Built on the Web Locks API rather than a lease in IndexedDB: the browser itself releases a
 * lock the moment its holder dies (a killed worker, a crashed or closed tab), so no lease has to
 * expire before another context may carry on, no clock is trusted, and nothing is written per
 * fragment to renew it. Every browser Reeldrive supports has it (Chrome 69, Firefox 96,
 * Safari 15.4); where it is missing, holds only exclude within the one context.
 */

export interface JobLocks {
	/** Takes `name` if nobody holds it; resolves with the release, or null when it is taken. */
	tryAcquire(name: string): Promise<(() => void) | null>;
	/** Runs `work` holding `name`, waiting for the holder before it. */
	withLock<T>(name: string, work: () => Promise<T>): Promise<T>;
}

export const jobLockName = (jobId: string) => `reeldrive-job:${jobId}`;

/** Web Locks, as navigator.locks in pages and workers. */
export function webLocks(manager: LockManager): JobLocks {
	return {
		tryAcquire(name) {
			return new Promise((resolve, reject) => {
				manager
					.request(name, { ifAvailable: true }, (lock) => {
						if (!lock) {
							resolve(null);
							return undefined;
						}
						// The lock is held until this promise settles: that is the release.
						return new Promise<void>((release) => resolve(() => release()));
					})
					.catch(reject);
			});
		},
		withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
			return manager.request(name, () => work()) as Promise<T>;
		}
	};
}

/**
 * Holds within one origin simulated in memory: each `context()` is one page or worker, and
 * `die()` ends it, releasing its holds as the browser does. Used by tests, and as the fallback
 * where the platform has no Web Locks (then it can only exclude within the one context).
 */
export class MemoryLocks {
	readonly #held = new Map<string, { owner: object; release: () => void }>();
	readonly #waiters = new Map<string, Array<() => void>>();

	context(): JobLocks & { die(): void; holds(): string[] } {
		const owner = {};
		const mine = new Set<string>();
		const take = (name: string): (() => void) => {
			let released = false;
			const release = () => {
				if (released) return;
				released = true;
				mine.delete(name);
				this.#held.delete(name);
				this.#waiters.get(name)?.shift()?.();
			};
			this.#held.set(name, { owner, release });
			mine.add(name);
			return release;
		};
		const waitFor = (name: string) =>
			new Promise<void>((resolve) => {
				const queue = this.#waiters.get(name) ?? [];
				queue.push(resolve);
				this.#waiters.set(name, queue);
			});
		return {
			tryAcquire: async (name) => (this.#held.has(name) ? null : take(name)),
			withLock: async (name, work) => {
				while (this.#held.has(name)) await waitFor(name);
				const release = take(name);
				try {
					return await work();
				} finally {
					release();
				}
			},
			die: () => {
				for (const name of [...mine]) this.#held.get(name)?.release();
			},
			holds: () => [...mine]
		};
	}
}

/** The platform's locks where there are any, else holds within this context only. */
export function platformLocks(scope: { navigator?: { locks?: LockManager } }): JobLocks {
	const manager = scope.navigator?.locks;
	return manager ? webLocks(manager) : new MemoryLocks().context();
}
