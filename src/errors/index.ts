export * from './strata-error.js'
