import { describe, expect, it } from 'vitest';
import { SerialQueue } from './serial-queue.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('SerialQueue', () => {
	it('never runs two tasks at once and keeps their order', async () => {
		const queue = new SerialQueue();
		const events: string[] = [];
		let running = 0;
		const task = (name: string) => async () => {
			running++;
			expect(running).toBe(1);
			events.push(`start ${name}`);
			await tick();
			events.push(`end ${name}`);
			running--;
			return name;
		};
		const results = await Promise.all(['a', 'b', 'c'].map((n) => queue.run(task(n))));
		expect(results).toEqual(['a', 'b', 'c']);
		expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
		expect(queue.pending).toBe(0);
	});

	it('carries on after a failing task', async () => {
		const queue = new SerialQueue();
		const failed = queue.run(async () => {
			throw new Error('boom');
		});
		const next = queue.run(async () => 'next');
		await expect(failed).rejects.toThrow('boom');
		await expect(next).resolves.toBe('next');
	});
});
