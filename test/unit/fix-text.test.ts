import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  checkConditionText,
  columnDefaultText,
  generatedExpressionText,
  usingExpressionText,
} from '../../src/analysis/rules/fix-names.js'

test('expressions are read back from the SQL as written, up to the next clause or command', () => {
  assert.equal(
    columnDefaultText(
      'ALTER TABLE t ADD COLUMN n numeric(12,2) DEFAULT round(random() * 10, 2) NOT NULL',
      'n',
    ),
    'round(random() * 10, 2)',
  )
  assert.equal(
    columnDefaultText("ALTER TABLE t ADD COLUMN s text DEFAULT 'a, b', ADD COLUMN u int", 's'),
    "'a, b'",
  )
  assert.equal(
    columnDefaultText('ALTER TABLE t ADD COLUMN a int DEFAULT 1, ADD COLUMN b int DEFAULT 2;', 'b'),
    '2',
  )
  assert.equal(columnDefaultText('ALTER TABLE t ADD COLUMN a int DEFAULT 1, ADD COLUMN b int', 'a'), '1')
  assert.equal(
    columnDefaultText('ALTER TABLE t ADD COLUMN "Nullable" int DEFAULT nullif(1, 2)', 'Nullable'),
    'nullif(1, 2)',
  )
  assert.equal(columnDefaultText('ALTER TABLE t ADD COLUMN a int NOT NULL', 'a'), undefined)
  assert.equal(
    usingExpressionText(
      "ALTER TABLE t ALTER COLUMN s TYPE int USING CASE s WHEN 'a' THEN 1 ELSE 0 END, ALTER COLUMN x TYPE text",
      's',
    ),
    "CASE s WHEN 'a' THEN 1 ELSE 0 END",
  )
  assert.equal(usingExpressionText('ALTER TABLE t ALTER COLUMN s TYPE int', 's'), undefined)
  assert.equal(
    generatedExpressionText("ALTER TABLE t ADD COLUMN l text GENERATED ALWAYS AS (lower(a || ')')) STORED"),
    "lower(a || ')')",
  )
  assert.equal(checkConditionText("ALTER TABLE t ADD CHECK (a IN ('(', 'b'))", undefined), "a IN ('(', 'b')")
})
