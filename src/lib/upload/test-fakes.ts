/**
 * Scripted fakes for the upload core's ports (test support only; imported by *.test.ts).
 * The transport holds a script of expected requests: each step asserts what was sent and says
 * what comes back, and anything unscripted fails the test.
 */
import { expect } from 'vitest';
import { readBlobInto } from './blob-read';
import type { UploadEvent } from './events';
import type { UploadJobState } from './job';
import type {
	ByteSource,
	Clock,
	Connectivity,
	EventSink,
	HttpRequest,
	HttpResponse,
	JobStore,
	NetworkFailure,
	Random,
	TokenResult,
	TokenSource,
	Transport,
	UploadPorts
} from './ports';
import { quickXorHash } from './quickxorhash';

export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

export class FakeClock implements Clock {
	t = T0;
	readonly sleeps: number[] = [];
	now(): number {
		return this.t;
	}
	async sleep(ms: number): Promise<void> {
		this.sleeps.push(ms);
		this.t += ms;
	}
}

export class FixedRandom implements Random {
	constructor(public value = 0.5) {}
	next(): number {
		return this.value;
	}
}

export class MemoryStore implements JobStore {
	state: UploadJobState | undefined;
	readonly saves: UploadJobState[] = [];
	async load() {
		return this.state === undefined ? undefined : (JSON.parse(JSON.stringify(this.state)) as UploadJobState);
	}
	async save(state: UploadJobState) {
		this.state = JSON.parse(JSON.stringify(state)) as UploadJobState;
		this.saves.push(this.state);
	}
}

export class MemoryBytes implements ByteSource {
	readonly reads: Array<[number, number]> = [];
	failFrom: number | null = null;
	constructor(
		readonly data: Uint8Array,
		readonly name = 'clip.mp4'
	) {}
	get size() {
		return this.data.length;
	}
	async read(start: number, end: number) {
		this.reads.push([start, end]);
		if (this.failFrom !== null && end > this.failFrom) throw new Error('NotReadableError');
		return this.data.slice(start, end);
	}
}

/**
 * A file that also hands out Blobs (as a browser's File and kept pieces do): the core then sends
 * fragments as Blobs and reads bytes only to hash them, a step at a time.
 */
export class BlobBytes extends MemoryBytes {
	readonly blobs: Array<[number, number]> = [];
	/** From this byte on, `read` fails (a file changed on disk) while Blobs are still handed out. */
	readFailsFrom: { at: number; error: () => Error } | null = null;
	override async read(start: number, end: number) {
		const fails = this.readFailsFrom;
		if (fails && end > fails.at) {
			this.reads.push([start, end]);
			throw fails.error();
		}
		return super.read(start, end);
	}
	/** Buffers handed to `readInto`, and the ones it gave back (the core should hand those in again). */
	readonly handed: ArrayBuffer[] = [];
	/** Their sizes when handed in (a buffer read into is detached afterwards: its size is 0 then). */
	readonly handedSizes: number[] = [];
	readonly returned: ArrayBuffer[] = [];
	async readInto(start: number, end: number, buffer: ArrayBuffer) {
		const bytes = await this.read(start, end);
		this.handed.push(buffer);
		this.handedSizes.push(buffer.byteLength);
		const view = await readBlobInto(new Blob([bytes]), buffer);
		this.returned.push(view.buffer as ArrayBuffer);
		return view;
	}
	async blob(start: number, end: number) {
		this.blobs.push([start, end]);
		if (this.failFrom !== null && end > this.failFrom) throw new Error('NotReadableError');
		return new Blob([this.data.slice(start, end)]);
	}
}

/** Which kind of file `harness()` gives the core (upload-core.blob.test.ts runs every core test with Blobs). */
export const harnessOptions = { blobs: false };

export class FakeTokens implements TokenSource {
	readonly calls: boolean[] = [];
	readonly queue: Array<TokenResult | Error> = [];
	fallback: TokenResult = { kind: 'token', accessToken: 'token-1' };
	async getToken({ forceRefresh }: { forceRefresh: boolean }) {
		this.calls.push(forceRefresh);
		const next = this.queue.shift() ?? this.fallback;
		if (next instanceof Error) throw next;
		return next;
	}
}

export class FakeConnectivity implements Connectivity {
	online = true;
	isOnline() {
		return this.online;
	}
}

export class EventLog implements EventSink {
	readonly events: UploadEvent[] = [];
	emit(event: UploadEvent) {
		this.events.push(event);
	}
	ofType<K extends UploadEvent['type']>(type: K) {
		return this.events.filter((e): e is Extract<UploadEvent, { type: K }> => e.type === type);
	}
	states() {
		return this.ofType('state-changed').map((e) => e.to);
	}
}

type Reply = HttpResponse | NetworkFailure;

/** Every assertion failure inside any ScriptedTransport, for an afterEach check. */
export const transportFailures: unknown[] = [];
export interface ScriptStep {
	label: string;
	check: (req: HttpRequest) => void;
	/** A reply, or a function of the request and the caller's abort signal (it may answer later). */
	reply: Reply | ((req: HttpRequest, signal: AbortSignal | undefined) => Reply | Promise<Reply>);
}

/** A reply that never comes unless the caller aborts (a PUT hanging on a dead link). */
export function hangUntilAborted(_req: HttpRequest, signal: AbortSignal | undefined): Promise<Reply> {
	return new Promise((resolve) => {
		signal?.addEventListener('abort', () => resolve({ kind: 'network-failure', reason: 'aborted' }));
	});
}

export class ScriptedTransport implements Transport {
	readonly script: ScriptStep[] = [];
	readonly sent: HttpRequest[] = [];
	/** What each request's body was when handed over ('blob' before it was read for the script). */
	readonly bodyKinds: Array<'none' | 'text' | 'bytes' | 'blob'> = [];
	/** Assertion failures inside send(); the core would otherwise see them as network failures. */
	readonly failures: unknown[] = [];
	/** Simulated link speed for fragment PUTs: 10 MiB take 4 s, which keeps fragments at 10 MiB. */
	bytesPerMs = (10 * 1024 * 1024) / 4000;
	onSend: ((req: HttpRequest) => void) | null = null;
	constructor(private readonly clock: FakeClock) {}

	then(...steps: ScriptStep[]): this {
		this.script.push(...steps);
		return this;
	}

	async send(req: HttpRequest, signal?: AbortSignal): Promise<Reply> {
		this.bodyKinds.push(req.body === undefined ? 'none' : typeof req.body === 'string' ? 'text' : req.body instanceof Blob ? 'blob' : 'bytes');
		// A Blob body is read as it is sent, like fetch does; the script sees its bytes.
		if (req.body instanceof Blob) req = { ...req, body: new Uint8Array(await req.body.arrayBuffer()) };
		this.sent.push(req);
		const step = this.script.shift();
		try {
			if (!step) throw new Error(`unscripted request: ${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
			step.check(req);
		} catch (e) {
			this.failures.push(e);
			transportFailures.push(e);
			throw e;
		}
		this.onSend?.(req);
		if (req.body instanceof Uint8Array) this.clock.t += Math.ceil(req.body.length / this.bytesPerMs);
		return typeof step.reply === 'function' ? step.reply(req, signal) : step.reply;
	}

	expectFinished(): void {
		if (this.failures.length > 0) throw this.failures[0];
		expect(this.script.map((s) => s.label), 'script steps left unused').toEqual([]);
	}

	/** Total fragment bytes PUT so far. */
	bytesSent(): number {
		return this.sent.reduce((n, r) => n + (r.method === 'PUT' && r.body instanceof Uint8Array ? r.body.length : 0), 0);
	}
}

export function pseudoRandomBytes(n: number, seed = 1): Uint8Array {
	const out = new Uint8Array(n);
	const words = new Uint32Array(out.buffer, 0, n >> 2);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < words.length; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		words[i] = x >>> 0;
	}
	for (let i = words.length * 4; i < n; i++) out[i] = (i * 31) & 255;
	return out;
}

// ---- request expectations and replies ------------------------------------------------------

export const GRAPH = 'https://graph.test/v1.0';
export const UPLOAD_URL = 'https://upload.test/up/session-1?tempauth=abc';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
	return { status, headers: { 'content-type': 'application/json', ...headers }, text: body === undefined ? '' : JSON.stringify(body) };
}

export function graphError(status: number, code: string, inner?: string, headers: Record<string, string> = {}) {
	return json(status, { error: { code, message: 'developer text', ...(inner ? { innerError: { code: inner } } : {}) } }, headers);
}

export const networkFailure: NetworkFailure = { kind: 'network-failure', reason: 'connection', detail: 'Failed to fetch' };

export function sessionCreated(uploadUrl = UPLOAD_URL, expiresAt = T0 + 15 * 60_000) {
	return json(200, { uploadUrl, expirationDateTime: new Date(expiresAt).toISOString() });
}

export function accepted(ranges: string[], expiresAt?: number) {
	return json(202, { nextExpectedRanges: ranges, ...(expiresAt ? { expirationDateTime: new Date(expiresAt).toISOString() } : {}) });
}

/** The answer to GET {uploadUrl}. */
export function sessionStatus(ranges: string[], expiresAt?: number) {
	return json(200, { nextExpectedRanges: ranges, ...(expiresAt ? { expirationDateTime: new Date(expiresAt).toISOString() } : {}) });
}

export function itemFor(data: Uint8Array, overrides: Record<string, unknown> = {}) {
	return {
		id: 'ITEM-1',
		name: 'clip.mp4',
		size: data.length,
		webUrl: 'https://onedrive.test/clip.mp4',
		parentReference: { driveId: 'drive-1', id: 'FOLDER-1', path: '/drive/root:/Videos' },
		file: { mimeType: 'video/mp4', hashes: { quickXorHash: quickXorHash(data) } },
		...overrides
	};
}

export function expectCreateSession(
	label: string,
	reply: ScriptStep['reply'],
	expected: { url?: string; token?: string; body?: unknown } = {}
): ScriptStep {
	return {
		label,
		reply,
		check: (req) => {
			expect(req.method, label).toBe('POST');
			expect(req.url, label).toBe(expected.url ?? `${GRAPH}/me/drive/items/FOLDER-1:/clip.mp4:/createUploadSession`);
			expect(req.headers, label).toEqual({
				Authorization: `Bearer ${expected.token ?? 'token-1'}`,
				'Content-Type': 'application/json'
			});
			if (expected.body !== undefined) expect(JSON.parse(req.body as string), label).toEqual(expected.body);
		}
	};
}

export function expectPut(
	label: string,
	data: Uint8Array,
	first: number,
	lastInclusive: number,
	reply: ScriptStep['reply'],
	uploadUrl = UPLOAD_URL
): ScriptStep {
	return {
		label,
		reply,
		check: (req) => {
			expect(req.method, label).toBe('PUT');
			expect(req.url, label).toBe(uploadUrl);
			// Exactly these two headers: above all, no Authorization on the pre-authenticated URL.
			expect(req.headers, label).toEqual({
				'Content-Length': String(lastInclusive - first + 1),
				'Content-Range': `bytes ${first}-${lastInclusive}/${data.length}`
			});
			expect(Object.keys(req.headers).map((h) => h.toLowerCase()), label).not.toContain('authorization');
			const body = req.body as Uint8Array;
			expect(body.length, label).toBe(lastInclusive - first + 1);
			expect(quickXorHash(body), `${label}: body bytes`).toBe(quickXorHash(data.subarray(first, lastInclusive + 1)));
		}
	};
}

export function expectStatusGet(label: string, reply: ScriptStep['reply'], uploadUrl = UPLOAD_URL): ScriptStep {
	return {
		label,
		reply,
		check: (req) => {
			expect(req.method, label).toBe('GET');
			expect(req.url, label).toBe(uploadUrl);
			expect(req.headers, label).toEqual({});
			expect(req.body, label).toBeUndefined();
		}
	};
}

export function expectDelete(label: string, uploadUrl = UPLOAD_URL): ScriptStep {
	return {
		label,
		reply: { status: 204, headers: {}, text: '' },
		check: (req) => {
			expect(req.method, label).toBe('DELETE');
			expect(req.url, label).toBe(uploadUrl);
			expect(req.headers, label).toEqual({});
		}
	};
}

export function expectGraphGet(label: string, url: string, reply: ScriptStep['reply']): ScriptStep {
	return {
		label,
		reply,
		check: (req) => {
			expect(req.method, label).toBe('GET');
			expect(req.url, label).toBe(url);
			expect(req.headers, label).toEqual({ Authorization: 'Bearer token-1' });
		}
	};
}

export interface Harness {
	clock: FakeClock;
	random: FixedRandom;
	store: MemoryStore;
	bytes: MemoryBytes | BlobBytes;
	tokens: FakeTokens;
	connectivity: FakeConnectivity;
	events: EventLog;
	transport: ScriptedTransport;
	ports: UploadPorts;
}

export function harness(data: Uint8Array, options: { blobs?: boolean } = {}): Harness {
	const clock = new FakeClock();
	const blobs = options.blobs ?? harnessOptions.blobs;
	const h = {
		clock,
		random: new FixedRandom(),
		store: new MemoryStore(),
		bytes: blobs ? new BlobBytes(data) : new MemoryBytes(data),
		tokens: new FakeTokens(),
		connectivity: new FakeConnectivity(),
		events: new EventLog(),
		transport: new ScriptedTransport(clock)
	};
	return {
		...h,
		ports: { ...h, transport: h.transport }
	};
}

/** A second process: fresh fakes for everything except what persists (store) and the file's bytes. */
export function restartedHarness(before: Harness): Harness {
	const next = harness(before.bytes.data, { blobs: before.bytes instanceof BlobBytes });
	next.clock.t = before.clock.t;
	const store = before.store;
	return { ...next, store, ports: { ...next.ports, store } };
}
