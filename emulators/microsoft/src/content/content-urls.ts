/**
 * Pre-authenticated URLs on the content origin: downloads and thumbnails carry an expiry and an
 * HMAC over what they point at (item, content version), so they need no Authorization header and
 * stop working when they expire or the content changes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Emulator } from '../emulator';
import type { DriveStore, ItemRecord } from '../storage/drive-store';

function sign(em: Emulator, text: string): string {
	return createHmac('sha256', em.signingKey.secret).update(text).digest('base64url');
}

export function downloadUrl(em: Emulator, drive: DriveStore, item: ItemRecord): string {
	const exp = em.clock.now() + em.lifetimes.downloadUrlSeconds * 1000;
	const sig = sign(em, `dl|${drive.id}|${item.id}|${item.cTagVersion}|${exp}`);
	return `${em.contentUrl}/dl/${encodeURIComponent(drive.id)}/${encodeURIComponent(item.id)}?v=${item.cTagVersion}&exp=${exp}&sig=${sig}`;
}

export function thumbnailUrl(em: Emulator, drive: DriveStore, item: ItemRecord, width: number, height: number, crop: boolean): string {
	const exp = em.clock.now() + em.lifetimes.downloadUrlSeconds * 1000;
	const spec = `${width}x${height}${crop ? 'c' : ''}`;
	const sig = sign(em, `th|${drive.id}|${item.id}|${item.cTagVersion}|${spec}|${exp}`);
	return `${em.contentUrl}/thumb/${encodeURIComponent(drive.id)}/${encodeURIComponent(item.id)}/${spec}.png?v=${item.cTagVersion}&exp=${exp}&sig=${sig}`;
}

export function verifySignature(em: Emulator, text: string, sig: string | null): boolean {
	if (!sig) return false;
	const expected = Buffer.from(sign(em, text));
	const given = Buffer.from(sig);
	return expected.length === given.length && timingSafeEqual(expected, given);
}
