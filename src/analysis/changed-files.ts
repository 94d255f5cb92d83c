import { spawnSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { InvalidInputError } from '../errors/index.js'

/**
 * The files a branch changed since it left `ref` (`origin/main`): what `git diff` shows
 * from the merge base of `ref` and HEAD to the working tree (commits of the branch and
 * uncommitted edits), plus new files git does not track yet. Deleted files are left
 * out. Absolute paths. The merge base, not `ref` itself: the commits `ref` gained since
 * the branch started are not the branch's.
 */
export function filesChangedSince(ref: string, directory: string): Set<string> {
  // Real path: git prints the top level with symbolic links resolved, and so are the
  // migration paths these are compared with.
  const top = realpathSync(git(['rev-parse', '--show-toplevel'], directory, ref).trim())
  const base = git(['merge-base', ref, 'HEAD'], directory, ref).trim()
  const changed = git(['diff', '--name-only', '-z', '--diff-filter=d', base, '--'], directory, ref)
  const untracked = git(['ls-files', '--others', '--exclude-standard', '-z', '--full-name'], top, ref)
  return new Set(
    [...changed.split('\0'), ...untracked.split('\0')]
      .filter((path) => path !== '')
      .map((path) => resolve(top, path)),
  )
}

function git(args: readonly string[], cwd: string, ref: string): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.error !== undefined) {
    throw new InvalidInputError('--changed-since needs git, which is not installed here', {
      hint: 'install git, or name the files to check: strata check migrations/versions/<file>',
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
