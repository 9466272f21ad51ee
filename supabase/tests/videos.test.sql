-- videos: owners see and change only their own rows, a video can only point at its owner's
-- products, deleting a product keeps its videos, and bad data is refused.
begin;
select plan(29);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'alice@test.invalid'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'bob@test.invalid');
insert into public.products (id, owner_id, title) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'Alice kettle'),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'Bob lamp');

-- Alice ------------------------------------------------------------------------------------
set local role authenticated;
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select lives_ok(
  $$ insert into public.videos (id, product_id, drive_id, item_id, name, size_bytes, status) values
       ('aaaaaaaa-1111-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001',
        'drive-a', 'item-1', 'kettle.mp4', 1048576, 'synced') $$,
  'alice can add a video of her own product'
);
select is(
  (select owner_id from public.videos where id = 'aaaaaaaa-1111-4000-8000-000000000001'),
  '11111111-1111-4111-8111-111111111111'::uuid,
  'owner_id defaults to auth.uid()'
);
select throws_ok(
  $$ insert into public.videos (product_id, drive_id, name, size_bytes) values
       ('bbbbbbbb-0000-4000-8000-000000000001', 'drive-a', 'stolen.mp4', 10) $$,
  '23503', null,
  'alice cannot link a new video to bob''s product'
);
select throws_ok(
  $$ insert into public.videos (product_id, drive_id, name, size_bytes) values
       ('cccccccc-0000-4000-8000-00000000dead', 'drive-a', 'guess.mp4', 10) $$,
  '23503', null,
  'a guessed product id fails the same way as bob''s (existence is not leaked)'
);
select throws_ok(
  $$ insert into public.videos (owner_id, drive_id, name, size_bytes) values
       ('22222222-2222-4222-8222-222222222222', 'drive-b', 'planted.mp4', 10) $$,
  '42501', 'new row violates row-level security policy for table "videos"',
  'alice cannot insert a video owned by bob'
);
select lives_ok(
  $$ insert into public.videos (drive_id, name, size_bytes) values ('drive-a', 'loose.mp4', 5) $$,
  'a video may have no product'
);

-- Bob --------------------------------------------------------------------------------------
set local request.jwt.claims = '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}';

select lives_ok(
  $$ insert into public.videos (id, product_id, drive_id, item_id, name, size_bytes) values
       ('bbbbbbbb-1111-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000001',
        'drive-a', 'item-1', 'lamp.mp4', 2048) $$,
  'bob can add a video with the same drive and item ids as alice''s (unique per owner)'
);
select results_eq(
  $$ select name from public.videos order by name $$,
  array['lamp.mp4'],
  'bob sees only his own videos'
);
select is_empty(
  $$ select 1 from public.videos where id = 'aaaaaaaa-1111-4000-8000-000000000001' $$,
  'bob cannot read alice''s video by its id'
);
select is_empty(
  $$ update public.videos set name = 'taken.mp4' where id = 'aaaaaaaa-1111-4000-8000-000000000001' returning 1 $$,
  'bob''s update of alice''s video touches no row'
);
select is_empty(
  $$ delete from public.videos where id = 'aaaaaaaa-1111-4000-8000-000000000001' returning 1 $$,
  'bob''s delete of alice''s video touches no row'
);
select throws_ok(
  $$ update public.videos set product_id = 'aaaaaaaa-0000-4000-8000-000000000001'
     where id = 'bbbbbbbb-1111-4000-8000-000000000001' $$,
  '23503', null,
  'bob cannot re-link his video to alice''s product'
);
select throws_ok(
  $$ update public.videos set owner_id = '11111111-1111-4111-8111-111111111111'
     where id = 'bbbbbbbb-1111-4000-8000-000000000001' $$,
  '42501', null,
  'bob cannot hand his video over to alice'
);

-- Alice again ------------------------------------------------------------------------------
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select results_eq(
  $$ select name from public.videos order by name $$,
  array['kettle.mp4', 'loose.mp4'],
  'alice sees only her own videos, unchanged by bob'
);
select results_eq(
  $$ update public.videos set status = 'error', error_code = 'quota-exceeded'
     where id = 'aaaaaaaa-1111-4000-8000-000000000001' returning status::text $$,
  array['error'],
  'alice can update her video'
);

-- Constraints --------------------------------------------------------------------------------
select throws_ok(
  $$ insert into public.videos (drive_id, name, size_bytes) values ('drive-a', 'neg.mp4', -1) $$,
  '23514', null, 'a negative size is refused'
);
select throws_ok(
  $$ insert into public.videos (drive_id, name, size_bytes) values ('drive-a', 'zero.mp4', 0) $$,
  '23514', null, 'a zero size is refused'
);
select throws_ok(
  $$ insert into public.videos (drive_id, name, size_bytes, status) values ('drive-a', 'x.mp4', 1, 'lost') $$,
  '22P02', null, 'an unknown status is refused'
);
select throws_ok(
  $$ insert into public.videos (drive_id, name, size_bytes) values ('drive-a', ' ', 1) $$,
  '23514', null, 'a blank name is refused'
);
select throws_ok(
  $$ insert into public.videos (drive_id, item_id, name, size_bytes) values ('drive-a', 'item-1', 'dup.mp4', 1) $$,
  '23505', null, 'the same OneDrive item cannot be recorded twice for one owner'
);
select lives_ok(
  $$ insert into public.videos (drive_id, name, size_bytes) values ('drive-a', 'queued-2.mp4', 1) $$,
  'several videos not yet in OneDrive (no item id) are fine'
);
select throws_ok(
  $$ insert into public.videos (drive_id, name, size_bytes, status) values ('drive-a', 'ghost.mp4', 1, 'synced') $$,
  '23514', null, 'a synced video must have its OneDrive item id'
);
select throws_ok(
  $$ insert into public.videos (drive_id, name, size_bytes, width, height) values ('drive-a', 'w.mp4', 1, 0, 720) $$,
  '23514', null, 'dimensions must be positive'
);

select results_eq(
  $$ select status::text, video_count from public.video_status_counts() $$,
  $$ values ('queued', 2::bigint), ('error', 1::bigint) $$,
  'video_status_counts() counts only the caller''s videos'
);

-- Deleting a product keeps its videos --------------------------------------------------------
select lives_ok(
  $$ delete from public.products where id = 'aaaaaaaa-0000-4000-8000-000000000001' $$,
  'alice can delete a product that has videos'
);
select is(
  (select product_id from public.videos where id = 'aaaaaaaa-1111-4000-8000-000000000001'),
  null,
  'the video stays, with product_id set to null'
);

-- Anon ---------------------------------------------------------------------------------------
reset role;
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';

select throws_ok(
  $$ select 1 from public.videos $$,
  '42501', 'permission denied for table videos', 'anon cannot read videos'
);
select throws_ok(
  $$ insert into public.videos (owner_id, drive_id, name, size_bytes)
     values ('11111111-1111-4111-8111-111111111111', 'd', 'n', 1) $$,
  '42501', 'permission denied for table videos', 'anon cannot insert videos'
);
select throws_ok(
  $$ delete from public.videos $$,
  '42501', 'permission denied for table videos', 'anon cannot delete videos'
);

reset role;
select * from finish();
rollback;
