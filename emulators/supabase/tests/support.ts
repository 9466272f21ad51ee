import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { startSupabaseApi, type SupabaseApi } from '../src/index.js';

export const demoPassword = 'reeldrive-demo';
export const alice = { id: 'a11ce000-0000-4000-8000-000000000001', email: 'alice@reeldrive.test' };
export const bob = { id: 'b0b00000-0000-4000-8000-000000000002', email: 'bob@reeldrive.test' };

/**
 * A seeded API on a free port: in-memory PGlite, or the Postgres named by
 * SUPABASE_TEST_DATABASE_URL (scripts/db/pg15-test.sh --with-api runs the REST suite so).
 */
export function startTestApi(): Promise<SupabaseApi> {
	const databaseUrl = process.env.SUPABASE_TEST_DATABASE_URL || undefined;
	return startSupabaseApi({ port: 0, seed: true, quiet: true, databaseUrl });
}

/** Unmodified supabase-js, one instance per user (on Node its session storage is per client). */
export function client(api: SupabaseApi, key = api.anonKey): SupabaseClient {
	return createClient(api.url, key, {
		// Node 20 has no global WebSocket; no socket is opened unless a channel subscribes.
		realtime: { transport: WebSocket as never },
		auth: { persistSession: false, autoRefreshToken: false }
	});
}

export async function signedIn(api: SupabaseApi, email: string, password = demoPassword): Promise<SupabaseClient> {
	const supabase = client(api);
	const { error } = await supabase.auth.signInWithPassword({ email, password });
	if (error) throw error;
	return supabase;
}

/** A raw request to the API, for what supabase-js cannot send (tampered tokens, bad grammar). */
export async function raw(api: SupabaseApi, path: string, init: RequestInit & { token?: string } = {}) {
	const headers = new Headers(init.headers);
	headers.set('apikey', api.anonKey);
	if (init.token !== undefined) headers.set('Authorization', `Bearer ${init.token}`);
	const response = await fetch(`${api.url}${path}`, { ...init, headers });
	const text = await response.text();
	return { status: response.status, headers: response.headers, text, body: text ? (JSON.parse(text) as unknown) : null };
}
