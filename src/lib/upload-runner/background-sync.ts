/**
 * Background Sync, within Chromium's limits: a one-shot sync event that runs longer than three
 * minutes is ended and counted as failed, and a tag re-registered inside its own event while
 * online fires again at once. So a sync event pumps for well under three minutes, and afterwards:
 *
 * - 'rearm': work is left that could run right now and this event moved it on: register again;
 * - 'rearm' too when jobs wait for the network: the browser fires the tag once it is back;
 * - 'retry-later': only backoffs or automatic retries are due later: fail the event, which the
 *   browser retries after about 5 and then 15 minutes (on its last chance, register anew);
 * - 'done': nothing left, or only jobs that wait for a page or a person. Those never re-arm a
 *   sync: they continue when a page opens or the person acts.
 */
import type { PumpReport } from './scheduler';

/** Well inside the three minutes Chromium allows a one-shot sync event. */
export const SYNC_BUDGET_MS = 2 * 60_000;
/** Message events may last longer (about five minutes); this leaves a minute to spare. */
export const MESSAGE_BUDGET_MS = 4 * 60_000;

export type SyncFollowUp = 'rearm' | 'retry-later' | 'done';

export function afterSync(report: PumpReport, lastChance: boolean): SyncFollowUp {
	if (report.readyNow > 0 && report.progressed) return 'rearm';
	if (report.waitingForNetwork > 0) return 'rearm';
	if (report.dueAt !== null || report.readyNow > 0) return lastChance ? 'rearm' : 'retry-later';
	return 'done';
}
