import { describe, expect, it } from 'vitest';
import { createUploadJob, type UploadJobState } from '$lib/upload';
import type { UploadRecord } from './reeldrive-db';
import { videoRowFor } from './video-row';

function record(state: Partial<UploadJobState>): UploadRecord {
	const base = createUploadJob({ id: 'v1', name: 'Clip_ 1.mp4', size: 5_000, target: { kind: 'folder', parentId: 'f1' } }, 1_000);
	return {
		id: 'v1',
		appUserId: 'u1',
		microsoftAccountId: 'm1',
		productId: 'p1',
		driveId: 'd1',
		folderPath: '/Reeldrive',
		originalName: 'Clip: 1.mp4',
		nameFixes: ['forbidden-characters'],
		mimeType: 'video/mp4',
		meta: { durationMs: 4_000, width: 1080, height: 1920 },
		poster: null,
		state: { ...base, ...state },
		createdAt: 1_000
	};
}

describe('videoRowFor', () => {
	it('mirrors a queued upload with what the browser read from the file', () => {
		expect(videoRowFor(record({}), 2_000)).toMatchObject({
			id: 'v1',
			product_id: 'p1',
			drive_id: 'd1',
			item_id: null,
			name: 'Clip_ 1.mp4',
			size_bytes: 5_000,
			duration_ms: 4_000,
			width: 1080,
			height: 1920,
			status: 'queued',
			uploaded_at: null
		});
	});

	it('records the finished item, preferring OneDrive’s video facet and hash', () => {
		const row = videoRowFor(
			record({
				status: 'done',
				updatedAt: Date.UTC(2026, 10, 23),
				item: {
					id: 'item-9',
					name: 'Clip_ 1 1.mp4',
					size: 5_000,
					driveId: 'd1',
					webUrl: 'https://onedrive.example/item-9',
					quickXorHash: 'abc=',
					video: { duration: 4_021, width: 1080, height: 1920 }
				}
			}),
			0
		);
		expect(row).toMatchObject({
			item_id: 'item-9',
			name: 'Clip_ 1 1.mp4',
			duration_ms: 4_021,
			quick_xor_hash: 'abc=',
			web_url: 'https://onedrive.example/item-9',
			status: 'synced',
			uploaded_at: '2026-11-23T00:00:00.000Z'
		});
	});

	it('carries a failure as a code and words, never a raw status', () => {
		const row = videoRowFor(record({ status: 'error', error: { code: 'onedrive-full', retryable: true, context: {}, at: 1 } }), 0);
		expect(row.status).toBe('error');
		expect(row.error_code).toBe('onedrive-full');
		expect(row.error_message).toMatch(/OneDrive is full/);
		expect(videoRowFor(record({ status: 'uploading' }), 0).status).toBe('uploading');
		expect(videoRowFor(record({ status: 'paused', pause: 'offline' }), 0).status).toBe('queued');
		expect(videoRowFor(record({ status: 'conflict' }), 0).status).toBe('conflict');
	});
});
