/**
 * The /auth/v1 half of the emulator: the GoTrue endpoints supabase-js calls, with GoTrue's
 * response and error shapes. Users, sessions and refresh tokens live in the auth schema of
 * the same database; passwords are bcrypt hashes made by pgcrypto, as GoTrue stores them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SqlDatabase, SqlSession } from '../database.js';
import { bearerToken, header, json, type ApiRequest, type ApiResponse } from '../http.js';
import { signJwt, verifyJwt } from '../jwt.js';

/** Seconds; Supabase's default jwt_expiry. */
export const accessTokenLifetime = 3600;
/** Seconds a just-rotated refresh token may still be used (Supabase CLI default). */
export const defaultRefreshTokenReuseInterval = 10;
const minimumPasswordLength = 6;
const apiVersion = '2024-01-01';

class AuthError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly extra: Record<string, unknown> = {}
	) {
		super(message);
	}
}

interface UserRow {
	id: string;
	email: string | null;
	phone: string | null;
	encrypted_password: string | null;
	email_confirmed_at: string | null;
	phone_confirmed_at: string | null;
	last_sign_in_at: string | null;
	created_at: string;
	updated_at: string;
	raw_app_meta_data: Record<string, unknown> | null;
	raw_user_meta_data: Record<string, unknown> | null;
	is_anonymous: boolean;
	banned_until: string | null;
	identities: Array<Record<string, unknown>> | null;
}

/** RFC 3339 in UTC with microseconds, as GoTrue (Go) prints timestamps. */
const ts = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const selectUser = `
	select u.id::text, u.email, u.phone, u.encrypted_password,
	       ${ts('u.email_confirmed_at')} as email_confirmed_at, ${ts('u.phone_confirmed_at')} as phone_confirmed_at,
	       ${ts('u.last_sign_in_at')} as last_sign_in_at, ${ts('u.created_at')} as created_at, ${ts('u.updated_at')} as updated_at,
	       u.raw_app_meta_data, u.raw_user_meta_data, u.is_anonymous,
	       case when u.banned_until > now() then ${ts('u.banned_until')} end as banned_until,
	       (select coalesce(json_agg(json_build_object(
	           'identity_id', i.id, 'id', i.provider_id, 'user_id', i.user_id, 'identity_data', i.identity_data,
	           'provider', i.provider, 'last_sign_in_at', ${ts('i.last_sign_in_at')},
	           'created_at', ${ts('i.created_at')}, 'updated_at', ${ts('i.updated_at')}, 'email', i.email)
	         order by i.created_at), '[]'::json)
	        from auth.identities i where i.user_id = u.id) as identities
	from auth.users u`;

function userJson(row: UserRow): Record<string, unknown> {
	const user: Record<string, unknown> = {
		id: row.id,
		aud: 'authenticated',
		role: 'authenticated',
		email: row.email ?? '',
		email_confirmed_at: row.email_confirmed_at ?? undefined,
		phone: row.phone ?? '',
		phone_confirmed_at: row.phone_confirmed_at ?? undefined,
		confirmed_at: row.email_confirmed_at ?? row.phone_confirmed_at ?? undefined,
		last_sign_in_at: row.last_sign_in_at ?? undefined,
		banned_until: row.banned_until ?? undefined,
		app_metadata: row.raw_app_meta_data ?? {},
		user_metadata: row.raw_user_meta_data ?? {},
		identities: row.identities ?? [],
		created_at: row.created_at,
		updated_at: row.updated_at,
		is_anonymous: row.is_anonymous
	};
	return JSON.parse(JSON.stringify(user)) as Record<string, unknown>;
}

const emailFormat = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function refreshTokenValue(): string {
	// Opaque to clients; GoTrue's legacy tokens are short random alphanumerics too.
	return randomBytes(16).toString('base64url');
}

function readBody(request: ApiRequest): Record<string, unknown> {
	if (request.body.trim() === '') return {};
	try {
		const parsed = JSON.parse(request.body) as unknown;
		if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
	} catch {
		// fall through
	}
	throw new AuthError(400, 'bad_json', 'Could not parse request body as JSON');
}

function checkPassword(password: string): void {
	if (password.length > 72) throw new AuthError(400, 'validation_failed', 'Password cannot be longer than 72 characters');
	if (password.length < minimumPasswordLength) {
		throw new AuthError(422, 'weak_password', `Password should be at least ${minimumPasswordLength} characters.`, {
			weak_password: { reasons: ['length'] }
		});
	}
}

export interface AuthApiOptions {
	jwtSecret: string;
	/** The `iss` claim: the public URL of /auth/v1. */
	issuer: string;
	refreshTokenReuseInterval?: number;
}

export class AuthApi {
	constructor(
		private readonly db: SqlDatabase,
		private readonly options: AuthApiOptions
	) {}

	async handle(request: ApiRequest): Promise<ApiResponse> {
		try {
			const route = `${request.method} ${request.path.replace(/\/+$/, '') || '/'}`;
			switch (route) {
				case 'POST /signup':
					return await this.#signUp(request);
				case 'POST /token':
					return await this.#token(request);
				case 'GET /user':
					return await this.#getUser(request);
				case 'PUT /user':
					return await this.#updateUser(request);
				case 'POST /logout':
					return await this.#logout(request);
				case 'GET /health':
					return json(200, { version: 'reeldrive-local', name: 'GoTrue', description: 'Local GoTrue-compatible auth for Reeldrive' });
				case 'GET /settings':
					return json(200, {
						external: { email: true, phone: false },
						disable_signup: false,
						mailer_autoconfirm: true,
						phone_autoconfirm: false,
						sms_provider: '',
						saml_enabled: false
					});
				default:
					throw new AuthError(404, 'not_found', 'Not Found');
			}
		} catch (error) {
			if (error instanceof AuthError) return this.#error(request, error);
			throw error;
		}
	}

	/** GoTrue's two error shapes, chosen by the X-Supabase-Api-Version request header. */
	#error(request: ApiRequest, error: AuthError): ApiResponse {
		const version = header(request, 'x-supabase-api-version');
		if (version && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= apiVersion) {
			return json(error.status, { code: error.code, message: error.message, ...error.extra }, { 'X-Supabase-Api-Version': apiVersion });
		}
		return json(error.status, { code: error.status, error_code: error.code, msg: error.message, ...error.extra }, { 'x-sb-error-code': error.code });
	}

	async #signUp(request: ApiRequest): Promise<ApiResponse> {
		const body = readBody(request);
		const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
		const password = typeof body.password === 'string' ? body.password : '';
		if (body.phone && email) throw new AuthError(400, 'validation_failed', 'Only an email address or phone number should be provided on signup.');
		if (body.phone) throw new AuthError(400, 'phone_provider_disabled', 'Phone signups are disabled');
		if (!email) throw new AuthError(400, 'validation_failed', 'To signup, please provide your email');
		if (!emailFormat.test(email)) throw new AuthError(400, 'validation_failed', 'Unable to validate email address: invalid format');
		if (!password) throw new AuthError(400, 'validation_failed', 'Signup requires a valid password');
		checkPassword(password);
		const data = typeof body.data === 'object' && body.data !== null && !Array.isArray(body.data) ? body.data : {};

		return this.db.transaction(async (tx) => {
			const existing = await tx.query('select 1 from auth.users where lower(email) = $1', [email]);
			if (existing.length) throw new AuthError(422, 'user_already_exists', 'User already registered');
			const id = randomUUID();
			const identityData = { sub: id, email, email_verified: true, phone_verified: false };
			await tx.query(
				`insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
				   raw_app_meta_data, raw_user_meta_data, created_at, updated_at, last_sign_in_at, is_anonymous)
				 values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2,
				   extensions.crypt($3, extensions.gen_salt('bf', 10)), now(), $4::jsonb, $5::jsonb, now(), now(), now(), false)`,
				[id, email, password, JSON.stringify({ provider: 'email', providers: ['email'] }), JSON.stringify({ ...data, ...identityData })]
			);
			await tx.query(
				`insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
				 values ($1, $2, $3::jsonb, 'email', now(), now(), now())`,
				[id, id, JSON.stringify(identityData)]
			);
			// Email confirmations are off locally (the CLI default): the user gets a session at once.
			return json(200, await this.#newSession(tx, id));
		});
	}

	async #token(request: ApiRequest): Promise<ApiResponse> {
		const grant = request.search.get('grant_type');
		if (grant === 'password') return this.#passwordGrant(request);
		if (grant === 'refresh_token') return this.#refreshGrant(request);
		throw new AuthError(400, 'invalid_credentials', 'unsupported_grant_type');
	}

	async #passwordGrant(request: ApiRequest): Promise<ApiResponse> {
		const body = readBody(request);
		const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
		const password = typeof body.password === 'string' ? body.password : '';
		if (body.phone && email) throw new AuthError(400, 'validation_failed', 'Only an email address or phone number should be provided on login.');
		return this.db.transaction(async (tx) => {
			const [match] = await tx.query<{ id: string; banned: boolean }>(
				`select id::text, coalesce(banned_until > now(), false) as banned from auth.users
				 where lower(email) = $1 and encrypted_password is not null and deleted_at is null
				   and encrypted_password = extensions.crypt($2, encrypted_password)`,
				[email, password]
			);
			if (!email || !password || !match) throw new AuthError(400, 'invalid_credentials', 'Invalid login credentials');
			if (match.banned) throw new AuthError(400, 'user_banned', 'User is banned');
			await tx.query(`update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1`, [match.id]);
			await tx.query(`update auth.identities set last_sign_in_at = now() where user_id = $1`, [match.id]);
			return json(200, await this.#newSession(tx, match.id));
		});
	}

	/**
	 * Rotation with reuse detection, as GoTrue does it: each refresh revokes the presented
	 * token and issues its child. A revoked token is still honoured if it is the parent of the
	 * session's active token (the client lost the last answer) or was revoked less than
	 * the reuse interval ago; otherwise it is treated as stolen and the
	 * whole session ends.
	 */
	async #refreshGrant(request: ApiRequest): Promise<ApiResponse> {
		const body = readBody(request);
		const presented = typeof body.refresh_token === 'string' ? body.refresh_token : '';
		if (!presented) return json(400, { error: 'invalid_request', error_description: 'refresh_token required' });
		return this.db.transaction(async (tx) => {
			const [token] = await tx.query<{ id: string; session_id: string | null; user_id: string; revoked: boolean; recently_revoked: boolean }>(
				`select id::text, session_id::text, user_id, revoked,
				        updated_at > now() - make_interval(secs => $2) as recently_revoked
				 from auth.refresh_tokens where token = $1 for update`,
				[presented, this.options.refreshTokenReuseInterval ?? defaultRefreshTokenReuseInterval]
			);
			if (!token) throw new AuthError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
			const [session] = token.session_id
				? await tx.query<{ id: string }>('select id::text from auth.sessions where id = $1 for update', [token.session_id])
				: [];
			if (!session) throw new AuthError(400, 'session_not_found', 'Invalid Refresh Token: No Valid Session Found');
			const [user] = await tx.query<{ banned: boolean }>(
				'select coalesce(banned_until > now(), false) as banned from auth.users where id = $1::uuid',
				[token.user_id]
			);
			if (!user) throw new AuthError(400, 'user_not_found', 'Invalid Refresh Token: User Not Found');
			if (user.banned) throw new AuthError(400, 'user_banned', 'User is banned');

			if (token.revoked) {
				const [active] = await tx.query<{ token: string }>(
					`select token from auth.refresh_tokens where session_id = $1 and not revoked and parent = $2
					 order by id desc limit 1`,
					[session.id, presented]
				);
				if (active) {
					// The client never stored our last answer: give it the active token again.
					return json(200, await this.#sessionResponse(tx, token.user_id, session.id, active.token));
				}
				if (!token.recently_revoked) {
					// Returned, not thrown: ending the session must be committed.
					await tx.query('delete from auth.sessions where id = $1', [session.id]);
					return this.#error(request, new AuthError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used'));
				}
			}
			await tx.query('update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1 and not revoked', [token.id]);
			const next = refreshTokenValue();
			await tx.query(
				`insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
				 values ('00000000-0000-0000-0000-000000000000', $1, $2, false, now(), now(), $3, $4)`,
				[next, token.user_id, presented, session.id]
			);
			await tx.query('update auth.sessions set refreshed_at = now(), updated_at = now() where id = $1', [session.id]);
			return json(200, await this.#sessionResponse(tx, token.user_id, session.id, next));
		});
	}

	async #newSession(tx: SqlSession, userId: string): Promise<Record<string, unknown>> {
		const sessionId = randomUUID();
		await tx.query(`insert into auth.sessions (id, user_id, created_at, updated_at, aal) values ($1, $2, now(), now(), 'aal1')`, [sessionId, userId]);
		const token = refreshTokenValue();
		await tx.query(
			`insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
			 values ('00000000-0000-0000-0000-000000000000', $1, $2, false, now(), now(), null, $3)`,
			[token, userId, sessionId]
		);
		return this.#sessionResponse(tx, userId, sessionId, token);
	}

	async #loadUser(tx: SqlSession, userId: string): Promise<UserRow | undefined> {
		const [row] = await tx.query<UserRow>(`${selectUser} where u.id = $1::uuid`, [userId]);
		return row;
	}

	async #sessionResponse(tx: SqlSession, userId: string, sessionId: string, refreshToken: string): Promise<Record<string, unknown>> {
		const row = await this.#loadUser(tx, userId);
		if (!row) throw new AuthError(400, 'user_not_found', 'User not found');
		const [session] = await tx.query<{ created: number }>('select extract(epoch from created_at)::bigint as created from auth.sessions where id = $1', [sessionId]);
		const user = userJson(row);
		const iat = Math.floor(Date.now() / 1000);
		const exp = iat + accessTokenLifetime;
		// Claim names and order as GoTrue's AccessTokenClaims.
		const accessToken = signJwt(
			{
				iss: this.options.issuer,
				sub: userId,
				aud: 'authenticated',
				exp,
				iat,
				email: user.email,
				phone: user.phone,
				app_metadata: user.app_metadata,
				user_metadata: user.user_metadata,
				role: 'authenticated',
				aal: 'aal1',
				amr: [{ method: 'password', timestamp: Number(session?.created ?? iat) }],
				session_id: sessionId,
				is_anonymous: user.is_anonymous
			},
			this.options.jwtSecret
		);
		return {
			access_token: accessToken,
			token_type: 'bearer',
			expires_in: accessTokenLifetime,
			expires_at: exp,
			refresh_token: refreshToken,
			user
		};
	}

	/** The user and session behind a bearer access token, with GoTrue's refusals. */
	async #authenticate(tx: SqlSession, request: ApiRequest): Promise<{ user: UserRow; sessionId: string | undefined }> {
		const token = bearerToken(request);
		if (!token) throw new AuthError(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
		const result = verifyJwt(token, this.options.jwtSecret);
		if (!result.ok) {
			const details: Record<typeof result.reason, string> = {
				expired: 'token has invalid claims: token is expired',
				'not-yet-valid': 'token has invalid claims: token is not valid yet',
				'missing-exp': 'token is missing required claim: exp claim is required',
				'invalid-exp': 'token is malformed: could not JSON decode claim: exp is not a number',
				malformed: 'token is malformed',
				'bad-signature': 'signature is invalid'
			};
			const detail = details[result.reason];
			throw new AuthError(403, 'bad_jwt', `invalid JWT: unable to parse or verify signature, ${detail}`);
		}
		const sub = result.claims.sub;
		if (typeof sub !== 'string' || sub === '') throw new AuthError(403, 'bad_jwt', 'invalid claim: missing sub claim');
		if (!/^[0-9a-f-]{36}$/i.test(sub)) throw new AuthError(403, 'bad_jwt', 'invalid claim: sub claim must be a UUID');
		const user = await this.#loadUser(tx, sub);
		if (!user) throw new AuthError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
		const sessionId = typeof result.claims.session_id === 'string' ? result.claims.session_id : undefined;
		if (sessionId) {
			const found = /^[0-9a-f-]{36}$/i.test(sessionId) ? await tx.query('select 1 from auth.sessions where id = $1::uuid', [sessionId]) : [];
			if (!found.length) throw new AuthError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist');
		}
		return { user, sessionId };
	}

	async #getUser(request: ApiRequest): Promise<ApiResponse> {
		return this.db.transaction(async (tx) => json(200, userJson((await this.#authenticate(tx, request)).user)), { readOnly: true });
	}

	async #updateUser(request: ApiRequest): Promise<ApiResponse> {
		const body = readBody(request);
		return this.db.transaction(async (tx) => {
			const { user, sessionId } = await this.#authenticate(tx, request);
			if (body.email !== undefined || body.phone !== undefined) {
				throw new AuthError(422, 'validation_failed', 'Changing the email address or phone number is not supported by the local auth emulator');
			}
			if (body.data !== undefined) {
				if (typeof body.data !== 'object' || body.data === null || Array.isArray(body.data)) {
					throw new AuthError(400, 'validation_failed', 'data must be a JSON object');
				}
				// Merged key by key; a null value removes the key (GoTrue's rule).
				const metadata = { ...(user.raw_user_meta_data ?? {}) };
				for (const [key, value] of Object.entries(body.data)) {
					if (value === null) delete metadata[key];
					else metadata[key] = value;
				}
				await tx.query('update auth.users set raw_user_meta_data = $2::jsonb, updated_at = now() where id = $1::uuid', [user.id, JSON.stringify(metadata)]);
			}
			if (body.password !== undefined) {
				const password = typeof body.password === 'string' ? body.password : '';
				checkPassword(password);
				const [same] = await tx.query<{ same: boolean }>(
					'select encrypted_password is not null and encrypted_password = extensions.crypt($2, encrypted_password) as same from auth.users where id = $1::uuid',
					[user.id, password]
				);
				if (same?.same) throw new AuthError(422, 'same_password', 'New password should be different from the old password.');
				await tx.query(
					`update auth.users set encrypted_password = extensions.crypt($2, extensions.gen_salt('bf', 10)), updated_at = now() where id = $1::uuid`,
					[user.id, password]
				);
				// A new password ends every other session of the user.
				await tx.query('delete from auth.sessions where user_id = $1::uuid and ($2::uuid is null or id <> $2::uuid)', [user.id, sessionId ?? null]);
			}
			return json(200, userJson((await this.#loadUser(tx, user.id))!));
		});
	}

	async #logout(request: ApiRequest): Promise<ApiResponse> {
		const scope = request.search.get('scope') ?? 'global';
		if (!['global', 'local', 'others'].includes(scope)) {
			throw new AuthError(400, 'validation_failed', `Unsupported logout scope "${scope}"`);
		}
		return this.db.transaction(async (tx) => {
			const { user, sessionId } = await this.#authenticate(tx, request);
			if (scope === 'global' || !sessionId) {
				await tx.query('delete from auth.sessions where user_id = $1::uuid', [user.id]);
			} else if (scope === 'local') {
				await tx.query('delete from auth.sessions where id = $1::uuid', [sessionId]);
			} else {
				await tx.query('delete from auth.sessions where user_id = $1::uuid and id <> $2::uuid', [user.id, sessionId]);
			}
			return { status: 204, headers: {} };
		});
	}
}
