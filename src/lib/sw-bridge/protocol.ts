/**
 * The typed messages between pages and the service worker: one versioned, discriminated union
 * each way (house rule 7). Everything here is plain data.
 */
import type { DuplicateCheck, ExistingCopy, PauseReason, UploadErrorInfo, UploadStatus } from '$lib/upload';

export const PROTOCOL_VERSION = 1;
export const SYNC_TAG = 'reeldrive-uploads';

/** 'link-existing' and 'upload-anyway' answer a job stopped as a duplicate (pause reason 'duplicate'). */
export type UploadCommand = 'pause' | 'resume' | 'cancel' | 'retry' | 'keep-both' | 'replace' | 'link-existing' | 'upload-anyway';

export type PageToWorker =
	/** Who is signed in here now; null when nobody is (uploads of everyone else stay paused). */
	| { v: 1; type: 'active-user'; appUserId: string | null; microsoftAccountId: string | null }
	/** There may be work: run uploads now. */
	| { v: 1; type: 'pump' }
	| { v: 1; type: 'command'; jobId: string; command: UploadCommand }
	/**
	 * The file this page picked for a job (a reference, not a copy): uploading reads from it while
	 * the page is open, before and beyond what is kept in storage.
	 */
	| { v: 1; type: 'attach-file'; jobId: string; file: Blob };

export interface JobSummary {
	id: string;
	status: UploadStatus;
	pause: PauseReason | null;
	error: UploadErrorInfo | null;
	acknowledged: number;
	size: number;
	/** In error: when it tries again by itself (null: it waits for the person). */
	autoRetryAt: number | null;
	/** The look for the same video before uploading (null: none for this job). */
	duplicates?: { phase: DuplicateCheck['phase']; match: ExistingCopy | null } | null;
}

export type WorkerToPage =
	| { v: 1; type: 'job-changed'; job: JobSummary }
	| { v: 1; type: 'progress'; jobId: string; acknowledged: number; total: number; bytesPerSecond: number | null }
	/** Looking for the same video before uploading: bytes of the file hashed so far. */
	| { v: 1; type: 'checking'; jobId: string; hashed: number; total: number }
	/**
	 * A pump ended. `runnable` jobs could run now; `progressed`: this pump moved something on;
	 * `dueAt`: when the soonest backoff or automatic retry ends. The page may pump again.
	 */
	| { v: 1; type: 'pump-finished'; runnable: number; progressed: boolean; dueAt: number | null }
	/** New rows wait in the outbox for the page to record in Supabase. */
	| { v: 1; type: 'outbox-changed' };

/** Sent over a MessageChannel; the page answers on the port. */
export interface TokenRequest {
	v: 1;
	type: 'token-request';
	appUserId: string;
	microsoftAccountId: string;
	forceRefresh: boolean;
}

export type TokenReply =
	| { kind: 'token'; accessToken: string }
	| { kind: 'sign-in-required' }
	/** This page belongs to someone else (or nobody): it will not lend a token. */
	| { kind: 'not-mine' };

export function isPageToWorker(data: unknown): data is PageToWorker {
	const message = data as { v?: unknown; type?: unknown } | null;
	if (!message || message.v !== PROTOCOL_VERSION || typeof message.type !== 'string') return false;
	if (message.type === 'attach-file') {
		const attach = message as { jobId?: unknown; file?: unknown };
		return typeof attach.jobId === 'string' && attach.file instanceof Blob;
	}
	return ['active-user', 'pump', 'command'].includes(message.type);
}

export function isWorkerToPage(data: unknown): data is WorkerToPage {
	const message = data as { v?: unknown; type?: unknown } | null;
	return !!message && message.v === PROTOCOL_VERSION && typeof message.type === 'string' && ['job-changed', 'progress', 'checking', 'pump-finished', 'outbox-changed'].includes(message.type);
}

export function isTokenRequest(data: unknown): data is TokenRequest {
	const message = data as { v?: unknown; type?: unknown } | null;
	return !!message && message.v === PROTOCOL_VERSION && message.type === 'token-request';
}
