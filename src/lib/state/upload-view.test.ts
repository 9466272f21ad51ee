import { describe, expect, it } from 'vitest';
import type { UploadRecord } from '$lib/db/reeldrive-db';
import { createUploadJob, describeCopy, type ExistingCopy } from '$lib/upload';
import { applyChecking, applySummary, CHECKING_WORDS, uploadView } from './upload-view';

const copy: ExistingCopy = {
	source: 'library',
	videoId: 'v1',
	productId: 'p1',
	productTitle: 'Espresso grinder',
	itemId: 'item-1',
	driveId: 'drive-1',
	name: 'grinder.mp4',
	folderPath: '/Reeldrive',
	size: 10,
	quickXorHash: 'hash',
	webUrl: null
};

function record(): UploadRecord {
	return {
		id: 'j1',
		appUserId: 'alice',
		microsoftAccountId: 'ms',
		productId: null,
		driveId: 'drive-1',
		folderPath: '/Reeldrive',
		originalName: 'grinder.mp4',
		nameFixes: [],
		mimeType: 'video/mp4',
		meta: null,
		poster: null,
		state: createUploadJob({ id: 'j1', name: 'grinder.mp4', size: 10, target: { kind: 'path', folderPath: '/Reeldrive' }, checkDuplicates: { known: [copy] } }, 0),
		createdAt: 0
	};
}

describe('the same video twice, in words', () => {
	it('names the existing video, its folder and its product', () => {
		expect(describeCopy(copy)).toBe('“grinder.mp4” in /Reeldrive, in your library under the product “Espresso grinder”');
		expect(describeCopy({ ...copy, productId: null, productTitle: null })).toBe('“grinder.mp4” in /Reeldrive, in your library without a product');
		expect(describeCopy({ ...copy, source: 'folder', videoId: null, productId: null, productTitle: null })).toBe(
			'“grinder.mp4” in /Reeldrive, in your OneDrive folder (not in your library yet)'
		);
	});

	it('a queued job keeps only the library copies of its own size', () => {
		const state = createUploadJob({ id: 'j', name: 'a.mp4', size: 10, target: { kind: 'path', folderPath: '' }, checkDuplicates: { known: [copy, { ...copy, itemId: 'other', size: 11 }] } }, 0);
		expect(state.duplicates).toEqual({ phase: 'pending', known: [copy], candidates: [], hash: null, match: null });
		expect(createUploadJob({ id: 'j', name: 'a.mp4', size: 10, target: { kind: 'path', folderPath: '' } }, 0).duplicates).toBeNull();
	});

	it('says it is checking, then which video it matches, then that it was linked', () => {
		const view = uploadView(record(), null, null);
		expect(view.checking).toBe(true);
		expect(view.statusText).toBe(CHECKING_WORDS);
		applyChecking(view, 5, 10);
		expect(view.checkingText).toBe('Comparing with a video of the same size: 50 % read');

		const summary = { id: 'j1', acknowledged: 0, size: 10, error: null, autoRetryAt: null };
		applySummary(view, { ...summary, status: 'paused', pause: 'duplicate', duplicates: { phase: 'found', match: copy } });
		expect(view.checking).toBe(false);
		expect(view.checkingText).toBeNull();
		expect(view.duplicate).toEqual(copy);
		expect(view.duplicateText).toBe(`Already in OneDrive: ${describeCopy(copy)}.`);

		applySummary(view, { ...summary, acknowledged: 10, status: 'done', pause: null, duplicates: { phase: 'linked', match: copy } });
		expect(view.duplicate).toBeNull();
		expect(view.linked).toBe(true);
		expect(view.statusText).toContain('linked to the video that was already there');
	});
});
