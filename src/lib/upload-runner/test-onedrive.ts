/**
 * Test support: a small in-memory OneDrive behind the upload core's Transport port, enough for
 * host tests of the scheduler: upload sessions (create, fragment PUTs with nextExpectedRanges,
 * status, delete), items with QuickXorHash, folder listings, and conflictBehavior rename. Each
 * request can be held open (to act "mid-fragment"), and every request is logged.
 */
import type { Clock, HttpRequest, HttpResponse, NetworkFailure, Transport } from '$lib/upload';
import { quickXorHash } from '$lib/upload';

export const GRAPH = 'https://graph.fake/v1.0';
const UPLOADS = 'https://upload.fake/session/';

interface Session {
	id: string;
	parentId: string;
	name: string;
	size: number;
	conflict: 'rename' | 'replace' | 'fail';
	replaceId: string | null;
	bytes: Uint8Array;
	next: number;
}

export interface StoredItem {
	id: string;
	parentId: string;
	name: string;
	bytes: Uint8Array;
}

export interface LoggedRequest {
	method: string;
	url: string;
	start?: number;
	end?: number;
	/** Settled: answered, failed or abandoned. */
	done: boolean;
	aborted: boolean;
}

/** What to do with a request before OneDrive applies it. */
export type Interception =
	| undefined
	/** Keep it open until `release()`; an abort while held means OneDrive never got it. */
	| { hold: Promise<void> }
	/** Apply it, then lose the answer (a dropped connection after the server did its part). */
	| 'lose-answer';

const json = (status: number, body: unknown): HttpResponse => ({ status, headers: { 'content-type': 'application/json' }, text: JSON.stringify(body) });

export class FakeOneDrive implements Transport {
	readonly items = new Map<string, StoredItem>();
	readonly sessions = new Map<string, Session>();
	readonly log: LoggedRequest[] = [];
	intercept: (req: HttpRequest) => Interception = () => undefined;
	/** Simulated link speed for PUT bodies on the injected clock (bytes per ms). */
	bytesPerMs = 10_000;
	#ids = 0;

	constructor(private readonly clock?: { t: number } & Clock) {
		this.items.set('FOLDER-1', { id: 'FOLDER-1', parentId: 'root', name: 'Reeldrive', bytes: new Uint8Array() });
	}

	/** Files (not folders) in a folder. */
	filesIn(parentId: string): StoredItem[] {
		return [...this.items.values()].filter((item) => item.parentId === parentId && item.id !== 'FOLDER-1');
	}

	puts(): LoggedRequest[] {
		return this.log.filter((entry) => entry.method === 'PUT');
	}

	/** PUT bytes sent beyond each file's size: bytes OneDrive was sent twice. */
	bytesPut(): number {
		return this.puts().reduce((sum, entry) => sum + ((entry.end ?? 0) - (entry.start ?? 0)), 0);
	}

	async send(req: HttpRequest, signal?: AbortSignal): Promise<HttpResponse | NetworkFailure> {
		const range = /bytes (\d+)-(\d+)\//.exec(req.headers['Content-Range'] ?? '');
		const entry: LoggedRequest = {
			method: req.method,
			url: req.url,
			start: range ? Number(range[1]) : undefined,
			end: range ? Number(range[2]) + 1 : undefined,
			done: false,
			aborted: false
		};
		this.log.push(entry);
		const settle = (result: HttpResponse | NetworkFailure) => {
			entry.done = true;
			return result;
		};
		if (signal?.aborted) {
			entry.aborted = true;
			return settle({ kind: 'network-failure', reason: 'aborted' });
		}
		const interception = this.intercept(req);
		if (interception && typeof interception === 'object') {
			const aborted = new Promise<'aborted'>((resolve) => signal?.addEventListener('abort', () => resolve('aborted')));
			if ((await Promise.race([interception.hold.then(() => 'go' as const), aborted])) === 'aborted') {
				entry.aborted = true;
				return settle({ kind: 'network-failure', reason: 'aborted' });
			}
		}
		// A Blob body is read as it is sent, like fetch does.
		if (req.body instanceof Blob) req = { ...req, body: new Uint8Array(await req.body.arrayBuffer()) };
		if (req.body instanceof Uint8Array && this.clock) this.clock.t += Math.ceil(req.body.length / this.bytesPerMs);
		const response = this.#answer(req);
		if (signal?.aborted) {
			entry.aborted = true;
			return settle({ kind: 'network-failure', reason: 'aborted' });
		}
		if (interception === 'lose-answer') return settle({ kind: 'network-failure', reason: 'connection', detail: 'answer lost' });
		return settle(response);
	}

	#itemJson(item: StoredItem) {
		return {
			id: item.id,
			name: item.name,
			size: item.bytes.length,
			parentReference: { driveId: 'drive-1', id: item.parentId },
			webUrl: `https://onedrive.fake/${item.id}`,
			file: { mimeType: 'video/mp4', hashes: { quickXorHash: quickXorHash(item.bytes) } }
		};
	}

	#answer(req: HttpRequest): HttpResponse {
		const url = new URL(req.url);
		if (req.url.startsWith(UPLOADS)) {
			const session = this.sessions.get(url.pathname.split('/').pop()!);
			if (!session) return json(404, { error: { code: 'itemNotFound' } });
			if (req.method === 'DELETE') {
				this.sessions.delete(session.id);
				return { status: 204, headers: {}, text: '' };
			}
			if (req.method === 'GET') return json(200, { nextExpectedRanges: [`${session.next}-`] });
			return this.#put(session, req);
		}
		const path = decodeURIComponent(url.pathname.replace('/v1.0', ''));
		const create = /^\/me\/drive\/items\/([^/:]+):\/(.+):\/createUploadSession$/.exec(path);
		const replace = /^\/me\/drive\/items\/([^/:]+)\/createUploadSession$/.exec(path);
		if (req.method === 'POST' && (create || replace)) {
			const body = JSON.parse(String(req.body)) as { item: { '@microsoft.graph.conflictBehavior': Session['conflict']; name: string; fileSize: number } };
			const replaced = replace ? this.items.get(replace[1]!) : undefined;
			if (replace && !replaced) return json(404, { error: { code: 'itemNotFound' } });
			const parentId = replaced?.parentId ?? create![1]!;
			if (!this.items.has(parentId)) return json(404, { error: { code: 'itemNotFound' } });
			const id = `s${++this.#ids}`;
			this.sessions.set(id, {
				id,
				parentId,
				name: replaced?.name ?? create![2]!,
				size: body.item.fileSize,
				conflict: body.item['@microsoft.graph.conflictBehavior'],
				replaceId: replaced?.id ?? null,
				bytes: new Uint8Array(body.item.fileSize),
				next: 0
			});
			return json(200, { uploadUrl: `${UPLOADS}${id}`, expirationDateTime: new Date((this.clock?.now() ?? Date.now()) + 3_600_000).toISOString() });
		}
		const children = /^\/me\/drive\/items\/([^/]+)\/children$/.exec(path);
		if (req.method === 'GET' && children) return json(200, { value: this.filesIn(children[1]!).map((item) => this.#itemJson(item)) });
		const item = /^\/(?:me\/drive|drives\/[^/]+)\/items\/([^/]+)$/.exec(path);
		if (req.method === 'GET' && item) {
			const found = this.items.get(item[1]!);
			return found ? json(200, this.#itemJson(found)) : json(404, { error: { code: 'itemNotFound' } });
		}
		return json(400, { error: { code: 'invalidRequest', message: `fake OneDrive does not know ${req.method} ${path}` } });
	}

	#put(session: Session, req: HttpRequest): HttpResponse {
		const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['Content-Range'] ?? '');
		const body = req.body as Uint8Array;
		if (!range || Number(range[3]) !== session.size) return json(400, { error: { code: 'invalidRange' } });
		const start = Number(range[1]);
		if (start !== session.next) return json(416, { error: { code: 'invalidRange' }, nextExpectedRanges: [`${session.next}-`] });
		session.bytes.set(body, start);
		session.next = start + body.length;
		if (session.next < session.size) return json(202, { nextExpectedRanges: [`${session.next}-`] });
		this.sessions.delete(session.id);
		let name = session.name;
		if (!session.replaceId) {
			const taken = (candidate: string) => this.filesIn(session.parentId).some((other) => other.name.toLowerCase() === candidate.toLowerCase());
			const dot = name.lastIndexOf('.');
			for (let n = 1; taken(name); n++) name = `${session.name.slice(0, dot)} ${n}${session.name.slice(dot)}`;
		}
		const id = session.replaceId ?? `item-${++this.#ids}`;
		const stored = { id, parentId: session.parentId, name, bytes: session.bytes };
		this.items.set(id, stored);
		return json(201, this.#itemJson(stored));
	}
}

/** A request held open until the test lets it go. */
export function gate(): { hold: Promise<void>; release: () => void } {
	let release: () => void = () => {};
	const hold = new Promise<void>((resolve) => (release = resolve));
	return { hold, release };
}
