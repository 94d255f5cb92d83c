import { typeName, typeRule } from './type-rule.js'

export default typeRule({
  id: 'prefer-text-over-char',
  summary: 'char(n) pads values with spaces and is slower than text or varchar',
  matches: (column) => column.type.name === 'bpchar',
  message: (column) => `${typeName(column)} is blank-padded: 'ab' is stored and compared as 'ab   '`,
  fix: (column) => `declare ${column.column} as text (with a CHECK on its length if it matters)`,
  examples: {
    flagged: ['CREATE TABLE countries (code char(2));'],
    accepted: ['CREATE TABLE countries (code text CHECK (char_length(code) = 2));'],
  },
})
