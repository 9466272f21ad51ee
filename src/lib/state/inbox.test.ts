import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobLedger } from '$lib/db/job-ledger';
import { ReeldriveDb } from '$lib/db/reeldrive-db';
import { InboxManager } from './inbox.svelte';
import { queueFiles, type EnqueueResult } from './upload-intake';

const VIDEO = readFileSync(join(process.cwd(), 'tests/fixtures/videos/tiny-64x64-1s.mp4'));

describe('finding 12: the share inbox is keyed by id, not by file name', () => {
	it('two shared videos with one name, one refused: only the queued one leaves the inbox', async () => {
		const db = new ReeldriveDb(`inbox-${Math.random()}`);
		await db.inbox.bulkAdd([
			{ id: 'first', blob: new Blob(['not a video at all']), name: 'clip.mp4', type: 'video/mp4', receivedAt: 1 },
			{ id: 'second', blob: new Blob([VIDEO]), name: 'clip.mp4', type: 'video/mp4', receivedAt: 2 }
		]);
		const enqueue = async (files: File[]): Promise<EnqueueResult[]> =>
			files.map((file, index) => ({ name: file.name, accepted: index === 1, message: index === 1 ? 'Queued' : 'not a video' }));
		const inbox = new InboxManager(enqueue, () => db);
		inbox.items = [
			{ id: 'first', name: 'clip.mp4', size: 18 },
			{ id: 'second', name: 'clip.mp4', size: VIDEO.length }
		];
		await inbox.assign(['first', 'second'], 'product-1');
		expect((await db.inbox.toArray()).map((entry) => entry.id)).toEqual(['first']);
		expect(inbox.items.map((item) => item.id)).toEqual(['first']);
	});
});

describe('intake', () => {
	it('answers one result per file, in the order given, even when names repeat', async () => {
		const ledger = new JobLedger(new ReeldriveDb(`intake-${Math.random()}`));
		let n = 0;
		const file = (bytes: Uint8Array | string, name: string) => new File([bytes as BlobPart], name, { type: 'video/mp4' });
		const { results } = await queueFiles([file(VIDEO, 'a.mp4'), file('plain text', 'a.mp4'), file(VIDEO, 'a.mp4'), file('', 'empty.mp4')], 'p1', {
			ledger,
			appUserId: 'u1',
			microsoftAccountId: 'm1',
			driveId: 'd1',
			graphBaseUrl: 'https://graph.test/v1.0',
			folderPath: '/Reeldrive',
			newId: () => `job-${++n}`
		});
		expect(results.map((r) => [r.name, r.accepted, r.jobId ?? null])).toEqual([
			['a.mp4', true, 'job-1'],
			['a.mp4', false, null],
			['a.mp4', true, 'job-2'],
			['empty.mp4', false, null]
		]);
		expect(results[1]!.message).toMatch(/not a video/);
		expect(results[3]!.message).toMatch(/empty/);
		expect((await ledger.forUser('u1')).map((r) => [r.id, r.state.target])).toEqual([
			['job-1', { kind: 'path', folderPath: '/Reeldrive' }],
			['job-2', { kind: 'path', folderPath: '/Reeldrive' }]
		]);
		expect((await ledger.outboxFor('u1')).map((e) => [e.id, e.version, e.row?.status])).toEqual([
			['job-1', 1, 'queued'],
			['job-2', 1, 'queued']
		]);
	});
});
