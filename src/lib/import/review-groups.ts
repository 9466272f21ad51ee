/**
 * The import preview's shape: videos grouped by what the rule proposed for them (one group per
 * product, new product, and "No product"), so a 10,000-video folder is a few dozen decisions,
 * each of which can still be changed video by video. Also the words for why a group was proposed.
 */
import type { Choice, ImportReview, ReviewVideo } from './import-run';
import type { Proposal } from './product-rule';

export interface ReviewGroup {
	/** The proposal these videos share. */
	key: Choice;
	proposal: Proposal;
	videos: ReviewVideo[];
	/** The choice every video of the group has now, or null when the person set them apart. */
	choice: Choice | null;
	/** How many of the group's videos will be linked (not skipped). */
	linking: number;
}

const ORDER = { existing: 0, new: 1, none: 2 } as const;

export function groupReview(videos: ReviewVideo[], choices: ReadonlyMap<string, Choice>): ReviewGroup[] {
	const groups = new Map<Choice, ReviewGroup>();
	for (const video of videos) {
		let group = groups.get(video.proposed);
		if (!group) {
			group = { key: video.proposed, proposal: video.proposal, videos: [], choice: null, linking: 0 };
			groups.set(video.proposed, group);
		}
		group.videos.push(video);
	}
	for (const group of groups.values()) {
		const first = choices.get(group.videos[0]!.itemId) ?? group.key;
		let same = true;
		for (const video of group.videos) {
			const choice = choices.get(video.itemId) ?? group.key;
			if (choice !== first) same = false;
			if (choice !== 'skip') group.linking++;
		}
		group.choice = same ? first : null;
	}
	return [...groups.values()].sort((a, b) => ORDER[a.proposal.kind] - ORDER[b.proposal.kind]);
}

/** What committing will do, for the button and the summary. */
export function reviewTotals(review: ImportReview, choices: ReadonlyMap<string, Choice>): { link: number; skip: number; refresh: number; remove: number } {
	let skip = 0;
	for (const video of review.videos) if ((choices.get(video.itemId) ?? video.proposed) === 'skip') skip++;
	return { link: review.videos.length - skip, skip, refresh: review.updates.length, remove: review.removed.length };
}

/** Why the rule proposed this, in words. */
export function describeProposal(proposal: Proposal): string {
	if (proposal.kind === 'none') return 'No ASIN, product title or Brand/Product folders in their path.';
	switch (proposal.reason) {
		case 'asin-in-file-name':
			return `The file name “${proposal.source}” holds an ASIN.`;
		case 'asin-in-folder-name':
			return `The folder “${proposal.source}” holds an ASIN.`;
		case 'title-match':
			return `The folder “${proposal.source}” has this product’s title.`;
		default:
			return `The folders “${proposal.source}” read as brand and product.`;
	}
}
