-- record_onedrive_check(): writes a check's findings to the caller's own videos in OneDrive (or
-- flagged by a check), never to someone else's, never to an upload under way; anon cannot call it.
-- The new columns follow the videos policies: an owner may set them, another user may not.
begin;
select plan(14);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'alice@test.invalid'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'bob@test.invalid');

insert into public.videos (id, owner_id, drive_id, item_id, name, size_bytes, status, folder_path, error_code) values
  ('aaaaaaaa-4444-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'drive-a', 'item-1', 'one.mp4', 10, 'synced', '/Videos', null),
  ('aaaaaaaa-4444-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111', 'drive-a', 'item-2', 'two.mp4', 10, 'synced', '/Videos', null),
  ('aaaaaaaa-4444-4000-8000-000000000003', '11111111-1111-4111-8111-111111111111', 'drive-a', null, 'up.mp4', 10, 'uploading', null, null),
  ('aaaaaaaa-4444-4000-8000-000000000004', '11111111-1111-4111-8111-111111111111', 'drive-a', null, 'named.mp4', 10, 'conflict', null, 'name-conflict'),
  ('bbbbbbbb-4444-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'drive-b', 'item-9', 'bob.mp4', 10, 'synced', '/Bob', null);

-- Alice --------------------------------------------------------------------------------------
set local role authenticated;
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select is(
  public.record_onedrive_check($$[
    {"id":"aaaaaaaa-4444-4000-8000-000000000001","e_tag":"\"{A},2\"","c_tag":"\"c:{A},1\"","quick_xor_hash":"h1","folder_path":"/Videos","status":"synced","error_code":null,"error_message":null},
    {"id":"aaaaaaaa-4444-4000-8000-000000000002","e_tag":null,"c_tag":null,"quick_xor_hash":null,"folder_path":"/Videos","status":"conflict","error_code":"onedrive-changed","error_message":"Renamed in OneDrive to “zwei.mp4”."}
  ]$$::jsonb),
  2,
  'alice records a baseline and a flag on her own videos in one call'
);
select results_eq(
  $$ select e_tag, c_tag, quick_xor_hash, status::text, onedrive_checked_at is not null from public.videos where id = 'aaaaaaaa-4444-4000-8000-000000000001' $$,
  $$ values ('"{A},2"'::text, '"c:{A},1"'::text, 'h1'::text, 'synced'::text, true) $$,
  'the baseline keeps the tags and the hash OneDrive reported, and when it was checked'
);
select results_eq(
  $$ select status::text, error_code, error_message from public.videos where id = 'aaaaaaaa-4444-4000-8000-000000000002' $$,
  $$ values ('conflict'::text, 'onedrive-changed'::text, 'Renamed in OneDrive to “zwei.mp4”.'::text) $$,
  'the flag keeps its status, code and reason in words'
);
select is(
  public.record_onedrive_check($$[
    {"id":"aaaaaaaa-4444-4000-8000-000000000002","e_tag":null,"c_tag":null,"quick_xor_hash":null,"folder_path":"/Videos","status":"missing","error_code":"onedrive-deleted","error_message":"Deleted from OneDrive."}
  ]$$::jsonb),
  1,
  'a video flagged by a check can be checked again (now deleted)'
);
select is(
  public.record_onedrive_check($$[
    {"id":"aaaaaaaa-4444-4000-8000-000000000003","e_tag":"x","c_tag":null,"quick_xor_hash":null,"folder_path":null,"status":"synced","error_code":null,"error_message":null},
    {"id":"aaaaaaaa-4444-4000-8000-000000000004","e_tag":"x","c_tag":null,"quick_xor_hash":null,"folder_path":null,"status":"synced","error_code":null,"error_message":null}
  ]$$::jsonb),
  0,
  'an upload under way and an upload''s own name conflict are left to the upload'
);
select is(
  (select status::text from public.videos where id = 'aaaaaaaa-4444-4000-8000-000000000003'),
  'uploading',
  '… and the uploading row is unchanged'
);
select is(
  public.record_onedrive_check($$[
    {"id":"aaaaaaaa-4444-4000-8000-000000000001","e_tag":"x","c_tag":null,"quick_xor_hash":null,"folder_path":null,"status":"queued","error_code":null,"error_message":null}
  ]$$::jsonb),
  0,
  'a check cannot put a video back to queued'
);
select is(
  public.record_onedrive_check($$[
    {"id":"bbbbbbbb-4444-4000-8000-000000000001","e_tag":"x","c_tag":null,"quick_xor_hash":null,"folder_path":null,"status":"missing","error_code":"onedrive-deleted","error_message":"Deleted from OneDrive."}
  ]$$::jsonb),
  0,
  'naming bob''s video changes nothing'
);
select is(public.record_onedrive_check(null), 0, 'no findings change nothing');
select lives_ok(
  $$ update public.videos set e_tag = '"{A},3"', c_tag = '"c:{A},2"' where id = 'aaaaaaaa-4444-4000-8000-000000000001' $$,
  'alice may update the tags of her own video (accepting OneDrive''s version)'
);
select throws_ok(
  $$ update public.videos set e_tag = '' where id = 'aaaaaaaa-4444-4000-8000-000000000001' $$,
  '23514', null,
  'a blank eTag is refused'
);

-- Bob ----------------------------------------------------------------------------------------
set local request.jwt.claims = '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}';
update public.videos set e_tag = 'stolen', status = 'missing' where id = 'aaaaaaaa-4444-4000-8000-000000000001';
reset role;
select results_eq(
  $$ select e_tag, status::text from public.videos where id = 'aaaaaaaa-4444-4000-8000-000000000001' $$,
  $$ values ('"{A},3"'::text, 'synced'::text) $$,
  'bob cannot change the tags or status of alice''s video'
);
select is(
  (select status::text from public.videos where id = 'bbbbbbbb-4444-4000-8000-000000000001'),
  'synced',
  'alice''s call left bob''s video as it was'
);

-- anon -----------------------------------------------------------------------------------------
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';
select throws_ok(
  $$ select public.record_onedrive_check('[]'::jsonb) $$,
  '42501', null,
  'anon cannot call record_onedrive_check'
);

select * from finish();
rollback;
