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
		workbox.register().then(
			(registration) => {
				if (registration?.active) this.offlineReady = true;
			},
			(error: unknown) => {
				this.registrationError = error instanceof Error ? error.message : String(error);
			}
		);
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

export const appUpdate = new AppUpdateManager();
