import { defineRule } from './rule.js'

export default defineRule({
  id: 'revision-id-too-long',
  level: 'error',
  summary: "a revision id longer than the version table's version_num column cannot be recorded",
  examples: { flagged: [], accepted: [{ sql: 'SELECT 1;', runner: true }] },
  check(context) {
    const revision = context.migration.revision
    if (revision === undefined || revision.length <= context.versionColumnLength) return []
    return [
      {
        message: `revision ${revision} is ${revision.length} characters; version_num holds ${context.versionColumnLength}: recording it fails after the migration ran`,
        fix: `rename the revision to at most ${context.versionColumnLength} characters (strata revision generates 12), and update down_revision of its children`,
      },
    ]
  },
})
