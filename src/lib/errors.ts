/**
 * Errors outside the upload core carry a stable kebab-case code and context (house rule 6);
 * `describeError` turns any error into words for people, in this one place.
 */
import { describeUploadError } from '$lib/upload/messages';
import { UploadError } from '$lib/upload/errors';

export type AppErrorCode =
	| 'network-unreachable'
	| 'microsoft-sign-in-cancelled'
	| 'microsoft-consent-refused'
	| 'microsoft-popup-blocked'
	| 'microsoft-reauth-required'
	| 'microsoft-not-connected'
	| 'microsoft-sign-in-failed'
	| 'graph-unauthorized'
	| 'graph-forbidden'
	| 'graph-not-found'
	| 'graph-name-conflict'
	| 'graph-invalid-name'
	| 'graph-throttled'
	| 'graph-resync-required'
	| 'graph-unavailable'
	| 'graph-failed'
	| 'app-sign-in-invalid'
	| 'app-email-taken'
	| 'app-weak-password'
	| 'app-session-expired'
	| 'app-auth-failed'
	| 'data-not-found'
	| 'data-conflict'
	| 'data-invalid'
	| 'data-forbidden'
	| 'data-failed';

export type ErrorContext = Record<string, string | number | boolean | null | undefined>;

export class AppError extends Error {
	readonly code: AppErrorCode;
	readonly context: ErrorContext;

	constructor(code: AppErrorCode, context: ErrorContext = {}, cause?: unknown) {
		super(code, { cause });
		this.name = 'AppError';
		this.code = code;
		this.context = context;
	}
}

const MESSAGES: Record<AppErrorCode, (context: ErrorContext) => string> = {
	'network-unreachable': (c) =>
		`${c.service ?? 'The service'} cannot be reached. Check your connection; nothing was lost, and you can try again.`,
	'microsoft-sign-in-cancelled': () => 'Microsoft sign-in was cancelled. OneDrive is not connected.',
	'microsoft-consent-refused': () =>
		'Reeldrive was not given access to your OneDrive. To connect, sign in again and accept the permissions it asks for.',
	'microsoft-popup-blocked': () =>
		'Your browser blocked the Microsoft sign-in window. Allow pop-ups for Reeldrive, or connect in this tab instead.',
	'microsoft-reauth-required': () =>
		'Your Microsoft sign-in has expired or was revoked. Reconnect OneDrive to carry on; nothing queued is lost.',
	'microsoft-not-connected': () => 'Connect your OneDrive in Settings first.',
	'microsoft-sign-in-failed': (c) => `Microsoft sign-in did not complete${c.detail ? ` (${c.detail})` : ''}. Try again.`,
	'graph-unauthorized': () => 'OneDrive did not accept your sign-in. Reconnect OneDrive in Settings.',
	'graph-forbidden': () => 'OneDrive refused this: your account does not have permission for it.',
	'graph-not-found': (c) => `${c.what ?? 'That item'} no longer exists in your OneDrive. It may have been moved or deleted.`,
	'graph-name-conflict': (c) => `Something named "${c.name ?? 'that'}" already exists there. Choose another name.`,
	'graph-invalid-name': (c) => `OneDrive does not allow the name "${c.name ?? ''}". ${c.reason ?? 'Choose another name.'}`,
	'graph-throttled': () => 'OneDrive asked Reeldrive to slow down. Try again in a moment.',
	'graph-resync-required': () => 'OneDrive asked Reeldrive to look over your files again. Try again in a moment.',
	'graph-unavailable': () => 'OneDrive is having trouble right now. Try again in a moment.',
	'graph-failed': (c) => `OneDrive could not do that${c.detail ? ` (${c.detail})` : ''}. Try again.`,
	'app-sign-in-invalid': () => 'That email and password do not match an account. Check them and try again.',
	'app-email-taken': () => 'An account with that email already exists. Sign in instead.',
	'app-weak-password': (c) => `Choose a stronger password${c.detail ? `: ${c.detail}` : ' (at least 8 characters)'}.`,
	'app-session-expired': () => 'Your session has ended. Sign in again.',
	'app-auth-failed': (c) => `Signing in did not work${c.detail ? ` (${c.detail})` : ''}. Try again.`,
	'data-not-found': (c) => `${c.what ?? 'That'} was not found.`,
	'data-conflict': (c) => `${c.detail ?? 'That already exists.'}`,
	'data-invalid': (c) => `${c.detail ?? 'Some of what you entered is not valid.'}`,
	'data-forbidden': () => 'You do not have access to that.',
	'data-failed': (c) => `Saving did not work${c.detail ? ` (${c.detail})` : ''}. Try again.`
};

/** Words for a person, for any error: never a stack trace or a bare status code. */
export function describeError(error: unknown): string {
	if (error instanceof AppError) return MESSAGES[error.code](error.context);
	if (error instanceof UploadError) return describeUploadError(error);
	if (error instanceof TypeError && /fetch|network/i.test(error.message)) {
		return MESSAGES['network-unreachable']({});
	}
	return 'Something went wrong. Try again, and if it keeps happening, reload Reeldrive.';
}
