/**
 * How one upload looks to a person: its words and numbers, from its stored record or the
 * worker's summaries. Pure, so the page manager stays about wiring.
 */
import type { StagingState, UploadRecord } from '$lib/db/reeldrive-db';
import type { JobSummary } from '$lib/sw-bridge/protocol';
import { describeCopy, describeFailure, describeNameFixes, describePause, type ExistingCopy, type PauseReason, type UploadErrorInfo, type UploadStatus } from '$lib/upload';

export interface UploadView {
	id: string;
	name: string;
	originalName: string;
	/** Words about how the name was changed for OneDrive, when it was. */
	renamedNote: string | null;
	productId: string | null;
	status: UploadStatus;
	pause: PauseReason | null;
	/** Words on how much of the video this device keeps until OneDrive has it; null once it is all kept or over. */
	keptText: string | null;
	/** Words for the state, the pause reason or the error. */
	statusText: string;
	errorText: string | null;
	acknowledged: number;
	size: number;
	bytesPerSecond: number | null;
	secondsLeft: number | null;
	posterUrl: string | null;
	createdAt: number;
	/** Looking for the same video in OneDrive before uploading (no byte is uploaded meanwhile). */
	checking: boolean;
	/** While checking: how much of the file was compared, in words ("Checking … 40 %"). */
	checkingText: string | null;
	/** Stopped as a duplicate: the video already in OneDrive, and it in words. */
	duplicate: ExistingCopy | null;
	duplicateText: string | null;
	/** Finished by linking the video already in OneDrive (nothing was uploaded). */
	linked: boolean;
}

type DuplicatesSummary = JobSummary['duplicates'];

export const CHECKING_WORDS = 'Checking whether this video is already in OneDrive';

/** What the look for the same video adds to an upload's view. */
export function duplicateFacts(status: UploadStatus, pause: PauseReason | null, duplicates: DuplicatesSummary) {
	const phase = duplicates?.phase ?? null;
	const checking = (phase === 'pending' || phase === 'hashing') && (status === 'queued' || status === 'uploading');
	const duplicate = status === 'paused' && pause === 'duplicate' && phase === 'found' ? (duplicates?.match ?? null) : null;
	return {
		checking,
		duplicate,
		duplicateText: duplicate ? `Already in OneDrive: ${describeCopy(duplicate)}.` : null,
		linked: status === 'done' && phase === 'linked'
	};
}

/** The state's words, with what the look for the same video says over them. */
function withDuplicateWords(view: Pick<UploadView, 'statusText' | 'checking' | 'linked'>): void {
	if (view.checking) view.statusText = CHECKING_WORDS;
	if (view.linked) view.statusText = 'In OneDrive (linked to the video that was already there; nothing uploaded)';
}

const STATUS_WORDS: Record<UploadStatus, string> = {
	queued: 'Waiting to upload',
	uploading: 'Uploading',
	verifying: 'Checking OneDrive’s copy',
	done: 'In OneDrive',
	paused: 'Paused',
	error: 'Stopped',
	conflict: 'Name already taken',
	cancelled: 'Cancelled'
};

/** The words shown for an upload's state, its pause reason and its error. */
export function describeState(status: UploadStatus, pause: PauseReason | null, error: UploadErrorInfo | null, autoRetryAt: number | null) {
	return {
		statusText: status === 'paused' && pause ? describePause(pause) : STATUS_WORDS[status],
		errorText: error && (status === 'error' || status === 'conflict') ? describeFailure(error, status === 'error' ? autoRetryAt : null, Date.now()) : null
	};
}

export const NO_ROOM_TO_KEEP =
	'This device has no room to keep a copy of this video, so it uploads straight from your file: keep this page open until it is in OneDrive.';

/** How much of the video is kept on this device, in words (null when there is nothing to say). */
export function describeKept(staging: StagingState | undefined, size: number, status: UploadStatus): string | null {
	if (!staging || status === 'done' || status === 'cancelled') return null;
	if (staging.problem === 'quota') return NO_ROOM_TO_KEEP;
	if (staging.stagedTo >= size) return null;
	return `Kept on this device: ${Math.floor((staging.stagedTo / size) * 100)} % (keep this page open until it is all kept)`;
}

/** Smoothing of the measured speed: higher follows changes faster. */
const SPEED_SMOOTHING = 0.3;

export interface SpeedSample {
	at: number;
	acknowledged: number;
	speed: number | null;
}

/** The smoothed speed after OneDrive acknowledged up to `acknowledged` at time `at`. */
export function nextSpeed(previous: SpeedSample | undefined, acknowledged: number, at: number): SpeedSample {
	let speed = previous?.speed ?? null;
	if (previous && acknowledged > previous.acknowledged && at > previous.at) {
		const measured = ((acknowledged - previous.acknowledged) * 1000) / (at - previous.at);
		speed = speed === null ? measured : speed + SPEED_SMOOTHING * (measured - speed);
	}
	return { at, acknowledged, speed };
}

export function uploadView(record: UploadRecord, speed: number | null, posterUrl: string | null): UploadView {
	const s = record.state;
	const active = s.status === 'uploading' || s.status === 'queued';
	const view: UploadView = {
		id: record.id,
		name: s.name,
		originalName: record.originalName,
		renamedNote: record.nameFixes.length > 0 ? describeNameFixes(record.nameFixes) : null,
		productId: record.productId,
		status: s.status,
		pause: s.pause,
		keptText: describeKept(record.staging, s.size, s.status),
		...describeState(s.status, s.pause, s.error, s.autoRetryAt ?? null),
		acknowledged: s.acknowledged,
		size: s.size,
		bytesPerSecond: active ? speed : null,
		secondsLeft: active && speed ? Math.ceil((s.size - s.acknowledged) / speed) : null,
		posterUrl,
		createdAt: record.createdAt,
		...duplicateFacts(s.status, s.pause, s.duplicates ? { phase: s.duplicates.phase, match: s.duplicates.match } : null),
		checkingText: null
	};
	withDuplicateWords(view);
	return view;
}

/** Applies the worker's summary of a job to its view. */
export function applySummary(job: UploadView, summary: JobSummary): void {
	job.status = summary.status;
	job.pause = summary.pause;
	if (summary.status === 'done' || summary.status === 'cancelled') job.keptText = null;
	job.acknowledged = summary.acknowledged;
	job.size = summary.size;
	Object.assign(job, describeState(summary.status, summary.pause, summary.error, summary.autoRetryAt ?? null));
	if (summary.duplicates !== undefined) Object.assign(job, duplicateFacts(summary.status, summary.pause, summary.duplicates));
	if (!job.checking) job.checkingText = null;
	withDuplicateWords(job);
	if (summary.status !== 'uploading' && summary.status !== 'queued') {
		job.bytesPerSecond = null;
		job.secondsLeft = null;
	}
}

/** Applies acknowledged bytes and the smoothed speed to a job's view. */
export function applyProgress(job: UploadView, acknowledged: number, total: number, speed: number | null): void {
	job.acknowledged = acknowledged;
	job.size = total;
	job.bytesPerSecond = speed;
	job.secondsLeft = speed ? Math.ceil((total - acknowledged) / speed) : null;
}

/** How far the look for the same video got (the file is hashed only when a same-size copy exists). */
export function applyChecking(job: UploadView, hashed: number, total: number): void {
	job.checking = true;
	job.statusText = CHECKING_WORDS;
	job.checkingText = `Comparing with a video of the same size: ${total > 0 ? Math.floor((hashed / total) * 100) : 0} % read`;
}
