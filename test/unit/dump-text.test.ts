import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DumpTextScanner } from '../../src/backup/dump-text.js'

test("pg_dump's text read in arbitrary chunks: versions, owners, rows per COPY block (quoted names too), version rows, trailer", () => {
  const dump = [
    '--',
    '-- PostgreSQL database dump',
    '--',
    '',
    '-- Dumped from database version 16.4 (Debian 16.4-1.pgdg120+1)',
    '-- Dumped by pg_dump version 16.6',
    'ALTER TABLE public.users OWNER TO assistant;',
    'ALTER SCHEMA "Sales" OWNER TO "Ops Team";',
    'COPY public.alembic_version (version_num) FROM stdin;',
    'a1b2c3',
    'd4e5f6',
    '\\.',
    'COPY "Sales"."Order ""Items""" (id, note) FROM stdin;',
    '1\ttwo\\nlines',
    '2\t\\N',
    '\\.',
    'COPY public.empty (id) FROM stdin;',
    '\\.',
    '-- COPY public.fake (id) FROM stdin; in a comment is not a block',
    '--',
    '-- PostgreSQL database dump complete',
    '--',
    '',
  ].join('\n')
  const scanner = new DumpTextScanner('public.alembic_version')
  for (let at = 0; at < dump.length; at += 7) scanner.push(dump.slice(at, at + 7))
  assert.deepEqual(scanner.facts(), {
    dumpedFrom: '16.4',
    dumpedBy: '16.6',
    rowCounts: { 'public.alembic_version': 2, 'Sales.Order "Items"': 2, 'public.empty': 0 },
    versionRows: ['a1b2c3', 'd4e5f6'],
    complete: true,
    switchesDatabase: undefined,
    definesTables: false,
    owners: ['assistant', 'Ops Team'],
  })
  const cut = new DumpTextScanner('public.alembic_version')
  cut.push(dump.slice(0, dump.indexOf('-- PostgreSQL database dump complete')))
  assert.equal(cut.facts().complete, false)
  // pg_dump --create: replayed into a restore copy, it would write into the database it names.
  const created = new DumpTextScanner('public.alembic_version')
  created.push(
    `-- Dumped by pg_dump version 16.6\nCREATE DATABASE assistant WITH TEMPLATE = template0;\n\\connect assistant\n`,
  )
  assert.equal(created.facts().switchesDatabase, 'CREATE DATABASE assistant WITH TEMPLATE = template0;')
})
