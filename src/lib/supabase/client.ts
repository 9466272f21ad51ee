import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { SESSION_STORAGE_KEY } from '$lib/auth/stored-session';
import type { Database } from './database.types';

export type ReeldriveSupabase = SupabaseClient<Database>;

/** Told whether requests reach Supabase: an answer of any status, or a failure for want of a network. */
export type ReachabilityListener = (reachable: boolean) => void;

/** The browser's Supabase client: a remembered session that refreshes by itself. */
export function createSupabase(url: string, anonKey: string, onReachability: ReachabilityListener = () => {}): ReeldriveSupabase {
	const watchedFetch: typeof fetch = async (input, init) => {
		try {
			const response = await fetch(input, init);
			onReachability(true);
			return response;
		} catch (error) {
			if ((error as { name?: string } | null)?.name !== 'AbortError') onReachability(false);
			throw error;
		}
	};
	return createClient<Database>(url, anonKey, {
		auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false, storageKey: SESSION_STORAGE_KEY },
		global: { fetch: watchedFetch }
	});
}
