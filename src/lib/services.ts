/**
 * The composition root of the page: one Supabase client, one Microsoft sign-in and one OneDrive
 * (Graph) API, built from the validated configuration. Managers use these; components never do.
 *
 * MSAL and the Graph client are the two largest libraries and are needed only once someone is
 * signed in, so they are handed in as import()s: each downloads on its first use, and the
 * sign-in page carries neither.
 */
import { publicConfig, type PublicConfig } from '$lib/config';
import { MicrosoftAuth } from '$lib/auth/microsoft-auth';
import { OneDriveApi } from '$lib/graph/onedrive-api';
import { createSupabase, type ReeldriveSupabase } from '$lib/supabase/client';
import { connectivity } from '$lib/state/connectivity.svelte';

export interface Services {
	config: PublicConfig;
	supabase: ReeldriveSupabase;
	microsoft: MicrosoftAuth;
	graph: OneDriveApi;
}

let services: Services | undefined;

export function getServices(): Services {
	if (!publicConfig.ok) throw new Error('Reeldrive is not configured; the configuration page explains what to fix.');
	if (!services) {
		const config = publicConfig.config;
		// Any answer from Supabase's auth server means Reeldrive is reachable again.
		connectivity.useProbe(() =>
			fetch(`${config.supabase.url}/auth/v1/health`, { cache: 'no-store' }).then(
				() => true,
				() => false
			)
		);
		const microsoft = new MicrosoftAuth(config.microsoft, () => import('@azure/msal-browser'));
		services = {
			config,
			supabase: createSupabase(config.supabase.url, config.supabase.anonKey, (reachable) =>
				reachable ? connectivity.reportReachable() : connectivity.reportUnreachable()
			),
			microsoft,
			graph: new OneDriveApi({ baseUrl: config.graphBaseUrl, tokens: microsoft, load: () => import('$lib/graph/graph-client') })
		};
	}
	return services;
}
