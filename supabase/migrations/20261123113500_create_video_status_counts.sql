-- Per-status video counts for the signed-in user (the library's filter chips).
-- security invoker: row-level security on videos decides what is counted.
create function public.video_status_counts()
returns table (status public.video_status, video_count bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select v.status, count(*)::bigint
  from public.videos v
  group by v.status
  order by v.status
$$;

revoke all on function public.video_status_counts() from public, anon;
grant execute on function public.video_status_counts() to authenticated, service_role;
