import { typeName, typeRule } from './type-rule.js'

export default typeRule({
  id: 'prefer-timestamptz',
  summary:
    "timestamp without time zone stores wall-clock times whose meaning depends on the writer's time zone",
  matches: (column) => column.type.name === 'timestamp',
  message: (column) =>
    `${typeName(column)} has no time zone: values written from servers in different zones are not comparable`,
  fix: (column) =>
    `declare ${column.column} as timestamptz\nTS: { name: '${column.column}', type: 'timestamptz' }`,
  examples: {
    flagged: ['CREATE TABLE sessions (created_at timestamp NOT NULL);'],
    accepted: ['CREATE TABLE sessions (created_at timestamptz NOT NULL DEFAULT now());'],
  },
})
