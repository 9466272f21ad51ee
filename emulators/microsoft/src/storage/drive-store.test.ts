import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DriveStore } from './drive-store';
import { invalidNameReason, numberedName } from './names';

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newDrive(): DriveStore {
	const dir = mkdtempSync(join(tmpdir(), 'drive-store-'));
	dirs.push(dir);
	return DriveStore.create(join(dir, 'D1'), { id: 'D1', ownerId: 'o', ownerName: 'Owner', quotaTotal: 1000, now: '2026-01-01T00:00:00Z' });
}

function addFile(drive: DriveStore, parentId: string, name: string, size: number) {
	const file = drive.newContentFileName();
	writeFileSync(drive.contentPath(file), Buffer.alloc(size));
	return drive.putFile({ parentId, name, size, content: { kind: 'file', file }, mimeType: 'application/octet-stream', quickXorHash: 'x' }, '2026-01-01T00:00:01Z').item;
}

describe('DriveStore', () => {
	it('resolves paths case-insensitively and reports parent paths', () => {
		const drive = newDrive();
		const videos = drive.createFolder(drive.rootId, 'Videos', 'now');
		const clip = addFile(drive, videos.id, 'Clip.mp4', 10);
		expect(drive.resolve(drive.rootId, ['videos', 'CLIP.MP4'])?.id).toBe(clip.id);
		expect(drive.parentPath(clip)).toBe('/drive/root:/Videos');
		expect(drive.parentPath(videos)).toBe('/drive/root:');
		expect(drive.pathOf(clip)).toBe('/Videos/Clip.mp4');
	});

	it('counts quota from live files and bumps eTag/cTag as documented', () => {
		const drive = newDrive();
		const root = drive.get(drive.rootId)!;
		const rootCTag = root.cTagVersion;
		const clip = addFile(drive, drive.rootId, 'a.bin', 300);
		expect(drive.used()).toBe(300);
		expect(drive.remaining()).toBe(700);
		expect(drive.get(drive.rootId)!.cTagVersion).toBeGreaterThan(rootCTag);
		const { eTagVersion, cTagVersion } = clip;
		drive.update(clip, { name: 'b.bin' }, 'later');
		expect(clip.eTagVersion).toBe(eTagVersion + 1);
		expect(clip.cTagVersion).toBe(cTagVersion);
	});

	it('deletes a subtree as tombstones with fresh change numbers', () => {
		const drive = newDrive();
		const folder = drive.createFolder(drive.rootId, 'F', 'now');
		const inner = addFile(drive, folder.id, 'x.bin', 5);
		const before = drive.seq;
		drive.delete(folder, 'later');
		expect(drive.get(folder.id)).toBeUndefined();
		expect(drive.getAny(inner.id)?.deleted).toBe(true);
		expect(drive.getAny(inner.id)!.seq).toBeGreaterThan(before);
		expect(drive.used()).toBe(0);
	});

	it('survives reopening from disk', () => {
		const drive = newDrive();
		drive.createFolder(drive.rootId, 'Kept', 'now');
		const reopened = DriveStore.open(drive.dir)!;
		expect(reopened.resolve(reopened.rootId, ['Kept'])?.isFolder).toBe(true);
	});

	it('numbers names before the extension and refuses names OneDrive refuses', () => {
		const drive = newDrive();
		addFile(drive, drive.rootId, 'clip.mp4', 1);
		addFile(drive, drive.rootId, 'clip 1.mp4', 1);
		expect(drive.uniqueName(drive.rootId, 'clip.mp4', false, numberedName)).toBe('clip 2.mp4');
		expect(numberedName('Folder.v2', 1, true)).toBe('Folder.v2 1');
		for (const bad of ['', 'a/b', 'a:b', 'x.', 'x ', ' x', 'CON', 'desktop.ini', 'tab\there']) expect(invalidNameReason(bad), bad).toBeDefined();
		expect(invalidNameReason('My clip (final).mp4')).toBeUndefined();
	});
});
