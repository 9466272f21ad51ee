/**
 * The content origin (as OneDrive's upload and download hosts are separate from Graph): upload
 * session URLs (PUT fragment, GET status, DELETE cancel, POST commit), pre-authenticated downloads
 * with Range support, and thumbnail images. None of these take a Graph token.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fault } from '../control/faults';
import type { Emulator } from '../emulator';
import { decodeComponent, header, MalformedEncodingError, sendEmpty, sendJson, type Headers } from '../http-util';
import { faultError, GraphError, sendContentError } from '../graph/graph-errors';
import { EXPOSED_HEADERS } from '../graph/graph-routes';
import { itemJson } from '../graph/item-json';
import { finishSession, liveSession, putFragment, sessionStatus } from '../graph/uploads';
import { syntheticStream } from '../synthetic-content';
import { verifySignature } from './content-urls';
import { thumbnailPng } from './thumbnail-png';

export class ContentRoutes {
	constructor(private readonly em: Emulator) {}

	private uploadCors(req: IncomingMessage): Headers {
		const origin = header(req, 'origin');
		if (!origin) return {};
		const exposed = this.em.settings.exposeRetryAfter ? [...EXPOSED_HEADERS, 'Retry-After'] : EXPOSED_HEADERS;
		return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': exposed.join(', '), Vary: 'Origin' };
	}

	async handle(req: IncomingMessage, res: ServerResponse, url: URL, takeFault: (kind: 'fragment' | 'download') => Fault | undefined): Promise<void> {
		try {
			const upload = /^\/up\/([^/]+)\/([^/]+)$/.exec(url.pathname);
			if (upload) return await this.upload(req, res, url, decodeComponent(upload[1]!), upload[2]!, takeFault);
			const download = /^\/dl\/([^/]+)\/([^/]+)$/.exec(url.pathname);
			if (download) return await this.download(req, res, url, decodeComponent(download[1]!), decodeComponent(download[2]!), takeFault);
			const thumb = /^\/thumb\/([^/]+)\/([^/]+)\/(\d+)x(\d+)(c?)\.png$/.exec(url.pathname);
			if (thumb) return this.thumbnail(req, res, url, thumb, takeFault);
			sendContentError(res, new GraphError(404, 'itemNotFound', 'The resource could not be found.'));
		} catch (error) {
			if (!(error instanceof MalformedEncodingError) || res.headersSent) throw error;
			sendContentError(res, new GraphError(400, 'invalidRequest', `The URL path is not valid: ${error.message}`));
		}
	}

	private async upload(req: IncomingMessage, res: ServerResponse, url: URL, driveId: string, sessionId: string, takeFault: (kind: 'fragment') => Fault | undefined): Promise<void> {
		const cors = this.uploadCors(req);
		if (req.method === 'OPTIONS') {
			// Only what a correct client sends: no Authorization, so a page that adds it is stopped by the browser.
			sendEmpty(res, 200, { ...cors, 'Access-Control-Allow-Methods': 'PUT, GET, DELETE, POST', 'Access-Control-Allow-Headers': 'Content-Range, Content-Type', 'Access-Control-Max-Age': 3600 });
			return;
		}
		const fail = (error: GraphError) => sendContentError(res, error, cors);
		const fault = takeFault('fragment');
		try {
			if (header(req, 'authorization') !== undefined) {
				throw new GraphError(401, 'unauthenticated', 'Upload URLs are pre-authenticated: do not send an Authorization header.');
			}
			const drive = this.em.driveById(driveId);
			if (!drive?.session(sessionId)) throw new GraphError(404, 'itemNotFound', 'The upload session was not found');
			if (fault?.expireSession) {
				drive.session(sessionId)!.expiresAt = this.em.clock.now() - 1;
				drive.persist();
			}
			const session = liveSession(this.em, drive, sessionId);
			if (url.searchParams.get('tempauth') !== session.secret) throw new GraphError(401, 'unauthenticated', 'The tempauth token is not valid for this upload session.');
			if (fault?.status !== undefined && req.method !== 'PUT') throw faultError(fault.status, fault.code, fault.retryAfter);
			if (req.method === 'GET') {
				sendJson(res, 200, sessionStatus(this.em, session), cors);
				return;
			}
			if (req.method === 'DELETE') {
				drive.removeSession(session.id);
				sendEmpty(res, 204, cors);
				return;
			}
			if (req.method === 'POST') {
				const outcome = await finishSession(this.em, drive, session);
				if (outcome.kind === 'failed') throw outcome.error;
				if (outcome.kind === 'committed') sendJson(res, outcome.status, itemJson(this.em, drive, outcome.item), cors);
				return;
			}
			if (req.method !== 'PUT') throw new GraphError(405, 'invalidRequest', 'Use PUT, GET, DELETE or POST on an upload URL.');
			const outcome = await putFragment(this.em, drive, session, req, fault);
			if (outcome.kind === 'dropped') return;
			if (outcome.kind === 'failed') throw outcome.error;
			if (outcome.kind === 'accepted') sendJson(res, 202, outcome.body, cors);
			else sendJson(res, outcome.status, itemJson(this.em, drive, outcome.item), cors);
		} catch (error) {
			if (error instanceof GraphError) fail(error);
			else throw error;
		}
	}

	private downloadHeaders(req: IncomingMessage): Headers {
		return header(req, 'origin') ? { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Content-Range, Content-Length, ETag, Accept-Ranges' } : {};
	}

	private async download(req: IncomingMessage, res: ServerResponse, url: URL, driveId: string, itemId: string, takeFault: (kind: 'download') => Fault | undefined): Promise<void> {
		const cors = this.downloadHeaders(req);
		if (req.method === 'OPTIONS') {
			sendEmpty(res, 200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Allow-Headers': 'Range', 'Access-Control-Max-Age': 3600 });
			return;
		}
		const fault = takeFault('download');
		const drive = this.em.driveById(driveId);
		const item = drive?.get(itemId);
		const version = url.searchParams.get('v');
		const exp = Number(url.searchParams.get('exp'));
		try {
			if (!drive || !verifySignature(this.em, `dl|${drive.id}|${itemId}|${version}|${exp}`, url.searchParams.get('sig'))) {
				throw new GraphError(401, 'unauthenticated', 'The download URL is not valid.');
			}
			if (this.em.clock.now() >= exp) throw new GraphError(401, 'unauthenticated', 'The download URL has expired.', 'expiredToken');
			if (!item || item.isFolder || String(item.cTagVersion) !== version || !item.content) throw new GraphError(404, 'itemNotFound', 'The item or this version of its content no longer exists.');
			if (fault?.status !== undefined) throw faultError(fault.status, fault.code, fault.retryAfter);
			if (req.method !== 'GET' && req.method !== 'HEAD') throw new GraphError(405, 'invalidRequest', 'Use GET or HEAD.');
		} catch (error) {
			if (error instanceof GraphError) return sendContentError(res, error, cors);
			throw error;
		}
		const size = item!.size;
		const base: Headers = {
			...cors,
			'Content-Type': item!.mimeType ?? 'application/octet-stream',
			'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(item!.name)}`,
			ETag: `"{${item!.guid}},${item!.cTagVersion}"`,
			'Accept-Ranges': 'bytes'
		};
		let start = 0;
		let end = size - 1;
		let status = 200;
		const range = header(req, 'range');
		if (range !== undefined) {
			const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
			// Several ranges, or a form not understood: the whole file is sent, which the docs allow.
			if (match && (match[1] !== '' || match[2] !== '')) {
				if (match[1] === '') {
					start = Math.max(0, size - Number(match[2]));
				} else {
					start = Number(match[1]);
					end = match[2] === '' ? size - 1 : Math.min(size - 1, Number(match[2]));
				}
				if (start >= size || start > end) {
					sendEmpty(res, 416, { ...cors, 'Content-Range': `bytes */${size}` });
					return;
				}
				status = 206;
				base['Content-Range'] = `bytes ${start}-${end}/${size}`;
			}
		}
		const length = size === 0 ? 0 : end - start + 1;
		res.writeHead(status, { ...base, 'Content-Length': length });
		if (req.method === 'HEAD' || length === 0) {
			res.end();
			return;
		}
		const content = item!.content!;
		const stream = content.kind === 'file' ? createReadStream(drive!.contentPath(content.file), { start, end }) : syntheticStream(content.seed, start, end);
		let sent = 0;
		const dropAfter = fault?.dropAfterBytes;
		stream.on('data', (chunk: Buffer | string) => {
			const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
			if (dropAfter !== undefined && sent + bytes.length >= dropAfter) {
				stream.destroy();
				res.write(bytes.subarray(0, dropAfter - sent), () => res.socket?.destroy());
				return;
			}
			sent += bytes.length;
			if (!res.write(bytes)) {
				stream.pause();
				res.once('drain', () => stream.resume());
			}
		});
		stream.on('end', () => res.end());
		stream.on('error', () => res.socket?.destroy());
		res.on('close', () => stream.destroy());
	}

	private thumbnail(req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpExecArray, takeFault: (kind: 'download') => Fault | undefined): void {
		const cors = this.downloadHeaders(req);
		const driveId = decodeComponent(match[1]!);
		const itemId = decodeComponent(match[2]!);
		const spec = `${match[3]}x${match[4]}${match[5]}`;
		const drive = this.em.driveById(driveId);
		const version = url.searchParams.get('v');
		const exp = Number(url.searchParams.get('exp'));
		const fault = takeFault('download');
		if (!drive || !verifySignature(this.em, `th|${drive.id}|${itemId}|${version}|${spec}|${exp}`, url.searchParams.get('sig')) || this.em.clock.now() >= exp) {
			sendContentError(res, new GraphError(401, 'unauthenticated', 'The thumbnail URL is not valid or has expired.'), cors);
			return;
		}
		const item = drive.get(itemId);
		if (!item || String(item.cTagVersion) !== version) {
			sendContentError(res, new GraphError(404, 'itemNotFound', 'The item no longer exists.'), cors);
			return;
		}
		if (fault?.status !== undefined) {
			sendContentError(res, faultError(fault.status, fault.code, fault.retryAfter), cors);
			return;
		}
		const png = thumbnailPng(item.id, Number(match[3]), Number(match[4]));
		res.writeHead(200, { ...cors, 'Content-Type': 'image/png', 'Content-Length': png.length, 'Cache-Control': 'public, max-age=3600' });
		res.end(req.method === 'HEAD' ? undefined : png);
	}
}
