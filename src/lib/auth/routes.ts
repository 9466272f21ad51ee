/** Pages anyone may open without a Reeldrive sign-in. */
const PUBLIC_PATHS = ['/sign-in', '/sign-up', '/auth/microsoft'];

export function isPublicPath(pathname: string): boolean {
	return PUBLIC_PATHS.includes(pathname.replace(/\/+$/, '') || '/');
}

const AFTER_SIGN_IN = '/products';

/**
 * Where to go after signing in: the deep link the person first asked for, if it is a path on
 * this site. Decided by where the URL parser resolves it, not by how the text starts: the parser
 * drops tabs and newlines and reads a backslash as `/`, so `/<tab>/evil.example` is `//evil.example`.
 * Control characters and backslashes are refused outright; a path never needs them raw.
 */
export function safeNext(next: string | null, origin: string): string {
	// eslint-disable-next-line no-control-regex -- finding control characters is the point
	if (!next || !next.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(next)) return AFTER_SIGN_IN;
	let url: URL;
	try {
		url = new URL(next, origin);
	} catch {
		return AFTER_SIGN_IN;
	}
	if (url.origin !== origin || isPublicPath(url.pathname)) return AFTER_SIGN_IN;
	return url.pathname + url.search + url.hash;
}

export function signInPathFor(url: URL): string {
	const next = url.pathname + url.search + url.hash;
	return next === '/' || next === '/products' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`;
}
