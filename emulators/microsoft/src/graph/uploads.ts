/**
 * Writing file content: simple upload (PUT /content), upload sessions (create, fragments, status,
 * cancel, commit) and the commit step they share. Bytes go straight from the socket to a file at
 * their offset; the hash is updated as they pass, from state saved with the session, so a fragment
 * is never held in memory and a completed upload is never read back to hash it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Fault } from '../control/faults';
import type { Emulator } from '../emulator';
import { QuickXorHash } from '../quick-xor-hash';
import type { ConflictBehavior, DriveStore, ItemRecord, UploadSessionRecord } from '../storage/drive-store';
import { mimeTypeFor, numberedName } from '../storage/names';
import { readVideoFacet } from '../video-facet';
import { faultError, GraphError, invalidRequest, notFound } from './graph-errors';

export const FRAGMENT_UNIT = 327_680;
/** "Less than 60 MiB" per request. */
export const MAX_FRAGMENT_BYTES = 60 * 1024 * 1024;
/** Simple upload limit ("up to 250 MB"). */
export const MAX_SIMPLE_UPLOAD_BYTES = 250 * 1024 * 1024;

export function parseConflictBehavior(value: unknown): ConflictBehavior | undefined {
	if (value === undefined || value === null) return undefined;
	if (value === 'fail' || value === 'replace' || value === 'rename') return value;
	throw invalidRequest(`Invalid value for @microsoft.graph.conflictBehavior: '${String(value)}'. Use fail, replace or rename.`);
}

export const nameConflict = (message = 'The specified item name already exists.') => new GraphError(409, 'nameAlreadyExists', message);
export const quotaExceeded = () => new GraphError(507, 'quotaLimitReached', 'Insufficient Space Available');

/** Moves finished bytes into the drive as a new or replaced file. Returns 201 for new, 200 for replaced. */
export async function commitContent(
	em: Emulator,
	drive: DriveStore,
	args: {
		parentId: string;
		name: string;
		replaceItemId?: string;
		conflict: ConflictBehavior;
		conflictMessage?: string;
		size: number;
		sourcePath: string;
		quickXorHash: string;
		description?: string;
		fileSystemInfo?: ItemRecord['fileSystemInfo'];
	}
): Promise<{ status: 200 | 201; item: ItemRecord }> {
	const video = await readVideoFacet(args.sourcePath);
	// From here on no await: the checks and the change happen together.
	let name = args.name;
	let replaceId: string | undefined;
	if (args.replaceItemId) {
		const target = drive.get(args.replaceItemId);
		if (!target || target.isFolder) throw notFound('The item to replace no longer exists.');
		replaceId = target.id;
		name = target.name;
	} else {
		const parent = drive.get(args.parentId);
		if (!parent || !parent.isFolder) throw notFound('The parent folder no longer exists.');
		const existing = drive.findChild(args.parentId, name);
		if (existing) {
			if (args.conflict === 'fail') throw nameConflict(args.conflictMessage);
			if (args.conflict === 'rename') name = drive.uniqueName(args.parentId, name, false, numberedName);
			else if (existing.isFolder) drive.delete(existing, em.clock.stamp());
			else replaceId = existing.id;
		}
	}
	const replacedSize = replaceId ? (drive.get(replaceId)?.size ?? 0) : 0;
	if (args.size - replacedSize > drive.remaining()) throw quotaExceeded();
	const file = drive.newContentFileName();
	renameSync(args.sourcePath, drive.contentPath(file));
	const { item, created } = drive.putFile(
		{
			parentId: args.parentId,
			name,
			replaceId,
			size: args.size,
			content: { kind: 'file', file },
			mimeType: mimeTypeFor(name),
			quickXorHash: args.quickXorHash,
			video,
			description: args.description,
			fileSystemInfo: args.fileSystemInfo
		},
		em.clock.stamp()
	);
	return { status: created ? 201 : 200, item };
}

/**
 * Streams a request body to `path` from `position`, hashing what it keeps. A part file that is
 * gone (the session was deleted while this PUT was on its way) keeps nothing: the caller then
 * finds the session missing and answers 404, as OneDrive does, instead of failing with a 500.
 */
export async function receive(
	req: IncomingMessage,
	path: string,
	position: number,
	hash: QuickXorHash,
	limits: { keep: number; dropAfter?: number }
): Promise<{ kept: number; consumed: number; aborted: boolean }> {
	let file;
	try {
		file = await open(path, 'r+');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
		req.resume();
		return { kept: 0, consumed: 0, aborted: true };
	}
	let kept = 0;
	let consumed = 0;
	let aborted = false;
	try {
		for await (const chunk of req as AsyncIterable<Buffer>) {
			let part = chunk;
			if (limits.dropAfter !== undefined && consumed + part.length >= limits.dropAfter) {
				part = part.subarray(0, limits.dropAfter - consumed);
				aborted = true;
			}
			consumed += part.length;
			const keep = part.subarray(0, Math.max(0, limits.keep - kept));
			if (keep.length > 0) {
				await file.write(keep, 0, keep.length, position + kept);
				hash.update(keep);
				kept += keep.length;
			}
			if (aborted) {
				req.socket.destroy();
				break;
			}
		}
	} catch {
		aborted = true;
	} finally {
		await file.close();
	}
	return { kept, consumed, aborted };
}

export async function simpleUpload(
	em: Emulator,
	drive: DriveStore,
	req: IncomingMessage,
	target: { parentId: string; name: string; replaceItemId?: string; conflict: ConflictBehavior }
): Promise<{ status: 200 | 201; item: ItemRecord } | undefined> {
	const lengthHeader = req.headers['content-length'];
	if (lengthHeader === undefined) throw new GraphError(411, 'invalidRequest', 'A Content-Length header is required.');
	const length = Number(lengthHeader);
	if (length > MAX_SIMPLE_UPLOAD_BYTES) {
		throw new GraphError(413, 'invalidRequest', `Simple upload is limited to ${MAX_SIMPLE_UPLOAD_BYTES} bytes; use an upload session.`, 'maxFileSizeExceeded');
	}
	const replacing = target.replaceItemId ? drive.get(target.replaceItemId)?.size ?? 0 : 0;
	if (length - replacing > drive.remaining()) throw quotaExceeded();
	const temporary = drive.temporaryPath();
	writeFileSync(temporary, '');
	const hash = new QuickXorHash();
	const { kept, aborted } = await receive(req, temporary, 0, hash, { keep: length });
	if (aborted || kept !== length) {
		rmSync(temporary, { force: true });
		return undefined;
	}
	try {
		return await commitContent(em, drive, { ...target, size: length, sourcePath: temporary, quickXorHash: hash.digestBase64() });
	} finally {
		rmSync(temporary, { force: true });
	}
}

// ---- upload sessions ----

export function createSession(
	em: Emulator,
	drive: DriveStore,
	args: {
		parentId: string;
		name: string;
		replaceItemId?: string;
		conflict: ConflictBehavior;
		declaredSize?: number;
		deferCommit: boolean;
		description?: string;
		fileSystemInfo?: ItemRecord['fileSystemInfo'];
	}
): UploadSessionRecord {
	const now = em.clock.now();
	const hardExpiresAt = now + em.lifetimes.uploadUrlSeconds * 1000;
	const session: UploadSessionRecord = {
		id: randomUUID().replace(/-/g, ''),
		secret: randomBytes(32).toString('base64url'),
		target: { parentId: args.parentId, name: args.name, replaceItemId: args.replaceItemId },
		conflictBehavior: args.conflict,
		deferCommit: args.deferCommit,
		declaredSize: args.declaredSize,
		total: args.declaredSize,
		received: 0,
		hash: new QuickXorHash().state(),
		createdAt: now,
		expiresAt: Math.min(hardExpiresAt, now + em.lifetimes.uploadSessionIdleSeconds * 1000),
		hardExpiresAt,
		description: args.description,
		fileSystemInfo: args.fileSystemInfo
	};
	writeFileSync(drive.partPath(session.id), '');
	drive.addSession(session);
	return session;
}

export function uploadUrl(em: Emulator, drive: DriveStore, session: UploadSessionRecord): string {
	return `${em.contentUrl}/up/${encodeURIComponent(drive.id)}/${session.id}?tempauth=${session.secret}`;
}

export function sessionStatus(em: Emulator, session: UploadSessionRecord): Record<string, unknown> {
	const done = session.total !== undefined && session.received >= session.total;
	return {
		expirationDateTime: em.clock.iso(session.expiresAt),
		nextExpectedRanges: done ? [] : [`${session.received}-`]
	};
}

const uploadSessionNotFound = () => new GraphError(404, 'itemNotFound', 'The upload session was not found');

/** Finds a live session; expired ones are removed on sight. */
export function liveSession(em: Emulator, drive: DriveStore, id: string): UploadSessionRecord {
	const session = drive.session(id);
	if (!session) throw uploadSessionNotFound();
	const now = em.clock.now();
	if (now >= session.hardExpiresAt) {
		throw new GraphError(
			401,
			'unauthenticated',
			`The access token has expired. It's valid from '${new Date(session.createdAt).toUTCString()}' and to '${new Date(session.hardExpiresAt).toUTCString()}'.`,
			'expiredToken'
		);
	}
	if (now >= session.expiresAt) {
		drive.removeSession(id);
		throw uploadSessionNotFound();
	}
	return session;
}

export function removeExpiredSessions(em: Emulator): void {
	const now = em.clock.now();
	for (const drive of em.allDrives()) {
		for (const session of drive.sessions()) if (now >= session.expiresAt || now >= session.hardExpiresAt) drive.removeSession(session.id);
	}
}

const busySessions = new Set<string>();

export type FragmentOutcome =
	| { kind: 'accepted'; body: Record<string, unknown> }
	| { kind: 'committed'; status: 200 | 201; item: ItemRecord }
	| { kind: 'failed'; error: GraphError }
	| { kind: 'dropped' };

/** PUT {uploadUrl}: one fragment, validated the way the references describe, then streamed to disk. */
export async function putFragment(em: Emulator, drive: DriveStore, session: UploadSessionRecord, req: IncomingMessage, fault?: Fault): Promise<FragmentOutcome> {
	const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec((req.headers['content-range'] ?? '').trim());
	if (!range) return { kind: 'failed', error: invalidRequest('The Content-Range header is missing or malformed.') };
	const first = Number(range[1]);
	const last = Number(range[2]);
	const total = Number(range[3]);
	if (first > last || last >= total) return { kind: 'failed', error: invalidRequest('The Content-Range header is missing or malformed.') };
	if (session.total !== undefined && total !== session.total) {
		return {
			kind: 'failed',
			error: invalidRequest(`The current upload session is for ${session.total} total bytes, but the current fragment declares a total of ${total}.`, 'fragmentLengthMismatch')
		};
	}
	const lengthHeader = req.headers['content-length'];
	if (lengthHeader === undefined) return { kind: 'failed', error: new GraphError(411, 'invalidRequest', 'A Content-Length header is required.') };
	const length = last - first + 1;
	if (Number(lengthHeader) !== length) {
		return { kind: 'failed', error: invalidRequest('The Content-Range header length does not match the provided number of bytes.') };
	}
	if (length >= MAX_FRAGMENT_BYTES) {
		return { kind: 'failed', error: new GraphError(413, 'invalidRequest', `A fragment must be smaller than 60 MiB (${MAX_FRAGMENT_BYTES} bytes).`, 'maxFragmentLengthExceeded') };
	}
	if (busySessions.has(session.id) || first < session.received) {
		return { kind: 'failed', error: new GraphError(416, 'invalidRange', 'Uploaded fragment overlaps with existing data.', 'fragmentOverlap') };
	}
	if (first > session.received) {
		return { kind: 'failed', error: new GraphError(416, 'invalidRange', 'Uploaded fragment is out of order.', 'fragmentOutOfOrder') };
	}
	const isLast = last + 1 === total;
	// A fragment that ends on a 320 KiB boundary is also accepted: that is how a client resumes
	// after the service kept only part of the previous fragment.
	if (!isLast && length % FRAGMENT_UNIT !== 0 && (last + 1) % FRAGMENT_UNIT !== 0) {
		return {
			kind: 'failed',
			error: invalidRequest(`Fragments other than the last must be a multiple of 320 KiB (${FRAGMENT_UNIT} bytes); this one has ${length} bytes.`)
		};
	}
	// Without a declared fileSize nothing was checked at creation; checking only at commit would
	// let a client fill the disk with a part file far larger than the drive's free space.
	if (last + 1 - replacedBytes(drive, session) > drive.remaining()) return { kind: 'failed', error: quotaExceeded() };
	if (fault?.status !== undefined && fault.acceptPrefixBytes === undefined && fault.dropAfterBytes === undefined) {
		return { kind: 'failed', error: faultStatusError(fault) };
	}

	busySessions.add(session.id);
	let outcome: { kept: number; consumed: number; aborted: boolean };
	const hash = QuickXorHash.fromState(session.hash);
	try {
		outcome = await receive(req, drive.partPath(session.id), first, hash, {
			keep: Math.min(length, fault?.acceptPrefixBytes ?? length),
			dropAfter: fault?.dropAfterBytes
		});
	} finally {
		busySessions.delete(session.id);
	}
	// A dropped connection keeps nothing, unless the fault says a prefix was kept.
	const keptCounts = !outcome.aborted || fault?.acceptPrefixBytes !== undefined;
	if (!drive.session(session.id)) return outcome.aborted ? { kind: 'dropped' } : { kind: 'failed', error: uploadSessionNotFound() };
	if (keptCounts && outcome.kept > 0) {
		session.total = total;
		session.received = first + outcome.kept;
		session.hash = hash.state();
		session.expiresAt = Math.min(session.hardExpiresAt, em.clock.now() + em.lifetimes.uploadSessionIdleSeconds * 1000);
		drive.persist();
	} else if (session.total === undefined) {
		session.total = total;
		drive.persist();
	}
	if (outcome.aborted) return { kind: 'dropped' };
	if (fault?.status !== undefined) return { kind: 'failed', error: faultStatusError(fault) };
	if (session.received < total) return { kind: 'accepted', body: sessionStatus(em, session) };
	if (session.deferCommit) {
		session.awaitingCommit = true;
		drive.persist();
		return { kind: 'accepted', body: sessionStatus(em, session) };
	}
	return finishSession(em, drive, session, 'Another file exists with the same name as the uploaded session. You can redirect the upload session to use a new filename by calling PUT with the new metadata and @microsoft.graph.sourceUrl attribute.');
}

/** Bytes the session's commit will free: those of the file it replaces, if any. */
function replacedBytes(drive: DriveStore, session: UploadSessionRecord): number {
	if (session.target.replaceItemId) return drive.get(session.target.replaceItemId)?.size ?? 0;
	if (session.conflictBehavior !== 'replace') return 0;
	const existing = drive.findChild(session.target.parentId, session.target.name);
	return existing && !existing.isFolder ? existing.size : 0;
}

function faultStatusError(fault: Fault): GraphError {
	if (fault.status === 416 && !fault.code) return new GraphError(416, 'invalidRange', 'The requested range is not valid.');
	return faultError(fault.status!, fault.code, fault.retryAfter);
}

/** Commits a fully received session; on 409/507 the session stays so the client can commit it another way. */
export async function finishSession(
	em: Emulator,
	drive: DriveStore,
	session: UploadSessionRecord,
	conflictMessage?: string,
	override?: { parentId: string; name: string; conflict: ConflictBehavior }
): Promise<FragmentOutcome> {
	if (session.total === undefined || session.received < session.total) {
		return { kind: 'failed', error: invalidRequest('The upload session is not complete.', 'uploadSessionIncomplete') };
	}
	const part = drive.partPath(session.id);
	await truncate(part, session.total);
	try {
		const result = await commitContent(em, drive, {
			parentId: override?.parentId ?? session.target.parentId,
			name: override?.name ?? session.target.name,
			replaceItemId: override ? undefined : session.target.replaceItemId,
			conflict: override?.conflict ?? session.conflictBehavior,
			conflictMessage,
			size: session.total,
			sourcePath: part,
			quickXorHash: QuickXorHash.fromState(session.hash).digestBase64(),
			description: session.description,
			fileSystemInfo: session.fileSystemInfo
		});
		drive.removeSession(session.id, true);
		return { kind: 'committed', ...result };
	} catch (error) {
		if (error instanceof GraphError) return { kind: 'failed', error };
		throw error;
	}
}
