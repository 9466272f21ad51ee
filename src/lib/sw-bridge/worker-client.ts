/**
 * The page's side of the service-worker channel: typed messages out, typed messages in. Nothing
 * here waits on the worker without a bound: where there is no worker (blocked, failed to
 * register), a message is simply not delivered and the caller is told.
 */
import { PROTOCOL_VERSION, SYNC_TAG, isTokenRequest, isWorkerToPage, type PageToWorker, type TokenReply, type TokenRequest, type WorkerToPage } from './protocol';
import { PUMP_WATCH_EVERY_MS, PumpWatch } from './pump-watch';

/** How long to wait for a registering worker before giving up on one message. */
const READY_TIMEOUT_MS = 10_000;

export interface WorkerClientHandlers {
	message(message: WorkerToPage): void;
	/** The worker asks for a Microsoft token; the reply goes back on its port. */
	tokenRequest(request: TokenRequest): Promise<TokenReply>;
}

/** Where the page sends upload messages: the service worker, or a runner inside the page. */
export interface UploadChannel {
	/** 'page': uploads run in this page and need it open. */
	readonly where: 'worker' | 'page';
	listen(handlers: WorkerClientHandlers): void;
	post(message: PageToWorker): Promise<boolean>;
	registerSync(): Promise<void>;
}

export class WorkerClient implements UploadChannel {
	readonly where = 'worker';
	#listening = false;
	/** Wakes a worker that died mid-run (see pump-watch.ts); looks only while a run is unanswered. */
	readonly #watch = new PumpWatch({
		locks: typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : null,
		now: () => Date.now(),
		askAgain: () => void this.post({ v: PROTOCOL_VERSION, type: 'pump' })
	});
	#watchTimer: ReturnType<typeof setInterval> | undefined;

	get available(): boolean {
		return typeof navigator !== 'undefined' && 'serviceWorker' in navigator;
	}

	listen(handlers: WorkerClientHandlers): void {
		if (this.#listening || !this.available) return;
		this.#listening = true;
		navigator.serviceWorker.addEventListener('message', (event) => {
			const data = event.data as unknown;
			if (isTokenRequest(data)) {
				const port = event.ports[0];
				if (port) void handlers.tokenRequest(data).then((reply) => port.postMessage(reply));
				return;
			}
			if (!isWorkerToPage(data)) return;
			if (data.type === 'pump-finished') this.#watch.answered();
			handlers.message(data);
		});
		navigator.serviceWorker.startMessages?.();
	}

	async #registration(): Promise<ServiceWorkerRegistration | null> {
		if (!this.available) return null;
		let timer: ReturnType<typeof setTimeout> | undefined;
		const timeout = new Promise<null>((resolve) => {
			timer = setTimeout(() => resolve(null), READY_TIMEOUT_MS);
		});
		try {
			return await Promise.race([navigator.serviceWorker.ready, timeout]);
		} finally {
			clearTimeout(timer);
		}
	}

	/** Sends a message to the worker; false when there is no worker to send it to. */
	async post(message: PageToWorker): Promise<boolean> {
		const registration = await this.#registration();
		const worker = navigator.serviceWorker?.controller ?? registration?.active ?? null;
		if (!worker) return false;
		worker.postMessage(message);
		// Every message but a file's handover starts a run the worker answers with 'pump-finished'.
		if (message.type !== 'attach-file') this.#watchRun();
		return true;
	}

	#watchRun(): void {
		this.#watch.asked();
		this.#watchTimer ??= setInterval(() => {
			if (!this.#watch.waiting) {
				clearInterval(this.#watchTimer);
				this.#watchTimer = undefined;
				return;
			}
			void this.#watch.check();
		}, PUMP_WATCH_EVERY_MS);
	}

	/** Asks the browser to wake the worker when the network is back (Background Sync, where it exists). */
	async registerSync(): Promise<void> {
		const registration = (await this.#registration()) as (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }) | null;
		await registration?.sync?.register(SYNC_TAG).catch(() => {});
	}
}
