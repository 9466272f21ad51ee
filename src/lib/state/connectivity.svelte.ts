/** Whether the browser believes it is online, kept current by the `online`/`offline` events. */
export class ConnectivityManager {
	online = $state(true);
	#started = false;

	start(target: Window = window): void {
		if (this.#started) return;
		this.#started = true;
		this.online = target.navigator.onLine;
		target.addEventListener('online', () => (this.online = true));
		target.addEventListener('offline', () => (this.online = false));
	}
}

export const connectivity = new ConnectivityManager();
