import { describe, expect, it } from 'vitest';
import { quickXorHashBase64 } from './quick-xor-hash';
import { syntheticQuickXorHash, syntheticStream } from './synthetic-content';

async function collect(seed: string, start: number, end: number): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of syntheticStream(seed, start, end)) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

describe('synthetic content', () => {
	it.each([0, 1, 159, 160, 319, 320, 321, 1000, 200_003])('hashes %i bytes without reading them', async (size) => {
		const bytes = size === 0 ? Buffer.alloc(0) : await collect('seed-a', 0, size - 1);
		expect(bytes.length).toBe(size);
		expect(syntheticQuickXorHash('seed-a', size)).toBe(quickXorHashBase64(bytes));
	});

	it('serves any range consistently and differs by seed', async () => {
		const whole = await collect('seed-b', 0, 99_999);
		expect((await collect('seed-b', 12_345, 70_000)).equals(whole.subarray(12_345, 70_001))).toBe(true);
		expect((await collect('seed-c', 0, 99)).equals(whole.subarray(0, 100))).toBe(false);
	});
});
