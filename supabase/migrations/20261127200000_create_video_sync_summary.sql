-- The sync dashboard's one query: per-status counts of the caller's videos, how many of them
-- have no product, and when a video last reached OneDrive.
--
-- A browser knows its own unfinished uploads better than the table does (a paused upload is
-- still 'queued' here; a state change may wait in its outbox), so it passes their ids as
-- counted_here: those rows are left out of video_count, and the browser counts them itself.
-- without_product and last_uploaded_at always cover every row.
--
-- security invoker: row-level security on videos decides what is counted, so ids of someone
-- else's videos in counted_here change nothing.
create function public.video_sync_summary(counted_here uuid[] default '{}')
returns table (
  status public.video_status,
  video_count bigint,
  without_product bigint,
  last_uploaded_at timestamptz
)
language sql
stable
security invoker
set search_path = ''
as $$
  select
    v.status,
    count(*) filter (where not (v.id = any (coalesce(counted_here, '{}'))))::bigint,
    count(*) filter (where v.product_id is null)::bigint,
    max(v.uploaded_at)
  from public.videos v
  group by v.status
  order by v.status
$$;

comment on function public.video_sync_summary(uuid[]) is
  'Per-status video counts for the caller (less the uploads their browser counts itself), videos without a product, and the latest upload time.';

revoke all on function public.video_sync_summary(uuid[]) from public, anon;
grant execute on function public.video_sync_summary(uuid[]) to authenticated, service_role;
