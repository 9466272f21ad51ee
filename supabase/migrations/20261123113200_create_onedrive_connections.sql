-- Which OneDrive a user connected, and whether that connection still works.
-- Tokens never leave the browser: no column here may hold one.
create type public.onedrive_drive_type as enum ('personal', 'business');
create type public.onedrive_connection_status as enum ('connected', 'needs_reauth', 'disconnected');

create table public.onedrive_connections (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  microsoft_account_id text not null,
  microsoft_username text,
  drive_id text,
  drive_type public.onedrive_drive_type,
  default_folder_id text,
  default_folder_path text,
  status public.onedrive_connection_status not null default 'connected',
  connected_at timestamptz not null default now(),
  disconnected_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint onedrive_connections_owner_key unique (owner_id),
  constraint onedrive_connections_account_not_blank check (char_length(btrim(microsoft_account_id)) > 0),
  constraint onedrive_connections_disconnected_at check (
    (status = 'disconnected') = (disconnected_at is not null)
  )
);

comment on table public.onedrive_connections is 'The OneDrive each user connected (one per user); never tokens.';

create trigger onedrive_connections_set_updated_at
  before update on public.onedrive_connections
  for each row execute function private.set_updated_at();

alter table public.onedrive_connections enable row level security;

create policy "onedrive_connections: owners can select"
  on public.onedrive_connections for select to authenticated
  using ((select auth.uid()) = owner_id);

create policy "onedrive_connections: owners can insert"
  on public.onedrive_connections for insert to authenticated
  with check ((select auth.uid()) = owner_id);

create policy "onedrive_connections: owners can update"
  on public.onedrive_connections for update to authenticated
  using ((select auth.uid()) = owner_id)
  with check ((select auth.uid()) = owner_id);

create policy "onedrive_connections: owners can delete"
  on public.onedrive_connections for delete to authenticated
  using ((select auth.uid()) = owner_id);

revoke all on table public.onedrive_connections from anon, authenticated;
grant select, insert, update, delete on table public.onedrive_connections to authenticated;
grant all on table public.onedrive_connections to service_role;
