-- Videos stored in the owner's OneDrive. Only metadata lives here: the bytes, thumbnails
-- and posters stay in OneDrive and are fetched from Graph when shown.
create type public.video_status as enum ('queued', 'uploading', 'synced', 'error', 'conflict', 'missing');

create table public.videos (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  product_id uuid,
  drive_id text not null,
  item_id text,
  name text not null,
  size_bytes bigint not null,
  mime_type text,
  duration_ms integer,
  width integer,
  height integer,
  quick_xor_hash text,
  web_url text,
  folder_path text,
  status public.video_status not null default 'queued',
  error_code text,
  error_message text,
  uploaded_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- The product must belong to the same owner. Deleting the product keeps the video and
  -- clears only product_id (a column list on SET NULL needs PostgreSQL 15).
  constraint videos_product_same_owner_fkey foreign key (product_id, owner_id)
    references public.products (id, owner_id) on delete set null (product_id),
  -- NULL item_ids never collide, so videos not yet in OneDrive are not constrained,
  -- and the constraint can serve as an upsert target (on_conflict=owner_id,drive_id,item_id).
  constraint videos_owner_drive_item_key unique (owner_id, drive_id, item_id),
  constraint videos_name_not_blank check (char_length(btrim(name)) > 0),
  constraint videos_size_positive check (size_bytes > 0),
  constraint videos_duration_non_negative check (duration_ms >= 0),
  constraint videos_dimensions_positive check (width > 0 and height > 0),
  constraint videos_synced_has_item check (status <> 'synced' or item_id is not null)
);

comment on table public.videos is 'Video files in the owner''s OneDrive, optionally tied to one of their products.';

create index videos_owner_product_created_idx on public.videos (owner_id, product_id, created_at desc);
create index videos_owner_status_idx on public.videos (owner_id, status);

create trigger videos_set_updated_at
  before update on public.videos
  for each row execute function private.set_updated_at();

alter table public.videos enable row level security;

create policy "videos: owners can select"
  on public.videos for select to authenticated
  using ((select auth.uid()) = owner_id);

create policy "videos: owners can insert"
  on public.videos for insert to authenticated
  with check ((select auth.uid()) = owner_id);

create policy "videos: owners can update"
  on public.videos for update to authenticated
  using ((select auth.uid()) = owner_id)
  with check ((select auth.uid()) = owner_id);

create policy "videos: owners can delete"
  on public.videos for delete to authenticated
  using ((select auth.uid()) = owner_id);

revoke all on table public.videos from anon, authenticated;
grant select, insert, update, delete on table public.videos to authenticated;
grant all on table public.videos to service_role;
