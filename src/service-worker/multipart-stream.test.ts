import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { boundaryOf, chunked, MultipartError, readMultipart, type MultipartLimits } from './multipart-stream';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** mulberry32: a small seeded generator, so a failing case can be replayed from its seed. */
function seeded(seed: number) {
	let state = seed >>> 0;
	const next = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
	const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
	return { next, int, pick };
}
type Random = ReturnType<typeof seeded>;

function concat(pieces: readonly Uint8Array[]): Uint8Array {
	const joined = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
	let offset = 0;
	for (const piece of pieces) {
		joined.set(piece, offset);
		offset += piece.length;
	}
	return joined;
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
	return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length).indexOf(Buffer.from(needle), from);
}

/** The body cut at `cuts`, each piece a buffer of its own (added to `sent` when given), delivered one per pull. */
function streamOf(bytes: Uint8Array, cuts: readonly number[] = [], sent?: Set<ArrayBufferLike>): ReadableStream<Uint8Array> {
	const edges = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
	let i = 0;
	return new ReadableStream<Uint8Array>({
		pull(controller) {
			if (i + 1 >= edges.length) return controller.close();
			const piece = bytes.slice(edges[i], edges[i + 1]);
			sent?.add(piece.buffer);
			controller.enqueue(piece);
			i++;
		}
	});
}

interface ReadPart {
	name: string | null;
	filename: string | null;
	contentType: string | null;
	headers: Record<string, string>;
	body: Uint8Array;
}

/** How a test consumes each body: all of it, none (skipped by the reader), or only its first piece. */
type Consumption = 'all' | 'none' | 'first-piece';

async function readAll(stream: ReadableStream<Uint8Array>, boundary: string, limits?: MultipartLimits, consume?: (index: number) => Consumption) {
	const parts: ReadPart[] = [];
	for await (const part of readMultipart(stream, boundary, limits)) {
		const mode = consume?.(parts.length) ?? 'all';
		const pieces: Uint8Array[] = [];
		if (mode !== 'none') {
			for await (const piece of part.body) {
				pieces.push(piece.slice());
				if (mode === 'first-piece') break;
			}
		}
		parts.push({ name: part.name, filename: part.filename, contentType: part.contentType, headers: part.headers, body: concat(pieces) });
	}
	return parts;
}

async function failureOf(promise: Promise<unknown>): Promise<MultipartError> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof MultipartError) return error;
		throw error;
	}
	throw new Error('expected a MultipartError, but the body was read without one');
}

// ── building bodies ────────────────────────────────────────────────────────────────────────────

interface PartSpec {
	lines: string[];
	padding: string;
	body: Uint8Array;
	expected: Omit<ReadPart, 'body'>;
}

interface BodySpec {
	boundary: string;
	bytes: Uint8Array;
	parts: PartSpec[];
	/** Where each delimiter starts (after the preamble) and where the closing one ends. */
	delimiters: number[];
	closeEnd: number;
}

const BCHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=? ";

function randomBoundary(random: Random): string {
	const length = random.pick([1, 2, 8, 24, random.int(1, 70), 70]);
	let boundary = '';
	for (let i = 0; i < length; i++) boundary += random.pick(BCHARS.slice(0, i === length - 1 ? -1 : undefined).split(''));
	return boundary;
}

const NAMES = ['title', 'text', 'url', 'videos', 'ünïcödé', 'with "quotes"', 'back\\slash in it', 'semi;colon', 'two\r\nlines', 'a=b', ''];
const FILENAMES = ['clip.mp4', 'VID_20240101_120000.mp4', 'ünï €.mov', 'say "hi".mp4', 'a;b=c.mp4', 'C:\\path.mp4', ''];

/** A parameter as some sender might write it: the browsers' %-escapes, RFC quoted-pairs, or a bare token. */
function writeParameter(random: Random, value: string): string {
	if (/^[A-Za-z0-9_.-]+$/.test(value) && random.next() < 0.3) return value;
	if (!/[\r\n]/.test(value) && random.next() < 0.5) return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
	return `"${value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;
}

/** Bytes that come close to a delimiter without being one. */
function nearMisses(boundary: string): Uint8Array[] {
	const near = ['\r', '\n', '\r\n', '\r\n-', '\r\n--', `--${boundary}`, `--${boundary.slice(0, -1)}`, `\n--${boundary}`, `\r--${boundary}`, `\r\r\n--${boundary.slice(0, -1)}`];
	for (let k = 0; k < boundary.length; k++) near.push(`\r\n--${boundary.slice(0, k)}`);
	return near.map((text) => encoder.encode(text));
}

function randomBytes(random: Random, length: number, boundary: string): Uint8Array {
	const bytes = new Uint8Array(length);
	for (let i = 0; i < length; i++) bytes[i] = random.int(0, 255);
	const near = nearMisses(boundary);
	for (let n = Math.ceil(length / 24); n > 0 && length > 0; n--) {
		const miss = random.pick(near);
		bytes.set(miss.subarray(0, length), random.int(0, Math.max(0, length - miss.length)));
	}
	// Often end on a near miss: it then runs straight into the real delimiter.
	if (length > 0 && random.next() < 0.4) {
		const miss = random.pick(near);
		bytes.set(miss.subarray(Math.max(0, miss.length - length)), Math.max(0, length - miss.length));
	}
	return bytes;
}

function randomPart(random: Random, boundary: string, maxBody: number): PartSpec {
	const isFile = random.next() < 0.6;
	const name = random.pick(NAMES);
	let disposition = `form-data; name=${writeParameter(random, name)}`;
	let filename: string | null = null;
	if (isFile) {
		filename = random.pick(FILENAMES);
		if (random.next() < 0.3) {
			disposition += `; filename="fallback.mp4"; filename*=UTF-8''${encodeURIComponent(filename).replace(/'/g, '%27')}`;
		} else {
			disposition += `; filename=${writeParameter(random, filename)}`;
		}
	}
	const lines = [`${random.pick(['Content-Disposition', 'content-disposition', 'CONTENT-DISPOSITION'])}: ${disposition}`];
	const headers: Record<string, string> = { 'content-disposition': disposition };
	let contentType: string | null = null;
	if (random.next() < 0.7) {
		contentType = random.pick(['video/mp4', 'application/octet-stream', 'text/plain; charset=utf-8']);
		lines.push(`${random.pick(['Content-Type', 'content-type'])}:${random.pick(['', ' ', '  '])}${contentType}`);
		headers['content-type'] = contentType;
	}
	if (random.next() < 0.3) {
		lines.push('X-Note:   spaced out  ');
		headers['x-note'] = 'spaced out';
	}
	if (random.next() < 0.2) lines.reverse();
	const body = isFile ? randomBytes(random, random.int(0, maxBody), boundary) : encoder.encode(random.pick(['', 'hello', 'Ünïcödé text\r\nover lines', '--', `x--${boundary}`]));
	return { lines, padding: random.next() < 0.2 ? random.pick([' ', '\t', ' \t ']) : '', body, expected: { name, filename, contentType, headers } };
}

function buildBody(random: Random, boundary: string, parts: PartSpec[]): BodySpec {
	const pieces: Uint8Array[] = [];
	let length = 0;
	const add = (piece: Uint8Array | string) => {
		const bytes = typeof piece === 'string' ? encoder.encode(piece) : piece;
		pieces.push(bytes);
		length += bytes.length;
	};
	const preamble = random.pick(['', '', 'This is a preamble.', `x--${boundary} is not a delimiter`, '\r\n', '--']);
	if (preamble !== '') add(`${preamble}\r\n`);
	else if (random.next() < 0.3) add('\r\n');
	const delimiters: number[] = [];
	for (const part of parts) {
		if (delimiters.length > 0) add('\r\n');
		delimiters.push(length);
		add(`--${boundary}${part.padding}\r\n`);
		for (const line of part.lines) add(`${line}\r\n`);
		add('\r\n');
		add(part.body);
	}
	if (parts.length > 0) add('\r\n');
	delimiters.push(length);
	add(`--${boundary}--`);
	const closeEnd = length;
	add(random.pick(['', '\r\n', `\r\nepilogue\r\n--${boundary}\r\nContent-Disposition: form-data; name="ghost"\r\n\r\nboo\r\n--${boundary}--\r\n`]));
	return { boundary, bytes: concat(pieces), parts, delimiters, closeEnd };
}

/**
 * A body whose parts never hold the delimiter by accident (a near miss can land next to a
 * matching byte), nor begin with "--boundary": the CRLF before a body counts, as RFC 2046 has it.
 */
function randomBody(random: Random, maxParts: number, maxBody: number): BodySpec {
	for (;;) {
		const boundary = randomBoundary(random);
		const delimiter = encoder.encode(`\r\n--${boundary}`);
		const parts = Array.from({ length: random.int(0, maxParts) }, () => randomPart(random, boundary, maxBody));
		if (parts.some((part) => indexOfBytes(concat([encoder.encode('\r\n'), part.body]), delimiter) !== -1)) continue;
		return buildBody(random, boundary, parts);
	}
}

/** Every mismatch between what the reader gave and what the body holds, in words. */
function differences(spec: BodySpec, read: ReadPart[], consumed: (index: number) => Consumption = () => 'all'): string[] {
	const found: string[] = [];
	if (read.length !== spec.parts.length) found.push(`${read.length} parts read, ${spec.parts.length} written`);
	spec.parts.forEach((part, i) => {
		const got = read[i];
		if (got === undefined) return;
		const { body, ...rest } = got;
		const canonical = (read: Omit<ReadPart, 'body'>) => JSON.stringify({ ...read, headers: Object.entries(read.headers).sort() });
		if (canonical(rest) !== canonical(part.expected)) found.push(`part ${i}: ${canonical(rest)} != ${canonical(part.expected)}`);
		const mode = consumed(i);
		const expected = mode === 'all' ? part.body : mode === 'none' ? new Uint8Array(0) : part.body.subarray(0, body.length);
		if (mode === 'first-piece' && part.body.length > 0 && body.length === 0) found.push(`part ${i}: no first piece`);
		if (Buffer.compare(body, expected) !== 0) {
			let at = 0;
			while (at < body.length && body[at] === expected[at]) at++;
			found.push(`part ${i}: ${body.length} bytes read, ${expected.length} written, first difference at ${at}`);
		}
	});
	return found;
}

// ── the reader ─────────────────────────────────────────────────────────────────────────────────

describe('readMultipart, against bodies built here', () => {
	it('reads small bodies cut at every position, and one byte at a time', async () => {
		for (let seed = 1; seed <= 30; seed++) {
			const random = seeded(seed);
			const spec = randomBody(random, 4, 80);
			const problems: string[] = [];
			const check = async (cuts: number[]) => {
				const found = differences(spec, await readAll(streamOf(spec.bytes, cuts), spec.boundary));
				if (found.length > 0) problems.push(`seed ${seed}, cuts ${cuts.length > 4 ? `${cuts.length} of them` : cuts}: ${found.join('; ')}`);
			};
			for (let cut = 1; cut < spec.bytes.length; cut++) await check([cut]);
			await check(Array.from({ length: spec.bytes.length - 1 }, (_, i) => i + 1));
			expect(problems.slice(0, 5)).toEqual([]);
		}
	});

	it('reads larger bodies cut at random positions and at every position near each delimiter', async () => {
		for (let seed = 100; seed < 110; seed++) {
			const random = seeded(seed);
			const spec = randomBody(random, 6, 20_000);
			const problems: string[] = [];
			const check = async (cuts: number[]) => {
				const found = differences(spec, await readAll(streamOf(spec.bytes, cuts), spec.boundary));
				if (found.length > 0) problems.push(`seed ${seed}, cuts ${cuts.slice(0, 8)}: ${found.join('; ')}`);
			};
			for (let round = 0; round < 20; round++) {
				const size = random.pick([1, 7, 64, 1000, 16_384, 65_536]);
				const cuts = Array.from({ length: random.int(1, Math.ceil(spec.bytes.length / size)) }, () => random.int(1, spec.bytes.length - 1));
				await check(cuts);
			}
			const reach = spec.boundary.length + 8;
			for (const start of spec.delimiters) {
				for (let cut = Math.max(1, start - 4); cut < Math.min(spec.bytes.length, start + reach); cut++) {
					await check([cut, random.int(1, spec.bytes.length - 1)]);
				}
			}
			expect(problems.slice(0, 5)).toEqual([]);
		}
	});

	it('skips what the consumer leaves unread, whole bodies or the rest of one', async () => {
		for (let seed = 200; seed < 240; seed++) {
			const random = seeded(seed);
			const spec = randomBody(random, 5, 5_000);
			const modes = spec.parts.map(() => random.pick<Consumption>(['all', 'none', 'first-piece']));
			const consume = (i: number) => modes[i]!;
			const cuts = Array.from({ length: random.int(0, 30) }, () => random.int(1, Math.max(1, spec.bytes.length - 1)));
			const read = await readAll(streamOf(spec.bytes, cuts), spec.boundary, undefined, consume);
			expect(differences(spec, read, consume), `seed ${seed}`).toEqual([]);
		}
	});

	it('hands out body pieces as views into the network chunks, never copies of them', async () => {
		const random = seeded(7);
		const boundary = 'view-test';
		const delimiter = encoder.encode(`\r\n--${boundary}`);
		const spec = buildBody(
			random,
			boundary,
			[0, 1, 2].map(() => {
				let body: Uint8Array;
				do body = randomBytes(random, 50_000, boundary);
				while (indexOfBytes(concat([encoder.encode('\r\n'), body]), delimiter) !== -1);
				return { ...randomPart(random, boundary, 0), body };
			})
		);
		const chunkSize = 4096;
		const cuts = Array.from({ length: Math.floor(spec.bytes.length / chunkSize) }, (_, i) => (i + 1) * chunkSize);
		const sent = new Set<ArrayBufferLike>();
		let pieces = 0;
		for await (const part of readMultipart(streamOf(spec.bytes, cuts, sent), spec.boundary)) {
			for await (const piece of part.body) {
				pieces++;
				expect(piece.length).toBeLessThanOrEqual(chunkSize);
				// The only copies are held-back delimiter prefixes that turned out to be body bytes.
				if (!sent.has(piece.buffer)) expect(piece.length).toBeLessThan(spec.boundary.length + 4);
			}
		}
		expect(pieces).toBeGreaterThan(0);
	});
});

describe('readMultipart, against the platform (undici) for bodies FormData builds', () => {
	function randomForm(random: Random): FormData {
		const form = new FormData();
		form.append('title', 'A "quoted"\r\ntitle, ünïcödé');
		for (let i = random.int(1, 4); i > 0; i--) {
			const bytes = randomBytes(random, random.int(0, 70_000), 'formdata-undici');
			const type = random.pick(['video/mp4', 'video/quicktime', '']);
			form.append(random.pick(['videos', 'odd "name"\nhere']), new File([bytes], random.pick(FILENAMES.filter(Boolean)), { type }));
		}
		form.append('text', '');
		return form;
	}

	it('agrees with request.formData() on every name, file name, type and byte', async () => {
		for (let seed = 300; seed < 310; seed++) {
			const random = seeded(seed);
			const request = new Request('https://reeldrive.example/share-target', { method: 'POST', body: randomForm(random) });
			const boundary = boundaryOf(request.headers.get('content-type') ?? '');
			expect(boundary).not.toBeNull();

			const expected = [...(await request.clone().formData())];
			const bytes = new Uint8Array(await request.clone().arrayBuffer());
			// The first body streams as undici chunks it; the others are cut at random.
			const stream = seed === 300 ? request.body! : streamOf(bytes, Array.from({ length: 40 }, () => random.int(1, bytes.length - 1)));
			const read = await readAll(stream, boundary!);

			expect(read.map((part) => part.name)).toEqual(expected.map(([name]) => name));
			for (const [i, [, value]] of expected.entries()) {
				const part = read[i]!;
				if (typeof value === 'string') {
					expect(part.filename).toBeNull();
					expect(decoder.decode(part.body)).toBe(value);
				} else {
					expect(part.filename).toBe(value.name);
					expect(part.contentType).toBe(value.type);
					expect(Buffer.compare(part.body, new Uint8Array(await value.arrayBuffer()))).toBe(0);
				}
			}
		}
	});
});

describe('readMultipart headers', () => {
	const B = 'XyZ';
	async function onePart(headerLines: string[], limits?: MultipartLimits, byteByByte = false) {
		const body = encoder.encode(`--${B}\r\n${headerLines.map((line) => `${line}\r\n`).join('')}\r\ndata\r\n--${B}--\r\n`);
		const cuts = byteByByte ? Array.from({ length: body.length - 1 }, (_, i) => i + 1) : [];
		const [part] = await readAll(streamOf(body, cuts), B, limits);
		return part!;
	}

	it('prefers filename* (RFC 5987) over filename, and falls back when it does not decode', async () => {
		expect((await onePart([`Content-Disposition: form-data; name="v"; filename="euro.mp4"; filename*=UTF-8''%E2%82%AC%20rates.mp4`])).filename).toBe(
			'€ rates.mp4'
		);
		expect((await onePart([`Content-Disposition: form-data; name="v"; filename*=utf-8'en'caf%C3%A9.mov`])).filename).toBe('café.mov');
		expect((await onePart([`Content-Disposition: form-data; name="v"; filename*=ISO-8859-1''caf%E9.mov; filename="cafe.mov"`])).filename).toBe('café.mov');
		expect((await onePart([`Content-Disposition: form-data; name="v"; filename="plain.mp4"; filename*=UTF-8''%FF%FE.mp4`])).filename).toBe('plain.mp4');
		expect((await onePart([`Content-Disposition: form-data; name="v"; filename="plain.mp4"; filename*=KOI8-R''%C1.mp4`])).filename).toBe('plain.mp4');
	});

	it('reads quoted names with escaped quotes, the browsers\' %-escapes, bare tokens and raw UTF-8', async () => {
		expect((await onePart(['Content-Disposition: form-data; name="say \\"hi\\""'])).name).toBe('say "hi"');
		expect((await onePart(['Content-Disposition: form-data; name="back\\\\slash"; filename="C:\\clips\\a.mp4"'])).name).toBe('back\\slash');
		expect((await onePart(['Content-Disposition: form-data; name="a"; filename="C:\\clips\\a.mp4"'])).filename).toBe('C:\\clips\\a.mp4');
		expect((await onePart(['Content-Disposition: form-data; name="say %22hi%22%0D%0Anow"'])).name).toBe('say "hi"\r\nnow');
		expect((await onePart(['Content-Disposition: form-data; name="semi;colon"; filename="x=y;z.mp4"'])).filename).toBe('x=y;z.mp4');
		expect((await onePart(['Content-Disposition: form-data; NAME=bare_token ; Filename = "spaced.mp4"'])).name).toBe('bare_token');
		expect((await onePart(['Content-Disposition: form-data; name="ünï"; filename="vidéo €.mp4"'])).filename).toBe('vidéo €.mp4');
	});

	it('gives null for what a part does not say, and joins repeated headers', async () => {
		const part = await onePart(['X-A: 1', 'x-a:  2 ']);
		expect(part).toMatchObject({ name: null, filename: null, contentType: null, headers: { 'x-a': '1, 2' } });
		expect(await onePart([])).toMatchObject({ name: null, headers: {} });
		expect((await onePart(['Content-Disposition: form-data; name="v"; filename=""'])).filename).toBe('');
	});

	it('takes headers up to the limit and refuses one byte more', async () => {
		// The limit counts the bytes between the delimiter and the blank line: CRLF, then the lines.
		const line = (length: number) => `X-Long: ${'a'.repeat(length - 'X-Long: '.length)}`;
		for (const byteByByte of [false, true]) {
			const max = 2000;
			expect((await onePart([line(max - 2)], { maxHeaderBytes: max }, byteByByte)).headers['x-long']).toHaveLength(max - 2 - 8);
			const error = await failureOf(onePart([line(max - 1)], { maxHeaderBytes: max }, byteByByte));
			expect(error.code).toBe('headers-too-large');
		}
		expect((await failureOf(onePart([line(20_000)]))).code).toBe('headers-too-large');
	});
});

describe('readMultipart errors', () => {
	const B = 'boundary42';
	const valid = encoder.encode(
		`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nfirst\r\n--${B}\r\nContent-Disposition: form-data; name="v"; filename="v.mp4"\r\n\r\n\r\n-${B}\r\n--${B}--`
	);

	it('refuses every truncation of a body before its closing delimiter', async () => {
		const firstDelimiterEnd = `--${B}`.length;
		for (let end = 0; end < valid.length; end++) {
			for (const cuts of [[], [Math.floor(end / 2)].filter((cut) => cut > 0)]) {
				const error = await failureOf(readAll(streamOf(valid.subarray(0, end), cuts), B));
				expect(error.code, `cut at ${end}`).toBe(end < firstDelimiterEnd ? 'boundary-not-found' : 'truncated');
				expect(error.message).toMatch(/ended|no multipart delimiter/);
			}
		}
		expect(await readAll(streamOf(valid), B)).toHaveLength(2);
	});

	it('refuses a body without its boundary, and a boundary RFC 2046 does not allow', async () => {
		expect((await failureOf(readAll(streamOf(valid), 'another-boundary'))).code).toBe('boundary-not-found');
		expect((await failureOf(readAll(streamOf(new Uint8Array(0)), B))).code).toBe('boundary-not-found');
		expect((await failureOf(readAll(streamOf(encoder.encode('just some text')), B))).code).toBe('boundary-not-found');
		for (const bad of ['', 'a'.repeat(71), 'ends in space ', 'crlf\r\n', 'at@sign']) {
			expect((await failureOf(readAll(streamOf(valid), bad))).code).toBe('invalid-boundary');
		}
	});

	it('refuses limits that are not whole numbers', async () => {
		for (const limits of [{ maxHeaderBytes: Number.NaN }, { maxHeaderBytes: -1 }, { maxParts: 1.5 }]) {
			await expect(readAll(streamOf(valid), B, limits)).rejects.toThrow(RangeError);
		}
	});

	it('refuses a delimiter followed by something else, and a header line without a name', async () => {
		const junk = encoder.encode(`--${B}junk\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--${B}--`);
		expect((await failureOf(readAll(streamOf(junk), B))).code).toBe('malformed-delimiter');
		// A body may not begin with "--boundary": the line break that ends the headers is the
		// delimiter's (request.formData() refuses this body too).
		const early = encoder.encode(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n--${B} too soon\r\n--${B}--`);
		expect((await failureOf(readAll(streamOf(early, [10, 60]), B))).code).toBe('malformed-delimiter');
		expect((await failureOf(readAll(streamOf(early), B))).code).toBe('malformed-delimiter');
		const nameless = encoder.encode(`--${B}\r\nno colon here\r\n\r\nx\r\n--${B}--`);
		expect((await failureOf(readAll(streamOf(nameless), B))).code).toBe('malformed-header');
	});

	it('refuses more parts than allowed, after handing out those allowed', async () => {
		const parts: string[] = [];
		const error = await failureOf(
			(async () => {
				for await (const part of readMultipart(streamOf(valid), B, { maxParts: 1 })) parts.push(part.name ?? '');
			})()
		);
		expect(error.code).toBe('too-many-parts');
		expect(parts).toEqual(['a']);
		expect(await readAll(streamOf(valid), B, { maxParts: 2 })).toHaveLength(2);
	});

	it('refuses to read a body after the reader moved past it, or two reads at once', async () => {
		const parts = readMultipart(streamOf(valid), B);
		const first = (await parts.next()).value!;
		await parts.next();
		expect((await failureOf(first.body[Symbol.asyncIterator]().next())).code).toBe('part-body-gone');

		const again = readMultipart(streamOf(valid, [60]), B);
		const part = (await again.next()).value!;
		const pending = part.body[Symbol.asyncIterator]().next();
		expect((await failureOf(again.next())).code).toBe('concurrent-read');
		await pending.catch(() => {});
	});

	it('cancels the stream once the closing delimiter is read, or when the consumer stops early', async () => {
		const watched = () => {
			const state = { cancelled: false };
			// The epilogue arrives in pieces, so the stream is still open when the reader is done.
			const inner = streamOf(encoder.encode(`--${B}\r\n\r\nx\r\n--${B}--\r\n${'epilogue'.repeat(8)}`), [5, 20, 40, 50, 60, 70]).getReader();
			const stream = new ReadableStream<Uint8Array>({
				async pull(controller) {
					const { done, value } = await inner.read();
					if (done) controller.close();
					else controller.enqueue(value);
				},
				cancel() {
					state.cancelled = true;
				}
			});
			return { stream, state };
		};
		const whole = watched();
		expect(await readAll(whole.stream, B)).toHaveLength(1);
		expect(whole.state.cancelled).toBe(true);

		const early = watched();
		for await (const _part of readMultipart(early.stream, B)) break;
		expect(early.state.cancelled).toBe(true);
	});
});

describe('boundaryOf', () => {
	it.each([
		['multipart/form-data; boundary=abc', 'abc'],
		['Multipart/Form-Data; BOUNDARY="a b:c"', 'a b:c'],
		['multipart/form-data; charset=utf-8; boundary="----WebKitFormBoundary7MA4YWxkTrZu0gW"', '----WebKitFormBoundary7MA4YWxkTrZu0gW'],
		['multipart/form-data;boundary=abc  ', 'abc'],
		['multipart/form-data; name="x;boundary=no"; boundary=yes', 'yes'],
		['multipart/form-data; boundary=first; boundary=second', 'first'],
		[`multipart/form-data; boundary=${'b'.repeat(70)}`, 'b'.repeat(70)],
		["multipart/form-data; boundary=\"'()+_,-./:=? x\"", "'()+_,-./:=? x"]
	])('%s gives %s', (contentType, boundary) => {
		expect(boundaryOf(contentType)).toBe(boundary);
	});

	it.each([
		'multipart/form-data',
		'multipart/form-data; charset=utf-8',
		'multipart/mixed; boundary=abc',
		'text/plain; boundary=abc',
		'application/x-www-form-urlencoded',
		'',
		'multipart/form-data; boundary=',
		'multipart/form-data; boundary=""',
		`multipart/form-data; boundary=${'b'.repeat(71)}`,
		'multipart/form-data; boundary="ends in space "',
		'multipart/form-data; boundary="semi;colon"',
		'multipart/form-data; boundary=at@sign'
	])('%s gives null', (contentType) => {
		expect(boundaryOf(contentType)).toBeNull();
	});
});

describe('chunked', () => {
	async function* from(pieces: Uint8Array[]) {
		yield* pieces;
	}

	it('regroups any input into pieces of exactly the size asked, the last one shorter, each in its own buffer', async () => {
		const random = seeded(42);
		for (let round = 0; round < 200; round++) {
			const size = random.pick([1, 3, 16, 100, 4096, random.int(1, 5000)]);
			const input = Array.from({ length: random.int(0, 12) }, () => randomBytes(random, random.pick([0, 1, size - 1, size, size + 1, random.int(0, 3 * size)]), 'x'));
			const whole = concat(input);
			const out: Uint8Array[] = [];
			for await (const piece of chunked(from(input), size)) out.push(piece);

			expect(Buffer.compare(concat(out), whole)).toBe(0);
			expect(out).toHaveLength(Math.ceil(whole.length / size));
			out.forEach((piece, i) => {
				expect(piece.length).toBe(i < out.length - 1 ? size : whole.length - size * (out.length - 1));
				expect(piece.byteOffset).toBe(0);
				expect(piece.buffer.byteLength).toBe(piece.length);
			});
			expect(new Set(out.map((piece) => piece.buffer)).size).toBe(out.length);
		}
	});

	it('copies, so the source may reuse its buffers', async () => {
		const shared = new Uint8Array([1, 2, 3]);
		async function* reusing() {
			yield shared;
			shared.fill(9);
			yield shared;
		}
		const out: number[][] = [];
		for await (const piece of chunked(reusing(), 2)) out.push([...piece]);
		expect(out).toEqual([
			[1, 2],
			[3, 9],
			[9, 9]
		]);
	});

	it('refuses a size that is not a positive integer', async () => {
		for (const size of [0, -1, 1.5, Number.NaN]) {
			await expect(chunked(from([]), size).next()).rejects.toThrow(RangeError);
		}
	});
});

describe('readMultipart memory', () => {
	it('parses a 200 MB body, consumed piece by piece, with little heap growth', { timeout: 120_000 }, async () => {
		setFlagsFromString('--expose-gc');
		const gc = runInNewContext('gc') as () => void;
		const used = () => {
			gc();
			const { heapUsed, arrayBuffers } = process.memoryUsage();
			return heapUsed + arrayBuffers;
		};

		const MiB = 1024 * 1024;
		const boundary = '----formdata-reeldrive-memory-test';
		const fileSize = 100 * MiB;
		const sent = [createHash('sha256'), createHash('sha256')];
		// Generated as it is pulled: two files of 100 MiB in random 64 KiB chunks.
		async function* generate() {
			for (const [i, hash] of sent.entries()) {
				yield encoder.encode(`${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Disposition: form-data; name="videos"; filename="v${i}.mp4"\r\n\r\n`);
				for (let left = fileSize; left > 0; ) {
					const chunk = crypto.getRandomValues(new Uint8Array(Math.min(64 * 1024, left)));
					hash.update(chunk);
					left -= chunk.length;
					yield chunk;
				}
			}
			yield encoder.encode(`\r\n--${boundary}--\r\n`);
		}
		const source = generate();
		const stream = new ReadableStream<Uint8Array>({
			async pull(controller) {
				const { done, value } = await source.next();
				if (done) controller.close();
				else controller.enqueue(value);
			}
		});

		const before = used();
		let peak = 0;
		let total = 0;
		let sinceSample = 0;
		const received: string[] = [];
		for await (const file of readMultipart(stream, boundary)) {
			const hash = createHash('sha256');
			for await (const piece of file.body) {
				hash.update(piece);
				total += piece.length;
				sinceSample += piece.length;
				if (sinceSample >= 8 * MiB) {
					sinceSample = 0;
					peak = Math.max(peak, used() - before);
				}
			}
			received.push(hash.digest('hex'));
		}

		expect(total).toBe(2 * fileSize);
		expect(received).toEqual(sent.map((hash) => hash.digest('hex')));
		expect(peak).toBeLessThan(50 * MiB);
		console.log(`200 MiB parsed; heapUsed + arrayBuffers grew by at most ${(peak / MiB).toFixed(1)} MiB`);
	});
});
