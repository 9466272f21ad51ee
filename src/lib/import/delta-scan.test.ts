import { describe, expect, it } from 'vitest';
import { AppError } from '$lib/errors';
import { isVideoFile, scanFolders } from './delta-scan';
import { FakeDrive } from './test-fakes';

function imports(): FakeDrive {
	const drive = new FakeDrive();
	drive.file('Videos/Imports/Acme/Kettle (B0ABCDEF12)/clip.mp4');
	drive.file('Videos/Imports/Acme/Kettle (B0ABCDEF12)/notes.txt', { video: null });
	drive.file('Videos/Imports/Acme/Toaster/take.MOV', { video: null, mimeType: 'application/octet-stream' });
	drive.file('Videos/Imports/loose.webm', { video: null, mimeType: 'video/webm' });
	drive.file('Videos/Elsewhere/other.mp4');
	return drive;
}

describe('isVideoFile', () => {
	it('knows a video by its facet, its MIME type or its extension', () => {
		expect(isVideoFile({ name: 'a.bin', file: {}, video: {} })).toBe(true);
		expect(isVideoFile({ name: 'a.bin', file: { mimeType: 'video/quicktime' } })).toBe(true);
		expect(isVideoFile({ name: 'A.MKV', file: { mimeType: 'application/octet-stream' } })).toBe(true);
		expect(isVideoFile({ name: 'a.txt', file: { mimeType: 'text/plain' } })).toBe(false);
		expect(isVideoFile({ name: 'mp4', file: {} })).toBe(false);
		expect(isVideoFile({ name: 'clips.mp4', folder: { childCount: 1 } })).toBe(false);
	});
});

describe('scanFolders', () => {
	it('follows every page to the deltaLink and finds the folder’s videos with their paths', async () => {
		const drive = imports();
		drive.pageSize = 2;
		const progress: number[] = [];
		const result = await scanFolders(drive, [{ id: drive.idOf('Videos/Imports'), path: '/Videos/Imports' }], new Map(), {
			onPage: (p) => void progress.push(p.pages)
		});
		// Imports, Acme, loose.webm, Kettle, Toaster, clip, notes, take: 8 items, 4 pages.
		expect(progress).toEqual([1, 2, 3, 4]);
		expect(result.videos.map((v) => [v.item.name, v.folderPath, v.folders])).toEqual([
			['loose.webm', '/Videos/Imports', ['Imports']],
			['clip.mp4', '/Videos/Imports/Acme/Kettle (B0ABCDEF12)', ['Imports', 'Acme', 'Kettle (B0ABCDEF12)']],
			['take.MOV', '/Videos/Imports/Acme/Toaster', ['Imports', 'Acme', 'Toaster']]
		]);
		expect(result.deltaLinks.get(drive.idOf('Videos/Imports'))).toMatch(/^fake-delta:/);
		expect(result.fullFolders).toEqual(new Set([drive.idOf('Videos/Imports')]));
		expect(drive.itemLookups).toEqual([]);
	});

	it('looks a folder up by id when the feed does not list it, once', async () => {
		const drive = imports();
		const imports_ = drive.idOf('Videos/Imports');
		const first = await scanFolders(drive, [{ id: imports_, path: '/Videos/Imports' }], new Map());
		drive.file('Videos/Imports/Acme/Toaster/second.mp4');
		drive.file('Videos/Imports/Acme/Toaster/third.mp4');
		// A feed that lists files without their folders (Graph does not promise parents).
		const bare = {
			deltaPage: async (folder: string, link: string | null) => {
				const page = await drive.deltaPage(folder, link);
				return { ...page, items: page.items.filter((item) => !item.folder) };
			},
			item: (id: string) => drive.item(id)
		};
		const result = await scanFolders(bare, [{ id: imports_, path: '/Videos/Imports' }], first.deltaLinks);
		expect(result.videos.map((v) => [v.item.name, v.folderPath, v.folders])).toEqual([
			['second.mp4', '/Videos/Imports/Acme/Toaster', ['Imports', 'Acme', 'Toaster']],
			['third.mp4', '/Videos/Imports/Acme/Toaster', ['Imports', 'Acme', 'Toaster']]
		]);
		expect(drive.itemLookups).toEqual([drive.idOf('Videos/Imports/Acme/Toaster'), drive.idOf('Videos/Imports/Acme')]);
	});

	it('with a cursor reads only what changed: new, changed and deleted', async () => {
		const drive = imports();
		const folder = { id: drive.idOf('Videos/Imports'), path: '/Videos/Imports' };
		const first = await scanFolders(drive, [folder], new Map());
		drive.file('Videos/Imports/Acme/new.mp4');
		drive.rename('Videos/Imports/loose.webm', 'renamed.webm');
		const clip = drive.idOf('Videos/Imports/Acme/Kettle (B0ABCDEF12)/clip.mp4');
		drive.remove('Videos/Imports/Acme/Kettle (B0ABCDEF12)/clip.mp4');
		drive.file('Videos/Elsewhere/outside.mp4');
		const second = await scanFolders(drive, [folder], first.deltaLinks);
		expect(second.videos.map((v) => v.item.name).sort()).toEqual(['new.mp4', 'renamed.webm']);
		expect(second.deletedIds).toEqual([clip]);
		expect(second.fullFolders.size).toBe(0);
		const third = await scanFolders(drive, [folder], second.deltaLinks);
		expect(third.videos).toEqual([]);
		expect(third.deletedIds).toEqual([]);
	});

	it('lists a folder again in full when its cursor has expired (410)', async () => {
		const drive = imports();
		const folder = { id: drive.idOf('Videos/Imports'), path: '/Videos/Imports' };
		const first = await scanFolders(drive, [folder], new Map());
		drive.oldestCursor = drive.seq + 1;
		const again = await scanFolders(drive, [folder], first.deltaLinks);
		expect(again.fullFolders).toEqual(new Set([folder.id]));
		expect(again.videos).toHaveLength(3);
	});

	it('scans several folders, each with its own cursor', async () => {
		const drive = imports();
		const a = { id: drive.idOf('Videos/Imports/Acme'), path: '/Videos/Imports/Acme' };
		const b = { id: drive.idOf('Videos/Elsewhere'), path: '/Videos/Elsewhere' };
		const result = await scanFolders(drive, [a, b], new Map());
		expect(result.videos.map((v) => [v.item.name, v.folders[0], v.scanFolderId])).toEqual([
			['clip.mp4', 'Acme', a.id],
			['take.MOV', 'Acme', a.id],
			['other.mp4', 'Elsewhere', b.id]
		]);
		expect([...result.deltaLinks.keys()]).toEqual([a.id, b.id]);
	});

	it('stops between pages when cancelled', async () => {
		const drive = imports();
		drive.pageSize = 1;
		const controller = new AbortController();
		const scan = scanFolders(drive, [{ id: drive.idOf('Videos/Imports'), path: '/Videos/Imports' }], new Map(), {
			signal: controller.signal,
			onPage: (p) => {
				if (p.pages === 2) controller.abort();
			}
		});
		await expect(scan).rejects.toMatchObject({ name: 'AbortError' });
		expect(drive.pagesServed).toBe(2);
	});

	it('passes on a Graph failure', async () => {
		const drive = imports();
		drive.beforePage = (n) => {
			if (n === 2) throw new AppError('graph-unavailable', { status: 503 });
		};
		drive.pageSize = 2;
		await expect(scanFolders(drive, [{ id: drive.idOf('Videos/Imports'), path: '/Videos/Imports' }], new Map())).rejects.toMatchObject({
			code: 'graph-unavailable'
		});
	});

	it('says plainly when OneDrive refuses a folder’s delta (work or school drives)', async () => {
		const drive = imports();
		drive.beforePage = () => {
			throw new AppError('graph-failed', { status: 400, graphCode: 'invalidRequest' });
		};
		await expect(scanFolders(drive, [{ id: drive.idOf('Videos/Imports'), path: '/Videos/Imports' }], new Map())).rejects.toMatchObject({
			code: 'graph-failed',
			context: { detail: expect.stringContaining('only for the whole drive') }
		});
	});

	it('takes the root as the folder, and names as names', async () => {
		const drive = new FakeDrive();
		drive.file('__proto__/constructor/clip.mp4');
		drive.file('top.mp4');
		const result = await scanFolders(drive, [{ id: drive.rootId, path: '/' }], new Map());
		expect(result.videos.map((v) => [v.item.name, v.folderPath, v.folders])).toEqual([
			['top.mp4', '/', ['']],
			['clip.mp4', '/__proto__/constructor', ['', '__proto__', 'constructor']]
		]);
	});
});
