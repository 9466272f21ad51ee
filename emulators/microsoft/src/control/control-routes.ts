/**
 * The test control API under /_emulator (loopback only, JSON). Documented in emulators/README.md.
 * Loopback is not enough on its own: any web page the developer opens can make the browser send
 * requests to localhost. So a request that names another Origin is refused, and every request
 * that changes state must say Content-Type: application/json, which a page can only send to
 * another origin after a CORS preflight that this API never grants.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CLIENT_ID, DEFAULT_LIFETIMES, type Emulator, type TokenLifetimes } from '../emulator';
import { BodyTooLargeError, decodeComponent, header, MalformedEncodingError, readSmallBody, sendJson } from '../http-util';
import { isEmail } from '../identity/accounts';
import { invalidNameReason, mimeTypeFor } from '../storage/names';
import type { DriveStore, ItemRecord } from '../storage/drive-store';
import { syntheticQuickXorHash } from '../synthetic-content';
import type { VideoFacet } from '../video-facet';
import { FaultValidationError, validateFaultSpec } from './faults';

class ControlError extends Error {
	constructor(
		readonly status: number,
		message: string
	) {
		super(message);
	}
}

interface SeedItem {
	name: string;
	folder?: boolean;
	children?: SeedItem[];
	size?: number;
	video?: VideoFacet;
}

export class ControlRoutes {
	constructor(private readonly em: Emulator) {}

	async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
		const refusal = this.refusal(req);
		if (refusal) {
			sendJson(res, refusal.status, { error: refusal.message }, { 'Cache-Control': 'no-store' });
			return;
		}
		try {
			const result = await this.route(req, url);
			sendJson(res, result === undefined ? 204 : 200, result ?? {}, { 'Cache-Control': 'no-store' });
		} catch (error) {
			if (error instanceof ControlError) sendJson(res, error.status, { error: error.message });
			else if (error instanceof FaultValidationError) sendJson(res, 400, { error: error.message });
			else if (error instanceof SyntaxError) sendJson(res, 400, { error: 'The body is not valid JSON.' });
			else if (error instanceof BodyTooLargeError) sendJson(res, 413, { error: `The body is larger than ${error.limit} bytes.` });
			else if (error instanceof MalformedEncodingError) sendJson(res, 400, { error: `The URL path is not valid: ${error.message}` });
			else throw error;
		}
	}

	/** Origins that may call the control API: the app's, and this emulator's own on any loopback name. */
	private allowedOrigins(): Set<string> {
		const port = new URL(this.em.url).port;
		return new Set([...this.em.appOrigins, new URL(this.em.url).origin, ...['localhost', '127.0.0.1', '[::1]'].map((host) => `http://${host}:${port}`)]);
	}

	private refusal(req: IncomingMessage): { status: number; message: string } | undefined {
		// Scripts (Node's fetch, curl) send no Origin; browsers always do on cross-origin requests.
		const origin = header(req, 'origin');
		if (origin !== undefined && !this.allowedOrigins().has(origin)) {
			return {
				status: 403,
				message: `The control API does not answer requests from origin ${origin}; only ${[...this.allowedOrigins()].join(', ')} or scripts that send no Origin may call it.`
			};
		}
		const method = req.method ?? 'GET';
		if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return undefined;
		const type = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
		if (type !== 'application/json') {
			return {
				status: 415,
				message: `${method} requests to the control API need Content-Type: application/json, even without a body (got ${type ? `"${type}"` : 'none'}).`
			};
		}
		return undefined;
	}

	private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
		const text = (await readSmallBody(req, 8 * 1024 * 1024)).toString('utf8');
		if (!text.trim()) return {};
		const value: unknown = JSON.parse(text);
		if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ControlError(400, 'The body must be a JSON object.');
		return value as Record<string, unknown>;
	}

	private driveFor(key: string): DriveStore {
		const account = this.em.accountByEmail(key);
		const drive = account ? this.em.driveOf(account) : this.em.driveById(key);
		if (!drive) throw new ControlError(404, `No account or drive '${key}'.`);
		return drive;
	}

	private async route(req: IncomingMessage, url: URL): Promise<unknown> {
		const method = req.method ?? 'GET';
		const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeComponent);
		const [first, second, third] = parts;
		const is = (m: string, length: number) => method === m && parts.length === length;

		if (parts.length === 0 && method === 'GET') {
			return { url: this.em.url, contentUrl: this.em.contentUrl, clientId: CLIENT_ID, now: this.em.clock.stamp(), accounts: this.em.listAccounts().map((a) => a.email) };
		}
		if (first === 'reset' && is('POST', 1)) {
			await this.em.reset();
			return { ok: true };
		}
		if (first === 'accounts') {
			if (is('GET', 1)) return this.em.listAccounts().map((a) => this.accountJson(a.email));
			if (is('POST', 1)) {
				const body = await this.body(req);
				if (!isEmail(body.email)) throw new ControlError(400, "'email' must be an e-mail address.");
				if (typeof body.password !== 'string' || body.password === '') throw new ControlError(400, "'password' is required.");
				if (this.em.accountByEmail(body.email)) throw new ControlError(409, `Account ${body.email} already exists.`);
				this.em.addAccount({
					email: body.email,
					password: body.password,
					displayName: typeof body.displayName === 'string' ? body.displayName : undefined,
					tenantId: typeof body.tenantId === 'string' ? body.tenantId : undefined,
					quotaTotal: typeof body.quotaTotal === 'number' ? body.quotaTotal : undefined
				});
				return this.accountJson(body.email);
			}
			if (second && third === 'revoke-refresh-tokens' && is('POST', 3)) {
				const account = this.em.accountByEmail(second);
				if (!account) throw new ControlError(404, `No account '${second}'.`);
				account.refreshTokensRevokedBefore = this.em.clock.now();
				this.em.persistAccounts();
				return { ok: true, revokedBefore: this.em.clock.iso(account.refreshTokensRevokedBefore) };
			}
			if (second && third === 'revoke-sign-in-sessions' && is('POST', 3)) {
				// Graph's revokeSignInSessions: every refresh token, and the account's browser sessions.
				const account = this.em.accountByEmail(second);
				if (!account) throw new ControlError(404, `No account '${second}'.`);
				account.refreshTokensRevokedBefore = this.em.clock.now();
				this.em.persistAccounts();
				const sessionsEnded = this.em.sessionRevokers.reduce((sum, revoke) => sum + revoke(account.id), 0);
				return { ok: true, revokedBefore: this.em.clock.iso(account.refreshTokensRevokedBefore), sessionsEnded };
			}
		}
		if (first === 'drives' && second) {
			const drive = this.driveFor(second);
			if (third === 'quota' && is('PUT', 3)) {
				const body = await this.body(req);
				if (typeof body.total !== 'number' || !Number.isSafeInteger(body.total) || body.total < 0) throw new ControlError(400, "'total' must be a non-negative integer (bytes).");
				drive.quotaTotal = body.total;
				return { total: drive.quotaTotal, used: drive.used(), remaining: drive.remaining() };
			}
			if (third === 'files' && is('GET', 3)) {
				return {
					driveId: drive.id,
					quota: { total: drive.quotaTotal, used: drive.used(), remaining: drive.remaining() },
					items: drive
						.allItems()
						.filter((item) => !item.deleted && item.parentId !== null)
						.map((item) => ({
							id: item.id,
							path: drive.pathOf(item),
							folder: item.isFolder,
							size: item.isFolder ? undefined : item.size,
							quickXorHash: item.quickXorHash,
							mimeType: item.mimeType,
							video: item.video,
							synthetic: item.content?.kind === 'synthetic' || undefined
						}))
						.sort((a, b) => a.path.localeCompare(b.path)),
					uploadSessions: drive.sessions().map((s) => ({
						id: s.id,
						name: s.target.name,
						received: s.received,
						total: s.total,
						expirationDateTime: this.em.clock.iso(s.expiresAt)
					}))
				};
			}
			if (third === 'fragments' && is('GET', 3)) {
				return {
					fragments: this.em.fragmentLog
						.filter((entry) => entry.driveId === drive.id)
						.map((entry) => {
							const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(entry.contentRange ?? '');
							return {
								sessionId: entry.sessionId,
								contentRange: entry.contentRange,
								start: range ? Number(range[1]) : null,
								end: range ? Number(range[2]) + 1 : null,
								receivedAt: entry.receivedAt,
								endedAt: entry.endedAt,
								status: entry.status
							};
						})
				};
			}
			if (third === 'seed' && is('POST', 3)) {
				const body = await this.body(req);
				const start = typeof body.path === 'string' ? body.path.split('/').filter(Boolean) : [];
				if (!Array.isArray(body.items)) throw new ControlError(400, "'items' must be an array of { name, children? | size, video? }.");
				return drive.batch(() => {
					let parent = drive.get(drive.rootId)!;
					for (const name of start) parent = this.seedFolder(drive, parent, name);
					return { created: this.seedItems(drive, parent, body.items as SeedItem[]) };
				});
			}
		}
		if (first === 'clock') {
			if (is('GET', 1)) return { now: this.em.clock.stamp(), offsetSeconds: this.em.clock.offsetMs / 1000 };
			if (second === 'advance' && is('POST', 2)) {
				const body = await this.body(req);
				if (typeof body.seconds !== 'number' || !Number.isFinite(body.seconds) || body.seconds < 0) throw new ControlError(400, "'seconds' must be a non-negative number.");
				this.em.clock.advance(body.seconds);
				return { now: this.em.clock.stamp(), offsetSeconds: this.em.clock.offsetMs / 1000 };
			}
		}
		if (first === 'redirect-uris') {
			if (is('GET', 1)) return { redirectUris: this.em.redirectUris() };
			if (is('POST', 1)) {
				const body = await this.body(req);
				const uris = Array.isArray(body.uris) ? body.uris : [body.uri];
				for (const uri of uris) {
					if (typeof uri !== 'string' || !/^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/[^#]*$/.test(uri)) {
						throw new ControlError(400, `Redirect URIs must be http://localhost:<port>/<path> (got ${JSON.stringify(uri)}).`);
					}
					if (!this.em.redirectUris().includes(uri)) this.em.extraRedirectUris.push(uri);
				}
				return { redirectUris: this.em.redirectUris() };
			}
		}
		if (first === 'token-lifetimes') {
			if (is('GET', 1)) return this.em.lifetimes;
			if (is('PUT', 1)) {
				const body = await this.body(req);
				const next: TokenLifetimes = { ...this.em.lifetimes };
				for (const key of Object.keys(DEFAULT_LIFETIMES).concat('accessSeconds') as Array<keyof TokenLifetimes>) {
					const value = body[key];
					if (value === undefined) continue;
					if (value === null && key === 'accessSeconds') delete next.accessSeconds;
					else if (typeof value === 'number' && Number.isInteger(value) && value > 0) next[key] = value;
					else throw new ControlError(400, `'${key}' must be a positive integer (seconds).`);
				}
				this.em.lifetimes = next;
				return next;
			}
		}
		if (first === 'settings') {
			if (is('GET', 1)) return this.em.settings;
			if (is('PUT', 1)) {
				const body = await this.body(req);
				for (const key of ['exposeRetryAfter', 'autoConsent', 'staySignedInPrompt'] as const) {
					if (body[key] === undefined) continue;
					if (typeof body[key] !== 'boolean') throw new ControlError(400, `'${key}' must be a boolean.`);
					this.em.settings[key] = body[key];
				}
				return this.em.settings;
			}
		}
		if (first === 'faults') {
			if (is('GET', 1)) return { faults: this.em.faults.list() };
			if (is('POST', 1)) {
				const body = await this.body(req);
				const specs = Array.isArray(body.faults) ? body.faults : [body];
				return { faults: specs.map((spec) => this.em.faults.add(validateFaultSpec(spec))) };
			}
			if (is('DELETE', 1)) {
				this.em.faults.clear();
				return { ok: true };
			}
			if (second && is('DELETE', 2)) {
				if (!this.em.faults.remove(second)) throw new ControlError(404, `No fault '${second}'.`);
				return { ok: true };
			}
		}
		throw new ControlError(404, `No control endpoint ${method} ${url.pathname}.`);
	}

	private accountJson(email: string) {
		const account = this.em.accountByEmail(email)!;
		const drive = this.em.driveOf(account);
		return {
			id: account.id,
			email: account.email,
			displayName: account.displayName,
			tenantId: account.tenantId,
			driveId: account.driveId,
			quota: { total: drive.quotaTotal, used: drive.used(), remaining: drive.remaining() }
		};
	}

	private seedFolder(drive: DriveStore, parent: ItemRecord, name: string): ItemRecord {
		const reason = invalidNameReason(name);
		if (reason) throw new ControlError(400, `${name}: ${reason}`);
		const existing = drive.findChild(parent.id, name);
		if (existing?.isFolder) return existing;
		if (existing) drive.delete(existing, this.em.clock.stamp());
		return drive.createFolder(parent.id, name, this.em.clock.stamp());
	}

	private seedItems(drive: DriveStore, parent: ItemRecord, items: SeedItem[]): number {
		let created = 0;
		for (const spec of items) {
			if (!spec || typeof spec.name !== 'string') throw new ControlError(400, "Each item needs a 'name'.");
			if (spec.folder || Array.isArray(spec.children)) {
				const folder = this.seedFolder(drive, parent, spec.name);
				created += 1 + this.seedItems(drive, folder, spec.children ?? []);
				continue;
			}
			const reason = invalidNameReason(spec.name);
			if (reason) throw new ControlError(400, `${spec.name}: ${reason}`);
			const size = spec.size ?? 0;
			if (!Number.isSafeInteger(size) || size < 0) throw new ControlError(400, `${spec.name}: 'size' must be a non-negative integer.`);
			if (spec.video !== undefined && (typeof spec.video !== 'object' || typeof spec.video.width !== 'number' || typeof spec.video.height !== 'number' || typeof spec.video.duration !== 'number')) {
				throw new ControlError(400, `${spec.name}: 'video' needs numeric duration (ms), width and height.`);
			}
			const existing = drive.findChild(parent.id, spec.name);
			if (existing?.isFolder) drive.delete(existing, this.em.clock.stamp());
			const seed = `${drive.id}:${drive.pathOf(parent)}/${spec.name}`;
			drive.putFile(
				{
					parentId: parent.id,
					name: spec.name,
					replaceId: existing && !existing.isFolder ? existing.id : undefined,
					size,
					content: { kind: 'synthetic', seed },
					mimeType: mimeTypeFor(spec.name),
					quickXorHash: syntheticQuickXorHash(seed, size),
					video: spec.video
				},
				this.em.clock.stamp()
			);
			created++;
		}
		return created;
	}
}
