-- Folder import: importing the same OneDrive item twice updates one row (the upsert the app
-- sends), per owner; a video names only its owner's job; a failed job says why; delta cursors
-- are one link per folder; and another user can neither see nor touch any of it.
begin;
select plan(26);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'alice@test.invalid'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'bob@test.invalid');

select col_is_unique('public', 'videos', array['owner_id', 'drive_id', 'item_id'],
  'videos are unique by owner, drive and OneDrive item');

-- Alice imports ------------------------------------------------------------------------------
set local role authenticated;
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select lives_ok(
  $$ insert into public.import_jobs (id, drive_id, folders) values
       ('aaaaaaaa-3333-4000-8000-000000000001', 'drive-a', '[{"id":"folder-1","path":"/Imports"}]') $$,
  'alice starts an import job'
);

-- The import's write, as supabase-js sends it: insert … on conflict (owner_id, drive_id, item_id) do update.
prepare import_row(text, bigint, text) as
  insert into public.videos (drive_id, item_id, name, size_bytes, status, folder_path,
                             item_created_at, item_modified_at, import_job_id)
  values ('drive-a', $1, $3, $2, 'synced', '/Imports/Acme', '2026-01-02T03:04:05Z', '2026-01-03T03:04:05Z',
          'aaaaaaaa-3333-4000-8000-000000000001')
  on conflict (owner_id, drive_id, item_id) do update
    set name = excluded.name, size_bytes = excluded.size_bytes, import_job_id = excluded.import_job_id;

select lives_ok($$ execute import_row('item-1', 1000, 'clip.mp4') $$, 'the first import inserts the video');
select lives_ok($$ execute import_row('item-1', 2000, 'clip-renamed.mp4') $$, 'importing the same item again is accepted');
select results_eq(
  $$ select count(*)::int, min(name), min(size_bytes)::int from public.videos where item_id = 'item-1' $$,
  $$ values (1, 'clip-renamed.mp4'::text, 2000) $$,
  '… and updates the one row instead of adding a second'
);
select results_eq(
  $$ select item_created_at, item_modified_at from public.videos where item_id = 'item-1' $$,
  $$ values ('2026-01-02T03:04:05Z'::timestamptz, '2026-01-03T03:04:05Z'::timestamptz) $$,
  'the file''s created and modified dates are kept'
);
select throws_ok(
  $$ insert into public.videos (drive_id, item_id, name, size_bytes, status) values ('drive-a', 'item-1', 'dup.mp4', 5, 'synced') $$,
  '23505', null,
  'a plain second insert of the same item is refused'
);
select lives_ok(
  $$ insert into public.videos (drive_id, item_id, name, size_bytes, status) values ('drive-b', 'item-1', 'other-drive.mp4', 5, 'synced') $$,
  'the same item id on another drive is another video'
);

-- Jobs: counters, reasons, cursors ----------------------------------------------------------
select throws_ok(
  $$ update public.import_jobs set status = 'failed' where id = 'aaaaaaaa-3333-4000-8000-000000000001' $$,
  '23514', null, 'a failed job must say why it stopped'
);
select results_eq(
  $$ update public.import_jobs set status = 'failed', error_code = 'graph-unavailable',
       error_message = 'OneDrive is having trouble right now.', linked = 1, failed = 2, completed_at = now()
     where id = 'aaaaaaaa-3333-4000-8000-000000000001' returning status::text, error_code $$,
  $$ values ('failed', 'graph-unavailable'::text) $$,
  'a failed job keeps its counters and its reason'
);
select results_eq(
  $$ select count(*)::int from public.videos where import_job_id = 'aaaaaaaa-3333-4000-8000-000000000001' $$,
  array[1],
  '… and the video it linked stays linked to it'
);
select throws_ok(
  $$ update public.import_jobs set error_code = 'Not A Code' $$,
  '23514', null, 'an error code is kebab-case'
);
select throws_ok(
  $$ update public.import_jobs set removed = -1 $$,
  '23514', null, 'the removed counter cannot go negative'
);
select lives_ok(
  $$ update public.import_jobs set delta_cursor = '{"folder-1":"https://graph.microsoft.com/v1.0/me/drive/items/folder-1/delta?token=a","folder-2":"x"}' $$,
  'a cursor is one delta link per folder'
);
select throws_ok(
  $$ update public.import_jobs set delta_cursor = '"https://graph.microsoft.com/delta?token=a"' $$,
  '23514', null, 'a bare link (not per folder) is refused'
);
select throws_ok(
  $$ update public.import_jobs set delta_cursor = '{"folder-1": 5}' $$,
  '23514', null, 'a cursor''s links must be strings'
);
select throws_ok(
  $$ update public.import_jobs set drive_id = ' ' $$,
  '23514', null, 'a blank drive id is refused'
);

-- Bob ------------------------------------------------------------------------------------------
set local request.jwt.claims = '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}';

select is_empty($$ select 1 from public.import_jobs $$, 'bob sees none of alice''s jobs');
select lives_ok(
  $$ insert into public.videos (drive_id, item_id, name, size_bytes, status) values ('drive-a', 'item-1', 'bob.mp4', 3000, 'synced')
     on conflict (owner_id, drive_id, item_id) do update set name = excluded.name, size_bytes = excluded.size_bytes $$,
  'bob importing an item with the same ids makes his own row (unique per owner)');
select throws_ok(
  $$ insert into public.videos (drive_id, item_id, name, size_bytes, status, import_job_id)
     values ('drive-b', 'item-9', 'planted.mp4', 5, 'synced', 'aaaaaaaa-3333-4000-8000-000000000001') $$,
  '23503', null,
  'bob cannot name alice''s job on his video'
);
select is_empty(
  $$ update public.import_jobs set status = 'cancelled' returning 1 $$,
  'bob''s update of alice''s job touches no row'
);
select results_eq(
  $$ select name, size_bytes::int from public.videos $$,
  $$ values ('bob.mp4'::text, 3000) $$,
  'bob sees only his own video'
);

-- Alice again ----------------------------------------------------------------------------------
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select results_eq(
  $$ select name, size_bytes::int from public.videos where drive_id = 'drive-a' $$,
  $$ values ('clip-renamed.mp4'::text, 2000) $$,
  'alice''s row is untouched by bob''s import'
);
select lives_ok(
  $$ delete from public.import_jobs where id = 'aaaaaaaa-3333-4000-8000-000000000001' $$,
  'alice can delete a job that linked videos'
);
select results_eq(
  $$ select count(*)::int, count(import_job_id)::int from public.videos where drive_id = 'drive-a' $$,
  $$ values (1, 0) $$,
  'its videos stay, no longer pointing at the job'
);

-- Anon -------------------------------------------------------------------------------------------
reset role;
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';

select throws_ok(
  $$ insert into public.videos (owner_id, drive_id, item_id, name, size_bytes)
     values ('11111111-1111-4111-8111-111111111111', 'drive-a', 'item-1', 'x.mp4', 1)
     on conflict (owner_id, drive_id, item_id) do nothing $$,
  '42501', 'permission denied for table videos', 'anon cannot import'
);

reset role;
select * from finish();
rollback;
