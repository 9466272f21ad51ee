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

/**
 * Origins the page may talk to, derived from the configured endpoints.
 * @param {Record<string, string>} env
 */
export function connectOrigins(env) {
	/** @type {Set<string>} */
	const origins = new Set();
	const add = (/** @type {string | undefined} */ value) => {
		if (!value) return;
		for (const part of value.split(/[\s,]+/)) {
			if (!part) continue;
			if (part.includes('*')) {
				origins.add(part);
				continue;
			}
			try {
				origins.add(new URL(part).origin);
			} catch {
				// An invalid URL is reported by the app's own configuration page.
			}
		}
	};
	add(env.PUBLIC_MS_AUTHORITY);
	add(env.PUBLIC_GRAPH_BASE_URL);
	add(env.PUBLIC_ONEDRIVE_CONTENT_ORIGINS);
	add(env.PUBLIC_SUPABASE_URL);
	try {
		const metadata = JSON.parse(env.PUBLIC_MS_AUTHORITY_METADATA || '{}');
		for (const key of ['authorization_endpoint', 'token_endpoint', 'end_session_endpoint']) {
			add(metadata[key]);
		}
	} catch {
		// Reported by the configuration page.
	}
	if (env.PUBLIC_SUPABASE_URL) {
		try {
			const ws = new URL(env.PUBLIC_SUPABASE_URL);
			ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
			origins.add(ws.origin);
		} catch {
			// Reported by the configuration page.
		}
	}
	return [...origins];
}
