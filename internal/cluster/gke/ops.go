package gke

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	container "google.golang.org/api/container/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/kube"
)

// Cluster statuses, as the API spells them.
const (
	statusProvisioning = "PROVISIONING"
	statusRunning      = "RUNNING"
	statusReconciling  = "RECONCILING"
	statusStopping     = "STOPPING"
	statusError        = "ERROR"
	statusDegraded     = "DEGRADED"
	opDone             = "DONE"
)

// maxPollFailures is how many polls in a row may fail with an error that
// may pass (a 5xx, a dropped connection) before a wait gives up.
const maxPollFailures = 5

// codeNotFound is google.rpc.Code NOT_FOUND, as in an operation's error.
const codeNotFound = 5

// ensure gets the cluster, or creates it as reuse-cluster says, and waits
// until it is RUNNING.
func (t *target) ensure(ctx context.Context, r ref) (*container.Cluster, error) {
	c, err := t.get(ctx, r)
	if err != nil {
		return nil, err
	}
	if c != nil && c.Status == statusStopping {
		t.log.Infof("%s is being deleted; waiting until it is gone", r)
		if err := t.waitGone(ctx, r); err != nil {
			return nil, err
		}
		c = nil
	}
	if t.opts.ExistingOnly {
		if c == nil {
			return nil, fmt.Errorf("%s does not exist: %w", r, cluster.ErrNoCluster)
		}
		t.log.Infof("using %s: status %s", r, c.Status)
		return t.waitRunning(ctx, r, c)
	}
	if c != nil {
		switch t.opts.Reuse {
		case cluster.ReuseFalse:
			return nil, fmt.Errorf("%s already exists and reuse-cluster is false: set reuse-cluster: true to use it, recreate to replace it, or choose another cluster-name", r)
		case cluster.ReuseRecreate:
			t.log.Infof("%s exists; deleting it first (reuse-cluster: recreate)", r)
			if err := t.delete(ctx, r); err != nil {
				return nil, err
			}
			c = nil
		default:
			t.log.Infof("reusing %s: status %s, Kubernetes %s, %s", r, c.Status, c.CurrentMasterVersion, plural(int(c.CurrentNodeCount), "node"))
			t.noteDifferences(c)
		}
	}
	if c == nil {
		err := t.create(ctx, r)
		if isConflict(err) && t.opts.Reuse == cluster.ReuseTrue {
			t.log.Infof("%s was created meanwhile by someone else; reusing it", r)
			err = nil
		}
		if err != nil {
			return nil, err
		}
		if c, err = t.get(ctx, r); err != nil {
			return nil, err
		}
		if c == nil {
			return nil, fmt.Errorf("%s is not found right after GKE reported creating it: rerun the job", r)
		}
	}
	return t.waitRunning(ctx, r, c)
}

// get returns the cluster, or nil when it does not exist.
func (t *target) get(ctx context.Context, r ref) (*container.Cluster, error) {
	c, err := t.svc.Projects.Locations.Clusters.Get(r.path()).Context(ctx).Do()
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, t.explain(r, "reading "+r.String(), err)
	}
	return c, nil
}

// spec is the cluster Connect creates.
func (t *target) spec(r ref) *container.Cluster {
	o := t.opts
	c := &container.Cluster{
		Name:           r.name,
		Description:    "Created by the knative-preview action.",
		ResourceLabels: map[string]string{"created-by": buildinfo.Name},
		NodePools: []*container.NodePool{{
			Name:             "default-pool",
			InitialNodeCount: int64(o.Nodes),
			Config:           &container.NodeConfig{MachineType: o.MachineType, Spot: o.Spot},
			Management:       &container.NodeManagement{AutoRepair: true, AutoUpgrade: true},
		}},
		InitialClusterVersion: o.KubernetesVersion,
	}
	switch o.ReleaseChannel {
	case "":
	case "none":
		c.ReleaseChannel = &container.ReleaseChannel{Channel: "UNSPECIFIED"}
	default:
		c.ReleaseChannel = &container.ReleaseChannel{Channel: strings.ToUpper(o.ReleaseChannel)}
	}
	return c
}

// create asks GKE for the cluster and waits for the operation.
func (t *target) create(ctx context.Context, r ref) error {
	doing := "creating " + r.String()
	t.log.Infof("creating %s: %s", r, t.shape())
	op, err := t.svc.Projects.Locations.Clusters.Create(r.parent(), &container.CreateClusterRequest{Cluster: t.spec(r)}).Context(ctx).Do()
	if err != nil {
		return t.explain(r, doing, err)
	}
	t.created = true
	t.saveState() // the main step may be killed while it waits
	hint := fmt.Sprintf("GKE goes on creating the cluster: rerun with reuse-cluster: true to use it once it is ready, or delete it (gcloud container clusters delete %s --location %s --project %s)", r.name, r.location, r.project)
	done, err := t.waitOperation(ctx, r, op, fmt.Sprintf("GKE to create cluster %q", r.name), doing, hint)
	if err != nil {
		return err
	}
	if done.Error != nil {
		return t.operationError(r, doing, done.Error.Code, done.Error.Message)
	}
	return nil
}

// delete deletes the cluster and waits until it is gone; a cluster that is
// already gone is not an error.
func (t *target) delete(ctx context.Context, r ref) error {
	doing := "deleting " + r.String()
	t.log.Infof("deleting %s", r)
	op, err := t.svc.Projects.Locations.Clusters.Delete(r.path()).Context(ctx).Do()
	switch {
	case isNotFound(err):
		t.log.Infof("%s is already gone", r)
		return nil
	case err != nil:
		// Another operation may be deleting it already.
		if c, gerr := t.get(ctx, r); gerr == nil && (c == nil || c.Status == statusStopping) {
			if c == nil {
				t.log.Infof("%s is already gone", r)
				return nil
			}
			return t.waitGone(ctx, r)
		}
		return t.explain(r, doing, err)
	}
	hint := fmt.Sprintf("GKE goes on deleting the cluster; check that it is gone: gcloud container clusters describe %s --location %s --project %s", r.name, r.location, r.project)
	done, err := t.waitOperation(ctx, r, op, fmt.Sprintf("GKE to delete cluster %q", r.name), doing, hint)
	switch {
	case err != nil:
		return err
	case done.Error != nil && done.Error.Code == codeNotFound:
		t.log.Infof("%s is already gone", r)
		return nil
	case done.Error != nil:
		return t.operationError(r, doing, done.Error.Code, done.Error.Message)
	}
	t.log.Infof("deleted %s", r)
	return nil
}

// waitOperation polls op until it is DONE and returns it; the caller checks
// the error the operation ended with.
func (t *target) waitOperation(ctx context.Context, r ref, op *container.Operation, what, doing, hint string) (*container.Operation, error) {
	name := op.Name
	if !strings.HasPrefix(name, "projects/") {
		loc := op.Location
		if loc == "" {
			loc = r.location
		}
		name = fmt.Sprintf("projects/%s/locations/%s/operations/%s", r.project, loc, op.Name)
	}
	last := op
	what = fmt.Sprintf("%s (operation %s)", what, op.Name)
	if op.Status != opDone {
		err := t.wait(ctx, r, what, doing, hint, func(ctx context.Context) (string, bool, error) {
			o, err := t.svc.Projects.Locations.Operations.Get(name).Context(ctx).Do()
			if isNotFound(err) {
				return "", false, &apiError{Doing: fmt.Sprintf("%s: reading operation %s", doing, op.Name), Code: http.StatusNotFound, Message: "GKE no longer knows the operation", Err: err,
					Fix: "Rerun the job; with reuse-cluster: true it picks up the cluster if GKE made it"}
			}
			if err != nil {
				return "", false, err
			}
			last = o
			return o.Status, o.Status == opDone, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return last, nil
}

// waitRunning waits while the cluster is being provisioned or reconciled,
// and fails with the fix when it is in ERROR. A DEGRADED cluster is used,
// with a warning.
func (t *target) waitRunning(ctx context.Context, r ref, c *container.Cluster) (*container.Cluster, error) {
	switch c.Status {
	case statusRunning:
		return c, nil
	case statusDegraded:
		t.log.Infof("warning: %s", sentences(fmt.Sprintf("%s is DEGRADED: %s", r, clusterMessage(c)), "It may still work, so this run goes on", t.statusFix(r, c)))
		return c, nil
	case statusError:
		return nil, &apiError{Doing: fmt.Sprintf("%s is in status ERROR", r), Message: clusterMessage(c), Fix: t.statusFix(r, c)}
	case statusStopping:
		return nil, fmt.Errorf("%s is being deleted (status STOPPING), by another run or a person: wait until it is gone and rerun, or choose another cluster-name", r)
	}
	latest := c
	err := t.wait(ctx, r, fmt.Sprintf("cluster %q to be RUNNING", r.name), "reading "+r.String(), "GKE goes on setting up the cluster: rerun with reuse-cluster: true", func(ctx context.Context) (string, bool, error) {
		cl, err := t.svc.Projects.Locations.Clusters.Get(r.path()).Context(ctx).Do()
		if err != nil {
			return "", false, err
		}
		latest = cl
		return cl.Status, cl.Status != statusProvisioning && cl.Status != statusReconciling && cl.Status != "" && cl.Status != "STATUS_UNSPECIFIED", nil
	})
	if err != nil {
		return nil, err
	}
	return t.waitRunning(ctx, r, latest)
}

// waitGone waits until the cluster no longer exists.
func (t *target) waitGone(ctx context.Context, r ref) error {
	err := t.wait(ctx, r, fmt.Sprintf("cluster %q to be deleted", r.name), "reading "+r.String(), "GKE goes on deleting the cluster", func(ctx context.Context) (string, bool, error) {
		c, err := t.svc.Projects.Locations.Clusters.Get(r.path()).Context(ctx).Do()
		if isNotFound(err) {
			return "gone", true, nil
		}
		if err != nil {
			return "", false, err
		}
		return c.Status, false, nil
	})
	if err == nil {
		t.log.Infof("%s is gone", r)
	}
	return err
}

// wait calls poll every PollInterval until it reports done. It reports the
// status when it changes and every ReportEvery, retries polls that fail
// with errors that may pass, and gives up after OperationTimeout or when
// ctx ends, saying what it waited for and hint.
//
// The time between polls passes on real timers (kube.Retry); Clock is only
// read, once per poll as it is sent, for the elapsed time.
func (t *target) wait(ctx context.Context, r ref, what, doing, hint string, poll func(context.Context) (status string, done bool, err error)) error {
	clock, timeout := t.opts.Clock, t.opts.OperationTimeout
	start := clock.Now()
	lastReport := start
	status := ""
	failures := 0
	var elapsed time.Duration
	stopped := func() error {
		return fmt.Errorf("stopped waiting for %s after %s (last status %s): %w. %s", what, elapsed, orUnknown(status), context.Cause(ctx), hint)
	}
	waiting := false // between two polls, when only ctx can end the wait
	t.log.Infof("waiting up to %s for %s", timeout, what)
	err := kube.Retry(ctx, wait.Backoff{Duration: t.opts.PollInterval}, func(ctx context.Context) (bool, error) {
		waiting = false
		now := clock.Now()
		elapsed = now.Sub(start).Round(time.Second)
		s, done, err := poll(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return false, stopped()
		case err != nil && retryable(err) && failures < maxPollFailures:
			failures++
			t.log.Infof("waiting for %s: poll failed (%v); retrying", what, err)
		case err != nil:
			return false, t.explain(r, doing, err)
		case done:
			t.log.Infof("waited %s for %s: %s", elapsed, what, s)
			return true, nil
		default:
			failures = 0
			if s != status || now.Sub(lastReport) >= t.opts.ReportEvery {
				t.log.Infof("waiting for %s: %s, %s elapsed", what, s, elapsed)
				status, lastReport = s, now
			}
		}
		if elapsed >= timeout {
			return false, fmt.Errorf("gave up waiting for %s after %s (last status %s). %s", what, elapsed, orUnknown(status), hint)
		}
		waiting = true
		return false, nil
	})
	if err != nil && waiting {
		return stopped()
	}
	return err
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// clusterMessage is the cluster's status message and conditions.
func clusterMessage(c *container.Cluster) string {
	parts := []string{c.StatusMessage}
	for _, cond := range c.Conditions {
		if cond.Message != c.StatusMessage {
			parts = append(parts, cond.Message)
		}
	}
	if msg := sentences(parts...); msg != "" {
		return msg
	}
	return "GKE gives no reason"
}

// statusFix says what to do about a cluster in ERROR or DEGRADED.
func (t *target) statusFix(r ref, c *container.Cluster) string {
	fix := t.fix(r, 0, "", clusterMessage(c))
	console := fmt.Sprintf("https://console.cloud.google.com/kubernetes/clusters/details/%s/%s/details?project=%s", r.location, r.name, r.project)
	switch {
	case c.Status == statusDegraded:
		return sentences(fix, "See the cluster's notifications at "+console)
	case t.created && t.opts.DeleteCluster == deleteOnExit:
		return sentences(fix, "This run created the cluster; the post step deletes it (delete-cluster: on-exit). Details: "+console)
	}
	return sentences(fix, fmt.Sprintf("Replace it with reuse-cluster: recreate, or delete it (gcloud container clusters delete %s --location %s --project %s). Details: %s", r.name, r.location, r.project, console))
}

// noteDifferences says where a reused cluster differs from the inputs for
// a new one.
func (t *target) noteDifferences(c *container.Cluster) {
	o := t.opts
	if v := o.KubernetesVersion; v != "" && v != "latest" && c.CurrentMasterVersion != "" &&
		c.CurrentMasterVersion != v && !strings.HasPrefix(c.CurrentMasterVersion, v+".") && !strings.HasPrefix(c.CurrentMasterVersion, v+"-") {
		t.log.Infof("note: the reused cluster runs Kubernetes %s, not kubernetes-version %s; reuse-cluster: recreate replaces it", c.CurrentMasterVersion, v)
	}
	if len(c.NodePools) > 0 && c.NodePools[0].Config != nil && c.NodePools[0].Config.MachineType != "" && c.NodePools[0].Config.MachineType != o.MachineType {
		t.log.Infof("note: the reused cluster's nodes are %s, not gke-machine-type %s; reuse-cluster: recreate replaces it", c.NodePools[0].Config.MachineType, o.MachineType)
	}
}
