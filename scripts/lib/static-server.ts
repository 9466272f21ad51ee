/**
 * Serves the built app the way a static host would: files from the build folder, the SPA
 * fallback page for every other path, and Reeldrive's security headers on every response.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { headersForBuild } from './security-headers';

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.mjs': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json',
	'.webmanifest': 'application/manifest+json',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.ico': 'image/x-icon',
	'.txt': 'text/plain; charset=utf-8',
	'.woff2': 'font/woff2'
};

export interface StaticServer {
	url: string;
	close(): Promise<void>;
}

export function serveStatic(buildDir: string, port: number, host = '127.0.0.1'): Promise<StaticServer> {
	const root = resolve(buildDir);
	const headers = headersForBuild(root);
	const fallback = join(root, '200.html');

	const server: Server = createServer((request, response) => {
		if (request.method !== 'GET' && request.method !== 'HEAD') {
			response.writeHead(405, { Allow: 'GET, HEAD' }).end();
			return;
		}
		const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
		let file = normalize(join(root, pathname));
		if (!file.startsWith(root)) {
			response.writeHead(400).end();
			return;
		}
		if (!existsSync(file) || statSync(file).isDirectory()) {
			// Unknown paths with a file extension are real 404s; the rest are app routes.
			if (extname(pathname)) {
				response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('Not found');
				return;
			}
			file = fallback;
		}
		const cache = pathname.startsWith('/_app/immutable/')
			? 'public, max-age=31536000, immutable'
			: 'no-cache';
		response.writeHead(200, {
			...headers,
			'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
			'Content-Length': statSync(file).size,
			'Cache-Control': cache
		});
		if (request.method === 'HEAD') response.end();
		else createReadStream(file).pipe(response);
	});

	return new Promise((resolvePromise, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			resolvePromise({
				url: `http://localhost:${port}`,
				close: () => new Promise<void>((done) => server.close(() => done()))
			});
		});
	});
}
