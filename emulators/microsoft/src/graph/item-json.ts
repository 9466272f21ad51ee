/** driveItem, drive and thumbnailSet JSON, shaped as Graph returns them for a personal drive. */
import { downloadUrl, thumbnailUrl } from '../content/content-urls';
import { fitLongestEdge } from '../content/thumbnail-png';
import type { Emulator } from '../emulator';
import type { DriveStore, ItemRecord } from '../storage/drive-store';
import { ownEntry } from '../own-entry';
import { invalidRequest } from './graph-errors';

export interface ItemView {
	select?: Set<string>;
	expandThumbnails?: boolean;
	expandChildren?: boolean;
	/** Delta feeds leave out parentReference.path, and cTag/size on deleted items. */
	delta?: boolean;
}

const STANDARD_SIZES: Record<string, number> = { small: 96, medium: 176, large: 800 };
const SQUARE_SIZES: Record<string, number> = { smallSquare: 96, mediumSquare: 176, largeSquare: 800 };

function folderSize(drive: DriveStore, item: ItemRecord): number {
	let total = 0;
	for (const child of drive.children(item.id)) total += child.isFolder ? folderSize(drive, child) : child.size;
	return total;
}

export function hasThumbnails(item: ItemRecord): boolean {
	return !item.isFolder && !item.deleted && (item.video !== undefined || (item.mimeType ?? '').startsWith('image/'));
}

/** Thumbnail sets for an item: one set ("0") with the standard sizes, or the sizes named in $select. */
export function thumbnailSets(em: Emulator, drive: DriveStore, item: ItemRecord, select?: Set<string>): Array<Record<string, unknown>> {
	if (!hasThumbnails(item)) return [];
	const set: Record<string, unknown> = { id: '0' };
	const names = select && select.size > 0 ? [...select] : Object.keys(STANDARD_SIZES);
	for (const name of names) {
		const one = thumbnail(em, drive, item, name);
		if (!one) throw invalidRequest(`The thumbnail size '${name}' is not valid.`);
		set[name] = one;
	}
	return [set];
}

export function thumbnail(em: Emulator, drive: DriveStore, item: ItemRecord, name: string): Record<string, unknown> | undefined {
	const sourceWidth = item.video?.width ?? 1280;
	const sourceHeight = item.video?.height ?? 720;
	let width: number;
	let height: number;
	let crop = false;
	const custom = /^c(\d{1,4})x(\d{1,4})(_crop)?$/.exec(name);
	const standard = ownEntry(STANDARD_SIZES, name);
	const square = ownEntry(SQUARE_SIZES, name);
	if (standard) ({ width, height } = fitLongestEdge(sourceWidth, sourceHeight, standard));
	else if (square) {
		width = height = square;
		crop = true;
	} else if (custom) {
		const boxW = Math.min(1600, Number(custom[1]));
		const boxH = Math.min(1600, Number(custom[2]));
		if (boxW === 0 || boxH === 0) return undefined;
		if (custom[3]) {
			width = boxW;
			height = boxH;
			crop = true;
		} else {
			const scale = Math.min(boxW / sourceWidth, boxH / sourceHeight);
			width = Math.max(1, Math.round(sourceWidth * scale));
			height = Math.max(1, Math.round(sourceHeight * scale));
		}
	} else return undefined;
	return { width, height, url: thumbnailUrl(em, drive, item, width, height, crop) };
}

export function itemJson(em: Emulator, drive: DriveStore, item: ItemRecord, view: ItemView = {}): Record<string, unknown> {
	const owner = { user: { id: drive.ownerId, displayName: drive.ownerName } };
	const json: Record<string, unknown> = {};
	if (!item.isFolder && !item.deleted && item.content) json['@microsoft.graph.downloadUrl'] = downloadUrl(em, drive, item);
	json.createdDateTime = item.createdDateTime;
	json.cTag = `"c:{${item.guid}},${item.cTagVersion}"`;
	json.eTag = `"{${item.guid}},${item.eTagVersion}"`;
	json.id = item.id;
	json.lastModifiedDateTime = item.lastModifiedDateTime;
	json.name = item.parentId === null ? 'root' : item.name;
	json.size = item.isFolder ? folderSize(drive, item) : item.size;
	json.webUrl = `${em.url}/_web/${encodeURIComponent(drive.id)}/${encodeURIComponent(item.id)}`;
	json.createdBy = owner;
	json.lastModifiedBy = owner;
	if (item.description !== undefined) json.description = item.description;
	if (item.parentId !== null) {
		const parent = drive.getAny(item.parentId);
		const ref: Record<string, unknown> = { driveId: drive.id, driveType: 'personal', id: item.parentId };
		if (parent && parent.parentId !== null) ref.name = parent.name;
		if (!view.delta) ref.path = drive.parentPath(item);
		json.parentReference = ref;
	} else {
		json.parentReference = { driveId: drive.id, driveType: 'personal' };
	}
	json.fileSystemInfo = {
		createdDateTime: item.fileSystemInfo?.createdDateTime ?? item.createdDateTime,
		lastModifiedDateTime: item.fileSystemInfo?.lastModifiedDateTime ?? item.lastModifiedDateTime
	};
	if (item.isFolder) {
		json.folder = { childCount: item.deleted ? 0 : drive.children(item.id).length, view: { viewType: 'thumbnails', sortBy: 'name', sortOrder: 'ascending' } };
	} else {
		json.file = { mimeType: item.mimeType ?? 'application/octet-stream', hashes: item.quickXorHash ? { quickXorHash: item.quickXorHash } : {} };
	}
	if (item.video) json.video = { ...item.video };
	if (item.parentId === null) json.root = {};
	if (item.deleted) {
		json.deleted = { state: 'deleted' };
		delete json.cTag;
		delete json.size;
	}
	if (view.expandThumbnails) json.thumbnails = thumbnailSets(em, drive, item);
	if (view.expandChildren && item.isFolder) json.children = drive.children(item.id).slice(0, 200).map((child) => itemJson(em, drive, child, { select: view.select }));
	if (view.select && view.select.size > 0) {
		const picked: Record<string, unknown> = { id: json.id };
		for (const key of view.select) if (Object.hasOwn(json, key)) picked[key] = json[key];
		if (view.expandThumbnails) picked.thumbnails = json.thumbnails;
		if (view.expandChildren && json.children) picked.children = json.children;
		return picked;
	}
	return json;
}

export function quotaState(used: number, total: number): string {
	if (total <= 0 || used >= total) return 'exceeded';
	if (used / total >= 0.99) return 'critical';
	if (used / total >= 0.9) return 'nearing';
	return 'normal';
}

export function driveJson(em: Emulator, drive: DriveStore): Record<string, unknown> {
	const used = drive.used();
	const total = drive.quotaTotal;
	return {
		'@odata.context': `${em.url}/v1.0/$metadata#drives/$entity`,
		id: drive.id,
		driveType: 'personal',
		name: 'OneDrive',
		webUrl: `${em.url}/_web/${encodeURIComponent(drive.id)}`,
		owner: { user: { id: drive.ownerId, displayName: drive.ownerName } },
		quota: { deleted: 0, remaining: Math.max(0, total - used), state: quotaState(used, total), total, used }
	};
}
