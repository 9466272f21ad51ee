/**
 * Where supabase-js keeps this browser's Reeldrive session (its `auth.storageKey`), and whether
 * one is there. A visitor with none is signed out for sure, so the page shows the sign-in form
 * without downloading Supabase's client first.
 */
export const SESSION_STORAGE_KEY = 'reeldrive.auth';

export function mayHoldSession(storage: Pick<Storage, 'getItem'> | undefined): boolean {
	if (!storage) return true;
	try {
		return storage.getItem(SESSION_STORAGE_KEY) !== null;
	} catch {
		// Storage refused (a privacy setting): let Supabase's client decide.
		return true;
	}
}
