/// <reference lib="webworker" />
/**
 * Web Share Target: videos shared to the installed app from another app (a phone's share sheet)
 * arrive here as a form POST. They are kept in the inbox until the person picks a product.
 * The body is read as a stream and each video goes straight into the same pieces an upload
 * reads (`chunks`, under the inbox entry's id, which becomes the upload's id): never held whole
 * in memory, and never copied again when it is queued.
 *
 * Any web page can also submit a form to this address (a cross-site POST), so a request is
 * judged before its body is read, and only a share that came from this device (the browser
 * itself: `Sec-Fetch-Site: none`) or from Reeldrive's own pages is kept.
 */
import { STAGE_CHUNK_BYTES } from '$lib/db/job-ledger';
import type { ReeldriveDb } from '$lib/db/reeldrive-db';
import { boundaryOf, chunked, readMultipart } from './multipart-stream';

export const SHARE_TARGET_PATH = '/share-target';

/** What the service worker can see of a request that decides whether it is a real share. */
export interface ShareRequestFacts {
	/** `Sec-Fetch-Site`, when the worker is allowed to see it (Chromium adds it after the worker). */
	secFetchSite: string | null;
	/** The `Origin` header; POST navigations carry it, "null" when the initiator has none to give. */
	origin: string | null;
	/** The request's referrer URL, "" for none. */
	referrer: string;
	mode: RequestMode;
	destination: RequestDestination;
	/** FetchEvent.clientId: the page that started a navigation; "" when the browser itself did. */
	clientId: string;
	/** That page is one of Reeldrive's own (the worker can look up only its own origin's clients). */
	ownClient: boolean;
}

export type ShareVerdict = { accept: true } | { accept: false; reason: string };

export async function shareRequestFacts(event: FetchEvent, clients: Clients): Promise<ShareRequestFacts> {
	const { request } = event;
	return {
		secFetchSite: request.headers.get('Sec-Fetch-Site'),
		origin: request.headers.get('Origin'),
		referrer: request.referrer,
		mode: request.mode,
		destination: request.destination,
		clientId: event.clientId,
		ownClient: event.clientId !== '' && (await clients.get(event.clientId)) !== undefined
	};
}

/**
 * Whether a POST to the share target is a share to keep. `Sec-Fetch-Site` decides when it is
 * visible: `none` (the share sheet) and `same-origin` are kept, `cross-site` and `same-site`
 * refused (a sibling subdomain or another port on localhost is another app, too).
 *
 * Chromium hides Sec-Fetch-* from service workers (w3c/webappsec-fetch-metadata#38), so the
 * worker reads what it does see. A page that submits a form sends its `Origin`: only
 * Reeldrive's own is kept. The share sheet's POST is started by the browser, with no page
 * behind it: `Origin: null`, no referrer, no client. Without a usable Origin (a no-referrer
 * policy, Reeldrive's own included, or a fetch(), whose Origin Chromium adds after the worker)
 * the page that sent the request still shows as its client: kept when that client is one of
 * Reeldrive's pages, refused otherwise. With no client at all, only a top-level navigation with
 * no foreign referrer is kept. (A form framed by another site never reaches this worker: the
 * frame's storage is partitioned.)
 *
 * What this cannot tell apart: a top-level page of another site served with a CSP `sandbox`
 * (an opaque origin, so Origin null, no referrer and no client, like the share sheet). Shared
 * videos only wait in the inbox until the person picks a product; nothing is uploaded unasked.
 */
export function judgeShareRequest(facts: ShareRequestFacts, appOrigin: string): ShareVerdict {
	if (facts.secFetchSite !== null) {
		return facts.secFetchSite === 'none' || facts.secFetchSite === 'same-origin'
			? { accept: true }
			: { accept: false, reason: `Sec-Fetch-Site: ${facts.secFetchSite}` };
	}
	if (facts.origin !== null && facts.origin !== 'null') {
		return facts.origin === appOrigin ? { accept: true } : { accept: false, reason: `sent by ${facts.origin}` };
	}
	if (facts.clientId !== '') {
		return facts.ownClient ? { accept: true } : { accept: false, reason: 'started by a page that withheld its origin' };
	}
	if (facts.mode !== 'navigate' || facts.destination !== 'document') {
		return { accept: false, reason: 'not a top-level navigation' };
	}
	if (facts.referrer !== '' && new URL(facts.referrer).origin !== appOrigin) {
		return { accept: false, reason: `referred by ${new URL(facts.referrer).origin}` };
	}
	return { accept: true };
}

/** Where the browser goes after a share: the inbox, told how many videos arrived. */
export const INBOX_AFTER_SHARE = '/uploads/inbox';

export async function handleShareTarget(request: Request, verdict: ShareVerdict, db: Pick<ReeldriveDb, 'inbox' | 'chunks'>): Promise<Response> {
	if (!verdict.accept) {
		// Redirected rather than a bare 403: if a real share is ever misjudged, the person lands
		// in Reeldrive and reads why nothing arrived. The body is never read, so a forged upload
		// costs neither memory nor storage.
		return Response.redirect(new URL(`${INBOX_AFTER_SHARE}?shared=0&refused=1`, request.url), 303);
	}
	let received = 0;
	let full = false;
	const boundary = boundaryOf(request.headers.get('Content-Type') ?? '');
	if (boundary && request.body) {
		try {
			for await (const part of readMultipart(request.body, boundary)) {
				if (part.name !== 'videos' || part.filename === null) continue;
				const kept = await keepShared(part.body, part.filename, part.contentType ?? '', db);
				if (kept === 'no-room') {
					full = true;
					break;
				}
				if (kept === 'kept') received++;
			}
		} catch {
			// A malformed or broken share keeps what arrived whole; the inbox says how many.
		}
	}
	return Response.redirect(new URL(`${INBOX_AFTER_SHARE}?shared=${received}${full ? '&full=1' : ''}`, request.url), 303);
}

/**
 * Streams one shared video into pieces, then lists it in the inbox. A video cut short (no room,
 * a broken stream) leaves no piece behind. Empty ones are skipped.
 */
async function keepShared(body: AsyncIterable<Uint8Array>, filename: string, type: string, db: Pick<ReeldriveDb, 'inbox' | 'chunks'>): Promise<'kept' | 'empty' | 'no-room'> {
	const id = crypto.randomUUID();
	let size = 0;
	try {
		for await (const piece of chunked(body, STAGE_CHUNK_BYTES)) {
			await db.chunks.put({ jobId: id, start: size, end: size + piece.length, blob: new Blob([piece as BlobPart]) });
			size += piece.length;
		}
		if (size === 0) return 'empty';
		await db.inbox.put({ id, name: filename || 'Shared video', type, receivedAt: Date.now(), kept: { size } });
		return 'kept';
	} catch (error) {
		await db.chunks.where('jobId').equals(id).delete().catch(() => {});
		if ((error as { name?: string } | null)?.name === 'QuotaExceededError' || /quota/i.test(String(error))) return 'no-room';
		throw error;
	}
}
