-- onedrive_connections: one row per owner, visible and changeable by that owner only.
begin;
select plan(20);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'alice@test.invalid'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'bob@test.invalid');

set local role authenticated;
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select lives_ok(
  $$ insert into public.onedrive_connections
       (microsoft_account_id, microsoft_username, drive_id, drive_type, default_folder_id, default_folder_path)
     values ('ms-alice', 'alice@outlook.test', 'drive-a', 'personal', 'folder-1', '/Videos/Reeldrive') $$,
  'alice can record her OneDrive connection'
);
select is(
  (select status::text from public.onedrive_connections),
  'connected',
  'a new connection is connected'
);
select throws_ok(
  $$ insert into public.onedrive_connections (microsoft_account_id) values ('ms-alice-2') $$,
  '23505', null, 'a user has at most one connection'
);
select throws_ok(
  $$ insert into public.onedrive_connections (owner_id, microsoft_account_id)
     values ('22222222-2222-4222-8222-222222222222', 'ms-planted') $$,
  '42501', 'new row violates row-level security policy for table "onedrive_connections"',
  'alice cannot create a connection for bob'
);

set local request.jwt.claims = '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}';

select lives_ok(
  $$ insert into public.onedrive_connections (microsoft_account_id, drive_type)
     values ('ms-bob', 'business') $$,
  'bob can record his own connection'
);
select results_eq(
  $$ select microsoft_account_id from public.onedrive_connections $$,
  array['ms-bob'],
  'bob sees only his own connection'
);
select is_empty(
  $$ update public.onedrive_connections set status = 'needs_reauth'
     where microsoft_account_id = 'ms-alice' returning 1 $$,
  'bob''s update of alice''s connection touches no row'
);
select is_empty(
  $$ delete from public.onedrive_connections where microsoft_account_id = 'ms-alice' returning 1 $$,
  'bob''s delete of alice''s connection touches no row'
);
select throws_ok(
  $$ update public.onedrive_connections set owner_id = '11111111-1111-4111-8111-111111111111' $$,
  '42501', null, 'bob cannot move his connection to alice'
);

set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select results_eq(
  $$ select status::text from public.onedrive_connections $$,
  array['connected'],
  'alice''s connection is untouched by bob'
);
select results_eq(
  $$ update public.onedrive_connections set status = 'needs_reauth' returning status::text $$,
  array['needs_reauth'],
  'alice can mark her connection as needing sign-in again'
);
select throws_ok(
  $$ update public.onedrive_connections set status = 'disconnected' $$,
  '23514', null, 'disconnecting requires disconnected_at'
);
select lives_ok(
  $$ update public.onedrive_connections set status = 'disconnected', disconnected_at = now() $$,
  'alice can disconnect with a timestamp'
);
select throws_ok(
  $$ update public.onedrive_connections set status = 'revoked' $$,
  '22P02', null, 'an unknown status is refused'
);
select throws_ok(
  $$ update public.onedrive_connections set drive_type = 'sharepoint' $$,
  '22P02', null, 'an unknown drive type is refused'
);
select throws_ok(
  $$ update public.onedrive_connections set microsoft_account_id = ' ' $$,
  '23514', null, 'the Microsoft account id cannot be blank'
);
select results_eq(
  $$ delete from public.onedrive_connections returning microsoft_account_id $$,
  array['ms-alice'],
  'alice can delete only her own connection'
);

reset role;
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';

select throws_ok(
  $$ select 1 from public.onedrive_connections $$,
  '42501', 'permission denied for table onedrive_connections', 'anon cannot read connections'
);
select throws_ok(
  $$ insert into public.onedrive_connections (owner_id, microsoft_account_id)
     values ('11111111-1111-4111-8111-111111111111', 'ms-anon') $$,
  '42501', 'permission denied for table onedrive_connections', 'anon cannot insert connections'
);
select throws_ok(
  $$ update public.onedrive_connections set status = 'connected' $$,
  '42501', 'permission denied for table onedrive_connections', 'anon cannot update connections'
);

reset role;
select * from finish();
rollback;
