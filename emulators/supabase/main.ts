// Local Supabase-compatible API: `npx tsx emulators/supabase/main.ts [--port 54321]
// [--data-dir .local/supabase | --memory] [--no-seed]`. DATABASE_URL selects a real Postgres.
import { parseArgs } from 'node:util';
import { startSupabaseApi } from './src/index.js';

const { values } = parseArgs({
	options: {
		port: { type: 'string', default: process.env.SUPABASE_PORT ?? '54321' },
		'data-dir': { type: 'string', default: '.local/supabase' },
		memory: { type: 'boolean', default: false },
		'no-seed': { type: 'boolean', default: false },
		'app-origin': { type: 'string', multiple: true },
		quiet: { type: 'boolean', default: false }
	}
});

const api = await startSupabaseApi({
	port: Number(values.port),
	dataDir: values.memory ? undefined : values['data-dir'],
	databaseUrl: process.env.DATABASE_URL || undefined,
	seed: !values['no-seed'],
	appOrigins: values['app-origin'],
	quiet: values.quiet
});

console.log(`Supabase-compatible API: ${api.url}
  PUBLIC_SUPABASE_URL=${api.url}
  PUBLIC_SUPABASE_ANON_KEY=${api.anonKey}
  service_role key (local only): ${api.serviceRoleKey}
  demo users: alice@reeldrive.test, bob@reeldrive.test (password: reeldrive-demo)`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		if (stopping) return;
		stopping = true;
		api.close().then(
			() => process.exit(0),
			(error: unknown) => {
				console.error(error);
				process.exit(1);
			}
		);
	});
}
