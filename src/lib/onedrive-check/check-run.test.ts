import { describe, expect, it } from 'vitest';
import type { DriveItem } from '@microsoft/microsoft-graph-types';
import { runCheck, type CheckPorts } from './check-run';
import type { CheckWrite, RecordedVideo } from './classify';

function row(id: string, over: Partial<RecordedVideo> = {}): RecordedVideo {
	return {
		id,
		item_id: `item-${id}`,
		name: `${id}.mp4`,
		folder_path: '/Videos',
		size_bytes: 10,
		quick_xor_hash: `hash-${id}`,
		e_tag: `e-${id}`,
		c_tag: `c-${id}`,
		status: 'synced',
		error_code: null,
		error_message: null,
		...over
	};
}

function itemFor(video: RecordedVideo, over: Partial<DriveItem> = {}): DriveItem {
	return {
		id: video.item_id!,
		name: video.name,
		size: video.size_bytes,
		eTag: video.e_tag!,
		cTag: video.c_tag!,
		file: { hashes: { quickXorHash: video.quick_xor_hash! } },
		parentReference: { path: '/drive/root:/Videos' },
		...over
	};
}

function fakePorts(rows: RecordedVideo[], items: Map<string, DriveItem | null | Error>) {
	const recorded: CheckWrite[][] = [];
	let inFlight = 0;
	let peak = 0;
	const ports: CheckPorts = {
		tracked: async () => rows,
		lookup: async (_drive, itemId) => {
			inFlight++;
			peak = Math.max(peak, inFlight);
			await Promise.resolve();
			inFlight--;
			const found = items.get(itemId);
			if (found instanceof Error) throw found;
			return found ?? null;
		},
		record: async (writes) => {
			recorded.push(writes);
			return writes.length;
		}
	};
	return { ports, recorded, peak: () => peak };
}

const when = (iso: string) => iso;

describe('runCheck', () => {
	it('flags what changed, records what did not, and leaves uploads and other conflicts alone', async () => {
		const same = row('same');
		const renamed = row('renamed');
		const gone = row('gone');
		const unchecked = row('new', { e_tag: null, c_tag: null });
		const uploading = row('up', { status: 'uploading' });
		const nameConflict = row('nc', { status: 'conflict', error_code: 'name-conflict' });
		const noItem = row('noitem', { item_id: null });
		const items = new Map<string, DriveItem | null | Error>([
			['item-same', itemFor(same)],
			['item-renamed', itemFor(renamed, { name: 'other.mp4', eTag: 'e2' })],
			['item-new', itemFor(unchecked, { eTag: 'e-new', cTag: 'c-new' })]
		]);
		const fake = fakePorts([same, renamed, gone, unchecked, uploading, nameConflict, noItem], items);
		const outcome = await runCheck(fake.ports, 'drive', { formatDateTime: when, concurrency: 2 });
		expect(outcome).toMatchObject({ checked: 4, flagged: 2, written: 3 });
		const writes = new Map(fake.recorded.flat().map((write) => [write.id, write]));
		expect(writes.get('renamed')).toMatchObject({ status: 'conflict', error_message: 'Renamed in OneDrive to “other.mp4”.' });
		expect(writes.get('gone')).toMatchObject({ status: 'missing', error_message: 'Deleted from OneDrive.' });
		expect(writes.get('new')).toMatchObject({ status: 'synced', e_tag: 'e-new', c_tag: 'c-new' });
		expect(writes.has('same')).toBe(false);
		expect(fake.peak()).toBeLessThanOrEqual(2);
	});

	it('a failed lookup (not a 404) stops the check and writes nothing', async () => {
		const a = row('a');
		const b = row('b');
		const fake = fakePorts([a, b], new Map([['item-a', null], ['item-b', new Error('offline')]]));
		await expect(runCheck(fake.ports, 'drive', { formatDateTime: when, concurrency: 1 })).rejects.toThrow('offline');
		expect(fake.recorded).toEqual([]);
	});

	it('writes in batches of 500', async () => {
		const rows = Array.from({ length: 1200 }, (_, i) => row(`v${i}`));
		const fake = fakePorts(rows, new Map());
		const outcome = await runCheck(fake.ports, 'drive', { formatDateTime: when });
		expect(outcome).toMatchObject({ checked: 1200, flagged: 1200, written: 1200 });
		expect(fake.recorded.map((batch) => batch.length)).toEqual([500, 500, 200]);
	});

	it('stops when aborted', async () => {
		const controller = new AbortController();
		controller.abort();
		const fake = fakePorts([row('a')], new Map());
		await expect(runCheck(fake.ports, 'drive', { formatDateTime: when, signal: controller.signal })).rejects.toThrow();
		expect(fake.recorded).toEqual([]);
	});
});
