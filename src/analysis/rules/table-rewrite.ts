import { defineRule, perStatement } from './rule.js'

/**
 * The rewrites no other rule names: ALTER TABLE subcommands whose only job is to write
 * the table again (a type change, VACUUM FULL, a volatile default and the rest have
 * rules of their own, with their own safe recipes).
 */
const REWRITES: Readonly<Record<string, string>> = {
  'SET LOGGED':
    'it writes the whole table to WAL as well, so standbys fall behind by its size; there is no online form: schedule it in a maintenance window, or build a logged copy and swap it in (TS: await op.rebuildTable(...))',
  'SET UNLOGGED':
    'an unlogged table is emptied after a crash and is not replicated to standbys: make sure that is meant; there is no online form',
  'SET TABLESPACE copies every page':
    'move it online with pg_repack --tablespace, or build the copy in the new tablespace and swap it in (TS: await op.rebuildTable(...))',
  'SET ACCESS METHOD':
    'build a copy with the new access method and swap it in (TS: await op.rebuildTable(...)), or run it in a maintenance window',
}

export default defineRule({
  id: 'table-rewrite',
  level: 'error',
  summary:
    'ALTER TABLE SET LOGGED / UNLOGGED / TABLESPACE / ACCESS METHOD writes the whole table again under ACCESS EXCLUSIVE',
  examples: {
    flagged: [
      'ALTER TABLE users SET TABLESPACE fast_ssd;',
      'ALTER TABLE users SET LOGGED;',
      'ALTER TABLE events SET UNLOGGED;',
      'ALTER TABLE users SET ACCESS METHOD heap;',
    ],
    accepted: [
      'CREATE UNLOGGED TABLE staging (id bigint); ALTER TABLE staging SET LOGGED;',
      'ALTER TABLE users SET (fillfactor = 90);',
    ],
  },
  check: perStatement(
    (statement) =>
      statement.effects.rewrites
        .filter((rewrite) => rewrite.existing && REWRITES[rewrite.why] !== undefined)
        .map((rewrite) => ({
          statement,
          message: `${rewrite.why.replace(' copies every page', '')} rewrites ${rewrite.table} under ACCESS EXCLUSIVE: no reads or writes until every page is written again`,
          fix: REWRITES[rewrite.why]!,
        })),
    ['AlterTableStmt'],
  ),
})
