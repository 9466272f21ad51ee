-- What folder import records about each video beyond what uploads already keep: the file's own
-- created and modified dates (OneDrive's fileSystemInfo), and the import job that linked it.
-- Path (folder_path + name), size, QuickXorHash, duration and dimensions have columns already, and
-- videos_owner_drive_item_key (unique owner_id, drive_id, item_id; NULL item ids never collide)
-- is what makes importing the same OneDrive item twice an update instead of a second row.
alter table public.videos
  add column item_created_at timestamptz,
  add column item_modified_at timestamptz,
  add column import_job_id uuid;

comment on column public.videos.item_created_at is 'When the file was created, as OneDrive reports it (fileSystemInfo).';
comment on column public.videos.item_modified_at is 'When the file was last modified, as OneDrive reports it (fileSystemInfo).';
comment on column public.videos.import_job_id is 'The folder import that linked or last updated this video, if any.';

-- The job must be the same owner's. Deleting a job keeps its videos and clears only the link.
alter table public.videos
  add constraint videos_import_job_same_owner_fkey foreign key (import_job_id, owner_id)
    references public.import_jobs (id, owner_id) on delete set null (import_job_id);

create index videos_import_job_idx on public.videos (import_job_id) where import_job_id is not null;
