import { AppError } from '$lib/errors';

/** While Reeldrive's servers are unreachable, this often it looks again. */
const PROBE_INTERVAL_MS = 5_000;

/**
 * Whether Reeldrive can reach its servers: the browser's `online`/`offline` events, and what
 * requests actually do. The browser's word alone is not enough: it says "online" behind a captive
 * portal or a dead link (and some browsers after reloading a page while offline), so a request
 * that fails for want of a network marks Reeldrive offline until one succeeds again.
 */
export class ConnectivityManager {
	online = $state(true);
	#started = false;
	#browserOnline = true;
	#reachable = true;
	#probe: (() => Promise<boolean>) | null = null;
	#probeTimer: ReturnType<typeof setTimeout> | undefined;
	// Plain bookkeeping, never rendered.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	readonly #offlineWaiters = new Set<() => void>();

	start(target: Window = window): void {
		if (this.#started) return;
		this.#started = true;
		this.#browserOnline = target.navigator.onLine;
		this.#update();
		target.addEventListener('online', () => {
			this.#browserOnline = true;
			this.#reachable = true;
			this.#update();
		});
		target.addEventListener('offline', () => {
			this.#browserOnline = false;
			this.#update();
		});
	}

	/** How to look whether the servers answer again (any HTTP answer counts). */
	useProbe(probe: () => Promise<boolean>): void {
		this.#probe = probe;
	}

	/** A request got an answer (of any status): the servers are reachable. */
	reportReachable(): void {
		if (this.#reachable) return;
		this.#reachable = true;
		this.#update();
	}

	/** A request failed for want of a network. */
	reportUnreachable(): void {
		if (!this.#reachable) return;
		this.#reachable = false;
		this.#update();
		this.#scheduleProbe();
	}

	/** `work`, unless Reeldrive goes offline first: then a network-unreachable error at once. */
	whileOnline<T>(work: Promise<T>): Promise<T> {
		if (!this.online) return Promise.reject(new AppError('network-unreachable', { service: 'Reeldrive' }));
		return new Promise<T>((resolve, reject) => {
			const offline = () => reject(new AppError('network-unreachable', { service: 'Reeldrive' }));
			this.#offlineWaiters.add(offline);
			work.then(resolve, reject).finally(() => this.#offlineWaiters.delete(offline));
		});
	}

	#update(): void {
		this.online = this.#browserOnline && this.#reachable;
		if (this.online) return;
		for (const waiter of [...this.#offlineWaiters]) waiter();
		this.#offlineWaiters.clear();
	}

	#scheduleProbe(): void {
		clearTimeout(this.#probeTimer);
		if (!this.#probe) return;
		this.#probeTimer = setTimeout(async () => {
			if (this.#reachable) return;
			if (await this.#probe!().catch(() => false)) this.reportReachable();
			else this.#scheduleProbe();
		}, PROBE_INTERVAL_MS);
	}
}

export const connectivity = new ConnectivityManager();
