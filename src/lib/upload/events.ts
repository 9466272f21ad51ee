import type { UploadErrorInfo } from './errors';
import type { PauseReason, UploadStatus } from './job';

export type SessionRestartReason =
	/** 404 on the upload URL: the session expired or was deleted. */
	| 'session-not-found'
	/** 401 on the upload URL: its built-in token (about 24 h) ran out. */
	| 'upload-url-expired'
	/** Replaced on purpose before the 24-hour limit. */
	| 'session-age'
	/** A retry after hash-mismatch or a conflict decision. */
	| 'retry';

/** What the core tells the host. Plain data, safe to post to pages. */
export type UploadEvent =
	| {
			type: 'state-changed';
			jobId: string;
			from: UploadStatus;
			to: UploadStatus;
			pause: PauseReason | null;
			error: UploadErrorInfo | null;
	  }
	/** After every acknowledged fragment (and after realignments). Bytes OneDrive holds. */
	| { type: 'progress'; jobId: string; acknowledged: number; total: number; bytesPerSecond: number | null }
	| { type: 'session-created'; jobId: string; expiresAt: number | null }
	| { type: 'session-restarted'; jobId: string; reason: SessionRestartReason; discardedBytes: number }
	/** The server's position differed from ours (partial acceptance, lost bytes, a crash mid-fragment). */
	| { type: 'realigned'; jobId: string; from: number; to: number }
	| { type: 'retry-scheduled'; jobId: string; attempt: number; delayMs: number; cause: string }
	| { type: 'verified'; jobId: string; quickXorHash: string; verified: boolean }
	/** Looking for the same video before uploading: bytes of the file hashed so far. */
	| { type: 'checking'; jobId: string; hashed: number; total: number };
