import { describe, expect, it } from 'vitest';
import type { DriveItem } from '@microsoft/microsoft-graph-types';
import { checkWrite, classify, contentChanged, describeFinding, isFlagged, valuesFromItem, type RecordedVideo } from './classify';

const when = (iso: string) => `[${iso}]`;

function recorded(over: Partial<RecordedVideo> = {}): RecordedVideo {
	return {
		id: 'v1',
		item_id: 'item-1',
		name: 'clip.mp4',
		folder_path: '/Videos/Acme',
		size_bytes: 1000,
		quick_xor_hash: 'hash-A',
		e_tag: '"{G},1"',
		c_tag: '"c:{G},1"',
		status: 'synced',
		error_code: null,
		error_message: null,
		...over
	};
}

function item(over: Partial<DriveItem> = {}): DriveItem {
	return {
		id: 'item-1',
		name: 'clip.mp4',
		size: 1000,
		eTag: '"{G},1"',
		cTag: '"c:{G},1"',
		file: { mimeType: 'video/mp4', hashes: { quickXorHash: 'hash-A' } },
		parentReference: { driveId: 'd', id: 'folder', path: '/drive/root:/Videos/Acme' },
		lastModifiedDateTime: '2026-11-27T10:00:00Z',
		...over
	};
}

describe('classify', () => {
	it('an item as recorded is unchanged', () => {
		expect(classify(recorded(), item())).toEqual({ kind: 'unchanged' });
	});

	it('a different eTag alone (metadata Reeldrive does not keep) is no change', () => {
		expect(classify(recorded(), item({ eTag: '"{G},7"' }))).toEqual({ kind: 'unchanged' });
	});

	it('new content: different hash, even with the same size', () => {
		const finding = classify(recorded(), item({ eTag: '"{G},2"', cTag: '"c:{G},2"', file: { hashes: { quickXorHash: 'hash-B' } } }));
		expect(finding).toMatchObject({ kind: 'changed', content: true, renamedTo: null, movedTo: null, changedAt: '2026-11-27T10:00:00Z' });
	});

	it('the hash wins over the cTag: same hash, other cTag is the same content', () => {
		expect(contentChanged(recorded(), item({ eTag: '"{G},2"', cTag: '"c:{G},9"' }))).toBe(false);
	});

	it('no hash on one side (OneDrive for Business has not computed it yet): size, then cTag decide', () => {
		expect(contentChanged(recorded({ quick_xor_hash: null }), item({ eTag: 'x', size: 2000 }))).toBe(true);
		expect(contentChanged(recorded(), item({ eTag: 'x', cTag: '"c:{G},2"', file: { hashes: {} } }))).toBe(true);
		expect(contentChanged(recorded(), item({ eTag: 'x', cTag: undefined, file: { hashes: {} } }))).toBe(false);
	});

	it('an equal eTag means the content is as recorded, whatever else is missing', () => {
		expect(contentChanged(recorded({ quick_xor_hash: null, c_tag: null }), item({ size: 5 }))).toBe(false);
	});

	it('a rename changes the eTag but not the cTag or hash: renamed, not changed content', () => {
		const finding = classify(recorded(), item({ name: 'final cut.mp4', eTag: '"{G},2"' }));
		expect(finding).toMatchObject({ kind: 'changed', content: false, renamedTo: 'final cut.mp4', movedTo: null });
	});

	it('a rename that only changes case is a rename', () => {
		expect(classify(recorded(), item({ name: 'CLIP.mp4', eTag: '"{G},2"' }))).toMatchObject({ renamedTo: 'CLIP.mp4' });
	});

	it('a move shows in the parent path', () => {
		const finding = classify(recorded(), item({ eTag: '"{G},2"', parentReference: { path: '/drive/root:/Archive/2026' } }));
		expect(finding).toMatchObject({ kind: 'changed', content: false, renamedTo: null, movedTo: '/Archive/2026' });
	});

	it('a folder above renamed: same eTag, other path, still a move', () => {
		expect(classify(recorded(), item({ parentReference: { path: '/drive/root:/Videos/Acme%20Co' } }))).toMatchObject({ movedTo: '/Videos/Acme Co' });
	});

	it('an unknown path (delta answers carry none) or an unknown recorded folder is never a move', () => {
		expect(classify(recorded(), item({ parentReference: { id: 'x' } }))).toEqual({ kind: 'unchanged' });
		expect(classify(recorded({ folder_path: null }), item({ parentReference: { path: '/drive/root:/Else' } }))).toEqual({ kind: 'unchanged' });
	});

	it('a folder spelt in another case is the same folder, and the record takes OneDrive’s spelling', () => {
		expect(classify(recorded({ folder_path: '/videos/ACME' }), item())).toEqual({ kind: 'unchanged' });
		expect(checkWrite(recorded({ folder_path: '/videos/ACME' }), item(), when)).toMatchObject({ status: 'synced', folder_path: '/Videos/Acme' });
	});

	it('a trailing slash is not a move', () => {
		expect(classify(recorded({ folder_path: '/Videos/Acme/' }), item())).toEqual({ kind: 'unchanged' });
	});

	it('renamed, moved and changed at once', () => {
		const finding = classify(
			recorded(),
			item({ name: 'b.mp4', eTag: 'e2', cTag: 'c2', size: 5, file: { hashes: { quickXorHash: 'hash-C' } }, parentReference: { path: '/drive/root:' } })
		);
		expect(finding).toMatchObject({ kind: 'changed', content: true, renamedTo: 'b.mp4', movedTo: '/' });
	});

	it('gone: a 404 (null), a deleted facet, or no longer a file', () => {
		expect(classify(recorded(), null)).toEqual({ kind: 'deleted' });
		expect(classify(recorded(), item({ deleted: { state: 'deleted' } }))).toEqual({ kind: 'deleted' });
		expect(classify(recorded(), item({ file: undefined, folder: { childCount: 0 } }))).toEqual({ kind: 'deleted' });
	});
});

describe('describeFinding', () => {
	it('says what happened in words', () => {
		expect(describeFinding({ kind: 'deleted' }, when)).toBe('Deleted from OneDrive.');
		expect(describeFinding({ kind: 'changed', content: true, renamedTo: null, movedTo: null, changedAt: '2026-11-27T10:00:00Z' }, when)).toBe(
			'Changed in OneDrive on [2026-11-27T10:00:00Z] (different content).'
		);
		expect(describeFinding({ kind: 'changed', content: false, renamedTo: 'b.mp4', movedTo: '/Archive', changedAt: null }, when)).toBe(
			'Renamed in OneDrive to “b.mp4”. Moved to “/Archive”.'
		);
		expect(describeFinding({ kind: 'changed', content: false, renamedTo: null, movedTo: '/', changedAt: null }, when)).toBe(
			'Moved to the top of your OneDrive.'
		);
		expect(describeFinding({ kind: 'unchanged' }, when)).toBeNull();
	});
});

describe('checkWrite', () => {
	it('writes nothing for a row that is already right', () => {
		expect(checkWrite(recorded(), item(), when)).toBeNull();
	});

	it('records the tags of an unchecked row, and fills a hash and folder it lacked', () => {
		const write = checkWrite(recorded({ e_tag: null, c_tag: null, quick_xor_hash: null, folder_path: null }), item({ size: 1000 }), when);
		expect(write).toEqual({
			id: 'v1',
			e_tag: '"{G},1"',
			c_tag: '"c:{G},1"',
			quick_xor_hash: 'hash-A',
			folder_path: '/Videos/Acme',
			status: 'synced',
			error_code: null,
			error_message: null
		});
	});

	it('an unchecked row whose file changed before the first check is flagged, not baselined', () => {
		const write = checkWrite(recorded({ e_tag: null, c_tag: null }), item({ name: 'other.mp4' }), when);
		expect(write).toMatchObject({ status: 'conflict', e_tag: null, error_message: 'Renamed in OneDrive to “other.mp4”.' });
	});

	it('a metadata-only change refreshes the eTag quietly', () => {
		expect(checkWrite(recorded(), item({ eTag: '"{G},3"' }), when)).toMatchObject({ e_tag: '"{G},3"', status: 'synced', error_code: null });
	});

	it('flags a change and keeps every recorded value', () => {
		const write = checkWrite(recorded(), item({ name: 'new.mp4', eTag: '"{G},2"' }), when);
		expect(write).toEqual({
			id: 'v1',
			e_tag: '"{G},1"',
			c_tag: '"c:{G},1"',
			quick_xor_hash: 'hash-A',
			folder_path: '/Videos/Acme',
			status: 'conflict',
			error_code: 'onedrive-changed',
			error_message: 'Renamed in OneDrive to “new.mp4”.'
		});
	});

	it('flags a deleted file as missing', () => {
		expect(checkWrite(recorded(), null, when)).toMatchObject({ status: 'missing', error_code: 'onedrive-deleted', error_message: 'Deleted from OneDrive.' });
	});

	it('a flag found again with the same reason is not written twice; a new reason is', () => {
		const flagged = recorded({ status: 'conflict', error_code: 'onedrive-changed', error_message: 'Renamed in OneDrive to “new.mp4”.' });
		expect(checkWrite(flagged, item({ name: 'new.mp4', eTag: '"{G},2"' }), when)).toBeNull();
		expect(checkWrite(flagged, item({ name: 'newer.mp4', eTag: '"{G},3"' }), when)).toMatchObject({ error_message: 'Renamed in OneDrive to “newer.mp4”.' });
	});

	it('a flagged file put back as it was loses its flag', () => {
		const flagged = recorded({ status: 'conflict', error_code: 'onedrive-changed', error_message: 'Renamed in OneDrive to “new.mp4”.' });
		expect(checkWrite(flagged, item({ eTag: '"{G},3"' }), when)).toMatchObject({ status: 'synced', error_code: null, error_message: null, e_tag: '"{G},3"' });
	});

	it('a video an import marked missing gets the reason in words', () => {
		expect(checkWrite(recorded({ status: 'missing' }), null, when)).toMatchObject({ error_message: 'Deleted from OneDrive.' });
	});
});

describe('isFlagged', () => {
	it('is the check’s flags, not an upload’s own name conflict', () => {
		expect(isFlagged({ status: 'missing', error_code: null })).toBe(true);
		expect(isFlagged({ status: 'conflict', error_code: 'onedrive-changed' })).toBe(true);
		expect(isFlagged({ status: 'conflict', error_code: 'name-conflict' })).toBe(false);
		expect(isFlagged({ status: 'synced', error_code: null })).toBe(false);
	});
});

describe('valuesFromItem', () => {
	it('takes the file’s name, folder, size, hash, tags and dates', () => {
		expect(valuesFromItem(item({ video: { duration: 1500.4, width: 1920, height: 0 }, webUrl: 'https://x' }))).toEqual({
			item_id: 'item-1',
			name: 'clip.mp4',
			folder_path: '/Videos/Acme',
			size_bytes: 1000,
			quick_xor_hash: 'hash-A',
			e_tag: '"{G},1"',
			c_tag: '"c:{G},1"',
			mime_type: 'video/mp4',
			web_url: 'https://x',
			duration_ms: 1500,
			width: 1920,
			height: null,
			item_created_at: null,
			item_modified_at: '2026-11-27T10:00:00Z'
		});
	});

	it('refuses what cannot be a video’s file', () => {
		expect(valuesFromItem(item({ size: 0 }))).toBeNull();
		expect(valuesFromItem(item({ file: undefined, folder: {} }))).toBeNull();
		expect(valuesFromItem(item({ deleted: {} }))).toBeNull();
	});
});
