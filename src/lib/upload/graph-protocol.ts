/**
 * Pure pieces of the Graph upload-session protocol (onedrive-graph.md §8, §13, §14): URLs,
 * bodies and headers the core sends, and tolerant parsers for what comes back.
 */
import type { Random } from './ports';
import type { ConflictBehavior, UploadedItem, UploadTarget } from './job';

const enc = encodeURIComponent;

function driveRoot(base: string, driveId: string | undefined): string {
	return driveId ? `${base}/drives/${enc(driveId)}` : `${base}/me/drive`;
}

/** The address of a child `name` under the target folder, in Graph's colon syntax (no trailing colon). */
export function childAddress(base: string, target: UploadTarget, name: string): string {
	const root = driveRoot(base, target.driveId);
	if (target.kind === 'folder') return `${root}/items/${enc(target.parentId)}:/${enc(name)}`;
	const segments = target.folderPath
		.split('/')
		.filter((s) => s.length > 0)
		.map(enc);
	return `${root}/root:/${[...segments, enc(name)].join('/')}`;
}

/** The listing of the target folder's children, asking only for `select`. */
export function childrenUrl(base: string, target: UploadTarget, select: string): string {
	const root = driveRoot(base, target.driveId);
	const query = `?$select=${select}&$top=1000`;
	if (target.kind === 'folder') return `${root}/items/${enc(target.parentId)}/children${query}`;
	const segments = target.folderPath
		.split('/')
		.filter((s) => s.length > 0)
		.map(enc);
	return segments.length === 0 ? `${root}/root/children${query}` : `${root}/root:/${segments.join('/')}:/children${query}`;
}

/**
 * Where to create the folder at `depth` of a path target (0: the first segment, under the root):
 * POST to its parent's children.
 */
export function createFolderUrl(base: string, target: UploadTarget, depth: number): string {
	const root = driveRoot(base, target.driveId);
	if (target.kind !== 'path') throw new Error('only a path target has folders to create');
	const parents = target.folderPath
		.split('/')
		.filter((s) => s.length > 0)
		.slice(0, depth)
		.map(enc);
	return parents.length === 0 ? `${root}/root/children` : `${root}/root:/${parents.join('/')}:/children`;
}

/** A folder that must not replace anything: an existing one answers 409, which is fine. */
export function createFolderBody(name: string): string {
	return JSON.stringify({ name, folder: {}, '@microsoft.graph.conflictBehavior': 'fail' });
}

/**
 * Whether OneDrive could have stored an upload named `sent` as `found`: the same name, or the
 * one conflictBehavior "rename" makes ("clip.mp4" → "clip 1.mp4"). Case-insensitive, as OneDrive is.
 */
export function sameUploadName(sent: string, found: string): boolean {
	const dot = sent.lastIndexOf('.');
	const stem = dot > 0 ? sent.slice(0, dot) : sent;
	const ext = dot > 0 ? sent.slice(dot) : '';
	const a = found.toLowerCase();
	const s = stem.toLowerCase();
	const e = ext.toLowerCase();
	if (a === sent.toLowerCase()) return true;
	if (!a.startsWith(`${s} `) || !a.endsWith(e)) return false;
	return /^\d+$/.test(a.slice(s.length + 1, a.length - e.length));
}

export function createSessionUrl(
	base: string,
	target: UploadTarget,
	name: string,
	replaceItemId: string | null
): string {
	if (replaceItemId) return `${driveRoot(base, target.driveId)}/items/${enc(replaceItemId)}/createUploadSession`;
	return `${childAddress(base, target, name)}:/createUploadSession`;
}

export function createSessionBody(name: string, size: number, conflictBehavior: ConflictBehavior): string {
	// fileSize lets OneDrive refuse with 507 before any byte moves (Personal checks it).
	return JSON.stringify({ item: { '@microsoft.graph.conflictBehavior': conflictBehavior, name, fileSize: size } });
}

export function itemUrl(base: string, driveId: string | null, itemId: string): string {
	return `${driveId ? `${base}/drives/${enc(driveId)}` : `${base}/me/drive`}/items/${enc(itemId)}`;
}

/** `bytes first-last/total`, inclusive; `end` here is exclusive. */
export function contentRange(start: number, end: number, total: number): string {
	return `bytes ${start}-${end - 1}/${total}`;
}

export function parseJson(text: string): unknown {
	if (!text) return null;
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return null;
	}
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The first byte OneDrive still needs, from nextExpectedRanges in either form ("26-" or
 * "5242880-8255205"), possibly several ranges in any order. undefined: field absent or
 * unreadable; null: present and empty (nothing missing).
 */
export function firstMissingByte(body: unknown): number | null | undefined {
	if (!isRecord(body) || !Array.isArray(body.nextExpectedRanges)) return undefined;
	let first: number | null = null;
	for (const range of body.nextExpectedRanges) {
		if (typeof range !== 'string') return undefined;
		const m = /^\s*(\d+)\s*-\s*(\d*)\s*$/.exec(range);
		if (!m) return undefined;
		const start = Number(m[1]);
		if (first === null || start < first) first = start;
	}
	return first;
}

export function expirationOf(body: unknown): number | null {
	if (!isRecord(body) || typeof body.expirationDateTime !== 'string') return null;
	const t = Date.parse(body.expirationDateTime);
	return Number.isFinite(t) ? t : null;
}

/** error.code plus every nested innerError/innererror code, outermost first (§13.1). */
export function graphErrorCodes(body: unknown): string[] {
	const codes: string[] = [];
	let node: unknown = isRecord(body) ? body.error : undefined;
	for (let depth = 0; isRecord(node) && depth < 8; depth++) {
		if (typeof node.code === 'string') codes.push(node.code);
		node = node.innerError ?? node.innererror;
	}
	return codes;
}

/** Retry-After as a delay in ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(headers: Record<string, string>, now: number): number | null {
	const value = headers['retry-after']?.trim();
	if (!value) return null;
	if (/^\d+$/.test(value)) return Number(value) * 1000;
	// Only an HTTP date is left (e.g. "Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone is too lenient.
	if (!/^[A-Za-z]{3}, /.test(value)) return null;
	const at = Date.parse(value);
	return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_CAP_MS = 120_000;

/** Exponential backoff with full jitter: uniform in [0, min(cap, base·2^(attempt-1))]. */
export function backoffMs(attempt: number, random: Random, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS): number {
	const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
	return Math.floor(random.next() * ceiling);
}

export const AUTO_RETRY_BASE_MS = 60_000;
export const AUTO_RETRY_CAP_MS = 60 * 60_000;

/**
 * The wait before the n-th automatic retry of a failed job (n from 0): a minute, doubling up to
 * an hour, less up to a fifth at random so many jobs do not come back at once.
 */
export function autoRetryDelayMs(n: number, random: Random): number {
	const ceiling = Math.min(AUTO_RETRY_CAP_MS, AUTO_RETRY_BASE_MS * 2 ** Math.max(0, n));
	return Math.round(ceiling * (1 - 0.2 * random.next()));
}

export function parseUploadedItem(body: unknown): UploadedItem | null {
	if (!isRecord(body) || typeof body.id !== 'string') return null;
	const file = isRecord(body.file) ? body.file : {};
	const hashes = isRecord(file.hashes) ? file.hashes : {};
	const parent = isRecord(body.parentReference) ? body.parentReference : {};
	return {
		id: body.id,
		name: typeof body.name === 'string' ? body.name : '',
		size: typeof body.size === 'number' ? body.size : -1,
		driveId: typeof parent.driveId === 'string' ? parent.driveId : null,
		webUrl: typeof body.webUrl === 'string' ? body.webUrl : null,
		quickXorHash: typeof hashes.quickXorHash === 'string' && hashes.quickXorHash ? hashes.quickXorHash : null,
		video: isRecord(body.video) ? { ...body.video } : null
	};
}
