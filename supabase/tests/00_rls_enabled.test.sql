-- Every table the API exposes has row-level security, per-operation policies for
-- authenticated users only, nothing granted to anon, and no column that could hold a token.
begin;
select plan(7);

select is_empty(
  $$ select c.relname::text
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity $$,
  'every table in schema public has row-level security enabled'
);

select is_empty(
  $$ select c.relname::text
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('v', 'm') $$,
  'schema public has no views (a view would bypass row-level security unless security_invoker)'
);

select is_empty(
  $$ select t.tablename::text || ' lacks a policy for ' || op.cmd
     from pg_tables t
     cross join (values ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE')) as op (cmd)
     where t.schemaname = 'public'
       and not exists (
         select 1 from pg_policies p
         where p.schemaname = 'public' and p.tablename = t.tablename and p.cmd = op.cmd
       ) $$,
  'every public table has a policy for each of select, insert, update and delete'
);

select is_empty(
  $$ select tablename::text || ': ' || policyname::text
     from pg_policies
     where schemaname = 'public' and (roles <> '{authenticated}' or cmd = 'ALL') $$,
  'every policy is for one operation and applies to authenticated only'
);

select is_empty(
  $$ select table_name::text || ': ' || privilege_type::text
     from information_schema.role_table_grants
     where table_schema = 'public' and grantee in ('anon', 'PUBLIC') $$,
  'anon (and PUBLIC) hold no privilege on any public table'
);

select is_empty(
  $$ select p.proname::text
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and has_function_privilege('anon', p.oid, 'execute') $$,
  'anon cannot execute any public function'
);

select is_empty(
  $$ select table_name::text || '.' || column_name::text
     from information_schema.columns
     where table_schema = 'public' and column_name ~* '(token|secret|password|credential)' $$,
  'no public column is named like a token, secret or password'
);

select * from finish();
rollback;
