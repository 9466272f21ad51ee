/** Small HTTP helpers shared by the emulator's listeners. Bodies that may be large are never read here. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Headers = Record<string, string | number | string[]>;

export class BodyTooLargeError extends Error {
	constructor(readonly limit: number) {
		super(`request body over ${limit} bytes`);
	}
}

/** Past a limit the body is still read (and dropped) up to this much, so that the client is listening when the error answer comes. */
const MAX_DISCARD_BYTES = 256 * 1024 * 1024;

/** Text that is not valid percent-encoding ("%zz", a cut-off UTF-8 sequence): the client's mistake. */
export class MalformedEncodingError extends Error {
	constructor(readonly text: string) {
		super(`'${text}' is not valid percent-encoding.`);
	}
}

/** decodeURIComponent, but a malformed input is a MalformedEncodingError (a 400), not a URIError (a 500). */
export function decodeComponent(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		throw new MalformedEncodingError(text);
	}
}

/**
 * Reads a small request body (JSON, forms) whole; anything above `limit` bytes is refused. The
 * rest of a refused body is read and dropped first: closing a socket the client is still writing
 * to resets it, and the client would never see the error answer.
 */
export async function readSmallBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let total = 0;
	for await (const chunk of req as AsyncIterable<Buffer>) {
		total += chunk.length;
		if (total <= limit) chunks.push(chunk);
		else if (total > limit + MAX_DISCARD_BYTES) break;
	}
	if (total > limit) throw new BodyTooLargeError(limit);
	return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'Content-Length': Buffer.byteLength(text),
		...headers
	});
	res.end(text);
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Headers = {}): void {
	res.writeHead(status, {
		'Content-Type': 'text/html; charset=utf-8',
		'Content-Length': Buffer.byteLength(html),
		'Cache-Control': 'no-store',
		...headers
	});
	res.end(html);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Headers = {}): void {
	res.writeHead(status, { 'Content-Length': 0, ...headers });
	res.end();
}

export function redirect(res: ServerResponse, location: string, headers: Headers = {}): void {
	res.writeHead(302, { Location: location, 'Content-Length': 0, 'Cache-Control': 'no-store', ...headers });
	res.end();
}

export function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function header(req: IncomingMessage, name: string): string | undefined {
	const value = req.headers[name.toLowerCase()];
	return Array.isArray(value) ? value.join(', ') : value;
}

export function isLoopback(req: IncomingMessage): boolean {
	const address = req.socket.remoteAddress ?? '';
	return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

export function newRequestId(): string {
	return randomUUID();
}

/**
 * One cookie's value, percent-decoded. Only the cookie asked for is decoded: on localhost every
 * app on every port shares cookies, and another app's odd value must not break sign-in here.
 * Cookie names come from the client, hence a Map: a cookie called "__proto__" is just a cookie.
 */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
	const cookies = new Map<string, string>();
	for (const part of (header(req, 'cookie') ?? '').split(';')) {
		const eq = part.indexOf('=');
		if (eq > 0) cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
	}
	const raw = cookies.get(name);
	return raw === undefined ? undefined : decodeComponent(raw);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Encodes query or fragment parameters with encodeURIComponent semantics (spaces as %20). */
export function encodeParams(params: Record<string, string | undefined>): string {
	return Object.entries(params)
		.filter((entry): entry is [string, string] => entry[1] !== undefined)
		.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
		.join('&');
}

export function base64url(data: Buffer | string): string {
	return Buffer.from(data).toString('base64url');
}
