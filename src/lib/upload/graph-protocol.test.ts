import { describe, expect, it } from 'vitest';
import {
	backoffMs,
	childAddress,
	contentRange,
	createSessionUrl,
	expirationOf,
	firstMissingByte,
	graphErrorCodes,
	itemUrl,
	parseJson,
	parseUploadedItem,
	retryAfterMs
} from './graph-protocol';

const B = 'https://graph.microsoft.com/v1.0';

describe('nextExpectedRanges', () => {
	it.each([
		[{ nextExpectedRanges: ['26-'] }, 26],
		[{ nextExpectedRanges: ['5242880-8255205'] }, 5242880],
		[{ nextExpectedRanges: ['77829-99375', '12345-55232'] }, 12345],
		[{ nextExpectedRanges: [' 0 - '] }, 0],
		[{ nextExpectedRanges: [] }, null],
		[{}, undefined],
		[null, undefined],
		[{ nextExpectedRanges: ['abc'] }, undefined],
		[{ nextExpectedRanges: [5] }, undefined]
	])('%j → %s', (body, expected) => {
		expect(firstMissingByte(body)).toBe(expected);
	});
});

describe('Retry-After', () => {
	const now = Date.UTC(2026, 0, 1, 12, 0, 0);
	it('reads delta-seconds', () => expect(retryAfterMs({ 'retry-after': '31' }, now)).toBe(31_000));
	it('reads an HTTP date', () => expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 12:00:10 GMT' }, now)).toBe(10_000));
	it('treats a date in the past as no wait', () => expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 11:00:00 GMT' }, now)).toBe(0));
	it('ignores an absent or unreadable header', () => {
		expect(retryAfterMs({}, now)).toBeNull();
		expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeNull();
		expect(retryAfterMs({ 'retry-after': '-5' }, now)).toBeNull();
	});
});

describe('backoff with full jitter', () => {
	it('stays within [0, min(cap, base·2^(n-1))]', () => {
		for (const value of [0, 0.25, 0.999999]) {
			const random = { next: () => value };
			for (let attempt = 1; attempt <= 12; attempt++) {
				const ms = backoffMs(attempt, random);
				expect(ms).toBeGreaterThanOrEqual(0);
				expect(ms).toBeLessThanOrEqual(Math.min(120_000, 1000 * 2 ** (attempt - 1)));
			}
		}
		expect(backoffMs(30, { next: () => 0.5 })).toBe(60_000);
	});
});

describe('Graph errors', () => {
	it('walks innerError and innererror chains', () => {
		expect(
			graphErrorCodes({
				error: { code: 'activityLimitReached', innerError: { code: 'throttledRequest', innerError: { code: 'quota' } } }
			})
		).toEqual(['activityLimitReached', 'throttledRequest', 'quota']);
		expect(graphErrorCodes({ error: { code: 'invalidRange', innererror: { code: 'fragmentOverlap' } } })).toEqual([
			'invalidRange',
			'fragmentOverlap'
		]);
		expect(graphErrorCodes(parseJson('<html>502</html>'))).toEqual([]);
	});
});

describe('addresses', () => {
	it('builds createUploadSession URLs for a folder id, a path, a drive and a replacement', () => {
		expect(createSessionUrl(B, { kind: 'folder', parentId: 'ABC123!101' }, 'a b#.mp4', null)).toBe(
			`${B}/me/drive/items/ABC123!101:/a%20b%23.mp4:/createUploadSession`
		);
		expect(createSessionUrl(B, { kind: 'path', folderPath: '' }, 'x.mp4', null)).toBe(`${B}/me/drive/root:/x.mp4:/createUploadSession`);
		expect(createSessionUrl(B, { kind: 'path', folderPath: 'A/B?', driveId: 'd1' }, 'x.mp4', null)).toBe(
			`${B}/drives/d1/root:/A/B%3F/x.mp4:/createUploadSession`
		);
		expect(createSessionUrl(B, { kind: 'folder', parentId: 'P' }, 'x.mp4', 'OLD')).toBe(`${B}/me/drive/items/OLD/createUploadSession`);
		expect(childAddress(B, { kind: 'folder', parentId: 'P', driveId: 'd' }, 'x.mp4')).toBe(`${B}/drives/d/items/P:/x.mp4`);
		expect(itemUrl(B, null, 'I')).toBe(`${B}/me/drive/items/I`);
	});

	it('writes inclusive Content-Range values', () => {
		expect(contentRange(0, 26, 128)).toBe('bytes 0-25/128');
		expect(contentRange(327680, 655360, 1_000_000)).toBe('bytes 327680-655359/1000000');
	});
});

describe('responses', () => {
	it('reads expirationDateTime', () => {
		expect(expirationOf({ expirationDateTime: '2015-01-29T09:21:55.523Z' })).toBe(Date.UTC(2015, 0, 29, 9, 21, 55, 523));
		expect(expirationOf({ expirationDateTime: 'never' })).toBeNull();
	});

	it('reads the finished driveItem, tolerating missing facets', () => {
		expect(parseUploadedItem({ id: 'I', name: 'n', size: 3, file: { hashes: { quickXorHash: 'h' } }, parentReference: { driveId: 'd' } })).toEqual({
			id: 'I',
			name: 'n',
			size: 3,
			driveId: 'd',
			webUrl: null,
			quickXorHash: 'h',
			video: null
		});
		expect(parseUploadedItem({ id: 'I' })?.quickXorHash).toBeNull();
		expect(parseUploadedItem({ name: 'no id' })).toBeNull();
		expect(parseJson('')).toBeNull();
	});
});
