package github

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	gh "github.com/google/go-github/v75/github"
)

// maxDescription is the longest description of a deployment status.
const maxDescription = 140

// payloadKey names, in a deployment's payload, the token of the call that
// made it.
const payloadKey = "knative-preview-start"

// StartDeployment records a deployment of ref (the pull request's head
// SHA) to environment, and marks it in progress with a link to the
// workflow run. The environment is transient (a preview that goes away)
// and not production; the deployment waits for no commit status, as the
// run's own check is pending while it runs. id is non-zero once the
// deployment exists, even when marking it in progress failed. The
// deployment's payload carries a token of this call, so that a create
// whose answer was lost (GitHub made it, then answered 502) is found by
// the next try, not made twice.
func (c *Client) StartDeployment(ctx context.Context, ref, environment, description string) (int64, error) {
	if ref == "" || environment == "" {
		return 0, errors.New("starting a deployment: the ref and the environment must not be empty")
	}
	description = cutDescription(description)
	token := rand.Text()
	req := &gh.DeploymentRequest{
		Payload:               map[string]string{payloadKey: token},
		Ref:                   &ref,
		Environment:           &environment,
		Description:           &description,
		AutoMerge:             gh.Ptr(false),
		RequiredContexts:      &[]string{},
		TransientEnvironment:  gh.Ptr(true),
		ProductionEnvironment: gh.Ptr(false),
	}
	var d *gh.Deployment
	tried := false
	err := c.retry.Do(ctx, func(ctx context.Context) (err error) {
		if tried {
			if d, err = c.findDeployment(ctx, ref, environment, token); d != nil || err != nil {
				return err
			}
		}
		tried = true
		d, _, err = c.api.Repositories.CreateDeployment(ctx, c.owner, c.repo, req)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("creating a deployment of %s to environment %s in %s: %w", ref, environment, c.repository(), err)
	}
	if err := c.status(ctx, d.GetID(), &gh.DeploymentStatusRequest{State: gh.Ptr("in_progress"), Description: &description}); err != nil {
		return d.GetID(), err
	}
	return d.GetID(), nil
}

// findDeployment returns the deployment of ref to environment whose
// payload holds token, among the newest page of them; nil when there is
// none.
func (c *Client) findDeployment(ctx context.Context, ref, environment, token string) (*gh.Deployment, error) {
	opts := &gh.DeploymentsListOptions{Ref: ref, Environment: environment, ListOptions: gh.ListOptions{PerPage: 100}}
	list, _, err := c.api.Repositories.ListDeployments(ctx, c.owner, c.repo, opts)
	if err != nil {
		return nil, err
	}
	for _, d := range list {
		var p map[string]any
		if json.Unmarshal(d.Payload, &p) == nil && p[payloadKey] == token {
			return d, nil
		}
	}
	return nil, nil
}

// FinishDeployment marks deployment id successful, with environmentURL
// as the address the pull request's "View deployment" opens, or failed.
func (c *Client) FinishDeployment(ctx context.Context, id int64, success bool, environmentURL, description string) error {
	description = cutDescription(description)
	req := &gh.DeploymentStatusRequest{State: gh.Ptr("failure"), Description: &description}
	if success {
		req.State = gh.Ptr("success")
		if environmentURL != "" {
			req.EnvironmentURL = &environmentURL
		}
	}
	return c.status(ctx, id, req)
}

// EndDeployment marks deployment id inactive (GitHub shows a transient
// environment's inactive deployment as destroyed, with no "View
// deployment"): a preview that was tested and does not outlive the job.
func (c *Client) EndDeployment(ctx context.Context, id int64, description string) error {
	description = cutDescription(description)
	return c.status(ctx, id, &gh.DeploymentStatusRequest{State: gh.Ptr("inactive"), Description: &description})
}

// DeactivateEnvironment marks every deployment to environment inactive: a
// transient environment then shows as destroyed. It reads at most maxPages
// pages of deployments.
func (c *Client) DeactivateEnvironment(ctx context.Context, environment string) error {
	if environment == "" {
		return errors.New("deactivating an environment: its name must not be empty")
	}
	var ids []int64
	opts := &gh.DeploymentsListOptions{Environment: environment, ListOptions: gh.ListOptions{PerPage: 100}}
	err := everyPage(func(page int) (int, error) {
		opts.Page = page
		var list []*gh.Deployment
		var resp *gh.Response
		err := c.retry.Do(ctx, func(ctx context.Context) (err error) {
			list, resp, err = c.api.Repositories.ListDeployments(ctx, c.owner, c.repo, opts)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("listing the deployments to environment %s in %s: %w", environment, c.repository(), err)
		}
		for _, d := range list {
			ids = append(ids, d.GetID())
		}
		return resp.NextPage, nil
	}, func() error {
		return fmt.Errorf("environment %s in %s has more than %d deployments (%d pages); stopped reading, none marked inactive", environment, c.repository(), 100*maxPages, maxPages)
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := c.status(ctx, id, &gh.DeploymentStatusRequest{State: gh.Ptr("inactive")}); err != nil {
			return err
		}
	}
	return nil
}

// status adds a status to deployment id, linked to the workflow run.
func (c *Client) status(ctx context.Context, id int64, req *gh.DeploymentStatusRequest) error {
	if c.runURL != "" {
		req.LogURL = &c.runURL
	}
	err := c.retry.Do(ctx, func(ctx context.Context) error {
		_, _, err := c.api.Repositories.CreateDeploymentStatus(ctx, c.owner, c.repo, id, req)
		return err
	})
	if err != nil {
		return fmt.Errorf("marking deployment %d in %s %s: %w", id, c.repository(), req.GetState(), err)
	}
	return nil
}

// cutDescription cuts s to the characters GitHub takes in a description.
func cutDescription(s string) string {
	if utf8.RuneCountInString(s) <= maxDescription {
		return s
	}
	r := []rune(s)
	return string(r[:maxDescription-1]) + "…"
}
