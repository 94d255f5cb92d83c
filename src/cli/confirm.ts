import { createInterface } from 'node:readline/promises'
import { UsageError } from '../errors/index.js'

/**
 * Asks a yes/no question on the terminal; only "y" or "yes" agrees. Without a terminal
 * (a script, CI) nobody can answer, so it refuses and names the flag that confirms.
 */
export async function confirm(question: string, flag = '--yes'): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new UsageError(
      `${question.replace(/\?$/, '')}: needs confirmation, and there is no terminal to ask on`,
      {
        hint: `pass ${flag} to confirm`,
      },
    )
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await prompt.question(`${question} [y/N] `)
    return /^(y|yes)$/i.test(answer.trim())
  } finally {
    prompt.close()
  }
}
