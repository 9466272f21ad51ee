/** Scope parsing for the one resource the emulator serves (Microsoft Graph). */

export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const GRAPH_PREFIX = 'https://graph.microsoft.com/';

/** Graph delegated permissions the emulator knows, lower-cased. */
const GRAPH_SCOPES = new Set([
	'user.read',
	'user.readwrite',
	'user.readbasic.all',
	'user.read.all',
	'files.read',
	'files.read.all',
	'files.readwrite',
	'files.readwrite.all',
	'files.readwrite.appfolder',
	'.default'
]);

/** What `.default` stands for: the permissions the local app registration declares. */
export const APP_DEFAULT_SCOPES = ['User.Read', 'Files.ReadWrite'];

export function splitScopes(value: string | undefined): string[] {
	return (value ?? '').split(/\s+/).filter(Boolean);
}

/** "https://graph.microsoft.com/Files.Read" and "files.read" both become "files.read". */
export function normalizeScope(scope: string): string {
	const lower = scope.toLowerCase();
	return lower.startsWith(GRAPH_PREFIX) ? lower.slice(GRAPH_PREFIX.length) : lower;
}

export function isOidcScope(scope: string): boolean {
	return OIDC_SCOPES.has(scope.toLowerCase());
}

/** The first scope that is neither OIDC nor a known Graph permission, if any. */
export function unknownScope(scopes: string[]): string | undefined {
	return scopes.find((scope) => !isOidcScope(scope) && !GRAPH_SCOPES.has(normalizeScope(scope)));
}

/** Resource scopes as requested (spelling kept, since MSAL matches its cache on it), `.default` expanded. */
export function resourceScopes(scopes: string[]): string[] {
	const out: string[] = [];
	for (const scope of scopes) {
		if (isOidcScope(scope)) continue;
		if (normalizeScope(scope) === '.default') out.push(...APP_DEFAULT_SCOPES);
		else out.push(scope);
	}
	const seen = new Set<string>();
	return out.filter((scope) => {
		const key = normalizeScope(scope);
		if (seen.has(key)) return false;
		seen.add(key);
		return true;
	});
}

export function hasScope(scopes: string[], name: string): boolean {
	return scopes.some((scope) => scope.toLowerCase() === name.toLowerCase());
}
