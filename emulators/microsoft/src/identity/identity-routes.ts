/**
 * Microsoft identity platform v2.0 endpoints under /{tenant}/: discovery, JWKS, authorize (with
 * scriptless sign-in, account-picker and consent pages), token (authorization code with PKCE,
 * refresh token, resource-owner password) and logout. Errors follow Entra's shapes and AADSTS codes.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Fault } from '../control/faults';
import { CLIENT_ID, APP_NAME, type Emulator } from '../emulator';
import { BodyTooLargeError, decodeComponent, encodeParams, header, MalformedEncodingError, readCookie, readSmallBody, redirect, sendEmpty, sendHtml, sendJson, type Headers } from '../http-util';
import { ownEntry } from '../own-entry';
import { readJsonFile, writeJsonFile } from '../storage/json-file';
import type { Account } from './accounts';
import { consentPage, formPostPage, messagePage, pickAccountPage, signInPage, staySignedInPage } from './pages';
import { hasScope, isOidcScope, normalizeScope, resourceScopes, splitScopes, unknownScope } from './scopes';
import { TokenService, type RefreshTokenPayload } from './tokens';

interface AuthorizeRequest {
	tenant: string;
	clientId: string;
	redirectUri: string;
	responseMode: 'query' | 'fragment' | 'form_post';
	scopes: string[];
	state?: string;
	nonce?: string;
	codeChallenge?: string;
	codeChallengeMethod?: 'S256' | 'plain';
	prompt?: 'none' | 'login' | 'select_account' | 'consent';
	loginHint?: string;
	/** Accepted and ignored: it only skips home-realm discovery, which has nothing to skip here. */
	domainHint?: string;
	clientInfo: boolean;
}

interface AuthorizationCode {
	request: AuthorizeRequest;
	accountId: string;
	createdAt: number;
	authTime: number;
	sid: string;
	redeemed: boolean;
}

interface BrowserSession {
	/** Signed-in accounts and when each signed in. */
	accounts: Map<string, number>;
	/** "Stay signed in?" was answered Yes: the cookie outlives the browser. */
	persistent: boolean;
	/** Last sign-in or SSO answer from this session (emulator ms); persistent sessions slide from it. */
	lastUsed: number;
}

/** Persistent sessions as kept in `sessions.json`, so they outlive an emulator restart too. */
interface PersistedSessions {
	version: 1;
	sessions: Array<{ id: string; accounts: Array<[string, number]>; lastUsed: number }>;
}

interface Interaction {
	request: AuthorizeRequest;
	createdAt: number;
	accountId?: string;
	/**
	 * Set by a password sign-in until "Stay signed in?" is answered: the session that sign-in
	 * made. The answer counts only from the browser holding that session's cookie (CSRF).
	 */
	kmsiSession?: string;
}

const TENANT_ALIASES = new Set(['common', 'organizations', 'consumers']);
const INTERACTION_MS = 30 * 60 * 1000;

class AadError extends Error {
	constructor(
		readonly error: string,
		readonly code: number,
		readonly description: string,
		readonly status = 400,
		readonly suberror?: string
	) {
		super(description);
	}
}

/**
 * Sends one of the pages a person reads (sign-in, "Stay signed in?", picker, consent, errors,
 * signed out). Entra refuses to render any page that needs the person inside a frame, with
 * `X-Frame-Options: DENY` (Microsoft in MicrosoftDocs/azure-docs#114759; MSAL's "Using MSAL in
 * iframed apps"): a hidden iframe can only ever be answered by the redirect back to the app,
 * which carries no framing header (the identity reference, §10.5, describes that iframe flow but
 * not the headers). CSP `frame-ancestors` is not sent: only X-Frame-Options is documented.
 */
function sendPage(res: ServerResponse, status: number, html: string, headers: Headers = {}): void {
	sendHtml(res, status, html, { 'X-Frame-Options': 'DENY', ...headers });
}

function aadTimestamp(ms: number): string {
	return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export class IdentityRoutes {
	readonly tokens: TokenService;
	private codes = new Map<string, AuthorizationCode>();
	private sessions = new Map<string, BrowserSession>();
	private interactions = new Map<string, Interaction>();

	constructor(private readonly em: Emulator) {
		this.tokens = new TokenService(em);
		this.loadSessions();
		em.resetListeners.push(() => {
			this.codes.clear();
			this.sessions.clear();
			this.interactions.clear();
			this.saveSessions();
		});
		em.sessionRevokers.push((accountId) => this.endSessionsOf(accountId));
	}

	private get cookieName(): string {
		return `msemu_session_${new URL(this.em.url).port}`;
	}

	/** Returns false when the path is not an identity path. */
	async handle(req: IncomingMessage, res: ServerResponse, url: URL, fault: () => Fault | undefined): Promise<boolean> {
		const match = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/(authorize|token|logout))$/.exec(url.pathname);
		if (!match) return false;
		const endpoint = match[3] ?? match[2]!;
		const page = endpoint === 'authorize' || endpoint === 'logout';
		let tenant: string;
		try {
			tenant = decodeComponent(match[1]!);
		} catch (error) {
			if (!(error instanceof MalformedEncodingError)) throw error;
			const invalid = new AadError('invalid_request', 900023, `Specified tenant identifier '${match[1]}' is neither a valid DNS name, nor a valid external domain.`);
			// Each endpoint answers in the shape it uses for other bad requests: a page or JSON.
			if (page) sendPage(res, 400, messagePage('Sign-in error', `AADSTS${invalid.code}: ${invalid.description}`));
			else this.sendTokenError(req, res, url, invalid);
			return true;
		}
		try {
			if (endpoint.startsWith('v2.0/.well-known')) this.discovery(req, res, tenant);
			else if (endpoint.startsWith('discovery/')) this.jwks(req, res);
			else if (endpoint === 'authorize') await this.authorize(req, res, url, tenant);
			else if (endpoint === 'token') await this.token(req, res, url, fault);
			else await this.logout(req, res, url);
		} catch (error) {
			if (!page || res.headersSent) throw error;
			// Only the pages read the session cookie, whose value the client may have mangled.
			if (error instanceof MalformedEncodingError) {
				sendPage(res, 400, messagePage('Sign-in error', `AADSTS90100: The sign-in session cookie is not valid: ${error.message} Clear this site's cookies and try again.`));
			} else if (error instanceof BodyTooLargeError) {
				sendPage(res, 400, messagePage('Sign-in error', 'AADSTS90015: The request is too large.'));
			} else throw error;
		}
		return true;
	}

	// ---- discovery and keys ----

	private publicCors(req: IncomingMessage, res: ServerResponse): boolean {
		if (req.method === 'OPTIONS') {
			sendEmpty(res, 200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, OPTIONS', 'Access-Control-Max-Age': 86400 });
			return true;
		}
		return false;
	}

	private discovery(req: IncomingMessage, res: ServerResponse, tenant: string): void {
		if (this.publicCors(req, res)) return;
		const base = `${this.em.url}/${tenant}`;
		const issuerTenant = TENANT_ALIASES.has(tenant.toLowerCase()) ? '{tenantid}' : tenant;
		sendJson(
			res,
			200,
			{
				token_endpoint: `${base}/oauth2/v2.0/token`,
				token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
				jwks_uri: `${base}/discovery/v2.0/keys`,
				response_modes_supported: ['query', 'fragment', 'form_post'],
				subject_types_supported: ['pairwise'],
				id_token_signing_alg_values_supported: ['RS256'],
				response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
				scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
				issuer: `${this.em.url}/${issuerTenant}/v2.0`,
				request_uri_parameter_supported: false,
				userinfo_endpoint: `${this.em.url}/oidc/userinfo`,
				authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
				device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
				http_logout_supported: true,
				frontchannel_logout_supported: true,
				end_session_endpoint: `${base}/oauth2/v2.0/logout`,
				claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
				tenant_region_scope: null,
				cloud_instance_name: 'microsoftonline.com',
				cloud_graph_host_name: 'graph.windows.net',
				msgraph_host: new URL(this.em.url).host
			},
			{ 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, OPTIONS' }
		);
	}

	private jwks(req: IncomingMessage, res: ServerResponse): void {
		if (this.publicCors(req, res)) return;
		const { publicJwk, kid } = this.em.signingKey;
		sendJson(
			res,
			200,
			{ keys: [{ ...publicJwk, use: 'sig', kid, x5t: kid, issuer: `${this.em.url}/{tenantid}/v2.0` }] },
			{ 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, OPTIONS' }
		);
	}

	// ---- authorize ----

	private async formOrQuery(req: IncomingMessage, url: URL): Promise<URLSearchParams> {
		if (req.method !== 'POST') return url.searchParams;
		return new URLSearchParams((await readSmallBody(req, 64 * 1024)).toString('utf8'));
	}

	private async authorize(req: IncomingMessage, res: ServerResponse, url: URL, tenant: string): Promise<void> {
		if (req.method !== 'GET' && req.method !== 'POST') {
			sendPage(res, 405, messagePage('Sign-in error', 'AADSTS900561: The endpoint only accepts GET and POST requests.'), { Allow: 'GET, POST' });
			return;
		}
		const params = await this.formOrQuery(req, url);
		const ctx = params.get('ctx');
		if (req.method === 'POST' && ctx !== null) {
			await this.continueInteraction(req, res, url, ctx, params);
			return;
		}
		const parsed = this.parseAuthorize(params, tenant);
		if ('page' in parsed) {
			sendPage(res, 400, messagePage('Sign-in error', parsed.page));
			return;
		}
		if ('redirectError' in parsed) {
			this.sendAuthorizeResponse(res, parsed.request, {
				error: parsed.redirectError.error,
				error_description: this.describe(parsed.redirectError),
				state: parsed.request.state
			});
			return;
		}
		const request = parsed.request;
		const sid = this.sessionId(req);
		const session = sid ? this.sessions.get(sid) : undefined;
		const signedIn = session ? [...session.accounts.keys()].map((id) => this.em.accountById(id)).filter((a): a is Account => !!a) : [];
		const hint = request.loginHint !== undefined ? parseLoginHint(request.loginHint) : undefined;
		const hinted = hint ? signedIn.find((a) => a.id === hint.oid || a.email === hint.email) : undefined;
		const single = hinted ?? (signedIn.length === 1 && !hint ? signedIn[0] : undefined);

		if (request.prompt === 'none') {
			// Reference §3 and §10.5: no UI; login_required (AADSTS50058) when the session has no
			// user, several and no hint, or none matching the login_hint. This is also how a
			// session cookie that did not survive a browser restart ends.
			if (!single) {
				const why = signedIn.length === 0 ? 'no user is signed in' : hint ? 'none of the currently signed in user(s) match the requested login hint' : 'more than one user is signed in and no login hint says which';
				this.sendAuthorizeResponse(res, request, {
					error: 'login_required',
					error_description: this.describe(new AadError('login_required', 50058, `A silent sign-in request was sent but ${why}.`)),
					state: request.state
				});
				return;
			}
			if (!this.hasConsent(single, request)) {
				this.sendAuthorizeResponse(res, request, {
					error: 'consent_required',
					error_description: this.describe(new AadError('consent_required', 65001, `The user or administrator has not consented to use the application with ID '${request.clientId}'.`)),
					state: request.state
				});
				return;
			}
			this.issueCode(res, request, single, session!.accounts.get(single.id)!, sid!);
			return;
		}
		const interaction = this.newInteraction(request);
		if (request.prompt === 'select_account' && signedIn.length > 0) {
			this.showPicker(res, url, interaction, signedIn);
			return;
		}
		if (request.prompt !== 'login' && single) {
			interaction.accountId = single.id;
			await this.afterSignIn(req, res, url, interaction, single, sid);
			return;
		}
		this.showSignIn(res, url, interaction);
	}

	private parseAuthorize(
		params: URLSearchParams,
		tenant: string
	): { page: string } | { redirectError: AadError; request: AuthorizeRequest } | { request: AuthorizeRequest } {
		const clientId = params.get('client_id');
		if (!clientId) return { page: "AADSTS900144: The request body must contain the following parameter: 'client_id'." };
		if (clientId !== CLIENT_ID) {
			return { page: `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'.` };
		}
		const registered = this.em.redirectUris();
		const redirectUri = params.get('redirect_uri') ?? registered[0]!;
		if (!registered.includes(redirectUri)) {
			return {
				page: `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${CLIENT_ID}'.`
			};
		}
		const responseType = params.get('response_type');
		const modeParam = params.get('response_mode');
		const request: AuthorizeRequest = {
			tenant,
			clientId,
			redirectUri,
			responseMode: modeParam === 'fragment' || modeParam === 'form_post' ? modeParam : 'query',
			scopes: splitScopes(params.get('scope') ?? undefined),
			state: params.get('state') ?? undefined,
			nonce: params.get('nonce') ?? undefined,
			loginHint: params.get('login_hint') ?? undefined,
			domainHint: params.get('domain_hint') ?? undefined,
			clientInfo: params.get('client_info') === '1'
		};
		const fail = (error: AadError) => ({ redirectError: error, request });
		if (modeParam !== null && !['query', 'fragment', 'form_post'].includes(modeParam)) {
			return fail(new AadError('invalid_request', 90100, `The response_mode '${modeParam}' is not supported.`));
		}
		if (!responseType) return fail(new AadError('invalid_request', 900144, "The request body must contain the following parameter: 'response_type'."));
		if (responseType !== 'code') {
			return fail(new AadError('unsupported_response_type', 700054, `The provided value for the input parameter 'response_type' isn't allowed for this client. Expected value is 'code'.`));
		}
		if (request.scopes.length === 0) return fail(new AadError('invalid_request', 900144, "The request body must contain the following parameter: 'scope'."));
		const unknown = unknownScope(request.scopes);
		if (unknown) return fail(new AadError('invalid_scope', 70011, `The provided value for the input parameter 'scope' isn't valid. The scope '${unknown}' doesn't exist.`));
		const challenge = params.get('code_challenge');
		const method = params.get('code_challenge_method');
		if (challenge !== null) {
			if (method !== null && method !== 'S256' && method !== 'plain') {
				return fail(new AadError('invalid_request', 90100, `The code_challenge_method '${method}' is not supported. Use S256 or plain.`));
			}
			if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(challenge)) {
				return fail(new AadError('invalid_request', 501491, 'Invalid size of Code_Challenge parameter.'));
			}
			request.codeChallenge = challenge;
			// Without a method, the challenge is taken as plain.
			request.codeChallengeMethod = (method as 'S256' | 'plain' | null) ?? 'plain';
		} else if (method !== null) {
			return fail(new AadError('invalid_request', 900144, "The request body must contain the following parameter: 'code_challenge'."));
		}
		const prompt = params.get('prompt');
		if (prompt !== null) {
			if (!['none', 'login', 'select_account', 'consent'].includes(prompt)) {
				return fail(new AadError('invalid_request', 90100, `The prompt value '${prompt}' is not supported.`));
			}
			request.prompt = prompt as AuthorizeRequest['prompt'];
		}
		return { request };
	}

	private newInteraction(request: AuthorizeRequest): { id: string } & Interaction {
		const now = this.em.clock.now();
		for (const [id, old] of this.interactions) if (now - old.createdAt > INTERACTION_MS) this.interactions.delete(id);
		const id = randomBytes(18).toString('base64url');
		const interaction = { request, createdAt: now };
		this.interactions.set(id, interaction);
		return Object.assign(interaction, { id });
	}

	private actionUrl(url: URL, request: AuthorizeRequest): string {
		return `${this.em.url}/${encodeURIComponent(request.tenant)}/oauth2/v2.0/authorize`;
	}

	private showSignIn(res: ServerResponse, url: URL, interaction: { id: string } & Interaction, error?: string, login?: string): void {
		sendPage(
			res,
			200,
			signInPage({
				action: this.actionUrl(url, interaction.request),
				ctx: interaction.id,
				appName: APP_NAME,
				login: login ?? this.hintedEmail(interaction.request),
				accounts: this.em.listAccounts().map((a) => a.email),
				error
			})
		);
	}

	private showPicker(res: ServerResponse, url: URL, interaction: { id: string } & Interaction, accounts: Account[]): void {
		sendPage(
			res,
			200,
			pickAccountPage({
				action: this.actionUrl(url, interaction.request),
				ctx: interaction.id,
				appName: APP_NAME,
				accounts: accounts.map((a) => ({ id: a.id, email: a.email, name: a.displayName }))
			})
		);
	}

	private async continueInteraction(req: IncomingMessage, res: ServerResponse, url: URL, ctx: string, form: URLSearchParams): Promise<void> {
		const stored = this.interactions.get(ctx);
		if (!stored || this.em.clock.now() - stored.createdAt > INTERACTION_MS) {
			sendPage(res, 400, messagePage('Sign-in error', 'AADSTS90015: The sign-in request has expired or is unknown. Start again from the application.'));
			return;
		}
		const interaction = Object.assign(stored, { id: ctx });
		const request = interaction.request;
		const action = form.get('action');
		const step = form.get('step');
		if (action === 'cancel') {
			this.interactions.delete(ctx);
			const description = step === 'consent' ? this.describe(new AadError('access_denied', 65004, 'User declined to consent to access the app.')) : 'the user canceled the authentication';
			this.sendAuthorizeResponse(res, request, { error: 'access_denied', error_description: description, state: request.state });
			return;
		}
		if (step === 'pick') {
			if (action === 'other') {
				this.showSignIn(res, url, interaction);
				return;
			}
			const session = this.sessionOf(req);
			const account = this.em.accountById(form.get('account') ?? '');
			if (!account || !session?.accounts.has(account.id)) {
				this.showSignIn(res, url, interaction);
				return;
			}
			interaction.accountId = account.id;
			await this.afterSignIn(req, res, url, interaction, account);
			return;
		}
		if (step === 'signin') {
			const login = (form.get('login') ?? '').trim();
			const account = this.em.accountByEmail(login);
			if (!account) {
				this.showSignIn(res, url, interaction, "AADSTS50034: The user account doesn't exist in the directory. Check the email address.", login);
				return;
			}
			if (form.get('password') !== account.password) {
				this.showSignIn(res, url, interaction, 'AADSTS50126: Error validating credentials due to invalid username or password.', login);
				return;
			}
			const sid = this.signIn(req, account);
			interaction.accountId = account.id;
			if (this.em.settings.staySignedInPrompt) {
				interaction.kmsiSession = sid;
				this.showStaySignedIn(res, url, interaction, account, sid);
				return;
			}
			// With the question turned off, Entra never keeps the session past the browser.
			this.setPersistent(sid, false);
			await this.afterSignIn(req, res, url, interaction, account, sid);
			return;
		}
		if (step === 'kmsi') {
			// The answer counts only from the browser whose sign-in asked it: the form's ctx must
			// come with the session cookie that sign-in set. A page elsewhere can post a ctx of its
			// own (from its own sign-in) but never with this browser's cookie, so it cannot make
			// someone else's session persistent or plant its own session here. One answer per sign-in.
			const sid = this.sessionId(req);
			const account = interaction.accountId ? this.em.accountById(interaction.accountId) : undefined;
			if (!interaction.kmsiSession || sid !== interaction.kmsiSession || !account || (action !== 'yes' && action !== 'no')) {
				sendPage(res, 400, messagePage('Sign-in error', 'AADSTS90100: This "Stay signed in?" answer does not belong to a sign-in in this browser. Start again from the application.'));
				return;
			}
			interaction.kmsiSession = undefined;
			this.setPersistent(sid, action === 'yes');
			await this.afterSignIn(req, res, url, interaction, account, sid);
			return;
		}
		if (step === 'consent' && action === 'accept' && interaction.accountId) {
			const account = this.em.accountById(interaction.accountId);
			if (!account) {
				this.showSignIn(res, url, interaction);
				return;
			}
			this.recordConsent(account, request);
			this.finish(req, res, interaction, account);
			return;
		}
		sendPage(res, 400, messagePage('Sign-in error', 'AADSTS90100: The sign-in form was not understood.'));
	}

	private showStaySignedIn(res: ServerResponse, url: URL, interaction: { id: string } & Interaction, account: Account, sid: string): void {
		sendPage(
			res,
			200,
			staySignedInPage({ action: this.actionUrl(url, interaction.request), ctx: interaction.id, email: account.email, lifetime: durationText(this.em.lifetimes.persistentSessionSeconds) }),
			// The session exists from the password on; until the answer its cookie is a session cookie
			// (or stays persistent if this browser's session already was).
			this.sessionCookie(sid)
		);
	}

	/** `sid`: the browser session, when known (a sign-in in this very request has not reached the cookie yet). */
	private async afterSignIn(req: IncomingMessage, res: ServerResponse, url: URL, interaction: { id: string } & Interaction, account: Account, sid?: string): Promise<void> {
		const request = interaction.request;
		if (this.em.settings.autoConsent) this.recordConsent(account, request);
		if (request.prompt === 'consent' || !this.hasConsent(account, request)) {
			const wanted = resourceScopes(request.scopes);
			sendPage(res, 200, consentPage({ action: this.actionUrl(url, request), ctx: interaction.id, appName: APP_NAME, email: account.email, scopes: wanted }), sid ? this.sessionCookie(sid) : {});
			return;
		}
		this.finish(req, res, interaction, account, sid);
	}

	private finish(req: IncomingMessage, res: ServerResponse, interaction: { id: string } & Interaction, account: Account, knownSid?: string): void {
		this.interactions.delete(interaction.id);
		const sid = knownSid ?? this.sessionId(req) ?? this.signIn(req, account);
		const authTime = this.sessions.get(sid)?.accounts.get(account.id) ?? this.em.clock.now();
		this.issueCode(res, interaction.request, account, authTime, sid);
	}

	private hasConsent(account: Account, request: AuthorizeRequest): boolean {
		const granted = new Set(ownEntry(account.consents, request.clientId) ?? []);
		return resourceScopes(request.scopes).every((scope) => granted.has(normalizeScope(scope)));
	}

	private recordConsent(account: Account, request: AuthorizeRequest): void {
		const granted = new Set(ownEntry(account.consents, request.clientId) ?? []);
		for (const scope of resourceScopes(request.scopes)) granted.add(normalizeScope(scope));
		account.consents[request.clientId] = [...granted];
		this.em.persistAccounts();
	}

	// ---- browser session ----

	/**
	 * The browser's session, if its cookie names a live one. A persistent session ends after
	 * `persistentSessionSeconds` without use (Microsoft: 90 days, extended by each use); a
	 * session-only one lasts as long as the browser keeps its cookie, as before.
	 */
	private sessionId(req: IncomingMessage): string | undefined {
		const id = readCookie(req, this.cookieName);
		const session = id === undefined ? undefined : this.sessions.get(id);
		if (!session) return undefined;
		if (session.persistent && this.em.clock.now() - session.lastUsed > this.em.lifetimes.persistentSessionSeconds * 1000) {
			this.sessions.delete(id!);
			this.saveSessions();
			return undefined;
		}
		return id;
	}

	private sessionOf(req: IncomingMessage): BrowserSession | undefined {
		const id = this.sessionId(req);
		return id ? this.sessions.get(id) : undefined;
	}

	/** Adds the account to this browser's session (a new one if there is none) and returns its id. */
	private signIn(req: IncomingMessage, account: Account): string {
		const now = this.em.clock.now();
		let sid = this.sessionId(req);
		if (!sid) {
			sid = randomUUID();
			this.sessions.set(sid, { accounts: new Map(), persistent: false, lastUsed: now });
		}
		const session = this.sessions.get(sid)!;
		session.accounts.set(account.id, now);
		session.lastUsed = now;
		if (session.persistent) this.saveSessions();
		return sid;
	}

	/**
	 * Signs the account out of every browser session (revokeSignInSessions: "and session cookies in
	 * a user's browser"); a session left with nobody in it ends. Returns how many sessions it was in.
	 */
	private endSessionsOf(accountId: string): number {
		let ended = 0;
		for (const [id, session] of this.sessions) {
			if (!session.accounts.delete(accountId)) continue;
			ended++;
			if (session.accounts.size === 0) this.sessions.delete(id);
		}
		if (ended > 0) this.saveSessions();
		return ended;
	}

	/** The "Stay signed in?" answer: the whole browser session keeps it (one cookie, as one answer per browser). */
	private setPersistent(sid: string, persistent: boolean): void {
		const session = this.sessions.get(sid);
		if (!session) return;
		session.persistent = persistent;
		session.lastUsed = this.em.clock.now();
		this.saveSessions();
	}

	/**
	 * The session cookie: persistent (Max-Age and Expires) after "Stay signed in?" → Yes, else a
	 * session cookie the browser drops when it closes. Microsoft's docs: "Persistent session
	 * tokens are stored as persistent cookies ... Non-persistent session tokens are stored as
	 * session cookies" (Web browser cookies used in Microsoft Entra authentication: ESTSAUTH /
	 * ESTSAUTHPERSISTENT). `SameSite=None; Secure` as Entra's cookies: browsers accept Secure
	 * cookies from http://localhost (a potentially trustworthy origin), and None lets the cookie
	 * reach a hidden iframe even when the app is on another site. The identity reference is silent
	 * on cookies; emulators/README.md explains the choice.
	 */
	private sessionCookie(sid: string): Headers {
		const attributes = ['Path=/'];
		if (this.sessions.get(sid)?.persistent) {
			const seconds = this.em.lifetimes.persistentSessionSeconds;
			// A browser counts the cookie's life in real time, not on the emulator's clock; the
			// session itself ends on the emulator's clock (sessionId), which tests move forward.
			attributes.push(`Max-Age=${seconds}`, `Expires=${new Date(Date.now() + seconds * 1000).toUTCString()}`);
		}
		attributes.push('HttpOnly', 'Secure', 'SameSite=None');
		return { 'Set-Cookie': `${this.cookieName}=${sid}; ${attributes.join('; ')}` };
	}

	/** Deletes the cookie (logout), whichever kind it was. */
	private expiredSessionCookie(): Headers {
		return { 'Set-Cookie': `${this.cookieName}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=None` };
	}

	private get sessionsFile(): string {
		return join(this.em.dataDir, 'sessions.json');
	}

	/** Persistent sessions from the data folder, so that "Stay signed in" also survives an emulator restart. */
	private loadSessions(): void {
		let stored: PersistedSessions | undefined;
		try {
			stored = readJsonFile<PersistedSessions>(this.sessionsFile);
		} catch {
			stored = undefined; // a damaged file costs only the sessions in it
		}
		for (const entry of Array.isArray(stored?.sessions) ? stored.sessions : []) {
			if (typeof entry?.id !== 'string' || !Array.isArray(entry.accounts) || typeof entry.lastUsed !== 'number') continue;
			const accounts = entry.accounts.filter((a): a is [string, number] => Array.isArray(a) && typeof a[0] === 'string' && typeof a[1] === 'number');
			this.sessions.set(entry.id, { accounts: new Map(accounts), persistent: true, lastUsed: entry.lastUsed });
		}
	}

	private saveSessions(): void {
		const sessions = [...this.sessions].filter(([, s]) => s.persistent).map(([id, s]) => ({ id, accounts: [...s.accounts], lastUsed: s.lastUsed }));
		writeJsonFile(this.sessionsFile, { version: 1, sessions } satisfies PersistedSessions);
	}

	/** The e-mail a login_hint names, to fill in on the sign-in page. */
	private hintedEmail(request: AuthorizeRequest): string | undefined {
		if (request.loginHint === undefined) return undefined;
		const hint = parseLoginHint(request.loginHint);
		return hint.email ?? (hint.oid ? this.em.accountById(hint.oid)?.email : undefined);
	}

	// ---- authorize responses ----

	/** Answers with a code from browser session `sid`; the use extends a persistent session and its cookie. */
	private issueCode(res: ServerResponse, request: AuthorizeRequest, account: Account, authTime: number, sid: string): void {
		const session = this.sessions.get(sid);
		if (session) {
			session.lastUsed = this.em.clock.now();
			if (session.persistent) this.saveSessions();
		}
		const headers = this.sessionCookie(sid);
		const code = `1.${randomBytes(48).toString('base64url')}`;
		this.codes.set(code, { request, accountId: account.id, createdAt: this.em.clock.now(), authTime, sid, redeemed: false });
		this.sendAuthorizeResponse(
			res,
			request,
			{
				code,
				client_info: request.clientInfo ? this.clientInfo(account) : undefined,
				state: request.state,
				session_state: sid
			},
			headers
		);
	}

	private sendAuthorizeResponse(res: ServerResponse, request: AuthorizeRequest, params: Record<string, string | undefined>, headers: Headers = {}): void {
		if (request.responseMode === 'form_post') {
			sendHtml(res, 200, formPostPage(request.redirectUri, params), headers);
			return;
		}
		const encoded = encodeParams(params);
		const target =
			request.responseMode === 'fragment'
				? `${request.redirectUri}#${encoded}`
				: `${request.redirectUri}${request.redirectUri.includes('?') ? '&' : '?'}${encoded}`;
		redirect(res, target, headers);
	}

	private clientInfo(account: Account): string {
		return Buffer.from(JSON.stringify({ uid: account.id, utid: account.tenantId })).toString('base64url');
	}

	private describe(error: AadError, correlationId: string = randomUUID()): string {
		return `AADSTS${error.code}: ${error.description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${aadTimestamp(this.em.clock.now())}`;
	}

	// ---- logout ----

	private async logout(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
		const params = await this.formOrQuery(req, url);
		const hadCookie = readCookie(req, this.cookieName) !== undefined;
		const sid = this.sessionId(req);
		const hint = params.get('logout_hint');
		let ended = hadCookie && !sid;
		if (sid) {
			// Reference §8: logout_hint (the id_token's login_hint claim) names the one account to
			// sign out; without it the whole browser session ends, persistent or not.
			const session = this.sessions.get(sid)!;
			const hinted = hint ? parseLoginHint(hint).oid : undefined;
			if (hinted && session.accounts.has(hinted)) session.accounts.delete(hinted);
			else session.accounts.clear();
			if (session.accounts.size === 0) {
				this.sessions.delete(sid);
				ended = true;
			}
			this.saveSessions();
		}
		// An ended session's cookie is deleted, a persistent one included, so nothing is left to restore.
		const cookie = ended ? this.expiredSessionCookie() : {};
		const target = params.get('post_logout_redirect_uri');
		if (target) {
			if (!this.em.redirectUris().includes(target)) {
				sendPage(res, 400, messagePage('Sign-out error', `AADSTS50011: The post_logout_redirect_uri '${target}' does not match a redirect URI registered for the application.`), cookie);
				return;
			}
			const state = params.get('state');
			redirect(res, state ? `${target}${target.includes('?') ? '&' : '?'}${encodeParams({ state })}` : target, cookie);
			return;
		}
		sendPage(res, 200, messagePage('You signed out of your account', "It's a good idea to close all browser windows."), cookie);
	}

	// ---- token ----

	private tokenCors(req: IncomingMessage): Headers {
		const origin = header(req, 'origin');
		if (origin && this.em.tokenOrigins().has(origin)) return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
		return {};
	}

	private tokenHeaders(req: IncomingMessage): Headers {
		return {
			...this.tokenCors(req),
			'Cache-Control': 'no-store, no-cache',
			Pragma: 'no-cache',
			Expires: '-1',
			'x-ms-request-id': randomUUID(),
			'x-ms-ests-server': 'reeldrive-emulator'
		};
	}

	private sendTokenError(req: IncomingMessage, res: ServerResponse, url: URL, error: AadError, extra: Headers = {}): void {
		const correlationId = url.searchParams.get('client-request-id') ?? header(req, 'client-request-id') ?? randomUUID();
		const now = this.em.clock.now();
		const body: Record<string, unknown> = {
			error: error.error,
			error_description: this.describe(error, correlationId),
			error_codes: [error.code],
			timestamp: aadTimestamp(now),
			trace_id: randomUUID(),
			correlation_id: correlationId,
			error_uri: `${this.em.url}/error?code=${error.code}`
		};
		if (error.suberror) body.suberror = error.suberror;
		sendJson(res, error.status, body, { ...this.tokenHeaders(req), ...extra });
	}

	private async token(req: IncomingMessage, res: ServerResponse, url: URL, takeFault: () => Fault | undefined): Promise<void> {
		if (req.method === 'OPTIONS') {
			const cors = this.tokenCors(req);
			sendEmpty(res, 200, {
				...cors,
				...(cors['Access-Control-Allow-Origin']
					? {
							'Access-Control-Allow-Methods': 'POST, OPTIONS',
							'Access-Control-Allow-Headers': header(req, 'access-control-request-headers') ?? 'content-type',
							'Access-Control-Max-Age': 86400
						}
					: {})
			});
			return;
		}
		if (req.method !== 'POST') {
			this.sendTokenError(req, res, url, new AadError('invalid_request', 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${req.method} request.`));
			return;
		}
		const fault = takeFault();
		if (fault?.status) {
			const error = fault.code ?? (fault.status === 429 || fault.status >= 500 ? 'temporarily_unavailable' : 'invalid_request');
			this.sendTokenError(req, res, url, new AadError(error, fault.status === 429 ? 90055 : 90033, 'A transient error has occurred. Please try again.', fault.status), fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {});
			return;
		}
		let form: URLSearchParams;
		try {
			const type = (header(req, 'content-type') ?? '').toLowerCase();
			const body = await readSmallBody(req, 64 * 1024);
			form = type.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
		} catch (error) {
			if (error instanceof BodyTooLargeError) {
				this.sendTokenError(req, res, url, new AadError('invalid_request', 90015, 'The request is too large.'));
				return;
			}
			throw error;
		}
		try {
			const result = await this.grant(req, form);
			sendJson(res, 200, result, this.tokenHeaders(req));
		} catch (error) {
			if (error instanceof AadError) this.sendTokenError(req, res, url, error);
			else throw error;
		}
	}

	private required(form: URLSearchParams, name: string): string {
		const value = form.get(name);
		if (!value) throw new AadError('invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);
		return value;
	}

	private async grant(req: IncomingMessage, form: URLSearchParams): Promise<Record<string, unknown>> {
		const grantType = this.required(form, 'grant_type');
		const clientId = this.required(form, 'client_id');
		if (clientId !== CLIENT_ID) {
			throw new AadError('unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory.`);
		}
		if (form.has('client_secret') || form.has('client_assertion')) {
			throw new AadError('invalid_client', 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.", 401);
		}
		const origin = header(req, 'origin');
		if (grantType === 'authorization_code') return this.redeemCode(form, origin);
		if (grantType === 'refresh_token') return this.redeemRefreshToken(form, origin);
		if (grantType === 'password') return this.passwordGrant(form);
		throw new AadError('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
	}

	private async redeemCode(form: URLSearchParams, origin: string | undefined): Promise<Record<string, unknown>> {
		const codeValue = this.required(form, 'code');
		const redirectUri = this.required(form, 'redirect_uri');
		const code = this.codes.get(codeValue);
		if (!code || code.request.clientId !== form.get('client_id')) {
			throw new AadError('invalid_grant', 70000, 'The provided authorization code is invalid or malformed.');
		}
		if (code.redeemed) {
			throw new AadError('invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.');
		}
		if (this.em.clock.now() - code.createdAt > this.em.lifetimes.codeSeconds * 1000) {
			this.codes.delete(codeValue);
			throw new AadError('invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.');
		}
		if (redirectUri !== code.request.redirectUri) {
			throw new AadError('invalid_grant', 50011, `The redirect URI '${redirectUri}' specified in the request does not match the redirect URI used to get the authorization code.`);
		}
		// Every registered redirect URI is of type "spa": redemption must come from a browser.
		if (!origin) {
			throw new AadError('invalid_request', 9002327, "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.");
		}
		if (!code.request.codeChallenge) {
			throw new AadError('invalid_request', 9002325, 'Proof Key for Code Exchange is required for cross-origin authorization code redemption.');
		}
		const verifier = form.get('code_verifier') ?? '';
		const computed = code.request.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
		if (!verifier || computed !== code.request.codeChallenge) {
			throw new AadError('invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.');
		}
		code.redeemed = true;
		const account = this.em.accountById(code.accountId);
		if (!account) throw new AadError('invalid_grant', 50034, "The user account doesn't exist in the directory.");
		const granted = code.request.scopes;
		const requested = splitScopes(form.get('scope') ?? undefined);
		const unknown = unknownScope(requested);
		if (unknown) throw new AadError('invalid_scope', 70011, `The provided value for the input parameter 'scope' isn't valid. The scope '${unknown}' doesn't exist.`);
		const scopes = requested.length > 0 ? requested : granted;
		const grantedSet = new Set(resourceScopes(granted).map(normalizeScope));
		const missing = resourceScopes(scopes).find((s) => !grantedSet.has(normalizeScope(s)));
		if (missing) throw new AadError('invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${CLIENT_ID}' for the scope '${missing}'.`, 400, 'consent_required');
		return this.tokenResponse(account, {
			clientId: CLIENT_ID,
			scopes,
			nonce: code.request.nonce,
			sid: code.sid,
			authTime: code.authTime,
			spa: true,
			clientInfo: form.get('client_info') === '1'
		});
	}

	private async redeemRefreshToken(form: URLSearchParams, origin: string | undefined): Promise<Record<string, unknown>> {
		const token = this.required(form, 'refresh_token');
		const payload = this.tokens.parseRefreshToken(token);
		if (!payload || payload.cid !== form.get('client_id')) {
			throw new AadError('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.', 400, 'bad_token');
		}
		const account = this.em.accountById(payload.acc);
		if (!account) throw new AadError('invalid_grant', 50034, "The user account doesn't exist in the directory.");
		const now = this.em.clock.now();
		if (account.refreshTokensRevokedBefore !== undefined && payload.iat <= account.refreshTokensRevokedBefore) {
			throw new AadError('invalid_grant', 50173, `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${new Date(payload.iat).toISOString()}'.`);
		}
		if (payload.spa && !origin) {
			throw new AadError('invalid_request', 9002327, "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.");
		}
		if (!payload.spa && origin) {
			throw new AadError('invalid_request', 9002326, `Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '${origin}'.`);
		}
		if (now >= payload.exp) {
			if (payload.spa) {
				throw new AadError(
					'invalid_grant',
					700084,
					`The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of ${spaLifetimeText(this.em.lifetimes.spaRefreshSeconds)}, which can't be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on ${new Date(payload.auth).toISOString()}.`
				);
			}
			throw new AadError('invalid_grant', 700082, `The refresh token has expired due to inactivity. The token was issued on ${new Date(payload.iat).toISOString()} and was inactive for ${Math.round(this.em.lifetimes.refreshSeconds / 86400)} days.`);
		}
		const requested = splitScopes(form.get('scope') ?? undefined);
		const unknown = unknownScope(requested);
		if (unknown) throw new AadError('invalid_scope', 70011, `The provided value for the input parameter 'scope' isn't valid. The scope '${unknown}' doesn't exist.`);
		const consented = new Set([...payload.scp.map(normalizeScope), ...(ownEntry(account.consents, payload.cid) ?? [])]);
		const missing = resourceScopes(requested).find((s) => !consented.has(normalizeScope(s)));
		if (missing) {
			throw new AadError('invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${payload.cid}' for the scope '${missing}'.`, 400, 'consent_required');
		}
		const scopes = requested.length > 0 ? requested : [...payload.scp, ...payload.oidc];
		return this.tokenResponse(account, {
			clientId: payload.cid,
			scopes,
			authTime: payload.auth,
			spa: payload.spa,
			fixedRefreshExpiry: payload.spa ? payload.exp : undefined,
			familyId: payload.fid,
			clientInfo: form.get('client_info') === '1'
		});
	}

	private async passwordGrant(form: URLSearchParams): Promise<Record<string, unknown>> {
		const username = this.required(form, 'username');
		const password = this.required(form, 'password');
		const scopes = splitScopes(this.required(form, 'scope'));
		const unknown = unknownScope(scopes);
		if (unknown) throw new AadError('invalid_scope', 70011, `The provided value for the input parameter 'scope' isn't valid. The scope '${unknown}' doesn't exist.`);
		const account = this.em.accountByEmail(username);
		if (!account) throw new AadError('invalid_grant', 50034, "The user account doesn't exist in the directory.");
		if (account.password !== password) throw new AadError('invalid_grant', 50126, 'Error validating credentials due to invalid username or password.');
		return this.tokenResponse(account, { clientId: CLIENT_ID, scopes, authTime: this.em.clock.now(), spa: false, clientInfo: form.get('client_info') === '1' });
	}

	private async tokenResponse(
		account: Account,
		args: { clientId: string; scopes: string[]; nonce?: string; sid?: string; authTime: number; spa: boolean; fixedRefreshExpiry?: number; familyId?: string; clientInfo: boolean }
	): Promise<Record<string, unknown>> {
		const resource = resourceScopes(args.scopes);
		const oidc = args.scopes.filter(isOidcScope);
		const accessScopes = resource.length > 0 ? resource : ['User.Read'];
		const expiresIn = this.tokens.accessLifetime();
		const body: Record<string, unknown> = {
			token_type: 'Bearer',
			scope: [...accessScopes, ...oidc.filter((s) => s.toLowerCase() !== 'offline_access')].join(' '),
			expires_in: expiresIn,
			ext_expires_in: expiresIn,
			access_token: await this.tokens.accessToken(account, args.clientId, accessScopes, expiresIn)
		};
		if (hasScope(args.scopes, 'offline_access')) {
			const now = this.em.clock.now();
			const exp = args.fixedRefreshExpiry ?? (args.spa ? args.authTime + this.em.lifetimes.spaRefreshSeconds * 1000 : now + this.em.lifetimes.refreshSeconds * 1000);
			body.refresh_token = this.tokens.refreshToken({
				acc: account.id,
				cid: args.clientId,
				scp: accessScopes,
				oidc,
				exp,
				spa: args.spa,
				auth: args.authTime,
				fid: args.familyId ?? randomUUID()
			} satisfies Omit<RefreshTokenPayload, 'iat'>);
			if (args.spa) body.refresh_token_expires_in = Math.max(0, Math.floor((exp - now) / 1000));
		}
		if (hasScope(args.scopes, 'openid')) {
			body.id_token = await this.tokens.idToken(account, args.clientId, { nonce: args.nonce, sid: args.sid, authTime: args.authTime, scopes: args.scopes });
		}
		if (args.clientInfo) body.client_info = this.clientInfo(account);
		return body;
	}
}

function spaLifetimeText(seconds: number): string {
	const days = Math.floor(seconds / 86400);
	const rest = seconds % 86400;
	const hh = String(Math.floor(rest / 3600)).padStart(2, '0');
	const mm = String(Math.floor((rest % 3600) / 60)).padStart(2, '0');
	const ss = String(rest % 60).padStart(2, '0');
	return `${days}.${hh}:${mm}:${ss}`;
}

/**
 * A login_hint (or logout_hint): an e-mail address, or the opaque `login_hint` claim of an
 * id_token from this emulator (base64url JSON `{oid, tid, upn}`), which MSAL sends in preference
 * to the username (reference §6, §10.8; msal-common's Authorize.createAuthorizeUrlQueryString).
 */
function parseLoginHint(hint: string): { email?: string; oid?: string } {
	const text = hint.trim();
	if (!text.includes('@')) {
		try {
			const claim: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
			if (claim && typeof claim === 'object') {
				const { oid, upn } = claim as Record<string, unknown>;
				return { oid: typeof oid === 'string' ? oid : undefined, email: typeof upn === 'string' ? upn.toLowerCase() : undefined };
			}
		} catch {
			// not the opaque form: taken as a user name below
		}
	}
	return { email: text.toLowerCase() };
}

/** "90 days", "1 hour": the persistent-session lifetime in the page's words. */
function durationText(seconds: number): string {
	const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
	if (seconds % 86400 === 0) return unit(seconds / 86400, 'day');
	if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour');
	if (seconds % 60 === 0) return unit(seconds / 60, 'minute');
	return unit(seconds, 'second');
}
