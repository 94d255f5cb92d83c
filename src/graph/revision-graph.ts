import { AmbiguousTargetError, InvalidMigrationError, RevisionNotFoundError } from '../errors/index.js'
import { didYouMean } from '../util/closest-match.js'
import type { MigrationMeta } from './migration.js'

/** The words a target may be instead of a revision, for "did you mean" (`hed` → `head`). */
const TARGET_WORDS = ['head', 'heads', 'base', 'current']

/**
 * The revision graph: parents (`downRevisions`), children, dependencies, branch
 * labels, heads and bases. Built once per command from the migration files;
 * immutable afterwards. Every walk is iterative, so long histories (thousands of
 * revisions) never overflow the stack.
 *
 * Two kinds of edge matter:
 *   - parent edges (downRevision) define branches, merges, heads and bases;
 *   - dependency edges (dependsOn) only add prerequisites: a dependency must be
 *     applied first, but the two revisions stay on their own branches.
 */
export class RevisionGraph {
  readonly #byId = new Map<string, MigrationMeta>()
  readonly #children = new Map<string, string[]>()
  readonly #dependents = new Map<string, string[]>()
  readonly #labels = new Map<string, string>()
  readonly #resolvedDependencies = new Map<string, readonly string[]>()
  /** Revisions in file order (as loaded): the tie-breaker that keeps every ordering stable. */
  readonly #order: readonly string[]
  readonly #position = new Map<string, number>()
  readonly heads: readonly string[]
  readonly bases: readonly string[]

  constructor(migrations: readonly MigrationMeta[]) {
    for (const migration of migrations) this.#byId.set(migration.revision, migration)
    for (const migration of migrations) {
      for (const label of migration.branchLabels) this.#labels.set(label, migration.revision)
    }
    for (const migration of migrations) {
      for (const parent of migration.downRevisions) push(this.#children, parent, migration.revision)
      const dependencies = migration.dependsOn.map((reference) => this.#labels.get(reference) ?? reference)
      this.#resolvedDependencies.set(migration.revision, dependencies)
      for (const dependency of dependencies) push(this.#dependents, dependency, migration.revision)
    }
    this.#order = migrations.map((migration) => migration.revision)
    for (const [index, revision] of this.#order.entries()) this.#position.set(revision, index)
    this.heads = this.#order.filter((revision) => (this.#children.get(revision) ?? []).length === 0)
    this.bases = this.#order.filter((revision) => this.get(revision).downRevisions.length === 0)
  }

  get size(): number {
    return this.#byId.size
  }

  /** A revision's index in file order, for stable sorting. */
  position(revision: string): number {
    return this.#position.get(revision) ?? -1
  }

  has(revision: string): boolean {
    return this.#byId.has(revision)
  }

  /** The migration with this exact id; throws for an unknown one. */
  get(revision: string): MigrationMeta {
    const migration = this.#byId.get(revision)
    if (migration === undefined) throw new RevisionNotFoundError(`no migration has revision "${revision}"`)
    return migration
  }

  all(): MigrationMeta[] {
    return this.#order.map((revision) => this.#byId.get(revision)!)
  }

  children(revision: string): readonly string[] {
    return this.#children.get(revision) ?? []
  }

  parents(revision: string): readonly string[] {
    return this.get(revision).downRevisions
  }

  /** Dependencies with branch labels resolved to the revisions that carry them. */
  dependencies(revision: string): readonly string[] {
    return this.#resolvedDependencies.get(revision) ?? []
  }

  /** Revisions that must be applied before this one: parents, then dependencies. */
  prerequisites(revision: string): readonly string[] {
    return [...this.parents(revision), ...this.dependencies(revision)]
  }

  /** Revisions that need this one: children and dependents. */
  successors(revision: string): readonly string[] {
    return [...this.children(revision), ...(this.#dependents.get(revision) ?? [])]
  }

  isBranchPoint(revision: string): boolean {
    return this.children(revision).length > 1
  }

  isMergePoint(revision: string): boolean {
    return this.parents(revision).length > 1
  }

  isHead(revision: string): boolean {
    return this.children(revision).length === 0
  }

  /** The revision that declares a branch label, if any. */
  labelRevision(label: string): string | undefined {
    return this.#labels.get(label)
  }

  labels(): readonly string[] {
    return [...this.#labels.keys()]
  }

  /** The branch labels that apply to a revision: its own and those of its ancestors on a single line. */
  branchLabelsOf(revision: string): string[] {
    const labels = new Set<string>()
    for (const ancestor of this.ancestors([revision], { includeSelf: true, followDependencies: false })) {
      for (const label of this.get(ancestor).branchLabels) labels.add(label)
    }
    return [...labels]
  }

  /** Every revision reachable downwards (parents, and dependencies unless told not to). */
  ancestors(
    from: Iterable<string>,
    options: { includeSelf?: boolean; followDependencies?: boolean } = {},
  ): Set<string> {
    return this.#walk(from, options.includeSelf ?? false, (revision) =>
      options.followDependencies === false ? this.parents(revision) : this.prerequisites(revision),
    )
  }

  /** Every revision reachable upwards (children, and dependents unless told not to). */
  descendants(
    from: Iterable<string>,
    options: { includeSelf?: boolean; followDependencies?: boolean } = {},
  ): Set<string> {
    return this.#walk(from, options.includeSelf ?? false, (revision) =>
      options.followDependencies === false ? this.children(revision) : this.successors(revision),
    )
  }

  #walk(
    from: Iterable<string>,
    includeSelf: boolean,
    next: (revision: string) => readonly string[],
  ): Set<string> {
    const seen = new Set<string>()
    const stack: string[] = []
    for (const start of from) {
      if (includeSelf) seen.add(start)
      stack.push(...next(start))
    }
    while (stack.length > 0) {
      const revision = stack.pop()!
      if (seen.has(revision)) continue
      seen.add(revision)
      stack.push(...next(revision))
    }
    return seen
  }

  /** Heads reachable from a revision by parent edges (its branch's heads). */
  headsAbove(revision: string): string[] {
    const above = this.descendants([revision], { includeSelf: true, followDependencies: false })
    return this.heads.filter((head) => above.has(head))
  }

  /**
   * An order in which `revisions` can be applied: every prerequisite before the
   * revisions that need it. Branches are kept together (a depth-first order), and
   * ties follow file order, so the same graph always gives the same plan.
   */
  upgradeOrder(revisions: ReadonlySet<string>): string[] {
    const ordered: string[] = []
    const state = new Map<string, 'visiting' | 'done'>()
    const roots = this.#order.filter((revision) => revisions.has(revision))
    for (const root of roots) {
      if (state.has(root)) continue
      // Iterative post-order DFS over prerequisites inside the set.
      const stack: { revision: string; expanded: boolean }[] = [{ revision: root, expanded: false }]
      while (stack.length > 0) {
        const frame = stack.at(-1)!
        if (frame.expanded) {
          stack.pop()
          if (state.get(frame.revision) !== 'done') {
            state.set(frame.revision, 'done')
            ordered.push(frame.revision)
          }
          continue
        }
        frame.expanded = true
        if (state.get(frame.revision) === 'done') {
          stack.pop()
          continue
        }
        state.set(frame.revision, 'visiting')
        const prerequisites = this.prerequisites(frame.revision).filter((revision) => revisions.has(revision))
        for (const prerequisite of [...prerequisites].reverse()) {
          if (state.get(prerequisite) === undefined) stack.push({ revision: prerequisite, expanded: false })
        }
      }
    }
    return ordered
  }

  /**
   * Finds a revision by full id, unique prefix or branch label. A prefix shared by
   * several revisions is refused with the candidates listed.
   */
  lookup(reference: string): string {
    if (this.#byId.has(reference)) return reference
    const labelled = this.#labels.get(reference)
    if (labelled !== undefined) return labelled
    const candidates = this.#order.filter((revision) => revision.startsWith(reference))
    if (candidates.length === 1) return candidates[0]!
    if (candidates.length > 1) {
      throw new AmbiguousTargetError(
        `"${reference}" is ambiguous: it is the start of ${candidates.length} revisions`,
        candidates,
        {
          hint: `give more characters: ${candidates.map((candidate) => this.#describe(candidate)).join('; ')}`,
        },
      )
    }
    throw new RevisionNotFoundError(
      `no revision or branch label "${reference}".${didYouMean(reference, [...this.#order, ...this.#labels.keys(), ...TARGET_WORDS])}`,
      { hint: '`strata history` lists every revision; `strata branches` the branch labels' },
    )
  }

  #describe(revision: string): string {
    const { message } = this.get(revision)
    return message ? `${revision} (${message})` : revision
  }

  /** Checks what makes a graph unusable: unknown references and cycles. */
  static validate(migrations: readonly MigrationMeta[]): void {
    const ids = new Set(migrations.map((migration) => migration.revision))
    const labels = new Set(migrations.flatMap((migration) => migration.branchLabels))
    for (const migration of migrations) {
      for (const parent of migration.downRevisions) {
        if (!ids.has(parent)) {
          throw new InvalidMigrationError(
            `${migration.revision}: downRevision "${parent}" names no migration.${didYouMean(parent, ids)}`,
            { where: migration.file, hint: 'fix the id, or restore the missing migration file' },
          )
        }
      }
      for (const dependency of migration.dependsOn) {
        if (!ids.has(dependency) && !labels.has(dependency)) {
          throw new InvalidMigrationError(
            `${migration.revision}: dependsOn "${dependency}" names no migration or branch label.${didYouMean(dependency, [...ids, ...labels])}`,
            { where: migration.file, hint: 'fix the id or label, or remove the dependency' },
          )
        }
      }
    }
    const cycle = findCycle(migrations, labels)
    if (cycle !== undefined) {
      const first = migrations.find((migration) => migration.revision === cycle[0])!
      throw new InvalidMigrationError(`the migrations form a cycle: ${cycle.join(' -> ')}`, {
        where: first.file,
        hint: 'a revision cannot (indirectly) be its own downRevision or dependency; fix one of these references',
      })
    }
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}

/** A cycle through parent or dependency edges, as a list of revisions, if one exists. */
function findCycle(migrations: readonly MigrationMeta[], labels: ReadonlySet<string>): string[] | undefined {
  const labelOwner = new Map<string, string>()
  for (const migration of migrations)
    for (const label of migration.branchLabels) labelOwner.set(label, migration.revision)
  const edges = new Map<string, string[]>()
  for (const migration of migrations) {
    const dependencies = migration.dependsOn.map((reference) =>
      labels.has(reference) ? labelOwner.get(reference)! : reference,
    )
    edges.set(migration.revision, [...migration.downRevisions, ...dependencies])
  }
  const state = new Map<string, 'visiting' | 'done'>()
  for (const start of edges.keys()) {
    if (state.has(start)) continue
    const path: string[] = []
    const stack: { revision: string; next: number }[] = [{ revision: start, next: 0 }]
    state.set(start, 'visiting')
    path.push(start)
    while (stack.length > 0) {
      const frame = stack.at(-1)!
      const targets = edges.get(frame.revision) ?? []
      if (frame.next >= targets.length) {
        state.set(frame.revision, 'done')
        stack.pop()
        path.pop()
        continue
      }
      const target = targets[frame.next++]!
      const targetState = state.get(target)
      if (targetState === 'visiting') return [...path.slice(path.indexOf(target)), target]
      if (targetState === undefined && edges.has(target)) {
        state.set(target, 'visiting')
        path.push(target)
        stack.push({ revision: target, next: 0 })
      }
    }
  }
  return undefined
}
