-- Products a user films videos for. One row per product per owner.
create table public.products (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null,
  asin text,
  brand text,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint products_title_not_blank check (char_length(btrim(title)) > 0),
  constraint products_title_trimmed check (title = btrim(title)),
  constraint products_title_length check (char_length(title) <= 200),
  -- Amazon's ASIN: ten upper-case letters or digits (ISBN-10 for books fits the same form).
  constraint products_asin_format check (asin ~ '^[A-Z0-9]{10}$'),
  constraint products_brand_length check (char_length(brand) <= 200),
  constraint products_notes_length check (char_length(notes) <= 10000),
  constraint products_owner_asin_key unique (owner_id, asin),
  -- Target of videos' composite foreign key: a video may only point at its owner's product.
  constraint products_id_owner_key unique (id, owner_id)
);

comment on table public.products is 'Products a user records videos for.';

create index products_owner_title_idx on public.products (owner_id, title);

create trigger products_set_updated_at
  before update on public.products
  for each row execute function private.set_updated_at();

alter table public.products enable row level security;

create policy "products: owners can select"
  on public.products for select to authenticated
  using ((select auth.uid()) = owner_id);

create policy "products: owners can insert"
  on public.products for insert to authenticated
  with check ((select auth.uid()) = owner_id);

create policy "products: owners can update"
  on public.products for update to authenticated
  using ((select auth.uid()) = owner_id)
  with check ((select auth.uid()) = owner_id);

create policy "products: owners can delete"
  on public.products for delete to authenticated
  using ((select auth.uid()) = owner_id);

-- Explicit grants: correct whether or not the project still exposes new tables by default.
revoke all on table public.products from anon, authenticated;
grant select, insert, update, delete on table public.products to authenticated;
grant all on table public.products to service_role;
