import { spawnSync } from 'node:child_process'
import { OperationFailedError, UsageError } from '../errors/index.js'

/**
 * The editor a user has chosen, as git and Alembic find it: `VISUAL`, then `EDITOR`.
 * Undefined when neither is set.
 */
export function chosenEditor(
  env: NodeJS.ProcessEnv = process.env,
): { readonly command: string; readonly from: 'VISUAL' | 'EDITOR' } | undefined {
  for (const from of ['VISUAL', 'EDITOR'] as const) {
    const command = env[from]?.trim()
    if (command) return { command, from }
  }
  return undefined
}

/**
 * Opens `files` in the user's editor and waits for it to close. The editor's value is
 * run by the shell, as git runs it, so `code --wait` or `emacsclient -t` work; the file
 * names go to it as arguments, never through the shell's parsing.
 */
export function openInEditor(files: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const editor = chosenEditor(env)
  if (editor === undefined)
    throw new UsageError('no editor chosen: neither VISUAL nor EDITOR is set', {
      where: files.join(', '),
      hint: 'set one (export EDITOR=vim, or EDITOR="code --wait"), or open the file above yourself',
    })
  const { command, from } = editor
  const result = spawnSync('/bin/sh', ['-c', `${command} "$@"`, command, ...files], { stdio: 'inherit' })
  if (result.error !== undefined)
    throw new OperationFailedError(
      `could not start the editor ${command} (${from}): ${result.error.message}`,
      {
        hint: `check ${from}`,
      },
    )
  if (result.status === 127)
    throw new UsageError(`the editor ${command} (${from}) was not found`, {
      hint: `set ${from} to an editor this machine has (vim, nano, "code --wait")`,
    })
  if (result.status !== 0)
    throw new OperationFailedError(
      `the editor ${command} (${from}) exited with ${result.status ?? result.signal}`,
      {
        hint: 'the file holds whatever the editor saved before it stopped',
      },
    )
}
