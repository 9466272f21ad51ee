-- Scans of existing OneDrive folders that link videos already there to products.
create type public.import_job_status as enum ('running', 'completed', 'failed', 'cancelled');

create table public.import_jobs (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  -- The folders scanned, as [{"id": "<drive item id>", "path": "/Videos/…"}].
  folders jsonb not null default '[]'::jsonb,
  status public.import_job_status not null default 'running',
  total_found integer not null default 0,
  linked integer not null default 0,
  skipped integer not null default 0,
  failed integer not null default 0,
  -- Graph's delta link for the next rescan (an opaque cursor, not a credential).
  delta_cursor text,
  started_at timestamptz not null default now(),
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint import_jobs_folders_is_array check (jsonb_typeof(folders) = 'array'),
  constraint import_jobs_counters_non_negative check (
    total_found >= 0 and linked >= 0 and skipped >= 0 and failed >= 0
  ),
  constraint import_jobs_completed_after_start check (completed_at >= started_at)
);

comment on table public.import_jobs is 'Scans of OneDrive folders that link existing videos to products.';

create index import_jobs_owner_started_idx on public.import_jobs (owner_id, started_at desc);

create trigger import_jobs_set_updated_at
  before update on public.import_jobs
  for each row execute function private.set_updated_at();

alter table public.import_jobs enable row level security;

create policy "import_jobs: owners can select"
  on public.import_jobs for select to authenticated
  using ((select auth.uid()) = owner_id);

create policy "import_jobs: owners can insert"
  on public.import_jobs for insert to authenticated
  with check ((select auth.uid()) = owner_id);

create policy "import_jobs: owners can update"
  on public.import_jobs for update to authenticated
  using ((select auth.uid()) = owner_id)
  with check ((select auth.uid()) = owner_id);

create policy "import_jobs: owners can delete"
  on public.import_jobs for delete to authenticated
  using ((select auth.uid()) = owner_id);

revoke all on table public.import_jobs from anon, authenticated;
grant select, insert, update, delete on table public.import_jobs to authenticated;
grant all on table public.import_jobs to service_role;
