/**
 * Reeldrive's public settings: what they must be, and the words that say what to fix. Pure and
 * free of build-time globals, so that both the app (src/lib/config.ts) and the production build
 * (vite.config.ts) use this one check and these same words.
 */

export interface AuthorityMetadata {
	issuer: string;
	authorization_endpoint: string;
	token_endpoint: string;
	end_session_endpoint: string;
	jwks_uri: string;
}

export interface PublicConfig {
	microsoft: {
		clientId: string;
		authority: string;
		knownAuthorities: string[];
		/** JSON text handed to MSAL as `authorityMetadata`; empty for the real Microsoft cloud. */
		authorityMetadata: string;
		redirectUri: string;
		scopes: string[];
	};
	graphBaseUrl: string;
	supabase: { url: string; anonKey: string };
}

export interface ConfigProblem {
	setting: string;
	message: string;
}

export type ConfigResult = { ok: true; config: PublicConfig } | { ok: false; problems: ConfigProblem[] };

/** The Graph permissions Reeldrive asks for; offline_access is what yields a refresh token. */
export const GRAPH_SCOPES = ['User.Read', 'Files.ReadWrite', 'offline_access'];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

function parseUrl(value: string): URL | undefined {
	try {
		return new URL(value);
	} catch {
		return undefined;
	}
}

function isLoopback(url: URL): boolean {
	return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

/** Checks every setting and reports all problems at once, each naming the setting to fix. */
export function parsePublicConfig(env: Record<string, string | undefined>): ConfigResult {
	const problems: ConfigProblem[] = [];
	const read = (setting: string): string => {
		const value = (env[setting] ?? '').trim();
		if (!value) problems.push({ setting, message: 'is not set.' });
		return value;
	};

	const httpUrl = (setting: string, { httpsOnly = false } = {}): string => {
		const value = read(setting);
		if (!value) return value;
		const url = parseUrl(value);
		if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
			problems.push({ setting, message: `must be a full http(s) URL, but is "${value}".` });
		} else if (url.protocol === 'http:' && (httpsOnly || !isLoopback(url))) {
			problems.push({
				setting,
				message: httpsOnly
					? 'must use https (MSAL refuses http authorities; see README, "Local emulators").'
					: 'must use https unless it points at this computer (localhost).'
			});
		}
		return value.replace(/\/+$/, '');
	};

	const clientId = read('PUBLIC_MS_CLIENT_ID');
	if (clientId && !GUID.test(clientId)) {
		problems.push({
			setting: 'PUBLIC_MS_CLIENT_ID',
			message: 'must be the Application (client) ID of your Azure app registration, a GUID.'
		});
	}
	const authority = httpUrl('PUBLIC_MS_AUTHORITY', { httpsOnly: true });
	const knownAuthorities = (env.PUBLIC_MS_KNOWN_AUTHORITIES ?? '')
		.split(',')
		.map((part) => part.trim())
		.filter(Boolean);

	const metadataText = (env.PUBLIC_MS_AUTHORITY_METADATA ?? '').trim();
	if (metadataText) {
		let metadata: Partial<AuthorityMetadata> | undefined;
		try {
			metadata = JSON.parse(metadataText) as Partial<AuthorityMetadata>;
		} catch {
			problems.push({ setting: 'PUBLIC_MS_AUTHORITY_METADATA', message: 'is not valid JSON.' });
		}
		if (metadata) {
			for (const key of ['authorization_endpoint', 'token_endpoint', 'end_session_endpoint', 'jwks_uri'] as const) {
				const endpoint = metadata[key];
				if (typeof endpoint !== 'string' || !parseUrl(endpoint)) {
					problems.push({ setting: 'PUBLIC_MS_AUTHORITY_METADATA', message: `needs a URL in "${key}".` });
				}
			}
			const host = authority ? parseUrl(authority)?.host : undefined;
			if (host && !knownAuthorities.includes(host)) {
				problems.push({
					setting: 'PUBLIC_MS_KNOWN_AUTHORITIES',
					message: `must list "${host}" when authority metadata is given, or MSAL will try to discover it online.`
				});
			}
		}
	}

	const redirectUri = httpUrl('PUBLIC_MS_REDIRECT_URI');
	const graphBaseUrl = httpUrl('PUBLIC_GRAPH_BASE_URL');
	const supabaseUrl = httpUrl('PUBLIC_SUPABASE_URL');
	const anonKey = read('PUBLIC_SUPABASE_ANON_KEY');
	if (anonKey && !JWT.test(anonKey)) {
		problems.push({
			setting: 'PUBLIC_SUPABASE_ANON_KEY',
			message: "must be your Supabase project's anon (public) key, a JWT."
		});
	}

	if (problems.length > 0) return { ok: false, problems };
	return {
		ok: true,
		config: {
			microsoft: {
				clientId,
				authority,
				knownAuthorities,
				authorityMetadata: metadataText,
				redirectUri,
				scopes: GRAPH_SCOPES
			},
			graphBaseUrl,
			supabase: { url: supabaseUrl, anonKey }
		}
	};
}

/** Words shared by the configuration page and the production build. */
export const CONFIG_PROBLEMS_TITLE = 'Reeldrive needs its settings';
export const CONFIG_PROBLEMS_ADVICE =
	'Fix these in the .env file used for the build (see .env.example and the README\'s "Deploying for real"), then build again:';

/** One problem as a sentence: the setting, then what is wrong with it. */
export function describeConfigProblem(problem: ConfigProblem): string {
	return `${problem.setting} ${problem.message}`;
}

/**
 * Why a build with these settings must not go out, or undefined when they are complete. A build
 * without them would only ever show the configuration page, so it stops here instead.
 */
export function buildConfigError(env: Record<string, string | undefined>): string | undefined {
	const result = parsePublicConfig(env);
	if (result.ok) return undefined;
	return [`${CONFIG_PROBLEMS_TITLE}.`, CONFIG_PROBLEMS_ADVICE, ...result.problems.map((problem) => `  - ${describeConfigProblem(problem)}`)].join('\n');
}
