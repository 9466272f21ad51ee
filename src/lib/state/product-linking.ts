/**
 * Linking videos that have no product: which can be linked now, and what happened, in words.
 * Pure, so the page manager stays about wiring.
 */
import type { UnlinkedVideo } from '$lib/supabase/unlinked-videos';

/**
 * Why a video cannot be linked yet, or null when it can. While an upload still owns the row
 * (queued, uploading, failed or in a name conflict), each new state it records carries the
 * product it was queued with and would undo the link; once it is in OneDrive (or found
 * missing there) nothing rewrites it.
 */
export function whyNotLinkable(video: Pick<UnlinkedVideo, 'status'>): string | null {
	switch (video.status) {
		case 'synced':
		case 'missing':
			return null;
		case 'error':
		case 'conflict':
			return 'Its upload has not finished: link it once it is in OneDrive.';
		default:
			return 'Still uploading: link it once it is in OneDrive.';
	}
}

/** The ids among `wanted` that can be linked now, in the list's order. */
export function linkableIds(videos: readonly Pick<UnlinkedVideo, 'id' | 'status'>[], wanted: ReadonlySet<string>): string[] {
	return videos.filter((video) => wanted.has(video.id) && whyNotLinkable(video) === null).map((video) => video.id);
}

const videos = (n: number) => `${n} ${n === 1 ? 'video' : 'videos'}`;

/** What linking did: all, some (the rest changed meanwhile elsewhere) or none. */
export function describeLinked(requested: number, linked: number, productTitle: string): string {
	if (linked === requested) return `${linked === 1 ? '1 video' : videos(linked)} linked to “${productTitle}”.`;
	const rest = requested - linked;
	const why = `${rest === 1 ? 'it was' : 'they were'} linked or removed elsewhere meanwhile`;
	if (linked === 0) return `Nothing was linked to “${productTitle}”: ${why}.`;
	return `${videos(linked)} of ${requested} linked to “${productTitle}”; ${rest} not: ${why}.`;
}
