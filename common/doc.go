// Package common holds what the RGrid API and CLI must agree on: request and
// response types, error codes and their HTTP statuses, the API key format and
// the product version. It imports the standard library only, so every
// component can depend on it without pulling anything else in.
package common
