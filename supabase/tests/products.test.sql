-- products: owners see and change only their own rows; anon gets nothing; bad data is refused.
begin;
select plan(27);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'alice@test.invalid'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'bob@test.invalid');

-- Alice ------------------------------------------------------------------------------------
set local role authenticated;
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select lives_ok(
  $$ insert into public.products (id, title, asin) values
       ('aaaaaaaa-0000-4000-8000-000000000001', 'Alice kettle', 'B000000001') $$,
  'alice can insert a product without naming the owner'
);
select is(
  (select owner_id from public.products where id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  '11111111-1111-4111-8111-111111111111'::uuid,
  'owner_id defaults to auth.uid()'
);
select throws_ok(
  $$ insert into public.products (title, owner_id) values ('Planted on bob', '22222222-2222-4222-8222-222222222222') $$,
  '42501', 'new row violates row-level security policy for table "products"',
  'alice cannot insert a product owned by bob'
);

-- Bob --------------------------------------------------------------------------------------
set local request.jwt.claims = '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}';

select lives_ok(
  $$ insert into public.products (id, title, asin) values
       ('bbbbbbbb-0000-4000-8000-000000000001', 'Bob lamp', 'B000000001') $$,
  'bob can insert a product, even with an ASIN alice also uses'
);
select results_eq(
  $$ select title from public.products order by title $$,
  array['Bob lamp'],
  'bob sees only his own products'
);
select is_empty(
  $$ select 1 from public.products where id = 'aaaaaaaa-0000-4000-8000-000000000001' $$,
  'bob cannot read alice''s product by guessing its id'
);
select is_empty(
  $$ update public.products set title = 'Taken' where id = 'aaaaaaaa-0000-4000-8000-000000000001' returning 1 $$,
  'bob''s update of alice''s product touches no row'
);
select is_empty(
  $$ delete from public.products where id = 'aaaaaaaa-0000-4000-8000-000000000001' returning 1 $$,
  'bob''s delete of alice''s product touches no row'
);
select throws_ok(
  $$ update public.products set owner_id = '11111111-1111-4111-8111-111111111111'
     where id = 'bbbbbbbb-0000-4000-8000-000000000001' $$,
  '42501', 'new row violates row-level security policy for table "products"',
  'bob cannot hand his product over to alice'
);

-- Alice again: own rows can be read, changed and deleted ------------------------------------
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select results_eq(
  $$ select title from public.products order by title $$,
  array['Alice kettle'],
  'alice sees only her own products, unchanged by bob'
);
select results_eq(
  $$ update public.products set title = 'Alice kettle, steel' where id = 'aaaaaaaa-0000-4000-8000-000000000001' returning title $$,
  array['Alice kettle, steel'],
  'alice can update her product'
);
select lives_ok(
  $$ update public.products set updated_at = '2000-01-01 00:00:00+00'
     where id = 'aaaaaaaa-0000-4000-8000-000000000001' $$,
  'alice may send an updated_at of her own'
);
select is(
  (select updated_at from public.products where id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  now(),
  'updated_at is set by the trigger, not by the client'
);

-- Constraints --------------------------------------------------------------------------------
select throws_ok(
  $$ insert into public.products (title) values ('') $$,
  '23514', null, 'an empty title is refused'
);
select throws_ok(
  $$ insert into public.products (title) values ('   ') $$,
  '23514', null, 'a blank title is refused'
);
select throws_ok(
  $$ insert into public.products (title) values (' Padded ') $$,
  '23514', null, 'an untrimmed title is refused'
);
select throws_ok(
  $$ insert into public.products (title) values (repeat('x', 201)) $$,
  '23514', null, 'a title over 200 characters is refused'
);
select lives_ok(
  $$ insert into public.products (title) values (repeat('x', 200)) $$,
  'a title of exactly 200 characters is accepted'
);
select throws_ok(
  $$ insert into public.products (title) values (null) $$,
  '23502', null, 'a missing title is refused'
);
select throws_ok(
  $$ insert into public.products (title, asin) values ('Bad ASIN', 'b000000002') $$,
  '23514', null, 'a lower-case ASIN is refused'
);
select throws_ok(
  $$ insert into public.products (title, asin) values ('Bad ASIN', 'B00000002') $$,
  '23514', null, 'a nine-character ASIN is refused'
);
select throws_ok(
  $$ insert into public.products (title, asin) values ('Same ASIN', 'B000000001') $$,
  '23505', null, 'an ASIN is unique per owner'
);

select results_eq(
  $$ delete from public.products where id = 'aaaaaaaa-0000-4000-8000-000000000001' returning title $$,
  array['Alice kettle, steel'],
  'alice can delete her product'
);

-- Anon ---------------------------------------------------------------------------------------
reset role;
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';

select throws_ok(
  $$ select 1 from public.products $$,
  '42501', 'permission denied for table products', 'anon cannot read products'
);
select throws_ok(
  $$ insert into public.products (title, owner_id) values ('Anon', '11111111-1111-4111-8111-111111111111') $$,
  '42501', 'permission denied for table products', 'anon cannot insert products'
);
select throws_ok(
  $$ update public.products set title = 'Anon' $$,
  '42501', 'permission denied for table products', 'anon cannot update products'
);
select throws_ok(
  $$ delete from public.products $$,
  '42501', 'permission denied for table products', 'anon cannot delete products'
);

reset role;
select * from finish();
rollback;
