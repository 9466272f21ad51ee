/** Pages anyone may open without a Reeldrive sign-in. */
const PUBLIC_PATHS = ['/sign-in', '/sign-up', '/auth/microsoft'];

export function isPublicPath(pathname: string): boolean {
	return PUBLIC_PATHS.includes(pathname.replace(/\/+$/, '') || '/');
}

/**
 * Where to go after signing in: the deep link the person first asked for, if it is a path on
 * this site (never another origin: `//evil.example` and `https://…` are refused).
 */
export function safeNext(next: string | null): string {
	if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/products';
	if (isPublicPath(new URL(next, 'http://x').pathname)) return '/products';
	return next;
}

export function signInPathFor(url: URL): string {
	const next = url.pathname + url.search + url.hash;
	return next === '/' || next === '/products' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`;
}
