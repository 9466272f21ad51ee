import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchTransport } from './fetch-transport';

let server: Server;
let base = '';
const seen: { method: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];

beforeAll(async () => {
	server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			seen.push({ method: request.method ?? '', headers: request.headers, body: Buffer.concat(chunks) });
			if (request.url === '/drop') {
				request.socket.destroy();
				return;
			}
			if (request.url === '/hang') return; // never answers
			if (request.url === '/slow') {
				setTimeout(() => response.end('late'), 500);
				return;
			}
			response.writeHead(202, { 'Content-Type': 'application/json', 'Retry-After': '7' });
			response.end(JSON.stringify({ nextExpectedRanges: ['10-'] }));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(
	() =>
		new Promise<void>((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		})
);

describe('FetchTransport', () => {
	it('sends exactly the given headers and body, and returns status, lower-case headers and text', async () => {
		const transport = new FetchTransport();
		const body = new Uint8Array([1, 2, 3, 4, 5]);
		const response = await transport.send({
			method: 'PUT',
			url: `${base}/up`,
			headers: { 'Content-Range': 'bytes 0-4/10', 'Content-Length': '5' },
			body
		});
		expect(response).toEqual({
			status: 202,
			headers: expect.objectContaining({ 'retry-after': '7', 'content-type': 'application/json' }),
			text: '{"nextExpectedRanges":["10-"]}'
		});
		const request = seen.at(-1)!;
		expect(request.method).toBe('PUT');
		expect(request.headers['content-range']).toBe('bytes 0-4/10');
		expect(request.headers['content-length']).toBe('5');
		expect(request.headers.authorization).toBeUndefined();
		expect(request.headers.cookie).toBeUndefined();
		expect([...request.body]).toEqual([1, 2, 3, 4, 5]);
	});

	it('reads bypass every cache; fragment PUTs keep the default mode, so the browser reuses its CORS preflight', async () => {
		const modes: Record<string, RequestCache | undefined> = {};
		const transport = new FetchTransport({
			fetch: async (_input, init) => {
				modes[init?.method ?? 'GET'] = init?.cache;
				return new Response('{}', { status: 200 });
			}
		});
		for (const method of ['GET', 'PUT', 'DELETE', 'POST'] as const) await transport.send({ method, url: `${base}/up`, headers: {} });
		expect(modes).toEqual({ GET: 'no-store', PUT: 'default', DELETE: 'default', POST: 'default' });
	});

	it('turns a dropped connection into a network failure, offline when the platform says so', async () => {
		let online = true;
		const transport = new FetchTransport({ isOnline: () => online });
		expect(await transport.send({ method: 'GET', url: `${base}/drop`, headers: {} })).toMatchObject({ kind: 'network-failure', reason: 'connection' });
		online = false;
		expect(await transport.send({ method: 'GET', url: `${base}/drop`, headers: {} })).toMatchObject({ kind: 'network-failure', reason: 'offline' });
	});

	it('gives up on a request that takes too long', async () => {
		const transport = new FetchTransport({ timeoutMs: 100 });
		expect(await transport.send({ method: 'GET', url: `${base}/slow`, headers: {} })).toEqual({ kind: 'network-failure', reason: 'timeout' });
	});

	it("takes the request's own timeout over the default (the core scales it to the link)", async () => {
		const transport = new FetchTransport({ timeoutMs: 60_000 });
		expect(await transport.send({ method: 'GET', url: `${base}/slow`, headers: {}, timeoutMs: 50 })).toEqual({ kind: 'network-failure', reason: 'timeout' });
	});

	it('abandons a request the moment its signal fires (Pause, Cancel, sign-out) and says so', async () => {
		const transport = new FetchTransport({ timeoutMs: 60_000 });
		const controller = new AbortController();
		const before = seen.length;
		const pending = transport.send({ method: 'PUT', url: `${base}/hang`, headers: {}, body: new Uint8Array(3) }, controller.signal);
		for (let i = 0; i < 500 && seen.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 5));
		expect(seen.at(-1)?.method).toBe('PUT');
		controller.abort();
		expect(await pending).toEqual({ kind: 'network-failure', reason: 'aborted' });
		// an already-fired signal sends nothing at all
		const count = seen.length;
		expect(await transport.send({ method: 'GET', url: `${base}/up`, headers: {} }, controller.signal)).toEqual({ kind: 'network-failure', reason: 'aborted' });
		expect(seen.length).toBe(count);
	});
});
