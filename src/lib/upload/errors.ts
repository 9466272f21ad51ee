/** Every way an upload can stop or be refused, as a stable kebab-case code (house rule 6). */
export const ERROR_CODES = [
	// refusals before queueing
	'file-empty',
	'file-too-large',
	'not-a-video',
	// protocol outcomes
	'onedrive-full',
	'name-conflict',
	'hash-mismatch',
	'size-mismatch',
	'sign-in-required',
	'token-rejected',
	'folder-not-found',
	'access-denied',
	'request-rejected',
	'fragment-rejected',
	'retries-exhausted',
	'session-lost-repeatedly',
	'unexpected-response',
	'file-unreadable',
	'connection-too-slow',
	// programming or storage faults
	'invalid-transition',
	'invalid-job'
] as const;

export type UploadErrorCode = (typeof ERROR_CODES)[number];

export type ErrorContext = Record<string, string | number | boolean | null>;

/** The plain-data form kept in a job's persisted state. */
export interface UploadErrorInfo {
	code: UploadErrorCode;
	/** True when trying again (after the cause is fixed, or simply later) can succeed. */
	retryable: boolean;
	context: ErrorContext;
	/** Clock time it happened. */
	at: number;
}

export class UploadError extends Error {
	readonly code: UploadErrorCode;
	readonly context: ErrorContext;
	readonly retryable: boolean;

	constructor(code: UploadErrorCode, context: ErrorContext = {}, retryable = false) {
		super(`${code} ${JSON.stringify(context)}`);
		this.name = 'UploadError';
		this.code = code;
		this.context = context;
		this.retryable = retryable;
	}

	toInfo(at: number): UploadErrorInfo {
		return { code: this.code, retryable: this.retryable, context: { ...this.context }, at };
	}
}

/**
 * A ByteSource's answer when the bytes asked for are not on this device (yet): neither kept in
 * the browser's storage nor in a file an open page still holds. Not a failure: the job waits for
 * the file ("needs-file") and carries on when it comes back.
 */
export class BytesNotHereError extends Error {
	constructor(readonly start: number) {
		super(`bytes from ${start} are not on this device`);
		this.name = 'BytesNotHereError';
	}
}

/**
 * A JobStore's answer when the browser has no room to write the job's state (a quota error).
 * Not a failure of the upload: the engine carries on with the state it holds, writes it again at
 * the next save, and never sends the last fragment before that fact is written.
 */
export class StorageFullError extends Error {
	constructor(readonly cause?: unknown) {
		super('the browser has no room to save this upload’s progress');
		this.name = 'StorageFullError';
	}
}
