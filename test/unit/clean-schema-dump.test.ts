import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cleanSchemaDump } from '../../src/adopt/clean-schema-dump.js'

test("pg_dump's preamble settings, psql meta-commands and blank runs go; function bodies are kept as written", () => {
  const dump = [
    '\\restrict AbC123',
    '--',
    '-- PostgreSQL database dump',
    '--',
    '',
    'SET statement_timeout = 0;',
    'SET lock_timeout = 0;',
    "SET client_encoding = 'UTF8';",
    "SELECT pg_catalog.set_config('search_path', '', false);",
    'SET check_function_bodies = false;',
    'SET client_min_messages = warning;',
    '',
    '',
    'CREATE FUNCTION public.f() RETURNS void',
    '    LANGUAGE plpgsql',
    '    AS $$',
    'BEGIN',
    "SET work_mem = '64MB';",
    'END $$;',
    '',
    'SET default_table_access_method = heap;',
    '',
    'CREATE TABLE public.t (id bigint NOT NULL);',
    '',
    '\\unrestrict AbC123',
    '',
  ].join('\n')
  assert.equal(
    cleanSchemaDump(dump),
    [
      '--',
      '-- PostgreSQL database dump',
      '--',
      '',
      'SET LOCAL check_function_bodies = false;',
      '',
      'CREATE FUNCTION public.f() RETURNS void',
      '    LANGUAGE plpgsql',
      '    AS $$',
      'BEGIN',
      "SET work_mem = '64MB';",
      'END $$;',
      '',
      'SET LOCAL default_table_access_method = heap;',
      '',
      'CREATE TABLE public.t (id bigint NOT NULL);',
    ].join('\n'),
  )
})
