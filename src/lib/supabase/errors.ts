import { AuthApiError, AuthRetryableFetchError, AuthWeakPasswordError, type AuthError, type PostgrestError } from '@supabase/supabase-js';
import { AppError } from '$lib/errors';

/** Supabase Auth's errors as Reeldrive codes. */
export function fromAuthError(error: AuthError): AppError {
	if (error instanceof AuthWeakPasswordError) {
		return new AppError('app-weak-password', { detail: error.reasons?.join(', ') }, error);
	}
	if (error instanceof AuthRetryableFetchError || error.status === 0) {
		return new AppError('network-unreachable', { service: 'Reeldrive' }, error);
	}
	const code = error.code ?? '';
	if (code === 'invalid_credentials' || (error instanceof AuthApiError && /invalid login/i.test(error.message))) {
		return new AppError('app-sign-in-invalid', {}, error);
	}
	if (code === 'user_already_exists' || code === 'email_exists') return new AppError('app-email-taken', {}, error);
	if (code === 'weak_password') return new AppError('app-weak-password', {}, error);
	if (code === 'session_not_found' || code === 'refresh_token_not_found' || error.status === 401) {
		return new AppError('app-session-expired', {}, error);
	}
	return new AppError('app-auth-failed', { detail: error.message }, error);
}

/** PostgREST's errors as Reeldrive codes; `what` names the thing for the message. */
export function fromPostgrestError(error: PostgrestError, what?: string): AppError {
	const context = { what, pgCode: error.code };
	switch (error.code) {
		case 'PGRST116':
			return new AppError('data-not-found', context, error);
		case '23505':
			return new AppError('data-conflict', { ...context, detail: `${what ?? 'That'} already exists.` }, error);
		case '23514':
		case '22P02':
		case '23502':
			return new AppError('data-invalid', context, error);
		case '42501':
			return new AppError('data-forbidden', context, error);
	}
	if (!error.code && /fetch/i.test(error.message)) {
		return new AppError('network-unreachable', { service: 'Reeldrive' }, error);
	}
	return new AppError('data-failed', { ...context, detail: error.message }, error);
}
