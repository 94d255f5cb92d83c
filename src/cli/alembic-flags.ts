/**
 * Alembic options a user moving to Strata types out of habit, each with what to do in
 * Strata instead. Commander only says "unknown option"; these add the way forward.
 */
const ALEMBIC_ONLY: Readonly<Record<string, string>> = {
  '--tag': "Alembic's --tag has no Strata equivalent: pass values to migrations with -x KEY=VALUE (op.args)",
}

/** Alembic commands Strata does differently, each with the Strata way. */
const ALEMBIC_COMMANDS: Readonly<Record<string, string>> = {
  list_templates:
    "Strata's migration templates are chosen per revision: strata revision -m MESSAGE --template blank|add-column|add-index|add-foreign-key (--sql for an SQL file)",
  ensure_version:
    'Strata creates its version table (and strata_history) at the first upgrade or stamp: strata stamp base creates them empty without running anything',
}

/**
 * Commander's error text, with a hint line when it is about an Alembic-only option or
 * an Alembic command Strata has under another form (the hint replaces commander's
 * "Did you mean", a guess by spelling).
 */
export function withAlembicHint(text: string): string {
  const option = /unknown option '([^'=]+)/.exec(text)?.[1]
  const command = /unknown command '([^']+)'/.exec(text)?.[1]
  const hint =
    option !== undefined
      ? ALEMBIC_ONLY[option]
      : command !== undefined
        ? ALEMBIC_COMMANDS[command]
        : undefined
  if (hint === undefined) return text
  const firstLine = text.split('\n')[0]!
  return `${command === undefined ? text.trimEnd() : firstLine}\n  hint: ${hint}\n`
}
