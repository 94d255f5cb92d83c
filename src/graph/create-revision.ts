import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidInputError, UsageError } from '../errors/index.js'
import { singleHead, targetRevisions } from '../runner/plan.js'
import { didYouMean } from '../util/closest-match.js'
import { ensureDirectory } from '../util/ensure-directory.js'
import { DEFAULT_FILE_TEMPLATE, revisionFileName } from './revision-file-name.js'
import type { RevisionGraph } from './revision-graph.js'
import { generateRevisionId, revisionIdProblem } from './revision-id.js'
import {
  renderSqlMigration,
  renderTsMigration,
  TEMPLATE_NAMES,
  type TemplateFields,
  type TemplateName,
} from './revision-templates.js'
import { parseTarget } from './target-syntax.js'

/** What `strata revision` and `strata merge` are asked to create. */
export interface RevisionRequest {
  readonly message: string
  readonly revId?: string | undefined
  /** Parent: `head` (default), `base` (a new root), a revision or `label@head`. */
  readonly head?: string | undefined
  /** Allow a parent that is not a head (starts a branch). */
  readonly splice?: boolean | undefined
  readonly branchLabels?: readonly string[] | undefined
  readonly dependsOn?: readonly string[] | undefined
  readonly sql?: boolean | undefined
  readonly template?: string | undefined
  /** SQL to write instead of a template's (an SQL migration; see `TemplateFields.body`). */
  readonly body?: TemplateFields['body']
  /** For `merge`: the revisions to merge; replaces `head`. */
  readonly merge?: readonly string[] | undefined
  readonly directory: string
  /** `migrations.fileTemplate`; default `%(rev)s_%(slug)s`. */
  readonly fileTemplate?: string | undefined
}

export interface CreatedRevision {
  readonly revision: string
  readonly file: string
  readonly downRevisions: readonly string[]
}

/**
 * Writes a new migration file. Its parent is the single head unless told otherwise;
 * with several heads it refuses and names them, since a new revision on one of them
 * would hide the conflict.
 */
export function createRevision(graph: RevisionGraph, request: RevisionRequest): CreatedRevision {
  // A message is a title, one line wherever it shows (history, the SQL header, the
  // file's doc comment): a newline in `-m` would end a `-- message:` comment early.
  const message = request.message.trim().replace(/\s+/g, ' ')
  if (message === '')
    throw new UsageError('a revision needs a message', { hint: 'strata revision -m "add user sessions"' })
  const template = (request.template ?? 'blank') as TemplateName
  if (!(TEMPLATE_NAMES as readonly string[]).includes(template)) {
    throw new UsageError(`unknown template "${request.template}".${didYouMean(template, TEMPLATE_NAMES)}`, {
      hint: `templates: ${TEMPLATE_NAMES.join(', ')}`,
    })
  }
  const revision = request.revId ?? generateRevisionId()
  const problem = revisionIdProblem(revision)
  if (problem !== undefined)
    throw new InvalidInputError(problem, { hint: 'omit --rev-id to get a generated one' })
  if (graph.has(revision))
    throw new InvalidInputError(`revision ${revision} already exists (${graph.get(revision).file})`)
  for (const label of request.branchLabels ?? []) {
    const labelProblem = revisionIdProblem(label, 'branch label')
    if (labelProblem !== undefined) throw new InvalidInputError(labelProblem)
    if (graph.labelRevision(label) !== undefined) {
      throw new InvalidInputError(`branch label "${label}" is already used by ${graph.labelRevision(label)}`)
    }
  }
  const downRevisions =
    request.merge !== undefined ? mergeParents(graph, request.merge) : parentOf(graph, request)
  const dependsOn = (request.dependsOn ?? []).map((reference) => {
    const parsed = parseTarget(reference)
    if (parsed.kind === 'revision' && graph.labelRevision(parsed.reference) !== undefined)
      return parsed.reference
    const [resolved] = targetRevisions(graph, parsed, [], new Set())
    if (resolved === undefined) throw new UsageError(`--depends-on ${reference} names no revision`)
    return resolved
  })
  ensureDirectory(request.directory)
  const slug = revisionSlug(message, 'revision')
  // A body is SQL (a baseline): it makes an SQL migration whatever --sql says.
  const sql = request.sql || request.body !== undefined
  const now = new Date()
  const name = revisionFileName(request.fileTemplate ?? DEFAULT_FILE_TEMPLATE, { revision, slug, now })
  const file = join(request.directory, `${name}.${sql ? 'sql' : 'ts'}`)
  if (existsSync(file)) throw new InvalidInputError(`${file} already exists`)
  const fields = {
    revision,
    downRevisions,
    message,
    branchLabels: request.branchLabels ?? [],
    dependsOn,
    createDate: now.toISOString().replace('T', ' ').replace('Z', ''),
    template,
    body: request.body,
  }
  writeFileSync(file, sql ? renderSqlMigration(fields) : renderTsMigration(fields), { flag: 'wx' })
  return { revision, file, downRevisions }
}

function parentOf(graph: RevisionGraph, request: RevisionRequest): string[] {
  const head = request.head ?? 'head'
  if (graph.size === 0 || head === 'base') return []
  if (head === 'head') return [singleHead(graph, undefined)]
  const [parent] = targetRevisions(graph, parseTarget(head), [], new Set())
  if (parent === undefined) return []
  if (!graph.isHead(parent) && !request.splice) {
    throw new UsageError(`${parent} is not a head: a new revision on it starts a new branch`, {
      hint: `pass --splice to branch from ${parent} on purpose, or --head ${graph.headsAbove(parent).join(' / ')}`,
    })
  }
  return [parent]
}

function mergeParents(graph: RevisionGraph, references: readonly string[]): string[] {
  const parents = [
    ...new Set(
      references.flatMap((reference) => targetRevisions(graph, parseTarget(reference), [], new Set())),
    ),
  ]
  if (parents.length < 2) {
    throw new UsageError(
      `"${references.join(' ')}" names ${parents.length === 0 ? 'no revision' : `only ${parents[0]}`}; nothing to merge`,
      {
        hint: 'name two or more heads, e.g. `strata merge -m "merge" heads`',
      },
    )
  }
  for (const parent of parents) {
    const others = parents.filter((other) => other !== parent)
    if (graph.ancestors(others).has(parent)) {
      throw new UsageError(
        `${parent} is an ancestor of another revision being merged; merge only branch tips`,
      )
    }
  }
  return parents
}

/**
 * The part of a migration's file name after its revision id, from its message. File
 * names stay ASCII (every file system and shell takes them): accents are dropped from
 * their letters (`Ünïcode` → `unicode`), other characters become `_`.
 */
export function revisionSlug(message: string, fallback: string): string {
  return (
    message
      .normalize('NFKD')
      .replace(/\p{Mn}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || fallback
  )
}
