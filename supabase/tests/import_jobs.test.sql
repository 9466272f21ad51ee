-- import_jobs: owners see and change only their own scans; counters and folders are checked.
begin;
select plan(19);

insert into auth.users (id, aud, role, email) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'alice@test.invalid'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'bob@test.invalid');

set local role authenticated;
set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select lives_ok(
  $$ insert into public.import_jobs (id, folders) values
       ('aaaaaaaa-2222-4000-8000-000000000001', '[{"id":"folder-1","path":"/Videos"}]') $$,
  'alice can start an import job'
);
select results_eq(
  $$ select status::text, total_found, linked, skipped, failed from public.import_jobs $$,
  $$ values ('running', 0, 0, 0, 0) $$,
  'a new job is running with zeroed counters'
);
select throws_ok(
  $$ insert into public.import_jobs (owner_id) values ('22222222-2222-4222-8222-222222222222') $$,
  '42501', 'new row violates row-level security policy for table "import_jobs"',
  'alice cannot start a job for bob'
);

set local request.jwt.claims = '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}';

select lives_ok(
  $$ insert into public.import_jobs (id) values ('bbbbbbbb-2222-4000-8000-000000000001') $$,
  'bob can start his own job'
);
select results_eq(
  $$ select id from public.import_jobs $$,
  array['bbbbbbbb-2222-4000-8000-000000000001'::uuid],
  'bob sees only his own jobs'
);
select is_empty(
  $$ update public.import_jobs set status = 'cancelled'
     where id = 'aaaaaaaa-2222-4000-8000-000000000001' returning 1 $$,
  'bob''s update of alice''s job touches no row'
);
select is_empty(
  $$ delete from public.import_jobs where id = 'aaaaaaaa-2222-4000-8000-000000000001' returning 1 $$,
  'bob''s delete of alice''s job touches no row'
);
select throws_ok(
  $$ update public.import_jobs set owner_id = '11111111-1111-4111-8111-111111111111' $$,
  '42501', null, 'bob cannot move his job to alice'
);

set local request.jwt.claims = '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}';

select results_eq(
  $$ select status::text from public.import_jobs $$,
  array['running'],
  'alice''s job is untouched by bob'
);
select results_eq(
  $$ update public.import_jobs
     set status = 'completed', total_found = 3, linked = 2, skipped = 1,
         delta_cursor = '{"folder-1":"https://graph.microsoft.com/v1.0/me/drive/items/folder-1/delta?token=a"}',
         completed_at = now()
     returning status::text $$,
  array['completed'],
  'alice can complete her job with its counters and next delta cursor'
);
select throws_ok(
  $$ update public.import_jobs set linked = -1 $$,
  '23514', null, 'negative counters are refused'
);
select throws_ok(
  $$ update public.import_jobs set folders = '{"id":"folder-1"}' $$,
  '23514', null, 'folders must be a JSON array'
);
select throws_ok(
  $$ update public.import_jobs set status = 'paused' $$,
  '22P02', null, 'an unknown status is refused'
);
select throws_ok(
  $$ update public.import_jobs set completed_at = started_at - interval '1 minute' $$,
  '23514', null, 'a job cannot complete before it started'
);
select results_eq(
  $$ delete from public.import_jobs returning id $$,
  array['aaaaaaaa-2222-4000-8000-000000000001'::uuid],
  'alice can delete only her own job'
);

reset role;
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';

select throws_ok(
  $$ select 1 from public.import_jobs $$,
  '42501', 'permission denied for table import_jobs', 'anon cannot read jobs'
);
select throws_ok(
  $$ insert into public.import_jobs (owner_id) values ('11111111-1111-4111-8111-111111111111') $$,
  '42501', 'permission denied for table import_jobs', 'anon cannot insert jobs'
);
select throws_ok(
  $$ update public.import_jobs set status = 'failed' $$,
  '42501', 'permission denied for table import_jobs', 'anon cannot update jobs'
);
select throws_ok(
  $$ delete from public.import_jobs $$,
  '42501', 'permission denied for table import_jobs', 'anon cannot delete jobs'
);

reset role;
select * from finish();
rollback;
