/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// A thin host: it registers listeners and delegates.
import { installAppShell } from './app-shell';

const sw = self as unknown as ServiceWorkerGlobalScope;

installAppShell();

sw.addEventListener('message', (event) => {
	// workbox-window's messageSkipWaiting() sends this when the person accepts the update.
	if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void sw.skipWaiting();
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(sw.clients.claim());
});
