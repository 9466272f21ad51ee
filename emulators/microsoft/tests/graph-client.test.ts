// The official, unchanged @microsoft/microsoft-graph-client uploads a 50 MB file with
// OneDriveLargeFileUploadTask against the emulator, and the drive's quickXorHash matches.
//
// Two things stop the client from talking to a plain-http emulator as it is (platform notes):
// it treats only "https://" strings as absolute URLs, so the http uploadUrl is glued onto the
// Graph base URL; and its AuthenticationHandler sends the token only to https Graph hosts or
// customHosts (also matched on "https://"). Both are answered by one small custom middleware,
// passed through the client's documented `middleware` option in front of its own
// HTTPMessageHandler: it un-glues absolute URLs and adds the bearer token only when the request
// goes to the Graph origin, never to the upload origin.
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, HTTPMessageHandler, OneDriveLargeFileUploadTask, Range, type Context, type FileObject, type Middleware } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { control, passwordToken, startHarness, type Harness } from './support';

const SIZE = 50 * 1000 * 1000;

/** Routes the Graph client's requests to the emulator's two http origins. */
class EmulatorRouting implements Middleware {
	private next?: Middleware;
	readonly seen: Array<{ method: string; url: string; authorized: boolean }> = [];

	constructor(
		private readonly graphBase: string,
		private readonly getToken: () => Promise<string>
	) {}

	async execute(context: Context): Promise<void> {
		let url = typeof context.request === 'string' ? context.request : context.request.url;
		const glued = url.indexOf('/http', this.graphBase.length - 1);
		if (url.startsWith(this.graphBase) && glued >= 0 && /^\/https?:\/\//.test(url.slice(glued))) url = url.slice(glued + 1);
		context.request = url;
		const options = (context.options ??= {});
		const headers = new Headers(options.headers as HeadersInit | undefined);
		headers.delete('Authorization');
		const toGraph = new URL(url).origin === new URL(this.graphBase).origin;
		if (toGraph) headers.set('Authorization', `Bearer ${await this.getToken()}`);
		options.headers = Object.fromEntries(headers);
		this.seen.push({ method: options.method ?? 'GET', url, authorized: toGraph });
		await this.next!.execute(context);
	}

	setNext(next: Middleware): void {
		this.next = next;
	}
}

/** A FileObject that reads each range from disk, so the 50 MB file is never held whole. */
class DiskFile implements FileObject<string> {
	constructor(
		readonly content: string,
		readonly name: string,
		readonly size: number
	) {}

	async sliceFile(range: Range): Promise<ArrayBuffer> {
		const length = range.maxValue - range.minValue + 1;
		const buffer = Buffer.alloc(length);
		const file = await open(this.content, 'r');
		try {
			await file.read(buffer, 0, length, range.minValue);
		} finally {
			await file.close();
		}
		return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + length);
	}
}

/**
 * A deliberately different QuickXorHash than the emulator's (byte by byte into the 160-bit ring,
 * as the reference describes), so the check is not the emulator agreeing with itself.
 */
class RingHash {
	private ring = new Uint8Array(20);
	private length = 0n;
	private bit = 0;

	update(data: Uint8Array): void {
		for (const byte of data) {
			const index = this.bit >> 3;
			const shift = this.bit & 7;
			const wide = byte << shift;
			this.ring[index]! ^= wide & 0xff;
			this.ring[(index + 1) % 20]! ^= wide >> 8;
			this.bit = (this.bit + 11) % 160;
		}
		this.length += BigInt(data.length);
	}

	digest(): string {
		const out = Uint8Array.from(this.ring);
		let length = this.length;
		for (let k = 0; k < 8; k++) {
			out[12 + k]! ^= Number(length & 0xffn);
			length >>= 8n;
		}
		return Buffer.from(out).toString('base64');
	}
}

let h: Harness;
let scratch: string;
beforeAll(async () => {
	h = await startHarness();
	scratch = await mkdtemp(join(tmpdir(), 'ms-emulator-graph-client-'));
});
afterAll(async () => {
	await h.stop();
	await rm(scratch, { recursive: true, force: true });
});

it('uploads a 50 MB file with OneDriveLargeFileUploadTask and the quickXorHash matches', { timeout: 120_000 }, async () => {
	await control(h.em, 'POST', '/reset');
	const path = join(scratch, 'fifty.bin');
	const hash = new RingHash();
	const file = await open(path, 'w');
	const chunk = Buffer.alloc(1024 * 1024);
	for (let written = 0; written < SIZE; written += chunk.length) {
		const length = Math.min(chunk.length, SIZE - written);
		for (let i = 0; i < length; i++) chunk[i] = ((written + i) * 2654435761) >>> 24;
		await file.write(chunk, 0, length);
		hash.update(chunk.subarray(0, length));
	}
	await file.close();

	const token = await passwordToken(h.em);
	const routing = new EmulatorRouting(`${h.em.url}/v1.0`, async () => token);
	const client = Client.initWithMiddleware({ baseUrl: h.em.url, defaultVersion: 'v1.0', middleware: [routing, new HTTPMessageHandler()] });
	const task = await OneDriveLargeFileUploadTask.createTaskWithFileObject(client, new DiskFile(path, 'fifty.bin', SIZE), {
		fileName: 'fifty.bin',
		path: '/Videos',
		rangeSize: 10 * 1024 * 1024,
		conflictBehavior: 'fail'
	});
	expect(new URL(task.getUploadSession().url).origin).toBe(h.em.contentUrl);
	const result = await task.upload();
	const item = result.responseBody as { id: string; size: number; file: { hashes: { quickXorHash: string } } };

	expect(item.size).toBe(SIZE);
	expect(item.file.hashes.quickXorHash).toBe(hash.digest());
	const listed = await control(h.em, 'GET', '/drives/alice@contoso.test/files');
	expect(listed.items.find((i: { path: string }) => i.path === '/Videos/fifty.bin').quickXorHash).toBe(hash.digest());
	// The token went to the Graph origin only, never to the upload URL.
	const fragments = routing.seen.filter((r) => r.url.startsWith(h.em.contentUrl));
	expect(fragments).toHaveLength(Math.ceil(SIZE / (10 * 1024 * 1024)));
	expect(fragments.every((r) => r.method === 'PUT' && !r.authorized)).toBe(true);
	expect(routing.seen.filter((r) => r.authorized).every((r) => r.url.startsWith(`${h.em.url}/v1.0/`))).toBe(true);
});
