/**
 * Everything the upload core needs from the outside world. The core imports no platform API:
 * the service worker's composition root passes real implementations of these, tests pass
 * scripted fakes. All values crossing a port are plain data.
 */
import type { UploadEvent } from './events';
import type { UploadJobState } from './job';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRequest {
	method: HttpMethod;
	url: string;
	/**
	 * Exactly the headers to send; the transport must not add any (above all no Authorization on
	 * upload URLs). Content-Length is stated for transports that need it; a fetch-based one leaves
	 * it to fetch, which derives it from the body and refuses it as a header.
	 */
	headers: Record<string, string>;
	/**
	 * A Blob is a fragment the transport sends as it reads it (from disk or IndexedDB), so the
	 * core never holds the fragment's bytes in memory; fetch takes it as is.
	 */
	body?: Uint8Array | string | Blob;
	/**
	 * Give up after this long and answer a NetworkFailure with reason 'timeout'. The core scales
	 * it to the measured link speed; a transport without one uses its own default.
	 */
	timeoutMs?: number;
}

export interface HttpResponse {
	status: number;
	/** Header names in lower case. A cross-origin fetch may hide some (Retry-After on Graph). */
	headers: Record<string, string>;
	/** The body as text ('' when empty); the core parses JSON itself. */
	text: string;
}

/** The request never produced an HTTP status: DNS, TLS, reset connection, offline, timeout. */
export interface NetworkFailure {
	kind: 'network-failure';
	/** 'aborted': the caller's signal fired (Pause, Cancel, sign-out); the outcome is unknown. */
	reason: 'offline' | 'connection' | 'timeout' | 'aborted';
	detail?: string;
}

export interface Transport {
	/**
	 * Resolves with a response for every HTTP status; network problems resolve to NetworkFailure.
	 * When `signal` fires, the request is abandoned at once and resolves to reason 'aborted'.
	 */
	send(request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse | NetworkFailure>;
}

export interface Clock {
	/** Milliseconds since the Unix epoch. */
	now(): number;
	sleep(ms: number): Promise<void>;
}

export interface Random {
	/** Uniform in [0, 1). */
	next(): number;
}

export type TokenResult =
	| { kind: 'token'; accessToken: string }
	/** MSAL only runs in a page; none is open to ask. The job waits ('Open Reeldrive to continue'). */
	| { kind: 'no-page' }
	/** The account needs an interactive sign-in. */
	| { kind: 'sign-in-required' };

export interface TokenSource {
	/** A Graph access token for the job's Microsoft account. */
	getToken(options: { forceRefresh: boolean }): Promise<TokenResult>;
}

export interface ByteSource {
	readonly name: string;
	readonly size: number;
	/** Bytes [start, end) of the file. Rejects when the stored bytes cannot be read. */
	read(start: number, end: number): Promise<Uint8Array>;
	/**
	 * Optional: bytes [start, end) as a Blob that is read only when sent. The core then sends
	 * fragments without copying them into memory, and hashes them through `read` in small steps
	 * while they travel. Rejects with BytesNotHereError like `read`; a Blob whose file changed
	 * since fails when read, which `read` (hashing the same range) finds out.
	 */
	blob?(start: number, end: number): Promise<Blob>;
	/**
	 * Optional: the bytes `read` gives, filled into `buffer` (which they fit) when the source can,
	 * so that hashing a long upload does not allocate a new buffer for every step. The result's
	 * `.buffer` is the one to pass next time (reading may transfer `buffer`, detaching it).
	 */
	readInto?(start: number, end: number, buffer: ArrayBuffer): Promise<Uint8Array>;
}

export interface JobStore {
	load(): Promise<UploadJobState | undefined>;
	/**
	 * Must be durable when the promise resolves: the core relies on it after every fragment.
	 * Rejects with StorageFullError when the browser has no room; the core then keeps the state
	 * in memory and writes it at its next save.
	 */
	save(state: UploadJobState): Promise<void>;
}

export interface Connectivity {
	/** The platform's belief about being online (navigator.onLine in a real host). */
	isOnline(): boolean;
}

export interface EventSink {
	/** Called synchronously; the host decides how often to pass progress on to pages. */
	emit(event: UploadEvent): void;
}

export interface UploadPorts {
	transport: Transport;
	clock: Clock;
	random: Random;
	tokens: TokenSource;
	bytes: ByteSource;
	store: JobStore;
	connectivity: Connectivity;
	events: EventSink;
}
