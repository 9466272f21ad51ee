/**
 * Local stand-in for the Microsoft identity platform (v2.0) and OneDrive through Microsoft Graph.
 * Two listeners in one process: the API origin (identity, Graph, control API) and a separate
 * content origin for upload-session and download URLs, as OneDrive's are on other hosts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ContentRoutes } from './content/content-routes';
import { ControlRoutes } from './control/control-routes';
import type { Fault, RequestKind } from './control/faults';
import { Emulator, FRAGMENT_LOG_LIMIT, type FragmentLogEntry, type TokenLifetimes } from './emulator';
import { GraphRoutes } from './graph/graph-routes';
import { removeExpiredSessions } from './graph/uploads';
import { decodeComponent, escapeHtml, header, isLoopback, MalformedEncodingError, newRequestId, sendHtml, sendJson, sleep } from './http-util';
import { IdentityRoutes } from './identity/identity-routes';

export { CLIENT_ID, DEFAULT_REDIRECT_URIS, DEMO_TREE, DEMO_TREE_ROOT } from './emulator';
export { DEMO_ACCOUNTS, DEMO_PASSWORD } from './identity/accounts';
export type { FaultSpec, RequestKind } from './control/faults';

export interface MicrosoftEmulatorOptions {
	/** API origin port (identity, Graph, control). Default 4010; 0 picks a free port. */
	port?: number;
	/** Content origin port (upload and download URLs). Default 4011; 0 picks a free port. */
	contentPort?: number;
	/**
	 * The origin written into upload and download URLs, when something else (a throttling proxy
	 * in a benchmark) listens there in front of the content port. Default: the content port's own.
	 */
	publicContentUrl?: string;
	/** Default: both 127.0.0.1 and ::1, so that http://localhost works whichever the client resolves. */
	host?: string;
	/** Drives, accounts and keys persist here. */
	dataDir: string;
	/** Origins allowed to call the token endpoint (besides those of registered redirect URIs). */
	appOrigins?: string[];
	tokenLifetimes?: Partial<TokenLifetimes>;
	/** Where the demo seed's sample videos are read from. Default: the repository's tests/fixtures/videos. */
	fixturesDir?: string;
	quiet?: boolean;
}

export interface MicrosoftEmulator {
	url: string;
	contentUrl: string;
	close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

async function listen(handler: Handler, port: number, host: string | undefined): Promise<{ servers: Server[]; port: number }> {
	const make = () => {
		const server = createServer({ requestTimeout: 15 * 60 * 1000 }, (req, res) => {
			handler(req, res).catch((error: unknown) => {
				console.error('[microsoft-emulator] unexpected error', error);
				if (!res.headersSent) sendJson(res, 500, { error: { code: 'generalException', message: 'An unexpected error occurred in the emulator.' } });
				else res.destroy();
			});
		});
		return server;
	};
	const start = (server: Server, p: number, h: string) =>
		new Promise<number>((resolve, reject) => {
			server.once('error', reject);
			server.listen(p, h, () => {
				server.off('error', reject);
				resolve((server.address() as AddressInfo).port);
			});
		});
	if (host) {
		const server = make();
		return { servers: [server], port: await start(server, port, host) };
	}
	const v4 = make();
	const actual = await start(v4, port, '127.0.0.1');
	const v6 = make();
	try {
		await start(v6, actual, '::1');
		return { servers: [v4, v6], port: actual };
	} catch {
		return { servers: [v4], port: actual }; // no IPv6 loopback here
	}
}

function classify(path: string, method: string): RequestKind | undefined {
	if (method === 'OPTIONS') return undefined;
	if (/^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) return 'token';
	if (path.startsWith('/v1.0/')) return /createUploadSession$/.test(path) ? 'createUploadSession' : 'graph';
	return undefined;
}

/** Latency, then (for kinds that are not streamed by their handler) a dropped connection. */
async function prelude(fault: Fault | undefined, req: IncomingMessage, streamedKind: boolean): Promise<'dropped' | undefined> {
	if (!fault) return undefined;
	if (fault.latencyMs) await sleep(fault.latencyMs);
	if (fault.dropAfterBytes !== undefined && !streamedKind) {
		let seen = 0;
		for await (const chunk of req as AsyncIterable<Buffer>) {
			seen += chunk.length;
			if (seen >= fault.dropAfterBytes) break;
		}
		req.socket.destroy();
		return 'dropped';
	}
	return undefined;
}

/** Notes a fragment PUT as it arrives, and when and how it ended, for the control API. */
function logFragment(em: Emulator, url: URL, req: IncomingMessage, res: ServerResponse): void {
	const match = /^\/up\/([^/]+)\/([^/]+)$/.exec(url.pathname);
	if (!match) return;
	const entry: FragmentLogEntry = {
		driveId: decodeURIComponent(match[1]!),
		sessionId: match[2]!,
		contentRange: header(req, 'content-range') ?? null,
		receivedAt: Date.now(),
		endedAt: null,
		status: null
	};
	em.fragmentLog.push(entry);
	if (em.fragmentLog.length > FRAGMENT_LOG_LIMIT) em.fragmentLog.splice(0, em.fragmentLog.length - FRAGMENT_LOG_LIMIT);
	res.once('close', () => {
		entry.endedAt = Date.now();
		entry.status = res.writableFinished ? res.statusCode : null;
	});
}

export async function startMicrosoftEmulator(options: MicrosoftEmulatorOptions): Promise<MicrosoftEmulator> {
	const em = new Emulator({ dataDir: options.dataDir, appOrigins: options.appOrigins, tokenLifetimes: options.tokenLifetimes, fixturesDir: options.fixturesDir, quiet: options.quiet });
	const identity = new IdentityRoutes(em);
	const graph = new GraphRoutes(em, identity.tokens);
	const content = new ContentRoutes(em);
	const control = new ControlRoutes(em);

	const mainHandler: Handler = async (req, res) => {
		const url = new URL(req.url ?? '/', em.url);
		const method = req.method ?? 'GET';
		if (url.pathname === '/_emulator' || url.pathname.startsWith('/_emulator/')) {
			if (!isLoopback(req)) {
				sendJson(res, 403, { error: 'The control API answers loopback clients only.' });
				return;
			}
			await control.handle(req, res, url);
			return;
		}
		const kind = classify(url.pathname, method);
		const fault = kind ? em.faults.take(kind, method, url.pathname) : undefined;
		if ((await prelude(fault, req, false)) === 'dropped') return;
		if (url.pathname === '/v1.0' || url.pathname.startsWith('/v1.0/')) {
			const requestId = newRequestId();
			const ids = { requestId, clientRequestId: header(req, 'client-request-id') ?? requestId };
			await graph.handle(req, res, url, ids, () => fault);
			return;
		}
		if (url.pathname.startsWith('/_web/')) {
			let item: string;
			try {
				item = decodeComponent(url.pathname.slice(6));
			} catch (error) {
				if (!(error instanceof MalformedEncodingError)) throw error;
				sendJson(res, 400, { error: { code: 'invalidRequest', message: `The URL path is not valid: ${error.message}` } });
				return;
			}
			sendHtml(res, 200, `<!doctype html><title>OneDrive (emulated)</title><p>Item ${escapeHtml(item)} in the local OneDrive emulator.</p>`);
			return;
		}
		if (await identity.handle(req, res, url, () => fault)) return;
		sendJson(res, 404, { error: { code: 'itemNotFound', message: `Nothing is served at ${url.pathname}.` } });
	};

	const contentHandler: Handler = async (req, res) => {
		const url = new URL(req.url ?? '/', em.contentUrl);
		const method = req.method ?? 'GET';
		const kind: RequestKind | undefined = method === 'OPTIONS' ? undefined : url.pathname.startsWith('/up/') ? 'fragment' : 'download';
		if (kind === 'fragment' && method === 'PUT') logFragment(em, url, req, res);
		const fault = kind ? em.faults.take(kind, method, url.pathname) : undefined;
		await prelude(fault, req, true);
		await content.handle(req, res, url, () => fault);
	};

	await em.load();
	em.cleanOrphanUploads();
	const main = await listen(mainHandler, options.port ?? 4010, options.host);
	const contentListener = await listen(contentHandler, options.contentPort ?? 4011, options.host);
	const hostForUrl = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? (options.host.includes(':') ? `[${options.host}]` : options.host) : 'localhost';
	em.url = `http://${hostForUrl}:${main.port}`;
	em.contentUrl = options.publicContentUrl ?? `http://${hostForUrl}:${contentListener.port}`;
	const sweep = setInterval(() => removeExpiredSessions(em), 60_000);
	sweep.unref();
	em.log(`identity + Graph on ${em.url}, upload/download URLs on ${em.contentUrl}, data in ${options.dataDir}`);

	return {
		url: em.url,
		contentUrl: em.contentUrl,
		async close() {
			clearInterval(sweep);
			await Promise.all(
				[...main.servers, ...contentListener.servers].map(
					(server) =>
						new Promise<void>((resolve) => {
							server.close(() => resolve());
							server.closeAllConnections();
						})
				)
			);
		}
	};
}
