/// <reference lib="webworker" />
/**
 * Web Share Target: videos shared to the installed app from another app (a phone's share sheet)
 * arrive here as a form POST. They are kept in the inbox until the person picks a product.
 */
import type { ReeldriveDb } from '$lib/db/reeldrive-db';

export const SHARE_TARGET_PATH = '/share-target';

export async function handleShareTarget(request: Request, db: ReeldriveDb): Promise<Response> {
	let received = 0;
	try {
		const form = await request.formData();
		for (const value of form.getAll('videos')) {
			if (!(value instanceof File) || value.size === 0) continue;
			await db.inbox.put({
				id: crypto.randomUUID(),
				blob: value,
				name: value.name || 'Shared video',
				type: value.type,
				receivedAt: Date.now()
			});
			received++;
		}
	} catch {
		// A malformed share lands on the inbox page, which says nothing arrived.
	}
	return Response.redirect(`/uploads/inbox?shared=${received}`, 303);
}
