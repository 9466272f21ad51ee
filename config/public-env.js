// Reads Reeldrive's public settings (PUBLIC_*) for a Vite mode, the way Vite itself does,
// so the build (vite.config.ts) and the Content-Security-Policy (svelte.config.js) agree.
// The local stack sets REELDRIVE_ENV_MODE=development to build an optimised bundle
// that still points at the local emulators.
import { loadEnv } from 'vite';

/** @param {string} mode */
export function publicEnv(mode) {
	const envMode = process.env.REELDRIVE_ENV_MODE || mode;
	return loadEnv(envMode, process.cwd(), 'PUBLIC_');
}

/** @param {string | undefined} value */
function originsOf(value) {
	/** @type {string[]} */
	const origins = [];
	for (const part of (value ?? '').split(/[\s,]+/)) {
		if (!part) continue;
		// Wildcard host sources (https://*.sharepoint.com) are kept as written.
		if (part.includes('*')) {
			origins.push(part.replace(/\/+$/, ''));
			continue;
		}
		try {
			origins.push(new URL(part).origin);
		} catch {
			// An invalid URL is reported by the app's own configuration page.
		}
	}
	return origins;
}

/**
 * The remote origins the page needs, by purpose, derived from the configured endpoints, so the
 * Content-Security-Policy allows exactly the configured Microsoft, Graph, OneDrive and Supabase hosts.
 * @param {Record<string, string>} env
 */
export function remoteOrigins(env) {
	/** @type {string[]} */
	const identity = originsOf(env.PUBLIC_MS_AUTHORITY);
	try {
		const metadata = JSON.parse(env.PUBLIC_MS_AUTHORITY_METADATA || '{}');
		for (const key of ['authorization_endpoint', 'token_endpoint', 'end_session_endpoint']) {
			identity.push(...originsOf(metadata[key]));
		}
	} catch {
		// Reported by the configuration page.
	}
	const graph = originsOf(env.PUBLIC_GRAPH_BASE_URL);
	const content = originsOf(env.PUBLIC_ONEDRIVE_CONTENT_ORIGINS);
	const supabase = originsOf(env.PUBLIC_SUPABASE_URL);
	const realtime = supabase.map((origin) => origin.replace(/^http/, 'ws'));
	const unique = (/** @type {string[]} */ list) => [...new Set(list)];
	return {
		identity: unique(identity),
		connect: unique([...identity, ...graph, ...content, ...supabase, ...realtime]),
		media: unique([...graph, ...content])
	};
}
