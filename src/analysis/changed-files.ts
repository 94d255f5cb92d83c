import { spawnSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { InvalidInputError } from '../errors/index.js'

/**
 * The files a branch changed since it left `ref` (`origin/main`): what `git diff` shows
 * from the merge base of `ref` and HEAD to the working tree (commits of the branch and
 * uncommitted edits), plus new files git does not track yet. Deleted files are left
 * out, and so are files only renamed or moved (`git mv`, or a plain `mv` not yet
 * added): their migrations are the ones `ref` has, and checking them again would
 * report `ref`'s findings as the branch's. Absolute paths. The merge base, not `ref`
 * itself: the commits `ref` gained since the branch started are not the branch's.
 */
export function filesChangedSince(ref: string, directory: string): Set<string> {
  // Real path: git prints the top level with symbolic links resolved, and so are the
  // migration paths these are compared with.
  const top = realpathSync(git(['rev-parse', '--show-toplevel'], directory, ref).trim())
  const base = git(['merge-base', ref, 'HEAD'], directory, ref).trim()
  const changed = changedPaths(git(['diff', '--raw', '--no-abbrev', '-z', '-M', base, '--'], directory, ref))
  const untracked = git(['ls-files', '--others', '--exclude-standard', '-z', '--full-name'], top, ref)
    .split('\0')
    .filter((path) => path !== '')
  // A file moved with a plain `mv`: deleted at its old path, untracked at its new one, same content.
  const untrackedBlobs =
    changed.deletedBlobs.size === 0 || untracked.length === 0
      ? []
      : lines(git(['hash-object', '--stdin-paths'], top, ref, `${untracked.join('\n')}\n`))
  const untrackedChanged = untracked.filter(
    (_, index) => !changed.deletedBlobs.has(untrackedBlobs[index] ?? ''),
  )
  return new Set([...changed.edited, ...untrackedChanged].map((path) => resolve(top, path)))
}

/**
 * `git diff --raw -z`: added or edited paths (renames with edits too), and the content
 * (blob ids) of deleted ones. Each entry is `:<mode> <mode> <old blob> <new blob> <status>`,
 * then its path, or for a rename or copy its old and new paths.
 */
function changedPaths(output: string): { edited: string[]; deletedBlobs: Set<string> } {
  const fields = output.split('\0')
  const edited: string[] = []
  const deletedBlobs = new Set<string>()
  for (let index = 0; index < fields.length; ) {
    const entry = fields[index++] ?? ''
    if (!entry.startsWith(':')) continue
    const [, , oldBlob, , status = ''] = entry.slice(1).split(' ')
    if (status.startsWith('R') || status.startsWith('C')) {
      index++ // the old path
      const path = fields[index++]!
      // R100: the same content under another name.
      if (status !== 'R100') edited.push(path)
    } else if (status === 'D') {
      index++
      if (oldBlob !== undefined) deletedBlobs.add(oldBlob)
    } else edited.push(fields[index++]!)
  }
  return { edited, deletedBlobs }
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '')
}

function git(args: readonly string[], cwd: string, ref: string, input?: string): string {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  })
  if (result.error !== undefined) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new InvalidInputError('--changed-since needs git, which is not installed here', {
        hint: 'install git, or name the files to check: strata check migrations/versions/<file>',
      })
    throw new InvalidInputError(`git ${args[0]} could not run: ${result.error.message}`, {
      hint: 'name the files to check instead: strata check migrations/versions/<file>',
    })
  }
  if (result.status === 0) return result.stdout
  const stderr = result.stderr.trim()
  if (/not a git repository/i.test(stderr)) {
    throw new InvalidInputError(`--changed-since needs a git repository: ${cwd} is not in one`, {
      hint: "run it in the project's checkout, or name the files to check instead",
    })
  }
  if (args[0] === 'merge-base' || /unknown revision|bad revision|not a valid object name/i.test(stderr)) {
    throw new InvalidInputError(
      `git does not know ${ref} here (${firstLine(stderr) || 'no common commit with HEAD'})`,
      {
        hint: `fetch it first (git fetch origin); in GitHub Actions check out the history too: actions/checkout with fetch-depth: 0`,
      },
    )
  }
  throw new InvalidInputError(`git ${args.join(' ')} failed: ${firstLine(stderr)}`)
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? ''
}
