/// <reference lib="webworker" />
/**
 * The offline app shell: the build's files, the static assets and the SPA fallback page are
 * precached, and every navigation is answered with the cached fallback page. Nothing else is
 * cached: video bytes, Graph, OneDrive and Supabase responses always go to the network.
 */
import { build, files, version } from '$service-worker';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

export const SHELL_PAGE = '/200.html';

/** Files that must not be precached: big, rarely needed, or only for crawlers. */
const NOT_PRECACHED = new Set(['/robots.txt']);

export function precacheEntries(): { url: string; revision: string | null }[] {
	return [
		// Hashed build output changes name when its content changes, so it needs no revision.
		...build.map((url) => ({ url, revision: null })),
		...files.filter((url) => !NOT_PRECACHED.has(url)).map((url) => ({ url, revision: version })),
		{ url: SHELL_PAGE, revision: version }
	];
}

export function installAppShell(): void {
	cleanupOutdatedCaches();
	precacheAndRoute(precacheEntries());
	registerRoute(
		new NavigationRoute(createHandlerBoundToURL(SHELL_PAGE), {
			// Paths served by the static host itself, never by the app.
			denylist: [/^\/_app\//, /\.[a-z0-9]+$/i]
		})
	);
}
