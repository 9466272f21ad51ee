/**
 * Token minting and checking. id_tokens and access tokens are RS256 JWTs signed with the
 * emulator's key (published in the JWKS); refresh tokens are opaque to clients, HMAC-protected
 * so they survive restarts without a database, and checked against per-account revocation.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, importJWK, jwtVerify, SignJWT } from 'jose';
import { APP_NAME, type Emulator } from '../emulator';
import { base64url } from '../http-util';
import type { Account } from './accounts';
import { normalizeScope } from './scopes';

export const GRAPH_AUDIENCES = ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'];

export interface RefreshTokenPayload {
	/** Account id. */
	acc: string;
	cid: string;
	/** Granted resource scopes, spelled as first requested. */
	scp: string[];
	/** OIDC scopes granted with them. */
	oidc: string[];
	iat: number;
	exp: number;
	/** Bound to a SPA redirect URI: fixed lifetime counted from `auth`. */
	spa: boolean;
	/** Time of the interactive sign-in this token descends from. */
	auth: number;
	fid: string;
}

export type AccessCheck =
	| { ok: true; account: Account; scopes: string[]; claims: Record<string, unknown> }
	| { ok: false; message: string };

export class TokenService {
	private publicKey?: CryptoKey;

	constructor(private readonly em: Emulator) {}

	issuer(tenantId: string): string {
		return `${this.em.url}/${tenantId}/v2.0`;
	}

	accessLifetime(): number {
		const fixed = this.em.lifetimes.accessSeconds;
		if (fixed !== undefined) return fixed;
		return 3600 + Math.floor(Math.random() * 1801);
	}

	private sign(claims: Record<string, unknown>): Promise<string> {
		const { privateKey, kid } = this.em.signingKey;
		return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(privateKey);
	}

	idToken(account: Account, clientId: string, extra: { nonce?: string; sid?: string; authTime: number; scopes: string[] }): Promise<string> {
		const now = this.em.clock.nowSeconds();
		const claims: Record<string, unknown> = {
			aud: clientId,
			iss: this.issuer(account.tenantId),
			iat: now,
			nbf: now,
			exp: now + 3600,
			auth_time: Math.floor(extra.authTime / 1000),
			name: account.displayName,
			preferred_username: account.email,
			oid: account.id,
			sub: base64url(createHmac('sha256', clientId).update(account.id).digest()).slice(0, 43),
			tid: account.tenantId,
			ver: '2.0',
			uti: randomUUID(),
			login_hint: base64url(JSON.stringify({ oid: account.id, tid: account.tenantId, upn: account.email })),
			rh: '0.emulator'
		};
		if (extra.scopes.some((s) => s.toLowerCase() === 'email')) claims.email = account.email;
		if (extra.nonce !== undefined) claims.nonce = extra.nonce;
		if (extra.sid !== undefined) claims.sid = extra.sid;
		return this.sign(claims);
	}

	accessToken(account: Account, clientId: string, scopes: string[], expiresIn: number): Promise<string> {
		const now = this.em.clock.nowSeconds();
		return this.sign({
			aud: 'https://graph.microsoft.com',
			iss: this.issuer(account.tenantId),
			iat: now,
			nbf: now,
			exp: now + expiresIn,
			app_displayname: APP_NAME,
			appid: clientId,
			idtyp: 'user',
			name: account.displayName,
			oid: account.id,
			scp: scopes.map(normalizeScopeSpelling).join(' '),
			sub: account.id,
			tid: account.tenantId,
			upn: account.email,
			unique_name: account.email,
			uti: randomUUID(),
			ver: '1.0'
		});
	}

	refreshToken(payload: Omit<RefreshTokenPayload, 'iat'>): string {
		const body = base64url(JSON.stringify({ ...payload, iat: this.em.clock.now() }));
		return `1.${body}.${this.mac(body)}`;
	}

	parseRefreshToken(token: string): RefreshTokenPayload | undefined {
		const parts = token.split('.');
		if (parts.length !== 3 || parts[0] !== '1') return undefined;
		const expected = Buffer.from(this.mac(parts[1]!));
		const given = Buffer.from(parts[2]!);
		if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
		try {
			return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as RefreshTokenPayload;
		} catch {
			return undefined;
		}
	}

	mac(text: string): string {
		return createHmac('sha256', this.em.signingKey.secret).update(text).digest('base64url');
	}

	async verifyAccessToken(token: string): Promise<AccessCheck> {
		if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
			return { ok: false, message: "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format." };
		}
		this.publicKey ??= (await importJWK(this.em.signingKey.publicJwk, 'RS256')) as CryptoKey;
		let claims: Record<string, unknown>;
		try {
			const result = await jwtVerify(token, this.publicKey, { algorithms: ['RS256'], currentDate: new Date(this.em.clock.now()) });
			claims = result.payload as Record<string, unknown>;
		} catch (error) {
			if (error instanceof joseErrors.JWTExpired) return { ok: false, message: 'Access token has expired or is not yet valid.' };
			if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') {
				return { ok: false, message: 'Access token has expired or is not yet valid.' };
			}
			return { ok: false, message: 'Access token validation failure. Invalid signature.' };
		}
		if (!GRAPH_AUDIENCES.includes(String(claims.aud))) return { ok: false, message: 'Access token validation failure. Invalid audience.' };
		const account = this.em.accountById(String(claims.oid));
		if (!account || account.tenantId !== claims.tid || claims.iss !== this.issuer(account.tenantId)) {
			return { ok: false, message: 'Access token validation failure. Invalid issuer or user.' };
		}
		const scopes = String(claims.scp ?? '').split(' ').filter(Boolean);
		return { ok: true, account, scopes, claims };
	}
}

/** Graph tokens carry permission names without the resource prefix. */
function normalizeScopeSpelling(scope: string): string {
	const normalized = normalizeScope(scope);
	return scope.length > normalized.length ? scope.slice(scope.length - normalized.length) : scope;
}
