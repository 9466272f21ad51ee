-- Folder import (issue 13) runs as import_jobs: a job remembers which drive it scanned, keeps one
-- Graph delta link per scanned folder for the next rescan, counts the videos it found deleted in
-- OneDrive, and says in a code and words why it stopped when it failed.
alter table public.import_jobs
  add column drive_id text,
  add column removed integer not null default 0,
  add column error_code text,
  add column error_message text;

-- delta_cursor becomes {"<folder item id>": "<deltaLink>", ...}: one text link cannot serve a job
-- over several folders (Graph's delta is per folder). Nothing wrote the column before; a link that
-- cannot be attributed to a folder is dropped, and a job without one rescans its folders in full,
-- which is always correct, only slower.
alter table public.import_jobs
  alter column delta_cursor type jsonb using null;

comment on column public.import_jobs.delta_cursor is
  'Graph deltaLink per scanned folder, {"<folder item id>": "<deltaLink>"}: opaque cursors, not credentials.';
comment on column public.import_jobs.removed is
  'Videos the scan found deleted in OneDrive and marked missing.';
comment on column public.import_jobs.error_code is
  'Why a failed job stopped, as a kebab-case code the app turns into words; error_message adds detail.';

-- A job that failed before this migration had no way to say why.
update public.import_jobs set error_code = 'unknown' where status = 'failed' and error_code is null;

alter table public.import_jobs
  add constraint import_jobs_removed_non_negative check (removed >= 0),
  add constraint import_jobs_delta_cursor_links check (
    delta_cursor is null
    or (jsonb_typeof(delta_cursor) = 'object'
        and not jsonb_path_exists(delta_cursor, '$.* ? (@.type() != "string")'))
  ),
  add constraint import_jobs_failed_has_reason check (status <> 'failed' or error_code is not null),
  add constraint import_jobs_error_code_format check (error_code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  add constraint import_jobs_error_message_length check (char_length(error_message) <= 2000),
  add constraint import_jobs_drive_id_not_blank check (char_length(btrim(drive_id)) > 0),
  -- Target of videos' composite foreign key: a video may only name its owner's job.
  add constraint import_jobs_id_owner_key unique (id, owner_id);
