/**
 * Starts the page's managers once, in order, and ties them to the signed-in user: a new user
 * gets a fresh OneDrive and uploads state, and signing out clears both (their uploads stay
 * stored and paused for them, and nobody else runs them).
 *
 * The session loads this module (and with it Supabase, Dexie and the upload machinery) only
 * once someone may be signed in; see SessionManager.start.
 */
import { untrack } from 'svelte';
import { getServices, type Services } from '$lib/services';
import { library } from './library.svelte';
import { session } from './session.svelte';
import { onedrive } from './onedrive.svelte';
import { onedriveCheck } from './onedrive-check.svelte';
import { uploads } from './uploads.svelte';

let started: Services | undefined;

/** Builds the services and ties the managers to the session; once, whatever the number of calls. */
export function startApp(): Services {
	if (started) return started;
	const services = getServices();
	started = services;
	session.onUserChange(async (user) => {
		onedrive.reset();
		onedriveCheck.reset();
		if (!user) {
			await uploads.stop();
			return;
		}
		await onedrive.start(services);
		await uploads.start(services, session, onedrive);
	});
	// The app opening with OneDrive connected checks the videos' files for changes made there.
	$effect.root(() => {
		$effect(() => {
			if (session.user && onedrive.state === 'connected' && onedrive.row?.drive_id) untrack(() => void onedriveCheck.checkOnOpen());
		});
	});
	// Tell the upload worker whenever the Microsoft account behind this user changes.
	$effect.root(() => {
		$effect(() => {
			const key = `${session.user?.id ?? ''}|${onedrive.account?.localAccountId ?? ''}`;
			if (key !== '|') void uploads.announceUser();
		});
		// Where uploads go follows the connection row (and is kept on this device for offline use).
		$effect(() => {
			const known = `${onedrive.state}|${onedrive.row?.status ?? ''}|${onedrive.row?.drive_id ?? ''}|${onedrive.row?.default_folder_path ?? ''}`;
			if (session.user && known) void uploads.refreshQueueable();
		});
	});
	// Before the first sign-out can happen: that wipes the offline copy of the library.
	library.start();
	return services;
}
