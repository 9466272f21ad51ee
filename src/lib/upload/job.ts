/**
 * The persisted shape of one upload and the rules for moving between its states. Everything
 * here is plain data so any JobStore (IndexedDB, memory) can keep it as is.
 *
 *   queued → uploading → verifying → done
 *      ↘        ↓ ↑          ↓
 *       paused / error / conflict     (and cancelled from anywhere not finished)
 */
import { UploadError, type UploadErrorInfo } from './errors';
import { initialPlan, type FragmentPlanState } from './fragment-plan';
import { QuickXorHash, type QuickXorHashState } from './quickxorhash';

export type UploadStatus = 'queued' | 'uploading' | 'verifying' | 'done' | 'paused' | 'error' | 'conflict' | 'cancelled';

export type PauseReason =
	/** The person paused it. Only resume() continues. */
	| 'user'
	/** A network failure while the platform reported offline. Continues by itself when online. */
	| 'offline'
	/** A session is needed and no page is open to provide a token ("Open Reeldrive to continue"). */
	| 'needs-page'
	/**
	 * The Microsoft account needs the person to sign in again (reconnect OneDrive). Continues by
	 * itself once a page can lend a token again.
	 */
	| 'needs-sign-in'
	/**
	 * The next bytes are not on this device: only part of the video was kept before the page that
	 * picked it closed. Continues when the file is given again (or the page that has it returns).
	 */
	| 'needs-file'
	/**
	 * The same video (size and QuickXorHash) is already in the person's library or the target
	 * folder (`duplicates.match`). Nothing was uploaded; only the person's choice continues:
	 * link the existing one, or upload a second copy anyway.
	 */
	| 'duplicate';

export type ConflictBehavior = 'rename' | 'replace' | 'fail';

export type UploadTarget =
	/** A folder by item id (and drive id for a drive other than /me/drive). */
	| { kind: 'folder'; parentId: string; driveId?: string }
	/** A folder by path from the drive root, e.g. "Videos/Spring launch"; '' is the root. */
	| { kind: 'path'; folderPath: string; driveId?: string };

export interface UploadSession {
	uploadUrl: string;
	createdAt: number;
	/** The session's sliding expirationDateTime, as last reported. */
	expiresAt: number | null;
}

export interface UploadedItem {
	id: string;
	name: string;
	size: number;
	driveId: string | null;
	webUrl: string | null;
	quickXorHash: string | null;
	/** Raw driveItem facets the host may record (video dimensions, duration). */
	video: Record<string, unknown> | null;
}

/** A video already in OneDrive that an upload may turn out to duplicate. Plain data. */
export interface ExistingCopy {
	/** 'library': a videos row of the person's; 'folder': a file in the upload's target folder. */
	source: 'library' | 'folder';
	/** The videos row, when the copy is in the person's library. */
	videoId: string | null;
	productId: string | null;
	/** The product's title, for words ("in Espresso grinder"). */
	productTitle: string | null;
	itemId: string;
	driveId: string | null;
	name: string;
	/** The folder it is in, from the drive root ("/Reeldrive"), when known. */
	folderPath: string | null;
	size: number;
	quickXorHash: string;
	webUrl: string | null;
}

/**
 * Never the same video twice: before an upload session is made, copies of the same size in the
 * library (given at queueing) and in the target folder (listed here) are gathered; only when one
 * exists is the file hashed, and a copy with the same QuickXorHash stops the job for the person.
 */
export interface DuplicateCheck {
	/**
	 * pending: nothing looked at yet; hashing: same-size copies exist, the file is being hashed;
	 * clear: no copy, upload; found: `match` waits for the person; ignored: the person chose a
	 * second copy (never asked again); linked: the person chose the existing copy.
	 */
	phase: 'pending' | 'hashing' | 'clear' | 'found' | 'ignored' | 'linked';
	/** Same-size copies in the person's library, as the page found them when queueing. */
	known: ExistingCopy[];
	/** While hashing: every same-size copy with a hash to compare. */
	candidates: ExistingCopy[];
	/** While hashing: the hash of the bytes read so far; once found, of the whole file. */
	hash: QuickXorHashState | null;
	match: ExistingCopy | null;
}

export interface UploadJobState {
	version: 1;
	id: string;
	status: UploadStatus;
	pause: PauseReason | null;
	error: UploadErrorInfo | null;
	graphBaseUrl: string;
	target: UploadTarget;
	/** The name as sent to OneDrive (already sanitised) and the exact size. */
	name: string;
	size: number;
	conflictBehavior: ConflictBehavior;
	/** Set after hash-mismatch: the retry overwrites that item instead of adding a copy. */
	replaceItemId: string | null;
	session: UploadSession | null;
	/** When the fragment holding the last byte was first sent in this session (its answer can be lost). */
	finalSentAt: number | null;
	/** Bytes [0, acknowledged) are confirmed by OneDrive in the current session. */
	acknowledged: number;
	/** QuickXorHash of exactly bytes [0, acknowledged). */
	hash: QuickXorHashState;
	plan: FragmentPlanState;
	/** Consecutive failures of the current step, and when the next attempt may start. */
	attempt: number;
	notBefore: number | null;
	sessionRestarts: number;
	/** While verifying: the finished item, and how many times its hash was looked for. */
	item: UploadedItem | null;
	verifyLookups: number;
	/** Set when done: whether OneDrive's hash was compared and matched (false: it never reported one). */
	verified: boolean | null;
	/**
	 * In error: when the job tries again by itself (transient failures heal without a click).
	 * null when it waits for the person.
	 */
	autoRetryAt: number | null;
	/** Automatic retries since the last acknowledged fragment (their waits grow towards an hour). */
	autoRetries: number;
	/** Hash or size mismatches so far: the first is retried by itself, a second waits for the person. */
	mismatches: number;
	/** null: no check for this job (queued before the check existed, or not asked for). */
	duplicates: DuplicateCheck | null;
	createdAt: number;
	updatedAt: number;
}

export interface NewUploadJob {
	id: string;
	name: string;
	size: number;
	target: UploadTarget;
	conflictBehavior?: ConflictBehavior;
	graphBaseUrl?: string;
	/**
	 * Look for the same video before uploading, with these same-size copies from the person's
	 * library (the target folder is listed too). Absent: no check.
	 */
	checkDuplicates?: { known: ExistingCopy[] };
}

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com/v1.0';

export function createUploadJob(input: NewUploadJob, now: number): UploadJobState {
	if (!Number.isSafeInteger(input.size) || input.size <= 0) {
		throw new UploadError('file-empty', { size: input.size });
	}
	if (!input.name) throw new UploadError('invalid-job', { field: 'name' });
	return {
		version: 1,
		id: input.id,
		status: 'queued',
		pause: null,
		error: null,
		graphBaseUrl: (input.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, ''),
		target: input.target,
		name: input.name,
		size: input.size,
		conflictBehavior: input.conflictBehavior ?? 'rename',
		replaceItemId: null,
		session: null,
		finalSentAt: null,
		acknowledged: 0,
		hash: new QuickXorHash().toState(),
		plan: initialPlan(),
		attempt: 0,
		notBefore: null,
		sessionRestarts: 0,
		item: null,
		verifyLookups: 0,
		verified: null,
		autoRetryAt: null,
		autoRetries: 0,
		mismatches: 0,
		duplicates: input.checkDuplicates
			? { phase: 'pending', known: input.checkDuplicates.known.filter((copy) => copy.size === input.size), candidates: [], hash: null, match: null }
			: null,
		createdAt: now,
		updatedAt: now
	};
}

const ALLOWED: Record<UploadStatus, readonly UploadStatus[]> = {
	queued: ['uploading', 'paused', 'error', 'conflict', 'cancelled'],
	uploading: ['verifying', 'paused', 'error', 'conflict', 'cancelled'],
	verifying: ['done', 'error', 'cancelled'],
	// A job paused or failed after its last fragment may turn out to be complete in OneDrive.
	paused: ['queued', 'uploading', 'verifying', 'paused', 'cancelled'],
	error: ['queued', 'verifying', 'cancelled'],
	conflict: ['queued', 'cancelled'],
	done: [],
	cancelled: []
};

export function canTransition(from: UploadStatus, to: UploadStatus): boolean {
	return ALLOWED[from].includes(to);
}

export function isFinished(status: UploadStatus): boolean {
	return status === 'done' || status === 'cancelled';
}

/** Returns the state moved to `to`; throws invalid-transition for a move the machine forbids. */
export function transition(
	state: UploadJobState,
	to: UploadStatus,
	now: number,
	details: { pause?: PauseReason; error?: UploadErrorInfo } = {}
): UploadJobState {
	if (!canTransition(state.status, to)) {
		throw new UploadError('invalid-transition', { from: state.status, to });
	}
	return {
		...state,
		status: to,
		pause: to === 'paused' ? (details.pause ?? 'user') : null,
		error: to === 'error' || to === 'conflict' ? (details.error ?? null) : null,
		autoRetryAt: to === 'error' ? state.autoRetryAt : null,
		updatedAt: now
	};
}

/** Fills in fields that states saved by an older version of the app do not have yet. */
export function withDefaults(state: UploadJobState): UploadJobState {
	return {
		...state,
		autoRetryAt: state.autoRetryAt ?? null,
		autoRetries: state.autoRetries ?? 0,
		mismatches: state.mismatches ?? 0,
		duplicates: state.duplicates ?? null
	};
}

/** A persisted value is only trusted after this check (storage can hold older or corrupt data). */
export function isUploadJobState(value: unknown): value is UploadJobState {
	if (!value || typeof value !== 'object') return false;
	const v = value as Partial<UploadJobState>;
	return (
		v.version === 1 &&
		typeof v.id === 'string' &&
		typeof v.status === 'string' &&
		v.status in ALLOWED &&
		typeof v.size === 'number' &&
		typeof v.acknowledged === 'number' &&
		v.acknowledged >= 0 &&
		v.acknowledged <= v.size &&
		!!v.hash &&
		v.hash.length === v.acknowledged &&
		!!v.plan
	);
}
