-- video_sync_summary(): counts only the caller's videos, leaves out the ids their browser
-- counts itself (and nothing when the ids are someone else's), and anon cannot call it.
begin;
select plan(11);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'alice@test.invalid'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'bob@test.invalid');
insert into public.products (id, owner_id, title) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'Alice kettle');

-- Written as the service role would (no RLS), so both users' rows exist before either looks.
insert into public.videos (id, owner_id, product_id, drive_id, item_id, name, size_bytes, status, uploaded_at) values
  ('aaaaaaaa-3333-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001',
   'drive-a', 'item-1', 'old.mp4', 10, 'synced', '2026-11-20T10:00:00Z'),
  ('aaaaaaaa-3333-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111', null,
   'drive-a', 'item-2', 'new.mp4', 10, 'synced', '2026-11-25T10:00:00Z'),
  ('aaaaaaaa-3333-4000-8000-000000000003', '11111111-1111-4111-8111-111111111111', null,
   'drive-a', null, 'paused.mp4', 10, 'queued', null),
  ('aaaaaaaa-3333-4000-8000-000000000004', '11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001',
   'drive-a', null, 'failed.mp4', 10, 'error', null),
  ('bbbbbbbb-3333-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', null,
   'drive-b', 'item-9', 'bob.mp4', 10, 'synced', '2026-11-26T10:00:00Z'),
  ('bbbbbbbb-3333-4000-8000-000000000002', '22222222-2222-4222-8222-222222222222', null,
   'drive-b', null, 'bob-queued.mp4', 10, 'queued', null),
  ('bbbbbbbb-3333-4000-8000-000000000003', '22222222-2222-4222-8222-222222222222', null,
   'drive-b', 'item-8', 'bob-missing.mp4', 10, 'missing', null);

-- Alice ------------------------------------------------------------------------------------
set local role authenticated;
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select results_eq(
  $$ select status::text, video_count, without_product from public.video_sync_summary() $$,
  $$ values ('queued', 1::bigint, 1::bigint), ('synced', 2::bigint, 1::bigint), ('error', 1::bigint, 0::bigint) $$,
  'alice''s counts hold only her videos, per status, with how many have no product'
);
select is(
  (select max(last_uploaded_at) from public.video_sync_summary()),
  '2026-11-25T10:00:00Z'::timestamptz,
  'the latest upload time is alice''s newest, not bob''s later one'
);
select results_eq(
  $$ select status::text, video_count from public.video_sync_summary(array['aaaaaaaa-3333-4000-8000-000000000003']::uuid[]) $$,
  $$ values ('queued', 0::bigint), ('synced', 2::bigint), ('error', 1::bigint) $$,
  'an upload the browser counts itself is left out of video_count'
);
select results_eq(
  $$ select status::text, without_product from public.video_sync_summary(array['aaaaaaaa-3333-4000-8000-000000000003']::uuid[]) $$,
  $$ values ('queued', 1::bigint), ('synced', 1::bigint), ('error', 0::bigint) $$,
  '… but still in without_product, which covers every row'
);
select results_eq(
  $$ select status::text, video_count
     from public.video_sync_summary(array['bbbbbbbb-3333-4000-8000-000000000002', 'bbbbbbbb-3333-4000-8000-000000000003']::uuid[]) $$,
  $$ values ('queued', 1::bigint), ('synced', 2::bigint), ('error', 1::bigint) $$,
  'naming bob''s ids changes nothing for alice and reveals no status of his'
);
select results_eq(
  $$ select status::text, video_count from public.video_sync_summary(null) $$,
  $$ values ('queued', 1::bigint), ('synced', 2::bigint), ('error', 1::bigint) $$,
  'a null list counts everything, as an empty one does'
);

-- Bob ----------------------------------------------------------------------------------------
set local request.jwt.claims = '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}';

select results_eq(
  $$ select status::text, video_count, without_product from public.video_sync_summary() $$,
  $$ values ('queued', 1::bigint, 1::bigint), ('synced', 1::bigint, 1::bigint), ('missing', 1::bigint, 1::bigint) $$,
  'bob''s counts hold only his videos'
);
select is(
  (select max(last_uploaded_at) from public.video_sync_summary()),
  '2026-11-26T10:00:00Z'::timestamptz,
  'bob sees his own latest upload time'
);

-- A user with no videos ------------------------------------------------------------------------
set local request.jwt.claims = '{"sub":"33333333-3333-4333-8333-333333333333","role":"authenticated"}';

select is_empty(
  $$ select 1 from public.video_sync_summary() $$,
  'someone with no videos gets no rows, not anyone else''s'
);

-- Anon ---------------------------------------------------------------------------------------
reset role;
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';

select throws_ok(
  $$ select * from public.video_sync_summary() $$,
  '42501', null, 'anon cannot call video_sync_summary()'
);

reset role;
select ok(
  not has_function_privilege('anon', 'public.video_sync_summary(uuid[])', 'execute')
    and has_function_privilege('authenticated', 'public.video_sync_summary(uuid[])', 'execute'),
  'execute is granted to authenticated, not anon'
);

select * from finish();
rollback;
