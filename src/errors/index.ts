export * from './describe-error.js'
export * from './strata-error.js'
