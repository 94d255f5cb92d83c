import { typeName, typeRule } from './type-rule.js'

export default typeRule({
  id: 'prefer-jsonb',
  summary: 'json stores text and re-parses it on every access, and cannot be indexed or compared; jsonb can',
  matches: (column) => column.type.name === 'json',
  message: (column) =>
    `${typeName(column)} uses json: no equality operator (breaks DISTINCT, UNIQUE), no GIN index`,
  fix: (column) => `declare ${column.column} as jsonb\nTS: { name: '${column.column}', type: 'jsonb' }`,
  examples: {
    flagged: ['ALTER TABLE users ADD COLUMN preferences json;'],
    accepted: ['ALTER TABLE users ADD COLUMN preferences jsonb;'],
  },
})
