package common

// Version is the RGrid product version shared by the API and the CLI.
const Version = "0.1.0"
