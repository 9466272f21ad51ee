-- Demo data for local development: two users with a few products each.
-- Password for both: reeldrive-demo. Idempotent, so it can run on every local start.
-- The users are written the way GoTrue stores email users (bcrypt hash, email identity,
-- empty-string token columns), so this file also works with `supabase db reset`.

insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  confirmation_token, recovery_token, email_change_token_new, email_change,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_anonymous
)
select
  '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated', u.email,
  extensions.crypt('reeldrive-demo', extensions.gen_salt('bf', 10)), now(),
  '', '', '', '',
  '{"provider":"email","providers":["email"]}'::jsonb,
  jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false),
  now(), now(), false
from (values
  ('a11ce000-0000-4000-8000-000000000001'::uuid, 'alice@reeldrive.test'),
  ('b0b00000-0000-4000-8000-000000000002'::uuid, 'bob@reeldrive.test')
) as u (id, email)
on conflict (id) do nothing;

insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
select
  u.id::text, u.id,
  jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false),
  'email', now(), now()
from auth.users u
where u.id in ('a11ce000-0000-4000-8000-000000000001', 'b0b00000-0000-4000-8000-000000000002')
on conflict (provider_id, provider) do nothing;

insert into public.products (id, owner_id, title, asin, brand, notes) values
  ('a11ce000-0000-4000-8000-0000000000a1', 'a11ce000-0000-4000-8000-000000000001',
   'Stainless steel French press, 1 l', 'B00005LM0T', 'Brewline', 'Unboxing and first brew.'),
  ('a11ce000-0000-4000-8000-0000000000a2', 'a11ce000-0000-4000-8000-000000000001',
   'Bamboo cutting board set', 'B07QXW9Z5K', 'Greenhearth', null),
  ('a11ce000-0000-4000-8000-0000000000a3', 'a11ce000-0000-4000-8000-000000000001',
   'Trail running shoes, size 42', null, 'Stridewell', 'Review after 100 km.'),
  ('b0b00000-0000-4000-8000-0000000000b1', 'b0b00000-0000-4000-8000-000000000002',
   'Noise-cancelling headphones', 'B0863TXGM3', 'Quietwave', null),
  ('b0b00000-0000-4000-8000-0000000000b2', 'b0b00000-0000-4000-8000-000000000002',
   'Mechanical keyboard, 75 %', 'B09HMV7QX4', 'Clackworks', 'Sound test with three switch types.')
on conflict (id) do nothing;
