// Package input reads the action's inputs: their definitions (the one source
// of action.yml and of the command-line flags), where raw values come from
// (a runner's INPUT_* variables or flags), a Reader with typed getters that
// each component parses its own inputs with, and the one shape of the
// problems a bad value gives.
package input
