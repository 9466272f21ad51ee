import { describe, expect, it } from 'vitest';
import { describeLinked, linkableIds, whyNotLinkable } from './product-linking';

describe('whyNotLinkable', () => {
	it('allows videos in OneDrive or missing there, and says why the others wait', () => {
		expect(whyNotLinkable({ status: 'synced' })).toBeNull();
		expect(whyNotLinkable({ status: 'missing' })).toBeNull();
		expect(whyNotLinkable({ status: 'uploading' })).toBe('Still uploading: link it once it is in OneDrive.');
		expect(whyNotLinkable({ status: 'queued' })).toMatch(/^Still uploading/);
		expect(whyNotLinkable({ status: 'error' })).toMatch(/has not finished/);
		expect(whyNotLinkable({ status: 'conflict' })).toMatch(/has not finished/);
	});
});

describe('linkableIds', () => {
	it('keeps the wanted ids that can be linked, in the list’s order', () => {
		const videos = [
			{ id: 'a', status: 'synced' as const },
			{ id: 'b', status: 'uploading' as const },
			{ id: 'c', status: 'missing' as const },
			{ id: 'd', status: 'synced' as const }
		];
		expect(linkableIds(videos, new Set(['d', 'b', 'a', 'gone']))).toEqual(['a', 'd']);
	});
});

describe('describeLinked', () => {
	it('says how many were linked, and why some were not', () => {
		expect(describeLinked(1, 1, 'Kettle')).toBe('1 video linked to “Kettle”.');
		expect(describeLinked(3, 3, 'Kettle')).toBe('3 videos linked to “Kettle”.');
		expect(describeLinked(3, 2, 'Kettle')).toBe('2 videos of 3 linked to “Kettle”; 1 not: it was linked or removed elsewhere meanwhile.');
		expect(describeLinked(2, 0, 'Kettle')).toBe('Nothing was linked to “Kettle”: they were linked or removed elsewhere meanwhile.');
	});
});
