import { describe, expect, it } from 'vitest';
import type { Choice, ImportReview, ReviewVideo } from './import-run';
import { describeProposal, groupReview, reviewTotals } from './review-groups';
import type { Proposal } from './product-rule';

function video(itemId: string, proposal: Proposal, proposed: Choice): ReviewVideo {
	return { itemId, name: `${itemId}.mp4`, folderPath: '/x', size: 1, proposal, proposed, row: {} as ReviewVideo['row'] };
}

const none: Proposal = { kind: 'none', reason: 'no-match' };
const kettle: Proposal = { kind: 'new', reason: 'asin-in-folder-name', source: 'Kettle (B0ABCDEF12)', draft: { key: 'asin:B0ABCDEF12', title: 'Kettle', brand: null, asin: 'B0ABCDEF12' } };
const blender: Proposal = { kind: 'existing', reason: 'title-match', source: 'Blender', productId: 'p1' };

const videos = [
	video('a', none, 'none'),
	video('b', kettle, 'new:asin:B0ABCDEF12'),
	video('c', kettle, 'new:asin:B0ABCDEF12'),
	video('d', blender, 'product:p1')
];

describe('groupReview', () => {
	it('groups by proposal: existing products, then new ones, then No product', () => {
		const groups = groupReview(videos, new Map());
		expect(groups.map((group) => [group.key, group.videos.map((v) => v.itemId), group.choice, group.linking])).toEqual([
			['product:p1', ['d'], 'product:p1', 1],
			['new:asin:B0ABCDEF12', ['b', 'c'], 'new:asin:B0ABCDEF12', 2],
			['none', ['a'], 'none', 1]
		]);
	});

	it('shows a group’s choice while its videos agree, and none once they differ', () => {
		const all = groupReview(videos, new Map<string, Choice>([['b', 'skip'], ['c', 'skip']]));
		expect(all[1]).toMatchObject({ choice: 'skip', linking: 0 });
		const split = groupReview(videos, new Map<string, Choice>([['b', 'product:p1']]));
		expect(split[1]).toMatchObject({ choice: null, linking: 2 });
	});

	it('totals what a commit will do', () => {
		const review = { videos, updates: [{}, {}], removed: ['x'] } as unknown as ImportReview;
		expect(reviewTotals(review, new Map<string, Choice>([['a', 'skip']]))).toEqual({ link: 3, skip: 1, refresh: 2, remove: 1 });
	});

	it('says why', () => {
		expect(describeProposal(kettle)).toBe('The folder “Kettle (B0ABCDEF12)” holds an ASIN.');
		expect(describeProposal(none)).toMatch(/^No ASIN/);
	});
});
