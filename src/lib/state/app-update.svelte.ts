import { Workbox } from 'workbox-window';
import { dev } from '$app/environment';

/**
 * Registers the service worker and tells the page when a new version is waiting, so the person
 * chooses when to reload (an upload in progress is never cut short by a surprise reload).
 */
export class AppUpdateManager {
	/** A new version has been installed and waits for the person's go-ahead. */
	updateReady = $state(false);
	/** The service worker controls the page, so the shell opens offline next time. */
	offlineReady = $state(false);
	registrationError = $state<string | null>(null);

	#workbox: Workbox | undefined;
	#reloadWhenControlled = false;
	#available: Promise<boolean> | null = null;

	start(): void {
		if (this.#workbox || !('serviceWorker' in navigator)) return;
		// In `vite dev` the worker is served as an ES module; the build emits a classic script.
		const workbox = new Workbox('/service-worker.js', { type: dev ? 'module' : 'classic' });
		workbox.addEventListener('waiting', () => {
			this.updateReady = true;
		});
		workbox.addEventListener('controlling', (event) => {
			// Reload only for an update the person accepted here, never for the first install.
			if (event.isUpdate || this.#reloadWhenControlled) location.reload();
		});
		workbox.addEventListener('activated', () => {
			this.offlineReady = true;
		});
		this.#workbox = workbox;
		this.#available = workbox.register().then(
			async (registration) => {
				if (registration?.active) this.offlineReady = true;
				// A blocked registration (a policy, some private windows, test browsers) resolves
				// with nothing: there will be no worker.
				if (!registration) return false;
				return withinBound(navigator.serviceWorker.ready.then(() => true), false);
			},
			(error: unknown) => {
				this.registrationError = error instanceof Error ? error.message : String(error);
				return false;
			}
		);
	}

	/**
	 * Whether a service worker runs for this page (then uploads go on without it). Never hangs:
	 * no worker, a failed or blocked registration, or one that never activates, all answer false.
	 */
	workerAvailable(): Promise<boolean> {
		if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return Promise.resolve(false);
		// A page a worker controls has one, offline too (a registration's update check may fail then).
		if (navigator.serviceWorker.controller) return Promise.resolve(true);
		return withinBound(this.#available ?? navigator.serviceWorker.getRegistration().then((registration) => !!registration?.active), false);
	}

	/** Activates the waiting version; the page reloads once it has taken control. */
	applyUpdate(): void {
		this.#reloadWhenControlled = true;
		this.#workbox?.messageSkipWaiting();
	}

	dismiss(): void {
		this.updateReady = false;
	}
}

/** How long a registering worker may take to become active before the page does without it. */
const WORKER_READY_BOUND_MS = 15_000;

function withinBound<T>(promise: Promise<T>, fallback: T): Promise<T> {
	return new Promise((resolve) => {
		const timer = setTimeout(() => resolve(fallback), WORKER_READY_BOUND_MS);
		promise.then(
			(value) => {
				clearTimeout(timer);
				resolve(value);
			},
			() => {
				clearTimeout(timer);
				resolve(fallback);
			}
		);
	});
}

export const appUpdate = new AppUpdateManager();
