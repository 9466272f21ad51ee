import { describe, expect, it } from 'vitest';
import {
	FRAGMENT_UNIT,
	MAX_FRAGMENT_SIZE,
	MIN_FRAGMENT_SIZE,
	START_FRAGMENT_SIZE,
	clampFragmentSize,
	estimateFragmentMs,
	fragmentEnd,
	initialPlan,
	recordFragmentFailure,
	recordFragmentSuccess,
	type FragmentPlanState
} from './fragment-plan';

const MiB = 1024 * 1024;

function lcg(seed: number) {
	let x = seed;
	return () => {
		x = (x * 1103515245 + 12345) % 2 ** 31;
		return x / 2 ** 31;
	};
}

describe('fragment planning', () => {
	it('uses the documented constants', () => {
		expect(FRAGMENT_UNIT).toBe(320 * 1024);
		expect(START_FRAGMENT_SIZE).toBe(10 * MiB);
		expect(MIN_FRAGMENT_SIZE).toBe(320 * 1024);
		expect(MAX_FRAGMENT_SIZE).toBeLessThan(60 * MiB);
		expect(MAX_FRAGMENT_SIZE + FRAGMENT_UNIT).toBeGreaterThanOrEqual(60 * MiB);
		expect(initialPlan()).toEqual({ size: 10 * MiB, bytesPerSecond: null });
	});

	it('clamps any number to an aligned size in range', () => {
		for (const n of [0, 1, 5 * MiB - 1, 7 * MiB + 3, 59.9 * MiB, 60 * MiB, 1e12, Number.NaN]) {
			const size = clampFragmentSize(Number.isNaN(n) ? 0 : n);
			expect(size % FRAGMENT_UNIT).toBe(0);
			expect(size).toBeGreaterThanOrEqual(MIN_FRAGMENT_SIZE);
			expect(size).toBeLessThanOrEqual(MAX_FRAGMENT_SIZE);
		}
	});

	it('property: under any sequence of outcomes, every non-final fragment is aligned, in range, and they tile the file', () => {
		const rand = lcg(7);
		for (let run = 0; run < 200; run++) {
			const total = Math.floor(rand() * 3 * 1024 * MiB) + 1;
			let plan: FragmentPlanState = initialPlan();
			let start = 0;
			let fragments = 0;
			while (start < total) {
				const end = fragmentEnd(plan, start, total);
				const length = end - start;
				expect(length).toBeGreaterThan(0);
				if (end < total) {
					expect(length % FRAGMENT_UNIT).toBe(0);
					expect(length).toBeGreaterThanOrEqual(MIN_FRAGMENT_SIZE);
					expect(length).toBeLessThan(60 * MiB);
				} else {
					expect(length).toBeLessThanOrEqual(MAX_FRAGMENT_SIZE);
				}
				// random link between 50 KB/s and 200 MB/s, with occasional failures
				if (rand() < 0.1) plan = recordFragmentFailure(plan);
				else plan = recordFragmentSuccess(plan, length, (length / (5e4 + rand() * 2e8)) * 1000);
				start = end;
				fragments++;
			}
			expect(start).toBe(total);
			expect(fragments).toBeGreaterThan(0);
		}
	});

	it('grows on a fast link towards fragments of about four seconds, never past the maximum', () => {
		let plan = initialPlan();
		const sizes: number[] = [];
		for (let i = 0; i < 10; i++) {
			plan = recordFragmentSuccess(plan, plan.size, (plan.size / (100 * MiB)) * 1000); // 100 MiB/s
			sizes.push(plan.size);
		}
		expect(sizes[0]).toBe(20 * MiB); // at most doubles per step
		expect(plan.size).toBe(MAX_FRAGMENT_SIZE);
	});

	it('settles near a few seconds per fragment on a medium link', () => {
		let plan = initialPlan();
		for (let i = 0; i < 20; i++) plan = recordFragmentSuccess(plan, plan.size, (plan.size / (4 * MiB)) * 1000); // 4 MiB/s
		const ms = estimateFragmentMs(plan, plan.size)!;
		expect(ms).toBeGreaterThan(3_000);
		expect(ms).toBeLessThanOrEqual(4_000);
	});

	it('shrinks to the minimum on a slow link', () => {
		let plan = initialPlan();
		for (let i = 0; i < 5; i++) plan = recordFragmentSuccess(plan, plan.size, (plan.size / 100_000) * 1000);
		expect(plan.size).toBe(MIN_FRAGMENT_SIZE);
	});

	it('halves on failure down to the minimum', () => {
		let plan: FragmentPlanState = { size: 40 * MiB, bytesPerSecond: 1 };
		plan = recordFragmentFailure(plan);
		expect(plan.size).toBe(20 * MiB);
		for (let i = 0; i < 10; i++) plan = recordFragmentFailure(plan);
		expect(plan.size).toBe(MIN_FRAGMENT_SIZE);
	});

	it('sends small files in one fragment and ends exactly at the file size', () => {
		expect(fragmentEnd(initialPlan(), 0, 1565)).toBe(1565);
		expect(fragmentEnd(initialPlan(), 0, 10 * MiB)).toBe(10 * MiB);
		expect(fragmentEnd(initialPlan(), 0, 10 * MiB + 1)).toBe(10 * MiB);
		// after a partial acceptance the start is unaligned; the length stays aligned
		expect(fragmentEnd(initialPlan(), 12345, 100 * MiB) - 12345).toBe(10 * MiB);
	});

	it('has no estimate before a measurement and ignores empty samples', () => {
		expect(estimateFragmentMs(initialPlan(), 1000)).toBeNull();
		expect(recordFragmentSuccess(initialPlan(), 0, 10)).toEqual(initialPlan());
	});
});
