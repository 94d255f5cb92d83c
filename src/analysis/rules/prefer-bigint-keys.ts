import { SMALL_INTEGER_TYPES } from '../column-types.js'
import { typeName, typeRule } from './type-rule.js'

export default typeRule({
  id: 'prefer-bigint-keys',
  summary:
    'integer keys run out at 2,147,483,647; changing a key type later rewrites the table and its referencing tables',
  matches: (column) => column.isKey && SMALL_INTEGER_TYPES.has(column.type.name),
  message: (column) =>
    `key column ${typeName(column)} is 32-bit or smaller: ids run out at 2.1 billion (or 32,767)`,
  fix: (column) => `declare ${column.column} as bigint (bigint GENERATED ALWAYS AS IDENTITY for new keys)`,
  examples: {
    flagged: [
      'CREATE TABLE users (id serial PRIMARY KEY);',
      'CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users (id));',
    ],
    accepted: ['CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, age int);'],
  },
})
