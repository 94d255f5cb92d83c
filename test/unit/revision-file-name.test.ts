import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resolveConfig } from '../../src/config/load-config.js'
import { fileTemplateProblem, revisionFileName } from '../../src/graph/revision-file-name.js'

const fields = { revision: 'ab12cd34ef56', slug: 'add_users', now: new Date(2026, 0, 5, 7, 8, 9) }

test("file names from Alembic's file_template tokens: padding as Python's %-format pads", () => {
  assert.equal(revisionFileName('%(rev)s_%(slug)s', fields), 'ab12cd34ef56_add_users')
  assert.equal(
    revisionFileName('%(year)d%(month).2d%(day).2d_%(hour).2d%(minute).2d_%(rev)s_%(slug)s', fields),
    '20260105_0708_ab12cd34ef56_add_users',
  )
  assert.equal(
    revisionFileName('%(year)d-%(month)02d-%(day)d-%(second).2d_%(rev)s', fields),
    '2026-01-5-09_ab12cd34ef56',
  )
  assert.equal(
    revisionFileName('%(epoch)s_%(rev)s', fields),
    `${Math.floor(fields.now.getTime() / 1000)}_ab12cd34ef56`,
  )
})

test('a template that cannot name migration files is refused with why', () => {
  assert.equal(fileTemplateProblem('%(year)d_%(rev)s_%(slug)s'), undefined)
  assert.match(fileTemplateProblem('%(slug)s')!, /needs %\(rev\)s/)
  assert.match(fileTemplateProblem('%(rev)s_%(author)s')!, /%\(author\) is not a token/)
  assert.match(fileTemplateProblem('%(year)d/%(rev)s')!, /names a file, not a directory/)
  assert.match(fileTemplateProblem('%(rev)s_100%')!, /a % that is not a %\(token\)s/)
  assert.throws(
    () => resolveConfig({ migrations: { fileTemplate: '%%(rev)s_%(slug)' } }, '/p/strata.config.json', '/p'),
    (error: Error) =>
      /^strata\.config\.json: migrations\.fileTemplate: "%%\(rev\)s_%\(slug\)" a % that is not/.test(
        error.message.replace(/^\/p\//, ''),
      ),
  )
})
