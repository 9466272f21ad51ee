/**
 * A multipart/form-data reader that streams: each part's bytes are handed on as they arrive, so
 * a shared video of a gigabyte passes through the service worker a network chunk at a time
 * instead of being held whole, as `request.formData()` holds it.
 *
 * The body is scanned for the delimiter (CRLF "--" boundary) with `indexOf` on the carriage
 * return, so the search runs in native code and no byte is looked at twice. The delimiter holds
 * a single CR (a boundary may not contain one), which means a delimiter can only start at a CR:
 * when a chunk ends partway through what may be a delimiter, only the length of that prefix is
 * carried over, never the bytes or the chunk.
 */

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;
const EMPTY: Uint8Array = new Uint8Array(0);

export type MultipartErrorCode =
	/** The boundary given to the reader is not one RFC 2046 allows. */
	| 'invalid-boundary'
	/** The body ended before its first delimiter: not multipart, or another boundary. */
	| 'boundary-not-found'
	/** The body ended before the closing delimiter. */
	| 'truncated'
	/** A delimiter was followed by something other than "--", padding and CRLF. */
	| 'malformed-delimiter'
	/** A header line without a colon. */
	| 'malformed-header'
	| 'headers-too-large'
	| 'too-many-parts'
	/** A part's body was read after the reader had moved past it, or after the reader closed. */
	| 'part-body-gone'
	/** Two reads of the same body ran at once (the next part was asked for while a body read was pending). */
	| 'concurrent-read';

export class MultipartError extends Error {
	readonly code: MultipartErrorCode;
	readonly context: Record<string, string | number>;

	constructor(code: MultipartErrorCode, message: string, context: Record<string, string | number> = {}) {
		super(message);
		this.name = 'MultipartError';
		this.code = code;
		this.context = context;
	}
}

export interface MultipartLimits {
	/** Bytes allowed between a delimiter and the blank line that ends a part's headers. */
	maxHeaderBytes?: number;
	maxParts?: number;
}

export const DEFAULT_MULTIPART_LIMITS: Required<MultipartLimits> = { maxHeaderBytes: 16 * 1024, maxParts: 1000 };

export interface MultipartPart {
	/** Content-Disposition's `name` (`name*` preferred), null when the part has none. */
	name: string | null;
	/** Content-Disposition's `filename*` when it decodes, else `filename`; null when absent. */
	filename: string | null;
	contentType: string | null;
	/** Every header of the part, names in lower case; repeated headers joined with ", ". */
	headers: Record<string, string>;
	/**
	 * The part's bytes as they arrive, views into the network chunks (copy them to keep them past
	 * the next read). Readable once, and only until the next part is asked for: the rest of an
	 * unread body is skipped then.
	 */
	body: AsyncIterable<Uint8Array>;
}

// RFC 2046 section 5.1.1: bcharsnospace, plus space anywhere but last.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** The boundary of a multipart/form-data Content-Type, or null when it is another type or has no valid boundary. */
export function boundaryOf(contentType: string): string | null {
	const semicolon = contentType.indexOf(';');
	if (semicolon === -1) return null;
	if (contentType.slice(0, semicolon).trim().toLowerCase() !== 'multipart/form-data') return null;
	const boundary = parseParameters(contentType.slice(semicolon)).get('boundary');
	return boundary !== undefined && BOUNDARY.test(boundary) ? boundary : null;
}

/**
 * The parts of a multipart/form-data body, one at a time, each body streamed (see
 * `MultipartPart.body`). The preamble and the epilogue are ignored. The reader owns `body`:
 * it cancels the stream once the closing delimiter is read, on an error, or when the caller
 * stops early.
 */
export async function* readMultipart(
	body: ReadableStream<Uint8Array>,
	boundary: string,
	limits: MultipartLimits = {}
): AsyncGenerator<MultipartPart> {
	if (!BOUNDARY.test(boundary)) {
		throw new MultipartError('invalid-boundary', `"${boundary}" is not a valid multipart boundary (1 to 70 characters from RFC 2046's set)`);
	}
	const maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MULTIPART_LIMITS.maxHeaderBytes;
	const maxParts = limits.maxParts ?? DEFAULT_MULTIPART_LIMITS.maxParts;
	if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 0 || !Number.isSafeInteger(maxParts) || maxParts < 0) {
		throw new RangeError(`multipart limits must be whole numbers of at least 0, not ${JSON.stringify(limits)}`);
	}
	const scanner = new Scanner(body.getReader(), boundary, maxHeaderBytes);
	try {
		await scanner.skipPreamble();
		for (let index = 0; ; index++) {
			const head = await scanner.readHead(index);
			if (head === null) return;
			if (index >= maxParts) {
				throw new MultipartError('too-many-parts', `the body has more than ${maxParts} parts`, { maxParts });
			}
			const headers = parseHeaders(head, index);
			yield { ...describe(headers), headers, body: scanner.bodyOf(index) };
			await scanner.skipBody();
		}
	} finally {
		await scanner.close();
	}
}

/**
 * Regroups bytes into pieces of exactly `size` bytes (the last one may be shorter), each a fresh
 * buffer of its own that the caller may keep.
 */
export async function* chunked(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
	if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`chunk size must be a positive integer, not ${size}`);
	let piece: Uint8Array | null = null;
	let filled = 0;
	for await (const bytes of source) {
		let offset = 0;
		while (offset < bytes.length) {
			piece ??= new Uint8Array(size);
			const n = Math.min(size - filled, bytes.length - offset);
			piece.set(bytes.subarray(offset, offset + n), filled);
			filled += n;
			offset += n;
			if (filled === size) {
				yield piece;
				piece = null;
				filled = 0;
			}
		}
	}
	if (piece !== null && filled > 0) yield piece.slice(0, filled);
}

/** Walks the body chunk by chunk: through the preamble, each part's head, each part's body. */
class Scanner {
	readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
	/** CRLF "--" boundary. */
	readonly #delimiter: Uint8Array;
	readonly #maxHeaderBytes: number;
	/** The unread rest of the current network chunk. */
	#chunk: Uint8Array = EMPTY;
	#received = 0;
	#ended = false;
	#closed = false;
	/**
	 * How much of the delimiter the previous chunk ended with: those bytes are held back until the
	 * next chunk shows whether they are body bytes. They are always `#delimiter[0..#held]`.
	 */
	#held = 2;
	/**
	 * How many of the held bytes are a CRLF that is not body: the line break before the first
	 * "--boundary", which the body's start stands in for, and the one that ends a part's headers.
	 * So a body may not begin with "--boundary" (RFC 2046 forbids a line that starts with it, and
	 * request.formData() refuses it too).
	 */
	#phantom = 2;
	/** The piece last returned was followed by a delimiter, already consumed. */
	#delimiterNext = false;
	#part = -1;
	#inBody = false;
	#busy = false;
	#failure: unknown = null;

	constructor(reader: ReadableStreamDefaultReader<Uint8Array>, boundary: string, maxHeaderBytes: number) {
		this.#reader = reader;
		this.#delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
		this.#maxHeaderBytes = maxHeaderBytes;
	}

	async skipPreamble(): Promise<void> {
		while ((await this.#scan('preamble')) !== null);
	}

	/** The bytes between a delimiter and the blank line after the part's headers; null at the closing delimiter. */
	async readHead(part: number): Promise<Uint8Array | null> {
		const limit = this.#maxHeaderBytes + 4;
		// Head bytes from earlier chunks, when a head spans chunks: copied into a buffer that
		// doubles as needed, so tiny chunks do not copy the head over and over.
		let store = EMPTY;
		let gathered = 0;
		for (;;) {
			if (this.#chunk.length === 0 && !(await this.#fill())) {
				throw new MultipartError('truncated', `the body ended in the headers of part ${part + 1}, before its closing delimiter`, {
					part,
					offset: this.#received
				});
			}
			const chunk = this.#chunk;
			const taken = chunk.subarray(0, Math.min(chunk.length, limit - gathered));
			let window = taken;
			if (gathered > 0) {
				if (store.length < gathered + taken.length) {
					const grown = new Uint8Array(Math.min(limit, Math.max(2 * store.length, gathered + taken.length)));
					grown.set(store.subarray(0, gathered));
					store = grown;
				}
				store.set(taken, gathered);
				window = store.subarray(0, gathered + taken.length);
			}
			if (window.length >= 2) {
				if (window[0] === DASH && window[1] === DASH) return null;
				// The delimiter line may end only in spaces and tabs (RFC 2046 transport padding).
				let at = 0;
				while (at < window.length && (window[at] === SPACE || window[at] === TAB)) at++;
				if (at < window.length && (window[at] !== CR || (at + 1 < window.length && window[at + 1] !== LF))) {
					const rest = utf8.decode(window.subarray(0, 40)).split('\r')[0];
					throw new MultipartError('malformed-delimiter', `the delimiter before part ${part + 1} is followed by "${rest}"`, { part });
				}
				const end = indexOfBlankLine(window, Math.max(0, gathered - 3));
				if (end !== -1) {
					this.#chunk = chunk.subarray(end + 4 - gathered);
					this.#part = part;
					this.#inBody = true;
					this.#held = 2;
					this.#phantom = 2;
					return window.subarray(0, end);
				}
				if (window.length >= limit) {
					throw new MultipartError('headers-too-large', `the headers of part ${part + 1} are longer than ${this.#maxHeaderBytes} bytes`, {
						part,
						maxHeaderBytes: this.#maxHeaderBytes
					});
				}
			}
			if (gathered === 0) {
				store = new Uint8Array(Math.min(limit, Math.max(256, 2 * window.length)));
				store.set(window);
			}
			gathered = window.length;
			this.#chunk = chunk.subarray(taken.length);
		}
	}

	async *bodyOf(part: number): AsyncGenerator<Uint8Array> {
		for (;;) {
			if (part !== this.#part || this.#closed) {
				throw new MultipartError('part-body-gone', `the body of part ${part + 1} was read after the reader had moved past it`, { part });
			}
			if (!this.#inBody) return;
			const piece = await this.#scan('body');
			if (piece === null) return;
			yield piece;
		}
	}

	async skipBody(): Promise<void> {
		while (this.#inBody) await this.#scan('body');
	}

	async close(): Promise<void> {
		this.#closed = true;
		if (this.#ended) this.#reader.releaseLock();
		else await this.#reader.cancel().catch(() => {});
	}

	/** The next piece of body (or preamble) bytes, or null once the delimiter after them has been consumed. */
	async #scan(phase: 'preamble' | 'body'): Promise<Uint8Array | null> {
		if (this.#failure !== null) throw this.#failure;
		if (this.#busy) {
			throw new MultipartError('concurrent-read', 'a part body was read while another read of the same body was still pending');
		}
		this.#busy = true;
		try {
			const piece = await this.#scanOnce(phase);
			if (piece === null) this.#inBody = false;
			return piece;
		} catch (error) {
			this.#failure = error;
			throw error;
		} finally {
			this.#busy = false;
		}
	}

	async #scanOnce(phase: 'preamble' | 'body'): Promise<Uint8Array | null> {
		const delimiter = this.#delimiter;
		const length = delimiter.length;
		for (;;) {
			if (this.#delimiterNext) {
				this.#delimiterNext = false;
				return null;
			}
			if (this.#chunk.length === 0 && !(await this.#fill())) {
				throw phase === 'preamble'
					? new MultipartError('boundary-not-found', 'the body has no multipart delimiter for its boundary', { offset: this.#received })
					: new MultipartError('truncated', `the body ended inside part ${this.#part + 1}, before its closing delimiter`, {
							part: this.#part,
							offset: this.#received
						});
			}
			const chunk = this.#chunk;

			if (this.#held > 0) {
				const held = this.#held;
				const n = Math.min(length - held, chunk.length);
				if (matches(chunk, 0, delimiter, held, n)) {
					this.#chunk = chunk.subarray(n);
					this.#held = held + n;
					if (this.#held < length) continue;
					this.#held = 0;
					this.#phantom = 0;
					return null;
				}
				// Not a delimiter after all. No other one can start inside the held bytes (their only
				// CR is the first), so the chunk is scanned from its start next time.
				const phantom = this.#phantom;
				this.#held = 0;
				this.#phantom = 0;
				if (held > phantom) return delimiter.slice(phantom, held);
				continue;
			}

			for (let from = 0; ; ) {
				const at = chunk.indexOf(CR, from);
				if (at === -1) {
					this.#chunk = EMPTY;
					return chunk;
				}
				const n = Math.min(length, chunk.length - at);
				// Cheap rejections first: most CRs in a video are not followed by LF, and near misses
				// in a crafted body rarely end in the boundary's last byte.
				if ((n === 1 || chunk[at + 1] === LF) && (n < length || chunk[at + length - 1] === delimiter[length - 1])) {
					if (matches(chunk, at, delimiter, 0, n)) {
						if (n === length) {
							this.#chunk = chunk.subarray(at + length);
							if (at === 0) return null;
							this.#delimiterNext = true;
						} else {
							// The chunk ends with the start of what may be a delimiter.
							this.#chunk = EMPTY;
							this.#held = n;
						}
						if (at > 0) return chunk.subarray(0, at);
						break;
					}
				}
				from = at + 1;
			}
		}
	}

	async #fill(): Promise<boolean> {
		while (!this.#ended) {
			const { done, value } = await this.#reader.read();
			if (done) {
				this.#ended = true;
				break;
			}
			if (!(value instanceof Uint8Array)) throw new TypeError('a multipart body must be a stream of Uint8Array chunks');
			if (value.length === 0) continue;
			this.#received += value.length;
			this.#chunk = value;
			return true;
		}
		return false;
	}
}

function matches(bytes: Uint8Array, at: number, pattern: Uint8Array, from: number, length: number): boolean {
	for (let i = 0; i < length; i++) if (bytes[at + i] !== pattern[from + i]) return false;
	return true;
}

/** Where CRLF CRLF starts in `bytes`, searching from `from`; -1 when absent. */
function indexOfBlankLine(bytes: Uint8Array, from: number): number {
	for (let at = bytes.indexOf(CR, from); at !== -1 && at + 3 < bytes.length; at = bytes.indexOf(CR, at + 1)) {
		if (bytes[at + 1] === LF && bytes[at + 2] === CR && bytes[at + 3] === LF) return at;
	}
	return -1;
}

const utf8 = new TextDecoder();

/** The header block after a delimiter: the rest of the delimiter line (padding, checked already), then header lines. */
function parseHeaders(head: Uint8Array, part: number): Record<string, string> {
	const [, ...lines] = utf8.decode(head).split('\r\n');
	const headers = new Map<string, string>();
	for (const line of lines) {
		const colon = line.indexOf(':');
		if (colon <= 0) throw new MultipartError('malformed-header', `part ${part + 1} has a header line without a name: "${line.slice(0, 80)}"`, { part });
		const name = line.slice(0, colon).trim().toLowerCase();
		const value = line.slice(colon + 1).trim();
		const earlier = headers.get(name);
		headers.set(name, earlier === undefined ? value : `${earlier}, ${value}`);
	}
	return Object.fromEntries(headers);
}

function describe(headers: Record<string, string>): Pick<MultipartPart, 'name' | 'filename' | 'contentType'> {
	const disposition = headers['content-disposition'];
	const params = disposition === undefined ? new Map<string, string>() : parseParameters(disposition);
	return { name: parameter(params, 'name'), filename: parameter(params, 'filename'), contentType: headers['content-type'] ?? null };
}

/** `key*` (RFC 5987) when present and decodable, else `key` with the browsers' form escapes undone. */
function parameter(params: Map<string, string>, key: string): string | null {
	const extended = params.get(`${key}*`);
	const decoded = extended === undefined ? null : decodeExtValue(extended);
	if (decoded !== null) return decoded;
	const plain = params.get(key);
	// Browsers write a quote as %22 and line breaks as %0D and %0A in names and file names (the
	// HTML standard's form encoding); request.formData() turns them back, and so does this.
	return plain === undefined ? null : plain.replace(/%(0a|0d|22)/gi, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
}

/** charset'language'percent-encoded, for UTF-8 and ISO-8859-1; null when it does not decode. */
function decodeExtValue(value: string): string | null {
	const match = /^([^']*)'[^']*'(.*)$/s.exec(value);
	if (match === null) return null;
	const charset = match[1]!.toLowerCase();
	const encoded = match[2]!;
	const bytes: number[] = [];
	for (let i = 0; i < encoded.length; i++) {
		const code = encoded.charCodeAt(i);
		if (code === 0x25) {
			const hex = encoded.slice(i + 1, i + 3);
			if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
			bytes.push(parseInt(hex, 16));
			i += 2;
		} else if (code < 0x80) {
			bytes.push(code);
		} else {
			return null;
		}
	}
	if (charset === 'iso-8859-1') return String.fromCharCode(...bytes);
	if (charset !== 'utf-8') return null;
	try {
		return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
	} catch {
		return null;
	}
}

/**
 * The `; key=value` parameters after a header's first semicolon, keys in lower case, the first
 * of a repeated key kept. Quoted values may escape a quote or a backslash with a backslash
 * (RFC 9110 quoted-pair); any other backslash is kept as written, as browsers do not escape it.
 */
function parseParameters(text: string): Map<string, string> {
	const params = new Map<string, string>();
	let i = text.indexOf(';');
	while (i !== -1 && i < text.length) {
		i++;
		const equals = text.indexOf('=', i);
		const semicolon = text.indexOf(';', i);
		if (equals === -1 || (semicolon !== -1 && semicolon < equals)) {
			i = semicolon;
			continue;
		}
		const key = text.slice(i, equals).trim().toLowerCase();
		i = equals + 1;
		while (text[i] === ' ' || text[i] === '\t') i++;
		let value: string;
		if (text[i] === '"') {
			value = '';
			for (i++; i < text.length && text[i] !== '"'; i++) {
				if (text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) i++;
				value += text[i];
			}
			i = text.indexOf(';', i);
		} else {
			const end = text.indexOf(';', i);
			value = text.slice(i, end === -1 ? undefined : end).trim();
			i = end;
		}
		if (key !== '' && !params.has(key)) params.set(key, value);
	}
	return params;
}
