/**
 * One OneDrive drive on disk: metadata in drive.json (rewritten atomically after each change),
 * file bytes in content/, partial uploads in uploads/. Items are never loaded with their bytes.
 * Deleted items stay as tombstones so delta can report them.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { QuickXorHashState } from '../quick-xor-hash';
import type { VideoFacet } from '../video-facet';
import { readJsonFile, writeJsonFile } from './json-file';

export type ConflictBehavior = 'fail' | 'replace' | 'rename';

export type ItemContent = { kind: 'file'; file: string } | { kind: 'synthetic'; seed: string };

export interface ItemRecord {
	id: string;
	name: string;
	parentId: string | null;
	isFolder: boolean;
	size: number;
	createdDateTime: string;
	lastModifiedDateTime: string;
	fileSystemInfo?: { createdDateTime?: string; lastModifiedDateTime?: string };
	description?: string;
	guid: string;
	eTagVersion: number;
	cTagVersion: number;
	mimeType?: string;
	quickXorHash?: string;
	video?: VideoFacet;
	content?: ItemContent;
	deleted?: boolean;
	/** Drive change sequence number of the last change to this item (for delta). */
	seq: number;
}

export interface UploadSessionRecord {
	id: string;
	secret: string;
	target: { parentId: string; name: string; replaceItemId?: string };
	conflictBehavior: ConflictBehavior;
	deferCommit: boolean;
	declaredSize?: number;
	total?: number;
	received: number;
	hash: QuickXorHashState;
	createdAt: number;
	expiresAt: number;
	hardExpiresAt: number;
	description?: string;
	fileSystemInfo?: ItemRecord['fileSystemInfo'];
	/** With deferCommit, all bytes are in and the session waits for an explicit commit. */
	awaitingCommit?: boolean;
}

/** drive.json as stored on disk. */
interface DriveFile {
	id: string;
	ownerId: string;
	ownerName: string;
	quotaTotal: number;
	epoch: string;
	seq: number;
	nextItem: number;
	rootId: string;
	items: Record<string, ItemRecord>;
	sessions: Record<string, UploadSessionRecord>;
}

type DriveMeta = Omit<DriveFile, 'items' | 'sessions'>;

export class DriveStore {
	// Ids arrive from URLs. Maps, not plain objects, so that "__proto__" or "constructor" is an
	// unknown id like any other instead of Object.prototype and its methods.
	private readonly items: Map<string, ItemRecord>;
	private readonly uploads: Map<string, UploadSessionRecord>;
	/** Inside batch(): changes are written once at its end instead of one drive.json per change. */
	private batchDepth = 0;
	private dirty = false;

	private constructor(
		readonly dir: string,
		private data: DriveMeta,
		items: Record<string, ItemRecord>,
		sessions: Record<string, UploadSessionRecord>
	) {
		this.items = new Map(Object.entries(items));
		this.uploads = new Map(Object.entries(sessions));
	}

	private static from(dir: string, file: DriveFile): DriveStore {
		const { items, sessions, ...meta } = file;
		return new DriveStore(dir, meta, items, sessions);
	}

	static open(dir: string): DriveStore | undefined {
		const data = readJsonFile<DriveFile>(join(dir, 'drive.json'));
		return data ? DriveStore.from(dir, data) : undefined;
	}

	static create(dir: string, init: { id: string; ownerId: string; ownerName: string; quotaTotal: number; now: string }): DriveStore {
		rmSync(dir, { recursive: true, force: true });
		mkdirSync(join(dir, 'content'), { recursive: true });
		mkdirSync(join(dir, 'uploads'), { recursive: true });
		const rootId = `${init.id}!101`;
		const data: DriveFile = {
			id: init.id,
			ownerId: init.ownerId,
			ownerName: init.ownerName,
			quotaTotal: init.quotaTotal,
			epoch: randomUUID(),
			seq: 1,
			nextItem: 102,
			rootId,
			items: {
				[rootId]: {
					id: rootId,
					name: 'root',
					parentId: null,
					isFolder: true,
					size: 0,
					createdDateTime: init.now,
					lastModifiedDateTime: init.now,
					guid: randomUUID().toUpperCase(),
					eTagVersion: 1,
					cTagVersion: 1,
					seq: 1
				}
			},
			sessions: {}
		};
		const store = DriveStore.from(dir, data);
		store.persist();
		return store;
	}

	get id(): string {
		return this.data.id;
	}
	get ownerId(): string {
		return this.data.ownerId;
	}
	get ownerName(): string {
		return this.data.ownerName;
	}
	get epoch(): string {
		return this.data.epoch;
	}
	get seq(): number {
		return this.data.seq;
	}
	get rootId(): string {
		return this.data.rootId;
	}
	get quotaTotal(): number {
		return this.data.quotaTotal;
	}
	set quotaTotal(total: number) {
		this.data.quotaTotal = total;
		this.persist();
	}

	persist(): void {
		if (this.batchDepth > 0) {
			this.dirty = true;
			return;
		}
		const file: DriveFile = { ...this.data, items: Object.fromEntries(this.items), sessions: Object.fromEntries(this.uploads) };
		writeJsonFile(join(this.dir, 'drive.json'), file);
	}

	/**
	 * Runs many changes with one write of drive.json at the end (seeding 10,000 files would
	 * otherwise rewrite the whole drive 10,000 times).
	 */
	batch<T>(work: () => T): T {
		this.batchDepth++;
		try {
			return work();
		} finally {
			this.batchDepth--;
			if (this.batchDepth === 0 && this.dirty) {
				this.dirty = false;
				this.persist();
			}
		}
	}

	used(): number {
		let used = 0;
		for (const item of this.items.values()) if (!item.deleted && !item.isFolder) used += item.size;
		return used;
	}

	remaining(): number {
		return Math.max(0, this.data.quotaTotal - this.used());
	}

	/** A live (not deleted) item. */
	get(id: string): ItemRecord | undefined {
		const item = this.items.get(id);
		return item && !item.deleted ? item : undefined;
	}

	/** Any item, tombstones included. */
	getAny(id: string): ItemRecord | undefined {
		return this.items.get(id);
	}

	allItems(): ItemRecord[] {
		return [...this.items.values()];
	}

	children(parentId: string): ItemRecord[] {
		return [...this.items.values()].filter((item) => item.parentId === parentId && !item.deleted);
	}

	/** Names are matched case-insensitively, as on OneDrive. */
	findChild(parentId: string, name: string): ItemRecord | undefined {
		const wanted = name.toLowerCase();
		return this.children(parentId).find((item) => item.name.toLowerCase() === wanted);
	}

	resolve(fromId: string, segments: string[]): ItemRecord | undefined {
		let current = this.get(fromId);
		for (const segment of segments) {
			if (!current || !current.isFolder) return undefined;
			current = this.findChild(current.id, segment);
		}
		return current;
	}

	/** "/drive/root:" for children of the root, "/drive/root:/A/B" deeper. */
	parentPath(item: ItemRecord): string | undefined {
		if (item.parentId === null) return undefined;
		const names: string[] = [];
		let current = this.getAny(item.parentId);
		while (current && current.parentId !== null) {
			names.unshift(current.name);
			current = this.getAny(current.parentId);
		}
		return names.length === 0 ? '/drive/root:' : `/drive/root:/${names.map(encodeURIComponent).join('/')}`;
	}

	/** Slash-separated path from the root, for the control API. */
	pathOf(item: ItemRecord): string {
		const names: string[] = [];
		let current: ItemRecord | undefined = item;
		while (current && current.parentId !== null) {
			names.unshift(current.name);
			current = this.getAny(current.parentId);
		}
		return `/${names.join('/')}`;
	}

	isAncestor(ancestorId: string, item: ItemRecord): boolean {
		let current: ItemRecord | undefined = item;
		while (current) {
			if (current.id === ancestorId) return true;
			current = current.parentId === null ? undefined : this.getAny(current.parentId);
		}
		return false;
	}

	depth(item: ItemRecord): number {
		let depth = 0;
		let current = item;
		while (current.parentId !== null) {
			const parent = this.getAny(current.parentId);
			if (!parent) break;
			depth++;
			current = parent;
		}
		return depth;
	}

	uniqueName(parentId: string, name: string, isFolder: boolean, numbered: (name: string, n: number, isFolder: boolean) => string): string {
		if (!this.findChild(parentId, name)) return name;
		for (let n = 1; ; n++) {
			const candidate = numbered(name, n, isFolder);
			if (!this.findChild(parentId, candidate)) return candidate;
		}
	}

	private bump(item: ItemRecord, now: string, content: boolean): void {
		item.seq = ++this.data.seq;
		item.eTagVersion++;
		if (content) item.cTagVersion++;
		item.lastModifiedDateTime = now;
	}

	/** A change below a folder changes the folder's eTag/cTag too, up to the root. */
	private touchAncestors(parentId: string | null, now: string): void {
		let current = parentId === null ? undefined : this.getAny(parentId);
		while (current) {
			this.bump(current, now, true);
			current = current.parentId === null ? undefined : this.getAny(current.parentId);
		}
	}

	private newItem(parentId: string, name: string, isFolder: boolean, now: string): ItemRecord {
		const id = `${this.data.id}!${this.data.nextItem++}`;
		const item: ItemRecord = {
			id,
			name,
			parentId,
			isFolder,
			size: 0,
			createdDateTime: now,
			lastModifiedDateTime: now,
			guid: randomUUID().toUpperCase(),
			eTagVersion: 1,
			cTagVersion: 1,
			seq: ++this.data.seq
		};
		this.items.set(id, item);
		return item;
	}

	createFolder(parentId: string, name: string, now: string): ItemRecord {
		const item = this.newItem(parentId, name, true, now);
		this.touchAncestors(parentId, now);
		this.persist();
		return item;
	}

	/** Stores a new file or new content for an existing one; `contentFile` is moved under content/. */
	putFile(
		args: {
			parentId: string;
			name: string;
			replaceId?: string;
			size: number;
			content: ItemContent;
			mimeType: string;
			quickXorHash: string;
			video?: VideoFacet;
			description?: string;
			fileSystemInfo?: ItemRecord['fileSystemInfo'];
		},
		now: string
	): { item: ItemRecord; created: boolean } {
		let item = args.replaceId ? this.get(args.replaceId) : undefined;
		const created = !item;
		if (item) {
			this.dropContent(item);
			this.bump(item, now, true);
		} else {
			item = this.newItem(args.parentId, args.name, false, now);
		}
		item.size = args.size;
		item.content = args.content;
		item.mimeType = args.mimeType;
		item.quickXorHash = args.quickXorHash;
		item.video = args.video;
		if (args.video === undefined) delete item.video;
		if (args.description !== undefined) item.description = args.description;
		if (args.fileSystemInfo) item.fileSystemInfo = { ...args.fileSystemInfo };
		this.touchAncestors(item.parentId, now);
		this.persist();
		return { item, created };
	}

	update(item: ItemRecord, changes: { name?: string; parentId?: string; description?: string; fileSystemInfo?: ItemRecord['fileSystemInfo'] }, now: string): ItemRecord {
		const oldParent = item.parentId;
		if (changes.name !== undefined) item.name = changes.name;
		if (changes.parentId !== undefined) item.parentId = changes.parentId;
		if (changes.description !== undefined) item.description = changes.description;
		if (changes.fileSystemInfo) item.fileSystemInfo = { ...item.fileSystemInfo, ...changes.fileSystemInfo };
		this.bump(item, now, false);
		this.touchAncestors(oldParent, now);
		if (item.parentId !== oldParent) this.touchAncestors(item.parentId, now);
		this.persist();
		return item;
	}

	/** Deletes an item and everything below it, leaving tombstones. */
	delete(item: ItemRecord, now: string): void {
		const doomed = [item];
		for (let i = 0; i < doomed.length; i++) doomed.push(...this.children(doomed[i]!.id));
		for (const victim of doomed.reverse()) {
			this.dropContent(victim);
			victim.deleted = true;
			victim.seq = ++this.data.seq;
			victim.lastModifiedDateTime = now;
		}
		this.touchAncestors(item.parentId, now);
		this.persist();
	}

	private dropContent(item: ItemRecord): void {
		if (item.content?.kind === 'file') {
			try {
				unlinkSync(join(this.dir, 'content', item.content.file));
			} catch {
				// Already gone: nothing to free.
			}
		}
		delete item.content;
	}

	contentPath(file: string): string {
		return join(this.dir, 'content', file);
	}

	newContentFileName(): string {
		return randomUUID();
	}

	// ---- upload sessions ----

	session(id: string): UploadSessionRecord | undefined {
		return this.uploads.get(id);
	}

	sessions(): UploadSessionRecord[] {
		return [...this.uploads.values()];
	}

	addSession(session: UploadSessionRecord): void {
		this.uploads.set(session.id, session);
		this.persist();
	}

	removeSession(id: string, keepPart = false): void {
		this.uploads.delete(id);
		if (!keepPart) rmSync(this.partPath(id), { force: true });
		this.persist();
	}

	partPath(sessionId: string): string {
		return join(this.dir, 'uploads', `${sessionId}.part`);
	}

	temporaryPath(): string {
		return join(this.dir, 'uploads', `${randomUUID()}.tmp`);
	}
}
