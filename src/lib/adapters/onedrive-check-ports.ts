/**
 * The OneDrive check's Graph port over the app's OneDriveApi: one item by id, with a 404 as
 * "no such item" rather than a failure.
 */
import { AppError } from '$lib/errors';
import type { DriveItem, OneDriveApi } from '$lib/graph/onedrive-api';
import { LOOKUP_SELECT } from '$lib/onedrive-check/check-run';

export function graphItemLookup(graph: Pick<OneDriveApi, 'driveItem'>): (driveId: string, itemId: string) => Promise<DriveItem | null> {
	return async (driveId, itemId) => {
		try {
			return await graph.driveItem(driveId, itemId, { select: LOOKUP_SELECT });
		} catch (error) {
			if (error instanceof AppError && error.code === 'graph-not-found') return null;
			throw error;
		}
	};
}
