/**
 * Alembic options a user moving to Strata types out of habit, each with what to do in
 * Strata instead. Commander only says "unknown option"; these add the way forward.
 */
const ALEMBIC_ONLY: Readonly<Record<string, string>> = {
  '--tag': "Alembic's --tag has no Strata equivalent: pass values to migrations with -x KEY=VALUE (op.args)",
}

/** Commander's error text, with a hint line when it is about an Alembic-only option. */
export function withAlembicHint(text: string): string {
  const option = /unknown option '([^'=]+)/.exec(text)?.[1]
  const hint = option === undefined ? undefined : ALEMBIC_ONLY[option]
  return hint === undefined ? text : `${text.trimEnd()}\n  hint: ${hint}\n`
}
