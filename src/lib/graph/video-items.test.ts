import { describe, expect, it } from 'vitest';
import type { OneDriveItem } from './onedrive-api';
import { isVideoItem, parentFolderPath, videoFieldsFromItem } from './video-items';

const clip: OneDriveItem = {
	id: 'F1!12',
	name: 'clip.mp4',
	size: 123_456,
	webUrl: 'http://localhost:4010/_web/d/F1!12',
	createdDateTime: '2026-01-02T10:00:00Z',
	parentReference: { driveId: 'drive-a', id: 'F1!2', path: '/drive/root:/Videos/Blender%20tests' },
	file: { mimeType: 'video/mp4', hashes: { quickXorHash: 'AAAA' } },
	video: { duration: 5_005.4, width: 640, height: 360 }
};

describe('video items', () => {
	it('knows a video by its video facet or its MIME type, never a folder', () => {
		expect(isVideoItem(clip)).toBe(true);
		expect(isVideoItem({ id: 'x', name: 'a.mov', file: { mimeType: 'video/quicktime' } })).toBe(true);
		expect(isVideoItem({ id: 'x', name: 'a.txt', file: { mimeType: 'text/plain' } })).toBe(false);
		expect(isVideoItem({ id: 'x', name: 'Videos', folder: { childCount: 1 } })).toBe(false);
	});

	it('reads the folder from both parent path forms, decoded', () => {
		expect(parentFolderPath(clip)).toBe('/Videos/Blender tests');
		expect(parentFolderPath({ id: 'x', name: 'a', parentReference: { driveId: 'd', path: '/drive/root:' } })).toBe('/');
		expect(parentFolderPath({ id: 'x', name: 'a', parentReference: { driveId: 'd', path: '/drives/d/root:/A/' } })).toBe('/A');
		expect(parentFolderPath({ id: 'x', name: 'a' })).toBeNull();
	});

	it('fills a videos row from the item, and refuses an empty file', () => {
		expect(videoFieldsFromItem(clip, 'fallback')).toEqual({
			drive_id: 'drive-a',
			item_id: 'F1!12',
			name: 'clip.mp4',
			size_bytes: 123_456,
			mime_type: 'video/mp4',
			duration_ms: 5005,
			width: 640,
			height: 360,
			quick_xor_hash: 'AAAA',
			web_url: 'http://localhost:4010/_web/d/F1!12',
			folder_path: '/Videos/Blender tests',
			uploaded_at: '2026-01-02T10:00:00Z'
		});
		expect(() => videoFieldsFromItem({ ...clip, size: 0 }, 'd')).toThrow(expect.objectContaining({ code: 'data-invalid' }));
	});
});
