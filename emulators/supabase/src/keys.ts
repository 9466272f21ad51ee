import { signJwt } from './jwt.js';

/**
 * The local JWT secret. NOT A SECRET: it is the Supabase CLI's public default, so the keys
 * below are the same well-known demo keys every `supabase start` prints, and a client
 * configured for the CLI's local stack works here unchanged. Never use it anywhere real.
 */
export const localJwtSecret = 'super-secret-jwt-token-with-at-least-32-characters-long';

/** The CLI's demo API keys: claims in this order, expiring in 2032. */
export function apiKey(role: 'anon' | 'service_role', secret = localJwtSecret): string {
	return signJwt({ iss: 'supabase-demo', role, exp: 1983812996 }, secret);
}
