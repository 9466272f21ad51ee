import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from './base64';
import { QuickXorHash, quickXorHash } from './quickxorhash';

const FIXTURES = join(process.cwd(), 'tests/fixtures/videos');
const ascii = (s: string) => new TextEncoder().encode(s);
const b64 = (s: string) => decodeBase64(s)!;

/** Straight transcription of the definition (BigInt ring), used as an oracle. */
function slowQuickXorHash(data: Uint8Array): string {
	const mask = (1n << 160n) - 1n;
	let reg = 0n;
	for (let i = 0; i < data.length; i++) {
		const v = BigInt(data[i]!) << BigInt((11 * i) % 160);
		reg ^= (v & mask) ^ (v >> 160n);
	}
	const out = new Uint8Array(20);
	for (let k = 0; k < 20; k++) out[k] = Number((reg >> BigInt(8 * k)) & 0xffn);
	let len = BigInt(data.length);
	for (let k = 0; k < 8; k++) {
		out[12 + k]! ^= Number(len & 0xffn);
		len >>= 8n;
	}
	return encodeBase64(out);
}

function pseudoRandomBytes(n: number, seed: number): Uint8Array {
	const out = new Uint8Array(n);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 0xff;
	}
	return out;
}

describe('QuickXorHash reference vectors (onedrive-graph.md §16.3)', () => {
	const vectors: Array<[string, Uint8Array, string]> = [
		['empty', new Uint8Array(0), 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
		['Sg==', b64('Sg=='), 'SgAAAAAAAAAAAAAAAQAAAAAAAAA='],
		['tbQ=', b64('tbQ='), 'taAFAAAAAAAAAAAAAgAAAAAAAAA='],
		['0pZP', b64('0pZP'), '0rDEEwAAAAAAAAAAAwAAAAAAAAA='],
		['16 bytes', b64('2fuxhBJXtpWFe8dOfdGeHw=='), 'O9tHLAghgSvYohKFyMMxnNCHaHg='],
		['20 bytes', b64('T6LYJIfDh81JrAK309H2JMJTXis='), 'zBTHrspn3mEcohlJdIUAbjGNaNg='],
		['32 bytes', b64('NbYXsp5/K6mR+NmHwExjvWeWDJFnXTKWVlzYHoesp2E='), 'wjuAuWDiq04qDt1R8hHWDDcwVoQ='],
		['hello world', ascii('hello world'), 'aCgDG9jwBhDc4Q1yawMZAAAAAAA='],
		['foo\\n', ascii('foo\n'), 'ZnjDGxQAAAAAAAAABAAAAAAAAAA='],
		['a', ascii('a'), 'YQAAAAAAAAAAAAAAAQAAAAAAAAA='],
		['abc', ascii('abc'), 'YRDDGAAAAAAAAAAAAwAAAAAAAAA='],
		['0x00..0xFF', Uint8Array.from({ length: 256 }, (_, i) => i), 'QkGEfSisZcA7k+FCh71r2dbCayY='],
		['160 × 0xFF', new Uint8Array(160).fill(0xff), 'AAAAAAAAAAAAAAAAoAAAAAAAAAA='],
		['161 × 0xFF', new Uint8Array(161).fill(0xff), '/wAAAAAAAAAAAAAAoQAAAAAAAAA='],
		['320 KiB of zeros', new Uint8Array(327_680), 'AAAAAAAAAAAAAAAAAAAFAAAAAAA='],
		['1,000,000 bytes of i mod 251', Uint8Array.from({ length: 1_000_000 }, (_, i) => i % 251), 'HdE6CZEtWr3VHJPlFJtbLXBwV0c=']
	];
	for (const [name, input, expected] of vectors) {
		it(`hashes ${name}`, () => {
			expect(quickXorHash(input)).toBe(expected);
		});
	}
});

describe('QuickXorHash of the fixture videos (tests/fixtures/videos/README.md)', () => {
	const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8');
	const rows = [...readme.matchAll(/^\| ([\w.-]+\.(?:mp4|mov|webm)) \| (\d+) \|.*`([A-Za-z0-9+/=]{28})` \|$/gm)];
	it('finds every fixture row', () => {
		expect(rows.length).toBe(7);
	});
	for (const [, file, size, expected] of rows) {
		it(`hashes ${file} whole and in odd chunks`, () => {
			const bytes = new Uint8Array(readFileSync(join(FIXTURES, file!)));
			expect(bytes.length).toBe(Number(size));
			expect(quickXorHash(bytes)).toBe(expected);
			const h = new QuickXorHash();
			for (let at = 0, step = 1; at < bytes.length; at += step, step = (step * 7 + 3) % 4099) {
				h.update(bytes.subarray(at, at + step));
			}
			expect(h.digest()).toBe(expected);
		});
	}
});

describe('QuickXorHash incremental behaviour', () => {
	const data = pseudoRandomBytes(5000, 42);
	const whole = slowQuickXorHash(data);

	it('agrees with the definition on random data', () => {
		expect(quickXorHash(data)).toBe(whole);
	});

	it('gives the same digest for every chunk size 1..512', () => {
		for (let step = 1; step <= 512; step++) {
			const h = new QuickXorHash();
			for (let at = 0; at < data.length; at += step) h.update(data.subarray(at, at + step));
			expect(h.digest(), `chunk size ${step}`).toBe(whole);
		}
	});

	it('handles inputs at every byte offset of their buffer (aligned and unaligned word paths)', () => {
		const backing = new Uint8Array(data.length + 8);
		for (let offset = 0; offset < 4; offset++) {
			backing.set(data, offset);
			for (const split of [0, 1, 2, 3, 77, 160, 161, 1000]) {
				const view = backing.subarray(offset, offset + data.length);
				const h = new QuickXorHash().update(view.subarray(0, split)).update(view.subarray(split));
				expect(h.digest(), `offset ${offset} split ${split}`).toBe(whole);
			}
		}
	});

	it('can digest midway and continue', () => {
		const h = new QuickXorHash().update(data.subarray(0, 1234));
		expect(h.digest()).toBe(slowQuickXorHash(data.subarray(0, 1234)));
		h.update(data.subarray(1234));
		expect(h.digest()).toBe(whole);
	});

	it('round-trips through its plain-data state (what a fresh process resumes from)', () => {
		const h = new QuickXorHash().update(data.subarray(0, 3333));
		const state = JSON.parse(JSON.stringify(h.toState()));
		const resumed = QuickXorHash.fromState(state).update(data.subarray(3333));
		expect(resumed.digest()).toBe(whole);
		expect(resumed.length).toBe(data.length);
	});

	it('rejects a corrupt state', () => {
		expect(() => QuickXorHash.fromState({ lanes: 'nope', length: 1 })).toThrow(TypeError);
		expect(() => QuickXorHash.fromState({ lanes: encodeBase64(new Uint8Array(160)), length: -1 })).toThrow(TypeError);
	});

	it('retracts the tail exactly', () => {
		const h = new QuickXorHash().update(data);
		h.retract(data.subarray(2001));
		expect(h.length).toBe(2001);
		expect(h.digest()).toBe(slowQuickXorHash(data.subarray(0, 2001)));
		expect(() => new QuickXorHash().retract(new Uint8Array(1))).toThrow(RangeError);
	});

	it('clones independently', () => {
		const a = new QuickXorHash().update(data.subarray(0, 100));
		const b = a.clone().update(data.subarray(100));
		expect(a.digest()).toBe(slowQuickXorHash(data.subarray(0, 100)));
		expect(b.digest()).toBe(whole);
	});
});

describe('base64', () => {
	it('round-trips every length 0..40', () => {
		for (let n = 0; n <= 40; n++) {
			const bytes = pseudoRandomBytes(n, n + 1);
			const text = encodeBase64(bytes);
			expect(text).toBe(Buffer.from(bytes).toString('base64'));
			expect(decodeBase64(text)).toEqual(bytes);
		}
	});
	it('refuses non-base64', () => {
		expect(decodeBase64('abc')).toBeNull();
		expect(decodeBase64('ab!d')).toBeNull();
		expect(decodeBase64('a=bc')).toBeNull();
	});
});
