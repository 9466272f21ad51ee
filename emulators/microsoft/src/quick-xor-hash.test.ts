import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QuickXorHash, quickXorHashBase64 } from './quick-xor-hash';

// Vectors from the OneDrive reference (§16.3): rclone's table (inputs given as base64) and the
// ASCII and edge vectors listed there.
const base64Vectors: Array<[string, string]> = [
	['', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
	['Sg==', 'SgAAAAAAAAAAAAAAAQAAAAAAAAA='],
	['tbQ=', 'taAFAAAAAAAAAAAAAgAAAAAAAAA='],
	['0pZP', '0rDEEwAAAAAAAAAAAwAAAAAAAAA='],
	['2fuxhBJXtpWFe8dOfdGeHw==', 'O9tHLAghgSvYohKFyMMxnNCHaHg='],
	['T6LYJIfDh81JrAK309H2JMJTXis=', 'zBTHrspn3mEcohlJdIUAbjGNaNg='],
	['NbYXsp5/K6mR+NmHwExjvWeWDJFnXTKWVlzYHoesp2E=', 'wjuAuWDiq04qDt1R8hHWDDcwVoQ='],
	[
		'ikwCorI7PKWz17EI50jZCGbV9JU2E8bXVfxNMg5zdmqSZ2NlsQPp0kqYIPjzwTg1MBtfWPg53k0h0P2naJNEVgrqpoHTfV2b3pJ4m0zYPTJmUX4Bg/lOxcnCxAYKU29Y5F0U8Quz7ZXFBEweftXxJ7RS4r6N7BzJrPsLhY7hgck=',
		'imAoFvCWlDn4yVw3/oq1PDbbm6U='
	],
	[
		'PfxMcUd0vIW6VbHG/uj/Y0W6qEoKmyBD0nYebEKazKaKG+UaDqBEcmQjbfQeVnVLuodMoPp7P7TR1htX5n2VnkHh22xDyoJ8C/ZQKiSNqQfXvh83judf4RVr9exJCud8Uvgip6aVZTaPrJHVjQhMCp/dEnGvqg0oN5OVkM2qqAXvA0teKUDhgNM71sDBVBCGXxNOR2bpbD1iM4dnuT0ey4L+loXEHTL0fqMeUcEi2asgImnlNakwenDzz0x57aBwyq3AspCFGB1ncX4yYCr/OaCcS5OKi/00WH+wNQU3',
		'QX/YEpG0gDsmhEpCdWhsxDzsfVE='
	]
];

const asciiVectors: Array<[string, string]> = [
	['hello world', 'aCgDG9jwBhDc4Q1yawMZAAAAAAA='],
	['foo\n', 'ZnjDGxQAAAAAAAAABAAAAAAAAAA='],
	['a', 'YQAAAAAAAAAAAAAAAQAAAAAAAAA='],
	['abc', 'YRDDGAAAAAAAAAAAAwAAAAAAAAA=']
];

describe('QuickXorHash', () => {
	it.each(base64Vectors)('hashes the reference vector %#', (input, expected) => {
		const bytes = Buffer.from(input, 'base64');
		expect(quickXorHashBase64(bytes)).toBe(expected);
	});

	it.each(asciiVectors)('hashes %j', (input, expected) => {
		expect(quickXorHashBase64(Buffer.from(input, 'latin1'))).toBe(expected);
	});

	it('hashes the edge vectors', () => {
		const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
		expect(quickXorHashBase64(all)).toBe('QkGEfSisZcA7k+FCh71r2dbCayY=');
		expect(quickXorHashBase64(Buffer.alloc(160, 0xff))).toBe('AAAAAAAAAAAAAAAAoAAAAAAAAAA=');
		expect(quickXorHashBase64(Buffer.alloc(161, 0xff))).toBe('/wAAAAAAAAAAAAAAoQAAAAAAAAA=');
		expect(quickXorHashBase64(Buffer.alloc(327_680))).toBe('AAAAAAAAAAAAAAAAAAAFAAAAAAA=');
	});

	it('gives the same digest for every chunking', () => {
		const data = Buffer.from(base64Vectors[8]![0], 'base64');
		for (const block of [1, 2, 7, 64, 159, 160, 161, 500]) {
			const hash = new QuickXorHash();
			for (let i = 0; i < data.length; i += block) hash.update(data.subarray(i, i + block));
			expect(hash.digestBase64()).toBe(base64Vectors[8]![1]);
		}
	});

	it('resumes from a saved state', () => {
		const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
		const first = new QuickXorHash().update(data.subarray(0, 333));
		const resumed = QuickXorHash.fromState(JSON.parse(JSON.stringify(first.state())));
		resumed.update(data.subarray(333));
		expect(resumed.digestBase64()).toBe(quickXorHashBase64(data));
	});

	it('matches the check value and the fixture hashes listed in tests/fixtures/videos', () => {
		const million = Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => i % 251));
		expect(quickXorHashBase64(million)).toBe('HdE6CZEtWr3VHJPlFJtbLXBwV0c=');
		const dir = new URL('../../../tests/fixtures/videos/', import.meta.url);
		const readme = readFileSync(new URL('README.md', dir), 'utf8');
		const files = readdirSync(dir).filter((name) => name !== 'README.md');
		expect(files.length).toBeGreaterThan(0);
		for (const name of files) {
			const row = readme.split('\n').find((line) => line.startsWith(`| ${name} |`));
			const expected = row?.match(/`([A-Za-z0-9+/=]{28})`/)?.[1];
			expect(expected, name).toBeDefined();
			expect(quickXorHashBase64(readFileSync(new URL(name, dir))), name).toBe(expected);
		}
	});
});
