/**
 * A local Supabase-compatible API (GoTrue auth + PostgREST grammar) over PGlite or a real
 * Postgres, for development and tests. Never imported by src/.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthApi } from './auth/auth-api.js';
import type { SqlDatabase } from './database.js';
import type { ApiRequest, ApiResponse } from './http.js';
import { apiKey, localJwtSecret } from './keys.js';
import { prepareDatabase } from './migrate.js';
import { openPgDatabase } from './pg-database.js';
import { openPgliteDatabase } from './pglite-database.js';
import { RestApi } from './rest/rest-api.js';

export { apiKey, localJwtSecret } from './keys.js';

export interface SupabaseApiOptions {
	/** Default 54321, like the Supabase CLI. 0 picks a free port. */
	port?: number;
	/** PGlite data directory (e.g. .local/supabase); undefined keeps the database in memory. */
	dataDir?: string;
	/** Use a real Postgres through node-postgres instead of PGlite. */
	databaseUrl?: string;
	/** Load supabase/seed.sql: demo users alice and bob with their products. */
	seed?: boolean;
	/** Origins allowed by CORS. Default: the app's dev server. */
	appOrigins?: string[];
	quiet?: boolean;
	/** Seconds a rotated refresh token stays usable (default 10, the CLI's); tests use 0. */
	refreshTokenReuseInterval?: number;
}

export interface SupabaseApi {
	url: string;
	anonKey: string;
	serviceRoleKey: string;
	close(): Promise<void>;
}

const maxBodyBytes = 8 * 1024 * 1024;
/**
 * Past the limit the rest of the body is read and thrown away, so the client is listening when
 * the 413 comes (closing a socket the client is still writing to resets it before it reads the
 * answer). A client still sending after this much more is not waiting for one: it is cut off.
 */
const maxDiscardBytes = 1024 * 1024 * 1024;

const corsExposed = [
	'Content-Encoding', 'Content-Location', 'Content-Range', 'Content-Type', 'Date', 'Location',
	'Preference-Applied', 'Range-Unit', 'X-Supabase-Api-Version', 'X-Total-Count', 'Link'
].join(', ');
const corsDefaultAllowed = [
	'apikey', 'authorization', 'x-client-info', 'content-type', 'prefer', 'accept', 'accept-profile',
	'content-profile', 'range', 'x-supabase-api-version', 'x-retry-count'
].join(', ');

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size <= maxBodyBytes) chunks.push(chunk);
			else if (size > maxBodyBytes + maxDiscardBytes) req.destroy();
			else chunks.length = 0;
		});
		req.on('end', () => {
			if (size > maxBodyBytes) reject(Object.assign(new Error('body too large'), { tooLarge: true }));
			else resolve(Buffer.concat(chunks).toString('utf8'));
		});
		req.on('error', reject);
	});
}

export async function startSupabaseApi(options: SupabaseApiOptions = {}): Promise<SupabaseApi> {
	const log = options.quiet ? () => undefined : (line: string) => console.log(`[supabase] ${line}`);
	const appOrigins = new Set(options.appOrigins ?? ['http://localhost:5173']);
	const db: SqlDatabase = options.databaseUrl
		? await openPgDatabase(options.databaseUrl)
		: await openPgliteDatabase({ dataDir: options.dataDir });

	try {
		const { applied } = await prepareDatabase(db, { seed: options.seed, log });
		if (!applied.length) log('database schema up to date');
	} catch (error) {
		await db.close();
		throw error;
	}

	const server = createServer();
	const port = options.port ?? 54321;
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => resolve());
	});
	const address = server.address() as AddressInfo;
	const url = `http://localhost:${address.port}`;
	const auth = new AuthApi(db, {
		jwtSecret: localJwtSecret,
		issuer: `${url}/auth/v1`,
		refreshTokenReuseInterval: options.refreshTokenReuseInterval
	});
	const rest = new RestApi(db, localJwtSecret);
	await rest.reloadSchema();

	async function dispatch(req: IncomingMessage): Promise<ApiResponse> {
		const target = new URL(req.url ?? '/', 'http://localhost');
		const base = { method: req.method ?? 'GET', search: target.searchParams, headers: req.headers };
		const prefix = /^\/(auth|rest)\/v1(\/.*)?$/.exec(target.pathname);
		if (!prefix) {
			return {
				status: 404,
				headers: { 'Content-Type': 'application/json; charset=utf-8' },
				body: JSON.stringify({ message: 'no Route matched with those values' })
			};
		}
		let body: string;
		try {
			body = await readBody(req);
		} catch (error) {
			if ((error as { tooLarge?: boolean }).tooLarge) {
				return { status: 413, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify({ message: 'Request body too large: the limit is 8 MiB' }) };
			}
			throw error;
		}
		const request: ApiRequest = { ...base, path: prefix[2] ?? '/', body };
		return prefix[1] === 'auth' ? auth.handle(request) : rest.handle(request);
	}

	function corsHeaders(req: IncomingMessage): Record<string, string> {
		const origin = req.headers.origin;
		if (!origin || !appOrigins.has(origin)) return {};
		return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': corsExposed, Vary: 'Origin' };
	}

	server.on('request', (req: IncomingMessage, res: ServerResponse) => {
		const cors = corsHeaders(req);
		if (req.method === 'OPTIONS') {
			const headers: Record<string, string> = { ...cors };
			if (cors['Access-Control-Allow-Origin']) {
				headers['Access-Control-Allow-Methods'] = 'GET, HEAD, POST, PATCH, PUT, DELETE, OPTIONS';
				headers['Access-Control-Allow-Headers'] = req.headers['access-control-request-headers'] ?? corsDefaultAllowed;
				headers['Access-Control-Max-Age'] = '86400';
			}
			res.writeHead(204, headers).end();
			return;
		}
		dispatch(req).then(
			(response) => {
				res.writeHead(response.status, { ...cors, ...response.headers });
				res.end(response.body);
			},
			(error: unknown) => {
				// Always reported, even when quiet: a 500 here is a bug in the emulator.
				console.error(`[supabase] internal error on ${req.method} ${req.url}:`, error);
				if (!res.headersSent) res.writeHead(500, { ...cors, 'Content-Type': 'application/json; charset=utf-8' });
				res.end(JSON.stringify({ code: 'XX000', message: 'Internal error in the local Supabase emulator', details: null, hint: null }));
			}
		);
	});

	log(`listening on ${url} (${db.engine}${options.dataDir ? `, ${options.dataDir}` : options.databaseUrl ? '' : ', in memory'})`);
	let closing: Promise<void> | undefined;
	return {
		url,
		anonKey: apiKey('anon'),
		serviceRoleKey: apiKey('service_role'),
		close() {
			closing ??= (async () => {
				await new Promise<void>((resolve) => {
					server.close(() => resolve());
					server.closeAllConnections();
				});
				await db.close();
			})();
			return closing;
		}
	};
}
