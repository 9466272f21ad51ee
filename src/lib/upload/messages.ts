/**
 * The one place upload codes become words for people (house rule 6). The UI edge calls
 * describeUploadError / describePause; nothing else shows a code or a status number.
 */
import type { ErrorContext, UploadErrorCode, UploadErrorInfo } from './errors';
import type { ExistingCopy, PauseReason } from './job';
import type { NameFix } from './onedrive-names';

const GB = 1_000_000_000;
const speed = (n: unknown) =>
	typeof n !== 'number'
		? 'unknown'
		: n >= 1_000_000
			? `${(n / 1_000_000).toFixed(1)} MB/s`
			: n >= 1_000
				? `${Math.round(n / 1000)} kB/s`
				: `${Math.round(n)} bytes/s`;
const size = (n: unknown) => (typeof n === 'number' ? `${(n / GB).toFixed(n >= 10 * GB ? 0 : 1)} GB` : 'this size');

const ERROR_MESSAGES: Record<UploadErrorCode, (c: ErrorContext) => string> = {
	'file-empty': () => 'This file is empty, so there is nothing to upload.',
	'file-too-large': (c) => `This file is ${size(c.size)}; OneDrive accepts files up to 250 GB.`,
	'not-a-video': () => 'This file is not a video we recognise, so it was not added.',
	'onedrive-full': () => 'Your OneDrive is full. Free up space or add storage, then retry.',
	'name-conflict': () => 'A file with this name is already in that OneDrive folder. Keep both, or replace it?',
	'hash-mismatch': () => "OneDrive's copy did not match your video. Retry to upload it again.",
	'size-mismatch': () => "OneDrive's copy has a different size from your video. Retry to upload it again.",
	'sign-in-required': () => 'Sign in to Microsoft again to continue this upload.',
	'token-rejected': () => 'Microsoft did not accept the sign-in for this upload. Sign in again to continue.',
	'folder-not-found': () => 'The OneDrive folder for this upload no longer exists. Choose another folder.',
	'access-denied': () => 'Your Microsoft account is not allowed to add files to that OneDrive folder.',
	'request-rejected': () => 'OneDrive refused to start this upload. Retry, or choose another folder or name.',
	'fragment-rejected': () => 'OneDrive refused part of this upload. Retry to continue from where it stopped.',
	'retries-exhausted': () => 'OneDrive kept failing, so the upload stopped where it was. Retry to continue.',
	'session-lost-repeatedly': () => 'OneDrive kept losing this upload. Retry to start it again.',
	'unexpected-response': () => 'OneDrive answered in a way we did not expect. Retry to continue.',
	'file-unreadable': () => "This video's stored copy cannot be read any more. Add the file again.",
	'connection-too-slow': (c) =>
		`At this connection's speed (${speed(c.bytesPerSecond)}) the video would need about ${c.hoursNeeded} hours, longer than the day OneDrive keeps an upload open. Retry on a faster connection (Wi-Fi).`,
	'invalid-transition': () => 'That action is not possible for this upload right now.',
	'invalid-job': () => 'This upload could not be read back from storage. Add the file again.'
};

const PAUSE_MESSAGES: Record<PauseReason, string> = {
	user: 'Paused.',
	offline: 'Waiting for the network. The upload will continue when you are back online.',
	'needs-page': 'Open Reeldrive to continue.',
	'needs-sign-in': 'Waiting for you to reconnect OneDrive (Settings). It carries on by itself once you do.',
	'needs-file':
		'Pick the same file again to finish. This device no longer has the part OneDrive still needs: the page closed before the whole video was kept, or OneDrive had to start its upload over.',
	duplicate: 'This video is already in OneDrive, so nothing was uploaded. Link the existing video, or upload a second copy anyway.'
};

const NAME_FIX_MESSAGES: Record<NameFix, string> = {
	'forbidden-characters': 'characters OneDrive does not allow (" * : < > ? / \\ |) were replaced with _',
	'control-characters': 'invisible control characters were removed',
	'surrounding-spaces': 'spaces at the start or end were removed',
	'trailing-dots': 'dots at the end were removed',
	'reserved-name': 'the name is reserved by Windows or OneDrive, so _ was added',
	'reserved-prefix': 'names starting with ~$ are reserved, so $ became _',
	'reserved-fragment': '"_vti_" cannot appear in OneDrive names, so it became "_vti-"',
	'too-long': 'the name was shortened to 255 characters',
	empty: 'the name was empty, so it is now "video"'
};

export function describeUploadError(error: Pick<UploadErrorInfo, 'code' | 'context'>): string {
	return ERROR_MESSAGES[error.code](error.context);
}

/** What happened, without the advice to retry, for failures the job retries by itself. */
const HEALING_MESSAGES: Partial<Record<UploadErrorCode, string>> = {
	'retries-exhausted': 'OneDrive kept failing, so the upload stopped where it was.',
	'session-lost-repeatedly': 'OneDrive kept losing this upload.',
	'hash-mismatch': "OneDrive's copy did not match your video.",
	'size-mismatch': "OneDrive's copy has a different size from your video."
};

/**
 * The words for a failed job: what went wrong and what happens next. A job that retries by
 * itself says when; one that waits for the person says what to do.
 */
export function describeFailure(error: Pick<UploadErrorInfo, 'code' | 'context'>, autoRetryAt: number | null, now: number): string {
	if (autoRetryAt === null) return describeUploadError(error);
	const minutes = Math.round((autoRetryAt - now) / 60_000);
	const when = minutes <= 0 ? 'in a moment' : minutes === 1 ? 'in about a minute' : `in about ${minutes} minutes`;
	return `${HEALING_MESSAGES[error.code] ?? describeUploadError(error)} Trying again by itself ${when}.`;
}

export function describePause(reason: PauseReason): string {
	return PAUSE_MESSAGES[reason];
}

export function describeNameFixes(fixes: readonly NameFix[]): string {
	return fixes.map((f) => NAME_FIX_MESSAGES[f]).join('; ');
}

/**
 * Which existing video an upload duplicates, in words: its name, where it is, and its product.
 * "“clip.mp4” in /Reeldrive, in your library under the product “Espresso grinder”".
 */
export function describeCopy(copy: ExistingCopy): string {
	const where = copy.folderPath ? ` in ${copy.folderPath || '/'}` : '';
	const library =
		copy.source === 'library'
			? copy.productTitle
				? `, in your library under the product “${copy.productTitle}”`
				: ', in your library without a product'
			: ', in your OneDrive folder (not in your library yet)';
	return `“${copy.name}”${where}${library}`;
}
