/**
 * The page Microsoft sends the browser back to. MSAL's bridge hands the answer to the window
 * that asked (a popup's opener, a hidden renewal iframe's parent), or, after a full-page
 * redirect, returns to the page that started the sign-in, where MSAL completes it.
 */
export async function completeMicrosoftRedirect(): Promise<void> {
	const { broadcastResponseToMainFrame } = await import('@azure/msal-browser/redirect-bridge');
	await broadcastResponseToMainFrame();
}
