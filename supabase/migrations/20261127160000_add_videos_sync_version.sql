-- Upload rows are written from the browser's outbox, which may retry a write long after a newer
-- one went through (a slow request, a second tab, a crash). Each write carries sync_version, a
-- number that only grows per video; a write older than what the row holds is skipped here, in
-- the database, so the row can never go back (say from 'synced' to 'uploading').
alter table public.videos add column sync_version bigint not null default 0;

comment on column public.videos.sync_version is
  'Version of the upload state this row reflects; writes with a lower version are ignored.';

alter table public.videos
  add constraint videos_sync_version_non_negative check (sync_version >= 0);

create function private.videos_keep_newest_sync()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- Returning null skips this row's update without an error, so an upsert of an older
  -- snapshot succeeds and changes nothing. Writes that do not touch sync_version (renaming,
  -- moving to another product) keep the stored version and pass.
  if new.sync_version < old.sync_version then
    return null;
  end if;
  return new;
end;
$$;

-- Named to fire before videos_set_updated_at (triggers run in name order), so a skipped write
-- does not even touch updated_at.
create trigger videos_a_keep_newest_sync
  before update on public.videos
  for each row execute function private.videos_keep_newest_sync();
revoke all on function private.videos_keep_newest_sync() from public;
