// Prints how long folder import takes over a 10,000-file OneDrive folder (50 Brand/Product
// folders of 200 videos): the scan (delta pages through the official Graph client against the
// Microsoft emulator, plus the existing-rows lookups), the writes (10,000 rows upserted in pages of
// 500 through supabase-js against the local API over PGlite), and a rescan after one change.
// Run: npx tsx bench/folder-import.ts [files]   (--smoke: 500 files)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { startMicrosoftEmulator } from '../emulators/microsoft/src/index';
import { startSupabaseApi } from '../emulators/supabase/src/index';
import { DownloadHeaderProbe, graphDeltaSource } from '../src/lib/adapters/onedrive-import-ports';
import { OneDriveApi } from '../src/lib/graph/onedrive-api';
import { ImportRun, type ImportDeps } from '../src/lib/import/import-run';
import { ProductCatalogue } from '../src/lib/import/product-rule';
import type { ReeldriveSupabase } from '../src/lib/supabase/client';
import { SupabaseImportStore } from '../src/lib/supabase/import-jobs';
import { figure, SMOKE } from './lib/results';

const FILES = /^\d+$/.test(process.argv[2] ?? '') ? Number(process.argv[2]) : SMOKE ? 500 : 10_000;
const PRODUCTS = 50;
const CLIENT_ID = '5e2f7c1a-9b3d-4c8e-a1f0-7d6b2e9c4a10';

const dataDir = await mkdtemp(join(tmpdir(), 'reeldrive-bench-import-'));
const ms = await startMicrosoftEmulator({ port: 0, contentPort: 0, quiet: true, dataDir });
const api = await startSupabaseApi({ port: 0, seed: true, quiet: true });
try {
	const tokenResponse = await fetch(`${ms.url}/common/oauth2/v2.0/token`, {
		method: 'POST',
		body: new URLSearchParams({ client_id: CLIENT_ID, grant_type: 'password', username: 'alice@contoso.test', password: 'reeldrive-demo', scope: 'Files.ReadWrite User.Read' })
	});
	const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
	const db = createClient(api.url, api.anonKey, { realtime: { transport: WebSocket as never }, auth: { persistSession: false, autoRefreshToken: false } });
	const signIn = await db.auth.signInWithPassword({ email: 'alice@reeldrive.test', password: 'reeldrive-demo' });
	if (signIn.error) throw signIn.error;

	const items = Array.from({ length: PRODUCTS }, (_, p) => ({
		name: `Product ${p}`,
		children: Array.from({ length: FILES / PRODUCTS }, (_, i) => ({ name: `clip-${i}.mp4`, size: 1_000_000 + i, video: { duration: 5000, width: 1920, height: 1080 } }))
	}));
	let started = performance.now();
	const seeded = await fetch(`${ms.url}/_emulator/drives/alice@contoso.test/seed`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ path: '/Big/Acme', items })
	});
	if (!seeded.ok) throw new Error(await seeded.text());
	console.log(`seeded ${FILES} files in ${PRODUCTS} folders: ${((performance.now() - started) / 1000).toFixed(1)} s (emulator set-up, not measured below)`);

	const onedrive = new OneDriveApi({ baseUrl: `${ms.url}/v1.0`, tokens: { getAccessToken: async () => token }, load: () => import('../src/lib/graph/graph-client') });
	const driveId = (await onedrive.drive()).id!;
	const folder = await onedrive.itemByPath('/Big');
	let pages = 0;
	const deps: ImportDeps = {
		store: new SupabaseImportStore(db as unknown as ReeldriveSupabase),
		source: graphDeltaSource(onedrive),
		probe: new DownloadHeaderProbe(onedrive),
		onChange: (run) => {
			pages = run.pagesRead;
		}
	};

	started = performance.now();
	const run = await ImportRun.start(deps, { driveId, folders: [{ id: folder.id, path: '/Big' }], catalogue: new ProductCatalogue([]) });
	const scanned = performance.now();
	await run.commit(new Map(), new Map());
	const linked = performance.now();
	console.log(`scan: ${((scanned - started) / 1000).toFixed(1)} s for ${run.counters.total_found} videos in ${pages} delta pages (with the lookups of existing rows)`);
	figure({ name: 'import.scan', unit: 's', runs: [(scanned - started) / 1000], note: `scan of ${FILES} files in ${PRODUCTS} folders (delta pages + existing-row lookups)` });
	figure({ name: 'import.link', unit: 's', runs: [(linked - scanned) / 1000], note: `writing ${FILES} rows in pages of 500` });
	console.log(`link: ${((linked - scanned) / 1000).toFixed(1)} s for ${run.counters.linked} rows and ${run.review!.drafts.size} new products, in pages of 500`);

	await fetch(`${ms.url}/_emulator/drives/alice@contoso.test/seed`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ path: '/Big/Acme/Product 0', items: [{ name: 'one-more.mp4', size: 123 }] })
	});
	const { data: job } = await db.from('import_jobs').select('*').eq('id', run.job.id).single();
	const { data: products } = await db.from('products').select('id,title,asin,brand');
	started = performance.now();
	const rescan = await ImportRun.start(deps, { driveId, folders: [], catalogue: new ProductCatalogue(products ?? []), previous: job as never });
	await rescan.commit(new Map(), new Map());
	console.log(`rescan after one new file: ${((performance.now() - started) / 1000).toFixed(2)} s, ${rescan.counters.linked} row written`);
} finally {
	await ms.close();
	await api.close();
	await rm(dataDir, { recursive: true, force: true });
}
