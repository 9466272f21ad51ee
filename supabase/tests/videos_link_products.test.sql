-- Linking videos to a product in bulk (the "no product" page's one update): an owner links
-- several of their own videos at once; nobody links, sees or moves another user's videos, and
-- no video can be linked to another user's product.
begin;
select plan(9);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'alice@test.invalid'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'bob@test.invalid');
insert into public.products (id, owner_id, title) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'Alice kettle'),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'Bob lamp');
insert into public.videos (id, owner_id, drive_id, item_id, name, size_bytes, status) values
  ('aaaaaaaa-4444-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'drive-a', 'item-1', 'one.mp4', 10, 'synced'),
  ('aaaaaaaa-4444-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111', 'drive-a', 'item-2', 'two.mp4', 10, 'synced'),
  ('aaaaaaaa-4444-4000-8000-000000000003', '11111111-1111-4111-8111-111111111111', 'drive-a', 'item-3', 'three.mp4', 10, 'synced'),
  ('bbbbbbbb-4444-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'drive-b', 'item-1', 'bob.mp4', 10, 'synced');

set local role authenticated;

-- Bob ----------------------------------------------------------------------------------------
set local request.jwt.claims = '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}';

select results_eq(
  $$ select name from public.videos where product_id is null order by name $$,
  array['bob.mp4'],
  'bob''s list of videos without a product holds only his'
);
select is_empty(
  $$ update public.videos set product_id = 'bbbbbbbb-0000-4000-8000-000000000001'
     where id in ('aaaaaaaa-4444-4000-8000-000000000001', 'aaaaaaaa-4444-4000-8000-000000000002')
     returning 1 $$,
  'bob''s bulk link of alice''s videos touches no row'
);
select results_eq(
  $$ update public.videos set product_id = 'bbbbbbbb-0000-4000-8000-000000000001'
     where id in ('bbbbbbbb-4444-4000-8000-000000000001', 'aaaaaaaa-4444-4000-8000-000000000003')
     returning name $$,
  array['bob.mp4'],
  'a bulk link naming his and alice''s ids changes only his'
);

-- Alice --------------------------------------------------------------------------------------
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select results_eq(
  $$ select name from public.videos where product_id is null order by name $$,
  array['one.mp4', 'three.mp4', 'two.mp4'],
  'alice''s videos are all still without a product'
);
select throws_ok(
  $$ update public.videos set product_id = 'bbbbbbbb-0000-4000-8000-000000000001'
     where id in ('aaaaaaaa-4444-4000-8000-000000000001', 'aaaaaaaa-4444-4000-8000-000000000002') $$,
  '23503', null,
  'alice cannot link her videos to bob''s product'
);
select lives_ok(
  $$ update public.videos set product_id = 'aaaaaaaa-0000-4000-8000-000000000001'
     where id in ('aaaaaaaa-4444-4000-8000-000000000001', 'aaaaaaaa-4444-4000-8000-000000000002')
       and product_id is null $$,
  'alice links two of her videos to her product in one update'
);
select results_eq(
  $$ select name from public.videos where product_id = 'aaaaaaaa-0000-4000-8000-000000000001' order by name $$,
  array['one.mp4', 'two.mp4'],
  '… and both are linked'
);
select results_eq(
  $$ select name from public.videos where product_id is null order by name $$,
  array['three.mp4'],
  'only the one she left stays without a product'
);

reset role;
select is(
  (select product_id from public.videos where id = 'bbbbbbbb-4444-4000-8000-000000000001'),
  'bbbbbbbb-0000-4000-8000-000000000001'::uuid,
  'bob''s video is linked to his own product only'
);

select * from finish();
rollback;
