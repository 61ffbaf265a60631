// Package runner is a placeholder for the RGrid runner, which arrives in a later
// epic. It exists so the workspace layout is final from day one.
package runner

// NotImplemented explains to a user what this component does not do yet.
const NotImplemented = "the runner is not implemented yet: it arrives in a later epic"
