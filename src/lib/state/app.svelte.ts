/**
 * Starts the page's managers once, in order, and ties them to the signed-in user: a new user
 * gets a fresh OneDrive state, and signing out clears it.
 */
import { getServices } from '$lib/services';
import { session } from './session.svelte';
import { onedrive } from './onedrive.svelte';

let started = false;

export function startApp(): void {
	if (started) return;
	started = true;
	const services = getServices();
	session.onUserChange(async (user) => {
		onedrive.reset();
		if (user) await onedrive.start(services);
	});
	void session.start(services);
}
