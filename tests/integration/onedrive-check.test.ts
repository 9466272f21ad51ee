// The OneDrive check with its real adapters: item lookups through the app's OneDriveApi (the
// official Graph client) against the Microsoft emulator, and the Supabase repository through
// supabase-js against the local API (Postgres with RLS). Files are changed in the emulator the
// way a person would in OneDrive: new content, rename, move, delete.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { graphItemLookup } from '../../src/lib/adapters/onedrive-check-ports';
import { OneDriveApi } from '../../src/lib/graph/onedrive-api';
import { runCheck } from '../../src/lib/onedrive-check/check-run';
import { valuesFromItem } from '../../src/lib/onedrive-check/classify';
import type { ReeldriveSupabase } from '../../src/lib/supabase/client';
import { OneDriveCheckRepository } from '../../src/lib/supabase/onedrive-check';
import { control, graph, passwordToken, startHarness, type Harness } from '../../emulators/microsoft/tests/support';
import { signedIn, startTestApi } from '../../emulators/supabase/tests/support';
import type { SupabaseApi } from '../../emulators/supabase/src/index';

let ms: Harness;
let api: SupabaseApi;
let db: ReeldriveSupabase;
let repo: OneDriveCheckRepository;
let onedrive: OneDriveApi;
let token: string;
let driveId: string;

beforeAll(async () => {
	ms = await startHarness();
	api = await startTestApi();
	db = (await signedIn(api, 'alice@reeldrive.test')) as unknown as ReeldriveSupabase;
	repo = new OneDriveCheckRepository(db);
	token = await passwordToken(ms.em);
	onedrive = new OneDriveApi({
		baseUrl: `${ms.em.url}/v1.0`,
		tokens: { getAccessToken: async () => token },
		load: () => import('../../src/lib/graph/graph-client')
	});
	driveId = (await onedrive.drive()).id!;
});
afterAll(async () => {
	await ms?.stop();
	await api?.close();
});

const when = (iso: string) => iso;
const check = () =>
	runCheck({ tracked: (d) => repo.tracked(d), lookup: graphItemLookup(onedrive), record: (w) => repo.record(w) }, driveId, { formatDateTime: when });

async function rows() {
	const { data, error } = await db.from('videos').select('id,item_id,name,folder_path,status,error_code,error_message,e_tag,quick_xor_hash').like('folder_path', '/Checks*');
	if (error) throw error;
	return new Map(data.map((row) => [row.id, row]));
}

it('records tags, flags each change with its reason, and each answer works', async () => {
	await control(ms.em, 'POST', '/drives/alice@contoso.test/seed', {
		path: '/Checks',
		items: ['content', 'renamed', 'moved', 'deleted', 'same', 'spare'].map((name) => ({ name: `${name}.mp4`, size: 4096 })).concat([{ name: 'Archive', folder: true } as never])
	});
	const items = new Map<string, Awaited<ReturnType<OneDriveApi['itemByPath']>>>();
	for (const name of ['content', 'renamed', 'moved', 'deleted', 'same', 'spare']) items.set(name, await onedrive.itemByPath(`/Checks/${name}.mp4`));
	// Rows as an upload or import leaves them: no tags yet.
	const { data: inserted, error } = await db
		.from('videos')
		.insert(
			['content', 'renamed', 'moved', 'deleted', 'same'].map((name) => {
				const values = valuesFromItem(items.get(name)!)!;
				return { drive_id: driveId, item_id: values.item_id, name: values.name, size_bytes: values.size_bytes, quick_xor_hash: values.quick_xor_hash, folder_path: values.folder_path, status: 'synced' as const };
			})
		)
		.select('id,name');
	if (error) throw error;
	const id = new Map(inserted.map((row) => [row.name.replace('.mp4', ''), row.id]));

	// The first check only records what OneDrive has now.
	expect(await check()).toMatchObject({ flagged: 0, written: 5 });
	expect([...(await rows()).values()].every((row) => row.e_tag && row.status === 'synced')).toBe(true);
	expect(await check()).toMatchObject({ flagged: 0, written: 0 });

	// Changed in OneDrive.
	const put = await graph(ms.em, token, `/me/drive/items/${items.get('content')!.id}/content`, { method: 'PUT', body: new Uint8Array(5000).fill(7) });
	expect(put.status).toBe(200);
	expect((await graph(ms.em, token, `/me/drive/items/${items.get('renamed')!.id}`, { method: 'PATCH', json: { name: 'renamed final.mp4' } })).status).toBe(200);
	const archive = await onedrive.itemByPath('/Checks/Archive');
	expect((await graph(ms.em, token, `/me/drive/items/${items.get('moved')!.id}`, { method: 'PATCH', json: { parentReference: { id: archive.id } } })).status).toBe(200);
	expect((await graph(ms.em, token, `/me/drive/items/${items.get('deleted')!.id}`, { method: 'DELETE' })).status).toBe(204);

	expect(await check()).toMatchObject({ checked: 5, flagged: 4, written: 4 });
	let now = await rows();
	expect(now.get(id.get('content')!)).toMatchObject({ status: 'conflict', error_code: 'onedrive-changed' });
	expect(now.get(id.get('content')!)!.error_message).toMatch(/^Changed in OneDrive on \d{4}-.+ \(different content\)\.$/);
	expect(now.get(id.get('renamed')!)).toMatchObject({ status: 'conflict', error_message: 'Renamed in OneDrive to “renamed final.mp4”.', name: 'renamed.mp4' });
	expect(now.get(id.get('moved')!)).toMatchObject({ status: 'conflict', error_message: 'Moved to “/Checks/Archive”.', folder_path: '/Checks' });
	expect(now.get(id.get('deleted')!)).toMatchObject({ status: 'missing', error_code: 'onedrive-deleted', error_message: 'Deleted from OneDrive.' });
	expect(now.get(id.get('same')!)).toMatchObject({ status: 'synced', error_code: null });
	const flagged = await repo.flagged(50);
	expect(flagged.total).toBe(4);

	// A second check finds the same and writes nothing.
	expect(await check()).toMatchObject({ flagged: 4, written: 0 });

	// Accept OneDrive's version: the record takes the new content's hash and tags.
	const current = valuesFromItem(await onedrive.driveItem(driveId, items.get('content')!.id, { select: 'id,name,size,eTag,cTag,file,parentReference' }))!;
	await repo.takeItem(id.get('content')!, current);
	await repo.takeItem(id.get('renamed')!, valuesFromItem(await onedrive.driveItem(driveId, items.get('renamed')!.id, { select: 'id,name,size,eTag,cTag,file,parentReference' }))!);
	// Relink the moved one to the spare file; relinking to a file already in Reeldrive is refused.
	await expect(repo.takeItem(id.get('moved')!, valuesFromItem(items.get('same')!)!, 'That file')).rejects.toMatchObject({ code: 'data-conflict' });
	await repo.takeItem(id.get('moved')!, valuesFromItem(await onedrive.driveItem(driveId, items.get('spare')!.id, { select: 'id,name,size,eTag,cTag,file,parentReference' }))!);
	// Remove the deleted one from Reeldrive.
	await repo.remove(id.get('deleted')!);

	now = await rows();
	expect(now.get(id.get('content')!)).toMatchObject({ status: 'synced', error_code: null, error_message: null, quick_xor_hash: current.quick_xor_hash, e_tag: current.e_tag });
	expect(now.get(id.get('renamed')!)).toMatchObject({ status: 'synced', name: 'renamed final.mp4' });
	expect(now.get(id.get('moved')!)).toMatchObject({ status: 'synced', name: 'spare.mp4', item_id: items.get('spare')!.id });
	expect(now.has(id.get('deleted')!)).toBe(false);
	expect((await repo.flagged(50)).total).toBe(0);
	expect(await check()).toMatchObject({ checked: 4, flagged: 0, written: 0 });
});
