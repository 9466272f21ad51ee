/**
 * A TCP proxy that behaves like a slow link: every byte, in each direction, waits its turn on a
 * shared line of `bitsPerSecond` (all connections share it, as on a real uplink) and then half of
 * `rttMs` of latency. The source socket is paused while more than a small window of its bytes
 * is still queued, so the sender feels the link rather than the proxy's memory.
 * Used by bench/upload-compare.ts in front of the emulator's upload port: browser network
 * emulation is a DevTools feature, and the benchmark keeps DevTools off the upload path.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface LinkProfile {
	name: string;
	bitsPerSecond: number;
	rttMs: number;
}

const WINDOW = 256 * 1024;
/** Bytes are released to the line in pieces of this size, so that connections interleave. */
const PIECE = 16 * 1024;

class Line {
	private freeAt = 0;
	constructor(private readonly link: () => LinkProfile | null) {}

	/** Schedules `bytes` on the line; resolves when they have crossed it and the latency. */
	send(bytes: number): Promise<void> {
		const link = this.link();
		if (!link) return Promise.resolve();
		const now = performance.now();
		const start = Math.max(now, this.freeAt);
		this.freeAt = start + (bytes * 8 * 1000) / link.bitsPerSecond;
		const arrival = this.freeAt + link.rttMs / 2;
		return new Promise((resolve) => setTimeout(resolve, Math.max(0, arrival - now)));
	}
}

function pipeShaped(from: Socket, to: Socket, line: Line): void {
	let queued = 0;
	let chain = Promise.resolve();
	from.on('data', (data: Buffer) => {
		for (let at = 0; at < data.length; at += PIECE) {
			const piece = data.subarray(at, at + PIECE);
			queued += piece.length;
			const crossed = line.send(piece.length);
			// Order is kept per connection: each piece is written after the one before it.
			chain = chain.then(() => crossed).then(() => {
				queued -= piece.length;
				if (!to.destroyed) to.write(piece);
				if (queued < WINDOW && from.isPaused()) from.resume();
			});
		}
		if (queued >= WINDOW) from.pause();
	});
	from.on('end', () => void chain.then(() => to.end()));
	from.on('error', () => to.destroy());
	to.on('close', () => from.destroy());
}

/** 'hold': connections are accepted and nothing crosses (a request waits, unsent); see set(). */
export type LinkSetting = LinkProfile | null | 'hold';

export interface ShapedLink {
	/**
	 * null: pass bytes through untouched. 'hold': new connections are taken but none of their
	 * bytes go anywhere, so the emulator never sees the request; they are cut when the hold ends.
	 */
	set(setting: LinkSetting): void;
	close(): Promise<void>;
}

export function startShapedLink(listenPort: number, targetPort: number): Promise<ShapedLink> {
	let setting: LinkSetting = null;
	const shaped = () => (setting === 'hold' ? null : setting);
	const up = new Line(shaped);
	const down = new Line(shaped);
	const sockets = new Set<Socket>();
	const held = new Set<Socket>();
	const server: Server = createServer((client) => {
		if (setting === 'hold') {
			client.pause();
			held.add(client);
			client.on('error', () => undefined);
			client.on('close', () => held.delete(client));
			return;
		}
		const upstream = connect(targetPort, '127.0.0.1');
		for (const socket of [client, upstream]) {
			socket.setNoDelay(true);
			sockets.add(socket);
			socket.on('close', () => sockets.delete(socket));
		}
		pipeShaped(client, upstream, up);
		pipeShaped(upstream, client, down);
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		// Dual-stack: the app's upload URLs say localhost, which may resolve to ::1 or 127.0.0.1.
		server.listen({ port: listenPort, host: '::', ipv6Only: false }, () =>
			resolve({
				set: (next) => {
					if (setting === 'hold' && next !== 'hold') {
						for (const socket of held) socket.destroy();
						held.clear();
					}
					setting = next;
				},
				close: () =>
					new Promise<void>((done) => {
						for (const socket of [...sockets, ...held]) socket.destroy();
						server.close(() => done());
					})
			})
		);
	});
}
