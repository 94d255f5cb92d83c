import { createInterface } from 'node:readline/promises'
import { UsageError } from '../errors/index.js'

/**
 * Refuses when nobody can answer a question (a script, CI): `subject` needs confirmation,
 * and the message names the flag that gives it.
 */
export function requireTerminal(subject: string, flag = '--yes'): void {
  if (process.stdin.isTTY) return
  throw new UsageError(`${subject} needs confirmation, and there is no terminal to ask on`, {
    hint: `pass ${flag} to confirm`,
  })
}

/**
 * Asks a yes/no question on the terminal; only "y" or "yes" agrees. Without a terminal
 * it refuses (see `requireTerminal`).
 */
export async function confirm(question: string, flag = '--yes'): Promise<boolean> {
  requireTerminal(`${question.replace(/\?$/, '')}:`, flag)
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await prompt.question(`${question} [y/N] `)
    return /^(y|yes)$/i.test(answer.trim())
  } finally {
    prompt.close()
  }
}
