import type { MigrationPhase } from './migration.js'
/** The file templates of `strata revision --template`, from the guide's "Migration Templates". */
export const TEMPLATE_NAMES = ['blank', 'add-column', 'add-index', 'add-foreign-key'] as const
export type TemplateName = (typeof TEMPLATE_NAMES)[number]

interface TemplateBody {
  readonly up: string
  readonly down: string
  /** False for a body that must run outside a transaction (CONCURRENTLY, a VALIDATE committed apart). */
  readonly transactional: boolean
  /** Why, as a comment above `transactional = false`. */
  readonly why?: string
}

// Each template is the safe form of its change: `strata check` has nothing to say about
// it. The guide's add-foreign-key template validates in the ADD's transaction, which
// keeps the ADD's lock on both tables for the whole scan; here VALIDATE commits apart.
const SQL_BODIES: Record<TemplateName, TemplateBody> = {
  blank: { up: '', down: '', transactional: true },
  'add-column': {
    up: 'ALTER TABLE table_name ADD COLUMN column_name text;',
    down: 'ALTER TABLE table_name DROP COLUMN column_name;',
    transactional: true,
  },
  'add-index': {
    up: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_table_column ON table_name (column_name);',
    down: 'DROP INDEX CONCURRENTLY IF EXISTS ix_table_column;',
    transactional: false,
  },
  'add-foreign-key': {
    up: [
      '-- NOT VALID takes a brief lock; VALIDATE, committed apart, then checks existing rows',
      '-- without blocking writes. Each statement commits on its own: the DROP lets a re-run',
      '-- after an interruption start over.',
      'ALTER TABLE child_table DROP CONSTRAINT IF EXISTS fk_child_parent_id;',
      'ALTER TABLE child_table ADD CONSTRAINT fk_child_parent_id FOREIGN KEY (parent_id) REFERENCES parent_table (id) NOT VALID;',
      'ALTER TABLE child_table VALIDATE CONSTRAINT fk_child_parent_id;',
    ].join('\n'),
    down: 'ALTER TABLE child_table DROP CONSTRAINT IF EXISTS fk_child_parent_id;',
    transactional: false,
  },
}

/** The same changes through the op API, whose recipes do the committing apart themselves. */
const TS_BODIES: Record<TemplateName, TemplateBody> = {
  blank: { up: '  // await op.execute(`...`)', down: '  // await op.execute(`...`)', transactional: true },
  'add-column': {
    up: "  await op.addColumn('table_name', { name: 'column_name', type: 'text' })",
    down: "  await op.dropColumn('table_name', 'column_name')",
    transactional: true,
  },
  'add-index': {
    up: "  await op.createIndex('ix_table_column', 'table_name', ['column_name'], { concurrently: true })",
    down: "  await op.dropIndex('ix_table_column', { concurrently: true, ifExists: true })",
    transactional: false,
    why: 'CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction.',
  },
  'add-foreign-key': {
    up: [
      '  // NOT VALID (a brief lock), then VALIDATE in a transaction of its own (writes continue).',
      "  await op.addForeignKeySafely('fk_child_parent_id', 'child_table', 'parent_table', ['parent_id'], ['id'])",
    ].join('\n'),
    down: "  await op.dropConstraint('fk_child_parent_id', 'child_table', { ifExists: true })",
    transactional: true,
  },
}

/** Whether a template's SQL migration runs in a transaction (not for CONCURRENTLY). */
export function templateIsTransactional(template: TemplateName): boolean {
  return SQL_BODIES[template].transactional
}

export interface TemplateFields {
  readonly revision: string
  readonly downRevisions: readonly string[]
  readonly message: string
  readonly branchLabels: readonly string[]
  readonly dependsOn: readonly string[]
  readonly createDate: string
  readonly template: TemplateName
  /**
   * The SQL instead of the template's (`strata revision --baseline`); without `down` the
   * migration has no downgrade section, so it cannot be reverted.
   */
  readonly body?:
    | {
        readonly up: string
        readonly down?: string | undefined
        /** `strata check` findings accepted for the whole migration: `rule: reason`. */
        readonly allow?: readonly string[] | undefined
        /** False: the SQL runs outside a transaction (a converted CONCURRENTLY build). */
        readonly transactional?: boolean | undefined
        /** The deploy phase it belongs to (a generated contract step). */
        readonly phase?: MigrationPhase | undefined
      }
    | undefined
}

const tsValue = (values: readonly string[]) =>
  values.length === 0
    ? 'null'
    : values.length === 1
      ? `'${values[0]}'`
      : `[${values.map((value) => `'${value}'`).join(', ')}]`

/**
 * A TypeScript migration's opening: the doc comment (with `notes` after its facts), the
 * `strata` type import and the exports that place it in the history. `strata revision`
 * and `strata convert --scaffold` write it the same way.
 */
export function tsMigrationHeader(
  fields: Pick<TemplateFields, 'revision' | 'downRevisions' | 'message' | 'branchLabels' | 'dependsOn'> & {
    readonly createDate?: string | undefined
  },
  notes: readonly string[] = [],
): string[] {
  const lines = [
    '/**',
    // `*/` in the message would end the comment and leave the rest as code.
    ` * ${fields.message.replaceAll('*/', '*\\/')}`,
    ' *',
    ` * Revision ID: ${fields.revision}`,
    ` * Revises: ${fields.downRevisions.join(', ') || '<base>'}`,
    ...(fields.createDate ? [` * Create Date: ${fields.createDate}`] : []),
    ...(notes.length > 0 ? [' *', ...notes.map((note) => ` * ${note}`)] : []),
    ' */',
    "import type { MigrationOp } from 'strata'",
    '',
    `export const revision = '${fields.revision}'`,
    `export const downRevision: string | string[] | null = ${tsValue(fields.downRevisions)}`,
    `export const message = ${JSON.stringify(fields.message)}`,
  ]
  if (fields.branchLabels.length > 0)
    lines.push(`export const branchLabels = [${fields.branchLabels.map((label) => `'${label}'`).join(', ')}]`)
  if (fields.dependsOn.length > 0)
    lines.push(`export const dependsOn = [${fields.dependsOn.map((item) => `'${item}'`).join(', ')}]`)
  return lines
}

export function renderTsMigration(fields: TemplateFields): string {
  const body = TS_BODIES[fields.template]
  const lines = tsMigrationHeader(fields)
  if (!body.transactional) lines.push(`// ${body.why}`, 'export const transactional = false')
  lines.push('', 'export async function upgrade(op: MigrationOp) {', body.up, '}', '')
  lines.push('export async function downgrade(op: MigrationOp) {', body.down, '}', '')
  return lines.join('\n')
}

export function renderSqlMigration(fields: TemplateFields): string {
  const body = fields.body ?? SQL_BODIES[fields.template]
  const lines = [
    `-- revision: ${fields.revision}`,
    `-- down_revision: ${fields.downRevisions.join(', ') || 'none'}`,
    `-- message: ${fields.message}`,
    ...(fields.body?.allow ?? []).map((allow) => `-- strata:allow ${allow}`),
  ]
  if (fields.branchLabels.length > 0) lines.push(`-- branch_labels: ${fields.branchLabels.join(', ')}`)
  if (fields.dependsOn.length > 0) lines.push(`-- depends_on: ${fields.dependsOn.join(', ')}`)
  if (fields.body?.phase !== undefined) lines.push(`-- phase: ${fields.body.phase}`)
  if (!templateIsTransactional(fields.template) || fields.body?.transactional === false)
    lines.push('-- transactional: false')
  lines.push(`-- create_date: ${fields.createDate}`)
  lines.push('', '-- migrate:up', body.up, '')
  if (body.down !== undefined) lines.push('-- migrate:down', body.down, '')
  return lines.join('\n')
}
