/**
 * The HTTP headers Reeldrive wants from whatever serves its static files. The
 * Content-Security-Policy is the one SvelteKit wrote into the built page (with the hashes of its
 * inline scripts), plus the directives a <meta> tag cannot carry.
 */
import { readFileSync } from 'node:fs';

const META_CSP = /<meta http-equiv="content-security-policy" content="([^"]+)">/i;

export function cspFromPage(html: string): string {
	const match = META_CSP.exec(html);
	if (!match?.[1]) throw new Error('The built page has no Content-Security-Policy meta tag.');
	const fromMeta = match[1].replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');
	// 'self' so MSAL's hidden renewal iframe can load the app's own redirect page; no other site may frame it.
	return `${fromMeta}; frame-ancestors 'self'`;
}

export function securityHeaders(csp: string): Record<string, string> {
	return {
		'Content-Security-Policy': csp,
		'X-Content-Type-Options': 'nosniff',
		'Referrer-Policy': 'no-referrer',
		'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
		// Popups stay usable for Microsoft's sign-in popup, while other pages cannot script ours.
		'Cross-Origin-Opener-Policy': 'same-origin-allow-popups'
	};
}

/** Headers for every response of a built app in `buildDir`. */
export function headersForBuild(buildDir: string): Record<string, string> {
	return securityHeaders(cspFromPage(readFileSync(`${buildDir}/200.html`, 'utf8')));
}

/** A `_headers` file as Netlify and Cloudflare Pages read it. */
export function headersFile(headers: Record<string, string>): string {
	const lines = ['/*', ...Object.entries(headers).map(([name, value]) => `  ${name}: ${value}`)];
	lines.push('/_app/immutable/*', '  Cache-Control: public, max-age=31536000, immutable');
	lines.push('/service-worker.js', '  Cache-Control: no-cache');
	return lines.join('\n') + '\n';
}
