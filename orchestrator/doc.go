// Package orchestrator is a placeholder for the RGrid orchestrator, which arrives in a later
// epic. It exists so the workspace layout is final from day one.
package orchestrator

// NotImplemented explains to a user what this component does not do yet.
const NotImplemented = "the orchestrator is not implemented yet: it arrives in a later epic"
