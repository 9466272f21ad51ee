import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Database } from './database.types';

export type ReeldriveSupabase = SupabaseClient<Database>;

/** The browser's Supabase client: a remembered session that refreshes by itself. */
export function createSupabase(url: string, anonKey: string): ReeldriveSupabase {
	return createClient<Database>(url, anonKey, {
		auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false, storageKey: 'reeldrive.auth' }
	});
}
