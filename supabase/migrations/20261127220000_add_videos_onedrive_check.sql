-- The OneDrive check: what Reeldrive last saw of each video's OneDrive item, so a later look can
-- tell a file changed in OneDrive (new content, renamed, moved, deleted) from one left alone.
--
-- e_tag changes on any change to the item (its name and place included); c_tag only when its
-- content changes, and OneDrive for Business leaves it out of some answers. Both are kept as
-- Graph gave them, opaque. A row whose tags are null has not been checked yet: the first check
-- compares name, folder, size and QuickXorHash instead and then records the tags.
--
-- A flagged video keeps the values Reeldrive recorded (the person decides): status 'conflict'
-- with error_code 'onedrive-changed', or 'missing' with 'onedrive-deleted', and the reason in
-- words in error_message ("Renamed in OneDrive to …").
alter table public.videos
  add column e_tag text,
  add column c_tag text,
  add column onedrive_checked_at timestamptz;

alter table public.videos
  add constraint videos_e_tag_not_blank check (char_length(e_tag) between 1 and 1000),
  add constraint videos_c_tag_not_blank check (char_length(c_tag) between 1 and 1000);

comment on column public.videos.e_tag is 'OneDrive''s eTag of the item when Reeldrive last recorded it (changes on any change).';
comment on column public.videos.c_tag is 'OneDrive''s cTag of the item when Reeldrive last recorded it (changes when the content changes).';
comment on column public.videos.onedrive_checked_at is 'When the OneDrive check last looked at this video''s item.';

-- One check writes what it found for many videos in one call: for each, the tags and the two
-- fields a check may fill in quietly (a hash or folder OneDrive knows and the row did not), and
-- the status with its code and reason. Only videos already in OneDrive, or flagged by a check,
-- are touched: an upload under way is the outbox's. security invoker: RLS on videos decides
-- which rows can change, so ids of someone else's videos change nothing. Returns how many changed.
create function public.record_onedrive_check(results jsonb)
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
  with found as (
    select *
    from jsonb_to_recordset(coalesce(results, '[]'::jsonb)) as r(
      id uuid,
      e_tag text,
      c_tag text,
      quick_xor_hash text,
      folder_path text,
      status public.video_status,
      error_code text,
      error_message text
    )
    where r.status in ('synced', 'conflict', 'missing')
  ),
  changed as (
    update public.videos v
    set e_tag = f.e_tag,
        c_tag = f.c_tag,
        quick_xor_hash = f.quick_xor_hash,
        folder_path = f.folder_path,
        status = f.status,
        error_code = f.error_code,
        error_message = f.error_message,
        onedrive_checked_at = now()
    from found f
    where v.id = f.id
      and v.item_id is not null
      and (v.status = 'synced' or v.status = 'missing' or (v.status = 'conflict' and v.error_code = 'onedrive-changed'))
    returning v.id
  )
  select count(*)::integer from changed
$$;

comment on function public.record_onedrive_check(jsonb) is
  'Writes one OneDrive check''s findings (tags, quiet fills, flags with their reasons) for the caller''s videos in OneDrive.';

revoke all on function public.record_onedrive_check(jsonb) from public, anon;
grant execute on function public.record_onedrive_check(jsonb) to authenticated, service_role;
