-- videos.sync_version: an upload's row never goes back to an older snapshot, whatever order the
-- browser's writes arrive in; edits that do not carry a version pass; another owner's row stays
-- out of reach whatever version is sent.
begin;
select plan(10);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'alice@test.invalid'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'bob@test.invalid');

set local role authenticated;
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

-- The outbox's upsert, as supabase-js sends it (insert … on conflict do update).
prepare upsert_row(bigint, public.video_status, text) as
  insert into public.videos (id, drive_id, item_id, name, size_bytes, status, sync_version)
  values ('aaaaaaaa-2222-4000-8000-000000000001', 'drive-a', $3, 'clip.mp4', 1000, $2, $1)
  on conflict (id) do update set status = excluded.status, item_id = excluded.item_id,
    sync_version = excluded.sync_version;

select lives_ok($$ execute upsert_row(1, 'queued', null) $$, 'the first snapshot inserts the row');
select lives_ok($$ execute upsert_row(3, 'synced', 'item-1') $$, 'a newer snapshot updates it');
select lives_ok($$ execute upsert_row(2, 'uploading', null) $$, 'an older snapshot arriving late is accepted without an error');
select results_eq(
  $$ select status::text, item_id, sync_version from public.videos where id = 'aaaaaaaa-2222-4000-8000-000000000001' $$,
  $$ values ('synced', 'item-1'::text, 3::bigint) $$,
  '… and changes nothing: the row stays synced with its item'
);
select lives_ok($$ execute upsert_row(3, 'synced', 'item-1') $$, 'the same version again (a retry) is accepted');

select lives_ok(
  $$ update public.videos set name = 'renamed.mp4' where id = 'aaaaaaaa-2222-4000-8000-000000000001' $$,
  'an edit that does not carry a version (a rename) passes'
);
select results_eq(
  $$ select name, sync_version from public.videos where id = 'aaaaaaaa-2222-4000-8000-000000000001' $$,
  $$ values ('renamed.mp4'::text, 3::bigint) $$,
  '… and keeps the version'
);
select throws_ok(
  $$ insert into public.videos (drive_id, name, size_bytes, sync_version) values ('drive-a', 'x.mp4', 1, -1) $$,
  '23514', null,
  'a negative version is refused'
);

-- Bob cannot touch Alice's row by sending a higher version.
set local request.jwt.claims = '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}';
select is_empty(
  $$ update public.videos set status = 'error', sync_version = 99
     where id = 'aaaaaaaa-2222-4000-8000-000000000001' returning id $$,
  'bob cannot update alice''s row, whatever version he sends'
);
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';
select results_eq(
  $$ select status::text, sync_version from public.videos where id = 'aaaaaaaa-2222-4000-8000-000000000001' $$,
  $$ values ('synced'::text, 3::bigint) $$,
  'alice''s row is as she left it'
);

reset role;
select * from finish();
rollback;
