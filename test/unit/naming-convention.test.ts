import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { findNamingConvention } from '../../src/adopt/alembic/naming-convention.js'
import { tempDir } from '../helpers/temp-dir.js'

/** A project with `env.py` and `app/models.py` as given; its versions directory. */
function project(
  t: Parameters<typeof tempDir>[0],
  envPy: string,
  models?: string,
): { root: string; versions: string } {
  const root = tempDir(t)
  const versions = join(root, 'alembic', 'versions')
  mkdirSync(versions, { recursive: true })
  writeFileSync(join(root, 'alembic', 'env.py'), envPy)
  if (models !== undefined) {
    mkdirSync(join(root, 'app'))
    writeFileSync(join(root, 'app', 'models.py'), models)
  }
  return { root, versions }
}

test('the naming_convention is read from env.py or the models it imports, in each way SQLAlchemy projects write it', (t) => {
  const literal = project(
    t,
    'from sqlalchemy import MetaData\ntarget_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s", "uq": "uq_%(table_name)s_%(column_0_name)s"})\n',
  )
  assert.deepEqual(findNamingConvention(literal.versions, literal.root), {
    source: 'alembic/env.py',
    templates: {
      pk: 'pk_%(table_name)s',
      uq: 'uq_%(table_name)s_%(column_0_name)s',
      ck: undefined,
      fk: undefined,
      ix: 'ix_%(column_0_label)s',
    },
  })
  const named = project(
    t,
    'from app.models import metadata as target_metadata\n',
    '# the conventions\nconvention: dict = {\n    "primary_key_constraint": "pk_%(table_name)s",  # long key names too\n    "ix": "ix_%(table_name)s_%(column_0_name)s",\n}\nmetadata = MetaData(naming_convention=convention)\n',
  )
  assert.deepEqual(findNamingConvention(named.versions, named.root)?.templates, {
    pk: 'pk_%(table_name)s',
    uq: undefined,
    ck: undefined,
    fk: undefined,
    ix: 'ix_%(table_name)s_%(column_0_name)s',
  })
  const call = project(
    t,
    'target_metadata = db.metadata\n',
    'db = SQLAlchemy(metadata=MetaData(naming_convention=dict(fk="fk_%(table_name)s")))\n',
  )
  assert.equal(findNamingConvention(call.versions, call.root)?.templates?.fk, 'fk_%(table_name)s')

  const code = project(t, 'target_metadata = MetaData(naming_convention=make_convention())\n')
  assert.deepEqual(findNamingConvention(code.versions, code.root), {
    source: 'alembic/env.py',
    templates: undefined,
  })
  const none = project(t, 'target_metadata = None\n', 'metadata = MetaData()\n')
  assert.equal(findNamingConvention(none.versions, none.root), undefined)
})
