import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quickXorHash } from '../../src/lib/upload/quickxorhash';
import { makePlan, prng } from './plan';
import { writeVideo } from './videos';

describe('chaos plan', () => {
	it('is the same for the same seed and differs for another', () => {
		expect(makePlan(7, false)).toEqual(makePlan(7, false));
		expect(makePlan(7, true)).toEqual(makePlan(7, true));
		expect(makePlan(8, false)).not.toEqual(makePlan(7, false));
		const random = prng(42);
		const first = [random(), random(), random()];
		const again = prng(42);
		expect([again(), again(), again()]).toEqual(first);
	});

	it('has 20 videos from 1 MB to 300 MB (6 small ones in smoke size), spread over both people and all three contexts', () => {
		for (const seed of [1, 2, 3, 99]) {
			const full = makePlan(seed, false);
			expect(full.videos).toHaveLength(20);
			expect(Math.min(...full.videos.map((v) => v.size))).toBe(1_000_000);
			expect(Math.max(...full.videos.map((v) => v.size))).toBe(300_000_000);
			const smoke = makePlan(seed, true);
			expect(smoke.videos).toHaveLength(6);
			expect(Math.max(...smoke.videos.map((v) => v.size))).toBeLessThanOrEqual(16_000_000);
			for (const plan of [full, smoke]) {
				expect(new Set(plan.videos.map((v) => `${v.owner}/${v.context}`))).toEqual(new Set(['a/shared', 'b/shared', 'a/own-a', 'b/own-b']));
				expect(new Set(plan.videos.map((v) => v.name)).size).toBe(plan.videos.length);
				// Person b picks in the shared context only after taking it over, person a only before.
				const swap = plan.events.find((e) => e.type === 'swap-person')!.at;
				for (const v of plan.videos.filter((v) => v.context === 'shared')) expect(v.owner === 'a' ? v.queueAt < swap : v.queueAt > swap).toBe(true);
			}
		}
	});

	it('draws every kind of event, in time order, inside the window', () => {
		const plan = makePlan(3, false);
		const types = new Set(plan.events.map((e) => e.type));
		expect(types).toEqual(new Set(['fault', 'reload', 'open-tab', 'close-tab', 'offline', 'pause', 'kill-worker', 'sign-out-in', 'swap-person', 'new-version', 'clock-jump']));
		expect(plan.events.map((e) => e.at)).toEqual([...plan.events.map((e) => e.at)].sort((x, y) => x - y));
		expect(plan.events.every((e) => e.at >= 0 && e.at <= plan.window)).toBe(true);
	});

	it('writes the same bytes for the same seed, with their QuickXorHash', () => {
		const dir = mkdtempSync(join(tmpdir(), 'chaos-video-'));
		try {
			const hash = writeVideo(join(dir, 'one.mp4'), 1_300_000, 5);
			expect(readFileSync(join(dir, 'one.mp4')).length).toBe(1_300_000);
			expect(quickXorHash(readFileSync(join(dir, 'one.mp4')))).toBe(hash);
			expect(writeVideo(join(dir, 'two.mp4'), 1_300_000, 5)).toBe(hash);
			expect(writeVideo(join(dir, 'three.mp4'), 1_300_000, 6)).not.toBe(hash);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
