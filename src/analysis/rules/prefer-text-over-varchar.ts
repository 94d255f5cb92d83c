import { sqlIdent } from './fix-names.js'
import { typeName, typeRule } from './type-rule.js'

export default typeRule({
  id: 'prefer-text-over-varchar',
  summary:
    'varchar(n) gains nothing over text, and raising its limit later can need an ACCESS EXCLUSIVE change',
  matches: (column) => column.type.name === 'varchar' && column.type.modifiers.length > 0,
  message: (column) =>
    `${typeName(column)} has a length limit: enforce it with a CHECK instead, which can be changed without a rewrite`,
  fix: (column) =>
    `${sqlIdent(column.column)} text, CONSTRAINT ${sqlIdent(`ck_${column.column.toLowerCase()}_length`)} CHECK (char_length(${sqlIdent(column.column)}) <= ${column.type.modifiers[0]})`,
  examples: {
    flagged: ['CREATE TABLE users (email varchar(255));'],
    accepted: ['CREATE TABLE users (email text);', 'CREATE TABLE users (email varchar);'],
  },
})
