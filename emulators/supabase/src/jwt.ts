import { createHmac, timingSafeEqual } from 'node:crypto';

/** HS256 JSON Web Tokens, the only kind Supabase's legacy keys and GoTrue's local tokens use. */
export type JwtClaims = Record<string, unknown>;

const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string | Buffer): string {
	return Buffer.from(text).toString('base64url');
}

function signature(input: string, secret: string): string {
	return createHmac('sha256', secret).update(input).digest('base64url');
}

/** Claims are serialised in the order given, so fixed claims give byte-identical tokens. */
export function signJwt(claims: JwtClaims, secret: string): string {
	const body = `${header}.${base64url(JSON.stringify(claims))}`;
	return `${body}.${signature(body, secret)}`;
}

export type JwtFailure = 'malformed' | 'bad-signature' | 'missing-exp' | 'invalid-exp' | 'expired' | 'not-yet-valid';

export type JwtResult = { ok: true; claims: JwtClaims } | { ok: false; reason: JwtFailure };

/** PostgREST and GoTrue both allow this much clock skew on exp/nbf/iat. */
const skewSeconds = 30;

export function verifyJwt(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): JwtResult {
	const parts = token.split('.');
	if (parts.length !== 3) return { ok: false, reason: 'malformed' };
	const [head, body, sig] = parts as [string, string, string];
	let parsedHeader: unknown;
	let claims: unknown;
	try {
		parsedHeader = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
		claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
	} catch {
		return { ok: false, reason: 'malformed' };
	}
	if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return { ok: false, reason: 'malformed' };
	// Only HS256: refusing everything else also refuses alg "none".
	if ((parsedHeader as { alg?: unknown })?.alg !== 'HS256') return { ok: false, reason: 'bad-signature' };
	const expected = Buffer.from(signature(`${head}.${body}`, secret));
	const given = Buffer.from(sig);
	if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad-signature' };

	const { exp, nbf } = claims as { exp?: unknown; nbf?: unknown };
	// A token that never expires is refused: GoTrue's access tokens and the API keys all carry a
	// numeric exp, and a text one would otherwise skip the expiry check altogether.
	if (exp === undefined) return { ok: false, reason: 'missing-exp' };
	if (typeof exp !== 'number' || !Number.isFinite(exp)) return { ok: false, reason: 'invalid-exp' };
	if (nowSeconds - skewSeconds >= exp) return { ok: false, reason: 'expired' };
	if (typeof nbf === 'number' && nowSeconds + skewSeconds < nbf) return { ok: false, reason: 'not-yet-valid' };
	return { ok: true, claims: claims as JwtClaims };
}
