/**
 * Microsoft Graph under /v1.0: bearer validation on every call, then /me, the drive, items by id
 * and by path, children, folders, rename/move, delete, content, simple upload, upload sessions,
 * thumbnails, delta and search.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fault } from '../control/faults';
import type { Emulator } from '../emulator';
import { BodyTooLargeError, decodeComponent, header, MalformedEncodingError, readSmallBody, redirect, sendEmpty, sendJson, type Headers } from '../http-util';
import type { Account } from '../identity/accounts';
import type { TokenService } from '../identity/tokens';
import type { ConflictBehavior, DriveStore, ItemRecord } from '../storage/drive-store';
import { invalidNameReason, numberedName } from '../storage/names';
import { AddressError, parseGraphPath, type GraphTarget } from './addressing';
import { faultError, GraphError, invalidRequest, notFound, sendGraphError, type RequestIds } from './graph-errors';
import { driveJson, itemJson, thumbnail, thumbnailSets, type ItemView } from './item-json';
import { createSession, finishSession, liveSession, nameConflict, parseConflictBehavior, quotaExceeded, simpleUpload, uploadUrl } from './uploads';

export const EXPOSED_HEADERS = ['ETag', 'Location', 'Preference-Applied', 'Content-Range', 'request-id', 'client-request-id', 'ReadWriteConsistencyToken', 'SdkVersion', 'WWW-Authenticate'];

const READ_SCOPES = ['files.read', 'files.read.all', 'files.readwrite', 'files.readwrite.all'];
const WRITE_SCOPES = ['files.readwrite', 'files.readwrite.all'];
const USER_SCOPES = ['user.read', 'user.readwrite', 'user.readbasic.all', 'user.read.all', 'user.readwrite.all'];
const DEFAULT_PAGE = 200;
const MAX_PAGE = 1000;

interface Ctx {
	req: IncomingMessage;
	res: ServerResponse;
	url: URL;
	query: Map<string, string>;
	ids: RequestIds;
	account: Account;
	scopes: Set<string>;
}

/** `$top` and `top` are the same option. */
function normalizedQuery(url: URL): Map<string, string> {
	const query = new Map<string, string>();
	for (const [key, value] of url.searchParams) query.set(key.startsWith('$') ? key.slice(1) : key, value);
	return query;
}

export class GraphRoutes {
	constructor(
		private readonly em: Emulator,
		private readonly tokens: TokenService
	) {}

	cors(req: IncomingMessage): Headers {
		const origin = header(req, 'origin');
		if (!origin) return {};
		const exposed = this.em.settings.exposeRetryAfter ? [...EXPOSED_HEADERS, 'Retry-After'] : EXPOSED_HEADERS;
		return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': exposed.join(', '), Vary: 'Origin' };
	}

	async handle(req: IncomingMessage, res: ServerResponse, url: URL, ids: RequestIds, takeFault: (kind: 'graph' | 'createUploadSession') => Fault | undefined): Promise<void> {
		const base = { 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId, ...this.cors(req) };
		if (req.method === 'OPTIONS') {
			sendEmpty(res, 200, {
				...base,
				'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
				'Access-Control-Allow-Headers': header(req, 'access-control-request-headers') ?? 'authorization, content-type',
				'Access-Control-Max-Age': 3600
			});
			return;
		}
		const fail = (error: GraphError) => sendGraphError(res, error, ids, this.em.clock.now(), base);
		try {
			let target: GraphTarget | undefined;
			try {
				target = parseGraphPath(url.pathname.slice('/v1.0'.length));
			} catch (error) {
				if (error instanceof AddressError) throw invalidRequest(error.message);
				throw error;
			}
			const kind = target?.kind === 'item' && target.action[0] === 'createUploadSession' ? 'createUploadSession' : 'graph';
			const fault = takeFault(kind);
			if (fault?.status !== undefined) {
				throw faultError(fault.status, fault.code, fault.retryAfter);
			}
			const ctx = await this.authenticate(req, res, url, ids);
			if (!ctx) return;
			if (!target) throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${url.pathname.split('/')[2] ?? ''}'.`);
			await this.route(ctx, target, base);
		} catch (error) {
			if (error instanceof GraphError) fail(error);
			else if (error instanceof BodyTooLargeError) fail(new GraphError(413, 'invalidRequest', 'The request body is too large.'));
			else if (error instanceof SyntaxError) fail(invalidRequest('The request body is not valid JSON.'));
			else throw error;
		}
	}

	private async authenticate(req: IncomingMessage, res: ServerResponse, url: URL, ids: RequestIds): Promise<Ctx | undefined> {
		const authorization = header(req, 'authorization') ?? '';
		const match = /^Bearer\s+(\S+)$/i.exec(authorization);
		let message: string;
		if (!match) {
			message = 'Access token is empty.';
		} else {
			const check = await this.tokens.verifyAccessToken(match[1]!);
			if (check.ok) {
				return { req, res, url, query: normalizedQuery(url), ids, account: check.account, scopes: new Set(check.scopes.map((s) => s.toLowerCase())) };
			}
			message = check.message;
		}
		const challenge = `Bearer realm="", authorization_uri="${this.em.url}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`;
		throw new GraphError(401, 'InvalidAuthenticationToken', message, undefined, { 'WWW-Authenticate': challenge });
	}

	private need(ctx: Ctx, allowed: string[], code = 'accessDenied', message = 'Access denied. The token does not grant the permission this request needs.'): void {
		if (!allowed.some((scope) => ctx.scopes.has(scope))) throw new GraphError(403, code, message);
	}

	private async json(ctx: Ctx): Promise<Record<string, unknown>> {
		const body = (await readSmallBody(ctx.req, 256 * 1024)).toString('utf8');
		if (!body.trim()) return {};
		const parsed: unknown = JSON.parse(body);
		if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidRequest('The request body must be a JSON object.');
		return parsed as Record<string, unknown>;
	}

	private send(ctx: Ctx, status: number, body: unknown, headers: Headers): void {
		sendJson(ctx.res, status, body, headers);
	}

	private view(ctx: Ctx): ItemView {
		const select = ctx.query.get('select');
		const expand = (ctx.query.get('expand') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
		for (const e of expand) if (e !== 'thumbnails' && e !== 'children') throw invalidRequest(`Expanding '${e}' is not supported.`);
		return {
			select: select ? new Set(select.split(',').map((s) => s.trim()).filter(Boolean)) : undefined,
			expandThumbnails: expand.includes('thumbnails'),
			expandChildren: expand.includes('children')
		};
	}

	private drive(ctx: Ctx, target: Exclude<GraphTarget, { kind: 'me' }>): DriveStore {
		const own = this.em.driveOf(ctx.account);
		if ('me' in target.drive) return own;
		if (target.drive.id.toLowerCase() !== own.id.toLowerCase()) throw notFound('The drive could not be found.');
		return own;
	}

	private async route(ctx: Ctx, target: GraphTarget, headers: Headers): Promise<void> {
		const method = ctx.req.method ?? 'GET';
		if (target.kind === 'me') {
			if (method !== 'GET') throw methodNotAllowed();
			this.need(ctx, USER_SCOPES, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
			this.send(ctx, 200, this.me(ctx), headers);
			return;
		}
		const drive = this.drive(ctx, target);
		if (target.kind === 'drive') {
			this.need(ctx, READ_SCOPES);
			if (target.action.length === 0 && method === 'GET') {
				this.send(ctx, 200, driveJson(this.em, drive), headers);
				return;
			}
			if (target.action[0] === 'search' && target.action.length === 1 && method === 'GET') {
				this.search(ctx, drive, drive.get(drive.rootId)!, target.call?.args.get('q'), headers);
				return;
			}
			throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${target.action[0] ?? ''}'.`);
		}
		const action = target.action;
		const isWrite = !(method === 'GET' || method === 'HEAD');
		this.need(ctx, isWrite ? WRITE_SCOPES : READ_SCOPES);
		const baseItem = 'root' in target.base ? drive.get(drive.rootId) : drive.get(target.base.id);
		if (!baseItem) throw notFound('Item not found');
		const path = target.path ?? [];
		const item = path.length === 0 ? baseItem : drive.resolve(baseItem.id, path);
		const parent = path.length === 0 ? undefined : drive.resolve(baseItem.id, path.slice(0, -1));
		const leaf = path[path.length - 1];
		const sub = action[0];

		if (sub === undefined) {
			if (method === 'GET') return this.getItem(ctx, drive, item, headers);
			if (method === 'PATCH') return this.patchItem(ctx, drive, item, headers);
			if (method === 'DELETE') return this.deleteItem(ctx, drive, item, headers);
			if (method === 'PUT') return this.commitBySourceUrl(ctx, drive, item, parent, leaf, headers);
			throw methodNotAllowed();
		}
		if (sub === 'children' && action.length === 1) {
			if (!item) throw notFound('Item not found');
			if (method === 'GET') return this.listChildren(ctx, drive, item, headers);
			if (method === 'POST') return this.createFolder(ctx, drive, item, headers);
			throw methodNotAllowed();
		}
		if (sub === 'content' && action.length === 1) {
			if (method === 'GET') return this.getContent(ctx, drive, item, headers);
			if (method === 'PUT') return this.putContent(ctx, drive, item, parent, leaf, headers);
			throw methodNotAllowed();
		}
		if (sub === 'createUploadSession' && action.length === 1) {
			if (method !== 'POST') throw methodNotAllowed();
			return this.createUploadSession(ctx, drive, item, parent, leaf, target.path !== null && path.length > 0, headers);
		}
		if (sub === 'thumbnails') {
			if (method !== 'GET') throw methodNotAllowed();
			if (!item) throw notFound('Item not found');
			return this.thumbnails(ctx, drive, item, action.slice(1), headers);
		}
		if (sub === 'delta' && action.length === 1) {
			if (method !== 'GET') throw methodNotAllowed();
			if (!item) throw notFound('Item not found');
			return this.delta(ctx, drive, item, target.call?.args.get('token'), headers);
		}
		if (sub === 'search' && action.length === 1) {
			if (method !== 'GET') throw methodNotAllowed();
			if (!item) throw notFound('Item not found');
			return this.search(ctx, drive, item, target.call?.args.get('q'), headers);
		}
		throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${sub}'.`);
	}

	private me(ctx: Ctx): Record<string, unknown> {
		const a = ctx.account;
		const user: Record<string, unknown> = {
			businessPhones: [],
			displayName: a.displayName,
			givenName: a.givenName,
			jobTitle: null,
			mail: a.email,
			mobilePhone: null,
			officeLocation: null,
			preferredLanguage: 'en-US',
			surname: a.surname || null,
			userPrincipalName: a.email,
			id: a.id
		};
		const select = ctx.query.get('select');
		if (!select) return { '@odata.context': `${this.em.url}/v1.0/$metadata#users/$entity`, ...user };
		const fields = select.split(',').map((s) => s.trim());
		const picked: Record<string, unknown> = { '@odata.context': `${this.em.url}/v1.0/$metadata#users(${fields.join(',')})/$entity` };
		for (const f of fields) if (Object.hasOwn(user, f)) picked[f] = user[f];
		return picked;
	}

	private checkPreconditions(ctx: Ctx, item: ItemRecord): void {
		const ifMatch = header(ctx.req, 'if-match');
		if (!ifMatch || ifMatch === '*') return;
		const etag = `"{${item.guid}},${item.eTagVersion}"`;
		const ctag = `"c:{${item.guid}},${item.cTagVersion}"`;
		if (ifMatch !== etag && ifMatch !== ctag) throw new GraphError(412, 'resourceModified', 'ETag does not match the current item.', 'entityTagDoesNotMatch');
	}

	private notModified(ctx: Ctx, item: ItemRecord, headers: Headers): boolean {
		const tag = header(ctx.req, 'if-none-match');
		if (!tag) return false;
		const etag = `"{${item.guid}},${item.eTagVersion}"`;
		const ctag = `"c:{${item.guid}},${item.cTagVersion}"`;
		if (tag !== etag && tag !== ctag && tag !== '*') return false;
		sendEmpty(ctx.res, 304, { ...headers, ETag: etag });
		return true;
	}

	private getItem(ctx: Ctx, drive: DriveStore, item: ItemRecord | undefined, headers: Headers): void {
		if (!item) throw notFound('Item not found');
		if (this.notModified(ctx, item, headers)) return;
		const body = itemJson(this.em, drive, item, this.view(ctx));
		this.send(ctx, 200, { '@odata.context': `${this.em.url}/v1.0/$metadata#drives('${drive.id}')/items/$entity`, ...body }, { ...headers, ETag: String(body.eTag ?? '') });
	}

	private listChildren(ctx: Ctx, drive: DriveStore, folder: ItemRecord, headers: Headers): void {
		if (this.notModified(ctx, folder, headers)) return;
		const view = this.view(ctx);
		const children = folder.isFolder ? sortItems(drive, drive.children(folder.id), ctx.query.get('orderby')) : [];
		this.sendPage(ctx, drive, children, view, `${this.em.url}/v1.0/$metadata#drives('${drive.id}')/items('${folder.id}')/children`, headers);
	}

	private sendPage(ctx: Ctx, drive: DriveStore, items: ItemRecord[], view: ItemView, context: string, headers: Headers): void {
		const top = pageSize(ctx.query.get('top'));
		const offset = decodeSkipToken(ctx.query.get('skiptoken'));
		const page = items.slice(offset, offset + top);
		const body: Record<string, unknown> = { '@odata.context': context, value: page.map((item) => itemJson(this.em, drive, item, view)) };
		if (offset + top < items.length) {
			const next = new URL(`${this.em.url}${ctx.url.pathname}`);
			for (const [key, value] of ctx.url.searchParams) if (key.replace(/^\$/, '') !== 'skiptoken') next.searchParams.set(key, value);
			next.searchParams.set('$skiptoken', Buffer.from(String(offset + top)).toString('base64url'));
			body['@odata.nextLink'] = next.toString();
		}
		this.send(ctx, 200, body, headers);
	}

	private conflictOf(ctx: Ctx, body: Record<string, unknown> = {}, item?: Record<string, unknown>): ConflictBehavior | undefined {
		const fromQuery = ctx.url.searchParams.get('@microsoft.graph.conflictBehavior') ?? undefined;
		return parseConflictBehavior(fromQuery ?? item?.['@microsoft.graph.conflictBehavior'] ?? body['@microsoft.graph.conflictBehavior']);
	}

	private async createFolder(ctx: Ctx, drive: DriveStore, parent: ItemRecord, headers: Headers): Promise<void> {
		const body = await this.json(ctx);
		if (!parent.isFolder) throw invalidRequest('The parent item is not a folder.');
		const name = body.name;
		if (typeof name !== 'string') throw invalidRequest("The property 'name' is required.");
		if (!body.folder || typeof body.folder !== 'object') throw invalidRequest("Only folders can be created here: send a 'folder' facet.");
		const reason = invalidNameReason(name);
		if (reason) throw invalidRequest(reason, 'invalidName');
		const conflict = this.conflictOf(ctx, body);
		let finalName = name;
		const existing = drive.findChild(parent.id, name);
		if (existing) {
			// Without an explicit behaviour the emulator answers like "fail" (see README).
			if (conflict === undefined || conflict === 'fail') throw nameConflict(`An item named '${existing.name}' already exists in this folder.`);
			if (conflict === 'rename') finalName = drive.uniqueName(parent.id, name, true, numberedName);
			else drive.delete(existing, this.em.clock.stamp());
		}
		const folder = drive.createFolder(parent.id, finalName, this.em.clock.stamp());
		this.send(ctx, 201, { '@odata.context': `${this.em.url}/v1.0/$metadata#drives('${drive.id}')/items/$entity`, ...itemJson(this.em, drive, folder) }, headers);
	}

	private async patchItem(ctx: Ctx, drive: DriveStore, item: ItemRecord | undefined, headers: Headers): Promise<void> {
		if (!item) throw notFound('Item not found');
		const body = await this.json(ctx);
		if (item.parentId === null) throw invalidRequest('The root folder cannot be renamed or moved.');
		this.checkPreconditions(ctx, item);
		const changes: Parameters<DriveStore['update']>[1] = {};
		if (body.name !== undefined) {
			if (typeof body.name !== 'string') throw invalidRequest("The property 'name' must be a string.");
			const reason = invalidNameReason(body.name);
			if (reason) throw invalidRequest(reason, 'invalidName');
			changes.name = body.name;
		}
		let parentId = item.parentId;
		const ref = body.parentReference as Record<string, unknown> | undefined;
		if (ref !== undefined) {
			if (!ref || typeof ref !== 'object') throw invalidRequest("The property 'parentReference' must be an object.");
			if (ref.driveId !== undefined && String(ref.driveId).toLowerCase() !== drive.id.toLowerCase()) throw notFound('The target drive could not be found.');
			let target: ItemRecord | undefined;
			if (typeof ref.id === 'string') target = drive.get(ref.id);
			else if (typeof ref.path === 'string') {
				const path = ref.path.replace(/^\/drives?\/[^/]*\/?root:?|^\/drive\/root:?/, '').split('/').filter(Boolean).map((segment) => decodePart(segment, 'parentReference.path'));
				target = drive.resolve(drive.rootId, path);
			} else throw invalidRequest("parentReference needs an 'id' or a 'path'.");
			if (!target) throw notFound('The target folder could not be found.');
			if (!target.isFolder) throw invalidRequest('The target is not a folder.');
			if (drive.isAncestor(item.id, target)) throw invalidRequest('A folder cannot be moved into itself or one of its subfolders.');
			parentId = target.id;
			changes.parentId = target.id;
		}
		if (typeof body.description === 'string') changes.description = body.description;
		if (body.fileSystemInfo && typeof body.fileSystemInfo === 'object') {
			const fsi = body.fileSystemInfo as Record<string, unknown>;
			changes.fileSystemInfo = {};
			if (typeof fsi.createdDateTime === 'string') changes.fileSystemInfo.createdDateTime = fsi.createdDateTime;
			if (typeof fsi.lastModifiedDateTime === 'string') changes.fileSystemInfo.lastModifiedDateTime = fsi.lastModifiedDateTime;
		}
		const newName = changes.name ?? item.name;
		const clash = drive.findChild(parentId!, newName);
		if (clash && clash.id !== item.id) {
			const conflict = this.conflictOf(ctx, body) ?? 'fail';
			if (conflict === 'fail') throw nameConflict(`An item named '${clash.name}' already exists in the target folder.`);
			if (conflict === 'rename') changes.name = drive.uniqueName(parentId!, newName, item.isFolder, numberedName);
			else drive.delete(clash, this.em.clock.stamp());
		}
		const updated = drive.update(item, changes, this.em.clock.stamp());
		this.send(ctx, 200, itemJson(this.em, drive, updated), headers);
	}

	private deleteItem(ctx: Ctx, drive: DriveStore, item: ItemRecord | undefined, headers: Headers): void {
		if (!item) throw notFound('Item not found');
		if (item.parentId === null) throw new GraphError(403, 'accessDenied', 'The root folder cannot be deleted.');
		this.checkPreconditions(ctx, item);
		drive.delete(item, this.em.clock.stamp());
		sendEmpty(ctx.res, 204, headers);
	}

	private getContent(ctx: Ctx, drive: DriveStore, item: ItemRecord | undefined, headers: Headers): void {
		if (!item) throw notFound('Item not found');
		if (item.isFolder) throw notFound('A folder has no content to download.');
		if (this.notModified(ctx, item, headers)) return;
		const json = itemJson(this.em, drive, item);
		redirect(ctx.res, String(json['@microsoft.graph.downloadUrl']), headers);
	}

	/** Where new content goes: an existing file (replace), or a name under a parent folder. */
	private contentTarget(item: ItemRecord | undefined, parent: ItemRecord | undefined, leaf: string | undefined, byPath: boolean): { parentId: string; name: string; existing?: ItemRecord } {
		if (item && !byPath) {
			if (item.isFolder) throw invalidRequest('The target is a folder; address a file, or a new name below the folder.');
			return { parentId: item.parentId!, name: item.name, existing: item };
		}
		if (!parent || !leaf) throw notFound('The parent folder could not be found.');
		if (!parent.isFolder) throw invalidRequest('The parent item is not a folder.');
		const reason = invalidNameReason(leaf);
		if (reason) throw invalidRequest(reason, 'invalidName');
		return { parentId: parent.id, name: leaf, existing: item };
	}

	private async putContent(ctx: Ctx, drive: DriveStore, item: ItemRecord | undefined, parent: ItemRecord | undefined, leaf: string | undefined, headers: Headers): Promise<void> {
		const target = this.contentTarget(item, parent, leaf, leaf !== undefined);
		const conflict = this.conflictOf(ctx) ?? 'replace';
		if (target.existing) this.checkPreconditions(ctx, target.existing);
		if (target.existing && !target.existing.isFolder && conflict === 'fail') throw nameConflict();
		const result = await simpleUpload(this.em, drive, ctx.req, {
			parentId: target.parentId,
			name: target.name,
			replaceItemId: target.existing && !target.existing.isFolder && conflict === 'replace' ? target.existing.id : undefined,
			conflict
		});
		if (!result) return; // the client went away mid-body
		this.send(ctx, result.status, itemJson(this.em, drive, result.item), headers);
	}

	private async createUploadSession(
		ctx: Ctx,
		drive: DriveStore,
		item: ItemRecord | undefined,
		parent: ItemRecord | undefined,
		leaf: string | undefined,
		byPath: boolean,
		headers: Headers
	): Promise<void> {
		const body = await this.json(ctx);
		const itemBody = (body.item ?? {}) as Record<string, unknown>;
		if (typeof itemBody !== 'object' || Array.isArray(itemBody)) throw invalidRequest("The property 'item' must be an object.");
		const target = this.contentTarget(item, parent, leaf, byPath);
		if (itemBody.name !== undefined && itemBody.name !== target.name) {
			throw invalidRequest(`The name in the request body ('${String(itemBody.name)}') does not match the name in the path ('${target.name}').`);
		}
		const explicit = this.conflictOf(ctx, body, itemBody);
		// The documented default is "fail".
		const conflict = explicit ?? 'fail';
		let declaredSize: number | undefined;
		if (itemBody.fileSize !== undefined) {
			if (typeof itemBody.fileSize !== 'number' || !Number.isSafeInteger(itemBody.fileSize) || itemBody.fileSize < 0) {
				throw invalidRequest("The property 'fileSize' must be a non-negative integer.");
			}
			declaredSize = itemBody.fileSize;
		}
		if (body.deferCommit !== undefined && typeof body.deferCommit !== 'boolean') throw invalidRequest("The property 'deferCommit' must be a boolean.");
		const replacing = byPath ? undefined : target.existing;
		if (target.existing) this.checkPreconditions(ctx, target.existing);
		if (declaredSize !== undefined && declaredSize - (target.existing && !target.existing.isFolder && conflict === 'replace' ? target.existing.size : 0) > drive.remaining()) {
			throw quotaExceeded();
		}
		if (byPath && target.existing && conflict === 'fail') throw nameConflict(`An item named '${target.existing.name}' already exists in this folder.`);
		const fsi = itemBody.fileSystemInfo as Record<string, string> | undefined;
		const session = createSession(this.em, drive, {
			parentId: target.parentId,
			name: target.name,
			replaceItemId: replacing?.id,
			conflict: replacing ? 'replace' : conflict,
			declaredSize,
			deferCommit: body.deferCommit === true,
			description: typeof itemBody.description === 'string' ? itemBody.description : undefined,
			fileSystemInfo: fsi && typeof fsi === 'object' ? { createdDateTime: fsi.createdDateTime, lastModifiedDateTime: fsi.lastModifiedDateTime } : undefined
		});
		this.send(
			ctx,
			200,
			{
				'@odata.context': `${this.em.url}/v1.0/$metadata#microsoft.graph.uploadSession`,
				uploadUrl: uploadUrl(this.em, drive, session),
				expirationDateTime: this.em.clock.iso(session.expiresAt),
				nextExpectedRanges: ['0-']
			},
			headers
		);
	}

	/** PUT on an item path with @microsoft.graph.sourceUrl: commit an upload session (the Personal way). */
	private async commitBySourceUrl(ctx: Ctx, drive: DriveStore, item: ItemRecord | undefined, parent: ItemRecord | undefined, leaf: string | undefined, headers: Headers): Promise<void> {
		const body = await this.json(ctx);
		const source = body['@microsoft.graph.sourceUrl'];
		if (typeof source !== 'string') throw invalidRequest("Send '@microsoft.graph.sourceUrl' to commit an upload session.");
		const match = /\/up\/([^/]+)\/([^/?]+)\?tempauth=([^&]+)/.exec(source);
		if (!match || !source.startsWith(this.em.contentUrl) || decodePart(match[1]!, '@microsoft.graph.sourceUrl') !== drive.id) throw invalidRequest('The sourceUrl is not an upload session of this drive.');
		const session = liveSession(this.em, drive, match[2]!);
		if (session.secret !== match[3]) throw invalidRequest('The sourceUrl is not an upload session of this drive.');
		const name = typeof body.name === 'string' ? body.name : (leaf ?? item?.name);
		const parentId = leaf !== undefined ? parent?.id : item?.parentId ?? undefined;
		if (!name || !parentId) throw notFound('The parent folder could not be found.');
		const reason = invalidNameReason(name);
		if (reason) throw invalidRequest(reason, 'invalidName');
		const outcome = await finishSession(this.em, drive, session, undefined, { parentId, name, conflict: this.conflictOf(ctx, body) ?? 'fail' });
		if (outcome.kind === 'failed') throw outcome.error;
		if (outcome.kind === 'committed') this.send(ctx, outcome.status, itemJson(this.em, drive, outcome.item), headers);
	}

	private thumbnails(ctx: Ctx, drive: DriveStore, item: ItemRecord, rest: string[], headers: Headers): void {
		const select = ctx.query.get('select');
		const selectSet = select ? new Set(select.split(',').map((s) => s.trim()).filter(Boolean)) : undefined;
		if (rest.length === 0) {
			this.send(ctx, 200, { '@odata.context': `${this.em.url}/v1.0/$metadata#drives('${drive.id}')/items('${item.id}')/thumbnails`, value: thumbnailSets(this.em, drive, item, selectSet) }, headers);
			return;
		}
		const sets = thumbnailSets(this.em, drive, item);
		if (rest[0] !== '0' || sets.length === 0) throw notFound('The thumbnail set could not be found.');
		if (rest.length === 1) {
			this.send(ctx, 200, thumbnailSets(this.em, drive, item, selectSet)[0], headers);
			return;
		}
		const one = thumbnail(this.em, drive, item, rest[1]!);
		if (!one) throw notFound('The thumbnail size could not be found.');
		if (rest.length === 2) return this.send(ctx, 200, one, headers);
		if (rest.length === 3 && rest[2] === 'content') return redirect(ctx.res, String(one.url), headers);
		throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${rest[2]}'.`);
	}

	private delta(ctx: Ctx, drive: DriveStore, scope: ItemRecord, tokenArg: string | undefined, headers: Headers): void {
		if (!scope.isFolder) throw invalidRequest('Delta is available on folders only.');
		const token = ctx.query.get('token') ?? tokenArg;
		const basePath = ctx.url.pathname.replace(/\/(microsoft\.graph\.)?delta(\(.*\)|%28.*%29)?$/i, '/delta');
		// Next and delta links keep the caller's other options ($top, $select, ...).
		const link = (t: string) => {
			const next = new URL(`${this.em.url}${basePath}`);
			for (const [key, value] of ctx.url.searchParams) if (key !== 'token') next.searchParams.set(key, value);
			next.searchParams.set('token', t);
			return next.toString();
		};
		const encode = (value: DeltaToken) => Buffer.from(JSON.stringify(value)).toString('base64url');
		if (token === 'latest') {
			this.send(ctx, 200, { '@odata.context': `${this.em.url}/v1.0/$metadata#Collection(driveItem)`, value: [], '@odata.deltaLink': link(encode({ e: drive.epoch, s: drive.seq })) }, headers);
			return;
		}
		let state: DeltaToken = { e: drive.epoch, s: 0 };
		if (token) {
			try {
				state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as DeltaToken;
				if (typeof state.s !== 'number' || typeof state.e !== 'string') throw new Error('shape');
			} catch {
				throw invalidRequest('The delta token is not valid.');
			}
			if (state.e !== drive.epoch) {
				throw new GraphError(410, 'resyncRequired', 'The delta token is no longer valid; enumerate again.', 'resyncChangesApplyDifferences', { Location: `${this.em.url}${basePath}` });
			}
		}
		const upTo = state.u ?? drive.seq;
		const keyOf = (item: ItemRecord): [number, string] => [drive.depth(item), item.id];
		const after = (item: ItemRecord) => {
			if (!state.c) return true;
			const [d, id] = keyOf(item);
			return d > state.c[0] || (d === state.c[0] && id > state.c[1]);
		};
		const changed = drive
			.allItems()
			.filter((item) => item.seq > state.s && item.seq <= upTo && (state.s > 0 || !item.deleted) && drive.isAncestor(scope.id, item) && after(item))
			.sort((a, b) => {
				const [da, ia] = keyOf(a);
				const [db, ib] = keyOf(b);
				return da - db || (ia < ib ? -1 : ia > ib ? 1 : 0);
			});
		const top = pageSize(ctx.query.get('top'));
		const page = changed.slice(0, top);
		const view = { ...this.view(ctx), delta: true };
		const body: Record<string, unknown> = {
			'@odata.context': `${this.em.url}/v1.0/$metadata#Collection(driveItem)`,
			value: page.map((item) => itemJson(this.em, drive, item, view))
		};
		if (changed.length > top) body['@odata.nextLink'] = link(encode({ e: drive.epoch, s: state.s, u: upTo, c: keyOf(page[page.length - 1]!) }));
		else body['@odata.deltaLink'] = link(encode({ e: drive.epoch, s: upTo }));
		this.send(ctx, 200, body, headers);
	}

	private search(ctx: Ctx, drive: DriveStore, scope: ItemRecord, q: string | undefined, headers: Headers): void {
		if (q === undefined) throw invalidRequest("The search function needs a 'q' parameter.");
		const terms = q.toLowerCase().split(/\s+/).filter(Boolean);
		const found = drive
			.allItems()
			.filter((item) => !item.deleted && item.parentId !== null && item.id !== scope.id && drive.isAncestor(scope.id, item))
			.filter((item) => terms.length > 0 && terms.every((t) => item.name.toLowerCase().includes(t)));
		const view = this.view(ctx);
		this.sendPage(ctx, drive, sortItems(drive, found, ctx.query.get('orderby')), view, `${this.em.url}/v1.0/$metadata#Collection(driveItem)`, headers);
	}
}

interface DeltaToken {
	e: string;
	s: number;
	u?: number;
	c?: [number, string];
}

/** A percent-encoded part of a request body, decoded; malformed encoding is the client's 400. */
function decodePart(text: string, property: string): string {
	try {
		return decodeComponent(text);
	} catch (error) {
		if (error instanceof MalformedEncodingError) throw invalidRequest(`The property '${property}' is not valid: ${error.message}`);
		throw error;
	}
}

function methodNotAllowed(): GraphError {
	return new GraphError(405, 'invalidRequest', 'The HTTP method is not allowed for this resource.');
}

function pageSize(value: string | undefined): number {
	if (value === undefined) return DEFAULT_PAGE;
	const n = Number(value);
	if (!Number.isInteger(n) || n < 1) throw invalidRequest(`Invalid value '${value}' for $top.`);
	return Math.min(n, MAX_PAGE);
}

function decodeSkipToken(value: string | undefined): number {
	if (value === undefined) return 0;
	const n = Number(Buffer.from(value, 'base64url').toString('utf8'));
	if (!Number.isInteger(n) || n < 0) throw invalidRequest('The $skiptoken is not valid.');
	return n;
}

function sortItems(drive: DriveStore, items: ItemRecord[], orderby: string | undefined): ItemRecord[] {
	const match = /^\s*(name|size|lastModifiedDateTime)(\s+(asc|desc))?\s*$/i.exec(orderby ?? 'name');
	if (!match) throw invalidRequest(`Ordering by '${orderby}' is not supported; use name, size or lastModifiedDateTime.`);
	const field = match[1]!.toLowerCase();
	const sign = match[3]?.toLowerCase() === 'desc' ? -1 : 1;
	const sizeOf = (item: ItemRecord) => (item.isFolder ? 0 : item.size);
	return [...items].sort((a, b) => {
		let d = 0;
		if (field === 'size') d = sizeOf(a) - sizeOf(b);
		else if (field === 'lastmodifieddatetime') d = a.lastModifiedDateTime.localeCompare(b.lastModifiedDateTime);
		if (d === 0) d = a.name.toLowerCase().localeCompare(b.name.toLowerCase());
		return sign * d;
	});
}
