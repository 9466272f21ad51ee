import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors';
import { canTransition, createUploadJob, isUploadJobState, transition, type UploadStatus } from './job';
import { describeNameFixes, describePause, describeUploadError } from './messages';

const ALL: UploadStatus[] = ['queued', 'uploading', 'verifying', 'done', 'paused', 'error', 'conflict', 'cancelled'];
const job = () => createUploadJob({ id: 'j', name: 'clip.mp4', size: 10, target: { kind: 'folder', parentId: 'P' } }, 1000);

describe('the upload state machine', () => {
	it('allows exactly these moves', () => {
		const allowed = ALL.flatMap((from) => ALL.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`));
		expect(allowed).toEqual([
			'queued→uploading',
			'queued→paused',
			'queued→error',
			'queued→conflict',
			'queued→cancelled',
			'uploading→verifying',
			'uploading→paused',
			'uploading→error',
			'uploading→conflict',
			'uploading→cancelled',
			'verifying→done',
			'verifying→error',
			'verifying→cancelled',
			'paused→queued',
			'paused→uploading',
			'paused→verifying',
			'paused→paused',
			'paused→cancelled',
			'error→queued',
			'error→verifying',
			'error→cancelled',
			'conflict→queued',
			'conflict→cancelled'
		]);
	});

	it('done and cancelled are final', () => {
		for (const to of ALL) {
			expect(canTransition('done', to)).toBe(false);
			expect(canTransition('cancelled', to)).toBe(false);
		}
	});

	it('throws invalid-transition for a forbidden move', () => {
		expect(() => transition(job(), 'done', 1)).toThrow(expect.objectContaining({ code: 'invalid-transition', context: { from: 'queued', to: 'done' } }));
	});

	it('keeps pause reasons and errors only in the states they belong to', () => {
		const paused = transition(job(), 'paused', 2, { pause: 'offline' });
		expect(paused).toMatchObject({ status: 'paused', pause: 'offline', error: null, updatedAt: 2 });
		const again = transition(paused, 'queued', 3);
		expect(again).toMatchObject({ pause: null, error: null });
		const failed = transition(again, 'error', 4, { error: { code: 'onedrive-full', retryable: true, context: {}, at: 4 } });
		expect(failed.error?.code).toBe('onedrive-full');
		expect(transition(failed, 'queued', 5).error).toBeNull();
	});

	it('creates queued jobs with rename as the default conflict behaviour, and refuses empty files', () => {
		expect(job()).toMatchObject({ status: 'queued', conflictBehavior: 'rename', acknowledged: 0, hash: { length: 0 }, plan: { size: 10 * 1024 * 1024 } });
		expect(() => createUploadJob({ id: 'j', name: 'x', size: 0, target: { kind: 'path', folderPath: '' } }, 0)).toThrow(
			expect.objectContaining({ code: 'file-empty' })
		);
	});

	it('recognises its own persisted shape and rejects others', () => {
		expect(isUploadJobState(JSON.parse(JSON.stringify(job())))).toBe(true);
		expect(isUploadJobState({ ...job(), acknowledged: 5 })).toBe(false); // hash must cover exactly the acknowledged bytes
		expect(isUploadJobState({ ...job(), version: 2 })).toBe(false);
		expect(isUploadJobState(null)).toBe(false);
	});
});

describe('messages', () => {
	it('has words for every error code, none of them a bare code or status', () => {
		for (const code of ERROR_CODES) {
			const text = describeUploadError({ code, context: { size: 300e9, status: 507 } });
			expect(text.length, code).toBeGreaterThan(10);
			expect(text, code).not.toContain(code);
			expect(text, code).not.toContain('507');
		}
	});

	it('says the right thing for the cases people will see most', () => {
		expect(describeUploadError({ code: 'onedrive-full', context: {} })).toMatch(/Your OneDrive is full/);
		expect(describeUploadError({ code: 'file-too-large', context: { size: 300e9 } })).toBe(
			'This file is 300 GB; OneDrive accepts files up to 250 GB.'
		);
		expect(describePause('needs-page')).toBe('Open Reeldrive to continue.');
		expect(describePause('offline')).toMatch(/back online/);
		expect(describeNameFixes(['trailing-dots', 'reserved-name'])).toBe(
			'dots at the end were removed; the name is reserved by Windows or OneDrive, so _ was added'
		);
	});
});
