import type { Page } from '@playwright/test';
import { connectOneDrive, emulator, signIn, type AppAccount } from './stack';

/** What the Microsoft emulator's control API lists for one drive. */
export interface DriveFiles {
	items: { id: string; path: string; size?: number; quickXorHash?: string; folder: boolean }[];
	uploadSessions: { id: string; name: string; received: number; total: number }[];
}

export const driveFiles = (microsoft: string) => emulator<DriveFiles>('GET', `/drives/${encodeURIComponent(microsoft)}/files`);

/** Signed in to Reeldrive and connected to OneDrive, on the Uploads page with its worker ready. */
export async function readyToUpload(page: Page, app: AppAccount, microsoft: string): Promise<void> {
	await signIn(page, app.email);
	await connectOneDrive(page, microsoft);
	await page.goto('/uploads');
	await page.evaluate(() => navigator.serviceWorker.ready);
}

export async function chooseVideos(page: Page, paths: string[]): Promise<void> {
	await page.getByLabel('Choose videos').setInputFiles(paths);
}

/** One upload in a list, by its file name. */
export const uploadItem = (page: Page, name: string) => page.getByRole('listitem', { name });
