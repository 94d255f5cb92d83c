/** The file templates of `strata revision --template`, from the guide's "Migration Templates". */
export const TEMPLATE_NAMES = ['blank', 'add-column', 'add-index', 'add-foreign-key'] as const
export type TemplateName = (typeof TEMPLATE_NAMES)[number]

interface TemplateBody {
  readonly up: string
  readonly down: string
}

const SQL_BODIES: Record<TemplateName, TemplateBody> = {
  blank: { up: '', down: '' },
  'add-column': {
    up: 'ALTER TABLE table_name ADD COLUMN column_name text;',
    down: 'ALTER TABLE table_name DROP COLUMN column_name;',
  },
  'add-index': {
    up: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_table_column ON table_name (column_name);',
    down: 'DROP INDEX CONCURRENTLY IF EXISTS ix_table_column;',
  },
  'add-foreign-key': {
    up: [
      '-- NOT VALID takes a brief lock; VALIDATE then checks existing rows without blocking writes.',
      'ALTER TABLE child_table ADD CONSTRAINT fk_child_parent_id FOREIGN KEY (parent_id) REFERENCES parent_table (id) NOT VALID;',
      'ALTER TABLE child_table VALIDATE CONSTRAINT fk_child_parent_id;',
    ].join('\n'),
    down: 'ALTER TABLE child_table DROP CONSTRAINT fk_child_parent_id;',
  },
}

/** Whether a template must run outside a transaction (CONCURRENTLY). */
export function templateIsTransactional(template: TemplateName): boolean {
  return template !== 'add-index'
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
      }
    | undefined
}

const tsValue = (values: readonly string[]) =>
  values.length === 0
    ? 'null'
    : values.length === 1
      ? `'${values[0]}'`
      : `[${values.map((value) => `'${value}'`).join(', ')}]`

function indent(sql: string): string[] {
  return sql.split('\n')
}

export function renderTsMigration(fields: TemplateFields): string {
  const body = SQL_BODIES[fields.template]
  const transactional = templateIsTransactional(fields.template)
  const call = (sql: string) =>
    sql === ''
      ? ['  // await op.execute(`...`)']
      : indent(sql)
          .filter((line) => !line.startsWith('--'))
          .map((statement) => `  await op.execute(\`${statement.replace(/;$/, '')}\`)`)
  const lines = [
    '/**',
    // `*/` in the message would end the comment and leave the rest as code.
    ` * ${fields.message.replaceAll('*/', '*\\/')}`,
    ' *',
    ` * Revision ID: ${fields.revision}`,
    ` * Revises: ${fields.downRevisions.join(', ') || '<base>'}`,
    ` * Create Date: ${fields.createDate}`,
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
  if (!transactional)
    lines.push(
      '// CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction.',
      'export const transactional = false',
    )
  lines.push('', 'export async function upgrade(op: MigrationOp) {', ...call(body.up), '}', '')
  lines.push('export async function downgrade(op: MigrationOp) {', ...call(body.down), '}', '')
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
  if (!templateIsTransactional(fields.template)) lines.push('-- transactional: false')
  lines.push(`-- create_date: ${fields.createDate}`)
  lines.push('', '-- migrate:up', body.up, '')
  if (body.down !== undefined) lines.push('-- migrate:down', body.down, '')
  return lines.join('\n')
}
