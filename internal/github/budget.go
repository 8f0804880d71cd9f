package github

import "time"

// GitHub's budget: the calls that tell a pull request (its comment, its
// deployment) never take the cluster stages' time, and hold a job for
// seconds at most, however GitHub answers (not at all, slowly, with
// errors). The in-progress deployment is recorded beside the stages,
// within StartBudget, so that the pull request shows it while the run goes
// on; what is told after the stages is told within Budget of their end,
// or BudgetStopped when the job is being cancelled and has only seconds
// left.
const (
	StartBudget   = 15 * time.Second
	Budget        = 20 * time.Second
	BudgetStopped = 5 * time.Second
)
