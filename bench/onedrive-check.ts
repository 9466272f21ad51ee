// Prints how long the OneDrive check takes for N videos (default 1,000) through both local
// emulators: the first check (one item lookup per video through the official Graph client, and
// the tags recorded in pages of 500 through supabase-js), a check that finds nothing new, and a
// check after 10 files were renamed in OneDrive.
// Run: npx tsx bench/onedrive-check.ts [videos]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { startMicrosoftEmulator } from '../emulators/microsoft/src/index';
import { startSupabaseApi } from '../emulators/supabase/src/index';
import { graphItemLookup } from '../src/lib/adapters/onedrive-check-ports';
import { OneDriveApi } from '../src/lib/graph/onedrive-api';
import { runCheck } from '../src/lib/onedrive-check/check-run';
import type { ReeldriveSupabase } from '../src/lib/supabase/client';
import { OneDriveCheckRepository } from '../src/lib/supabase/onedrive-check';

const VIDEOS = Number(process.argv[2] ?? 1000);
const RENAMED = 10;
const CLIENT_ID = '5e2f7c1a-9b3d-4c8e-a1f0-7d6b2e9c4a10';

const dataDir = await mkdtemp(join(tmpdir(), 'reeldrive-bench-check-'));
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

	const seeded = await fetch(`${ms.url}/_emulator/drives/alice@contoso.test/seed`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ path: '/Checked', items: Array.from({ length: VIDEOS }, (_, i) => ({ name: `clip-${i}.mp4`, size: 1_000_000 + i })) })
	});
	if (!seeded.ok) throw new Error(await seeded.text());
	const listing = (await (await fetch(`${ms.url}/_emulator/drives/alice@contoso.test/files`)).json()) as {
		items: { id: string; path: string; size?: number; quickXorHash?: string; folder: boolean }[];
	};
	const files = listing.items.filter((item) => !item.folder && item.path.startsWith('/Checked/'));

	const onedrive = new OneDriveApi({ baseUrl: `${ms.url}/v1.0`, tokens: { getAccessToken: async () => token }, load: () => import('../src/lib/graph/graph-client') });
	const driveId = (await onedrive.drive()).id!;
	// Rows as uploads leave them: name, folder, size and hash, no tags yet.
	for (let i = 0; i < files.length; i += 500) {
		const { error } = await db.from('videos').insert(
			files.slice(i, i + 500).map((file) => ({
				drive_id: driveId,
				item_id: file.id,
				name: file.path.slice('/Checked/'.length),
				size_bytes: file.size!,
				quick_xor_hash: file.quickXorHash ?? null,
				folder_path: '/Checked',
				status: 'synced'
			}))
		);
		if (error) throw error;
	}

	const repo = new OneDriveCheckRepository(db as unknown as ReeldriveSupabase);
	const check = () =>
		runCheck({ tracked: (d) => repo.tracked(d), lookup: graphItemLookup(onedrive), record: (w) => repo.record(w) }, driveId, {
			formatDateTime: (iso) => iso
		});
	const timed = async (label: string) => {
		const started = performance.now();
		const outcome = await check();
		console.log(`${label}: ${((performance.now() - started) / 1000).toFixed(2)} s, ${outcome.checked} looked up, ${outcome.flagged} flagged, ${outcome.written} rows written`);
	};

	await timed(`first check of ${files.length} videos (tags recorded)`);
	await timed('check again, nothing changed');
	for (const file of files.slice(0, RENAMED)) {
		const renamed = await fetch(`${ms.url}/v1.0/me/drive/items/${encodeURIComponent(file.id)}`, {
			method: 'PATCH',
			headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
			body: JSON.stringify({ name: `renamed-${file.path.slice('/Checked/'.length)}` })
		});
		if (!renamed.ok) throw new Error(await renamed.text());
	}
	await timed(`check after ${RENAMED} renames in OneDrive`);
} finally {
	await ms.close();
	await api.close();
	await rm(dataDir, { recursive: true, force: true });
}
