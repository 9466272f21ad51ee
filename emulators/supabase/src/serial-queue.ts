/**
 * Runs tasks strictly one after another. PGlite has a single backend, so two interleaved
 * transactions would share one session (role, settings, open transaction): every request
 * waits here for the previous one to finish.
 */
export class SerialQueue {
	#tail: Promise<unknown> = Promise.resolve();
	#pending = 0;

	get pending(): number {
		return this.#pending;
	}

	run<T>(task: () => Promise<T>): Promise<T> {
		this.#pending++;
		const result = this.#tail.then(task);
		// The next task starts after this one settles, whether it succeeded or failed.
		this.#tail = result.then(
			() => this.#settle(),
			() => this.#settle()
		);
		return result;
	}

	#settle(): void {
		this.#pending--;
	}
}
