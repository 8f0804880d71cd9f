package githubtest

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
)

var sha = regexp.MustCompile(`^[0-9a-f]{40}$`)

// states are the states a deployment status may have.
var states = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

// maxDescription is the longest status description GitHub takes.
const maxDescription = 140

func (s *Server) deploymentJSON(r *http.Request, d *Deployment) map[string]any {
	api := fmt.Sprintf("http://%s/repos/%s/%s", r.Host, r.PathValue("owner"), r.PathValue("repo"))
	return map[string]any{
		"url":                    fmt.Sprintf("%s/deployments/%d", api, d.ID),
		"id":                     d.ID,
		"node_id":                fmt.Sprintf("DE_kwDO%d", d.ID),
		"sha":                    d.SHA,
		"ref":                    d.Ref,
		"task":                   d.Task,
		"payload":                payload(d.Payload),
		"original_environment":   d.Environment,
		"environment":            d.Environment,
		"description":            d.Description,
		"creator":                user(Bot),
		"created_at":             now(),
		"updated_at":             now(),
		"statuses_url":           fmt.Sprintf("%s/deployments/%d/statuses", api, d.ID),
		"repository_url":         api,
		"transient_environment":  d.Transient,
		"production_environment": d.Production,
	}
}

// payload is a deployment's payload as GitHub answers it: an empty object
// when the request gave none.
func payload(p any) any {
	if p == nil {
		return map[string]any{}
	}
	return p
}

func (s *Server) statusJSON(r *http.Request, deployment int64, st *Status) map[string]any {
	api := fmt.Sprintf("http://%s/repos/%s/%s", r.Host, r.PathValue("owner"), r.PathValue("repo"))
	return map[string]any{
		"url":             fmt.Sprintf("%s/deployments/%d/statuses/%d", api, deployment, st.ID),
		"id":              st.ID,
		"node_id":         fmt.Sprintf("DES_kwDO%d", st.ID),
		"state":           st.State,
		"creator":         user(Bot),
		"description":     st.Description,
		"environment":     st.Environment,
		"target_url":      st.LogURL,
		"log_url":         st.LogURL,
		"environment_url": st.EnvironmentURL,
		"created_at":      now(),
		"updated_at":      now(),
		"deployment_url":  fmt.Sprintf("%s/deployments/%d", api, deployment),
		"repository_url":  api,
	}
}

// listDeployments answers newest first, filtered by sha, ref, task and
// environment as GitHub does.
//
// Operation repos/list-deployments.
func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Deployment
	for _, d := range slices.Backward(s.deployments) {
		if (q.Has("sha") && q.Get("sha") != d.SHA) || (q.Has("ref") && q.Get("ref") != d.Ref) ||
			(q.Has("task") && q.Get("task") != d.Task) || (q.Has("environment") && q.Get("environment") != d.Environment) {
			continue
		}
		all = append(all, d)
	}
	out := []map[string]any{}
	items, _ := page(w, r, all, s.pageSize)
	for _, d := range items {
		out = append(out, s.deploymentJSON(r, d))
	}
	writeJSON(w, http.StatusOK, out)
}

// createDeployment refuses, with 409 as GitHub does when a commit status
// of the ref is pending or failing, a request without required_contexts:
// the workflow's own check is pending while the action runs.
//
// Operation repos/create-deployment.
func (s *Server) createDeployment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Ref                   *string   `json:"ref"`
		Task                  *string   `json:"task"`
		AutoMerge             *bool     `json:"auto_merge"`
		RequiredContexts      *[]string `json:"required_contexts"`
		Environment           *string   `json:"environment"`
		Description           *string   `json:"description"`
		TransientEnvironment  *bool     `json:"transient_environment"`
		ProductionEnvironment *bool     `json:"production_environment"`
		Payload               any       `json:"payload"`
	}
	if err := decode(r, &in); err != nil {
		writeMessage(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	if in.Ref == nil || *in.Ref == "" {
		invalid(w, "Deployment", "ref", "missing_field", "")
		return
	}
	if in.RequiredContexts == nil {
		writeMessage(w, http.StatusConflict, "Conflict: Commit status checks failed for "+*in.Ref+".")
		return
	}
	switch in.Payload.(type) {
	case nil, string, map[string]any:
	default:
		invalid(w, "Deployment", "payload", "invalid", "")
		return
	}
	d := &Deployment{Ref: *in.Ref, SHA: *in.Ref, Task: "deploy", Environment: "production", AutoMerge: true, RequiredContexts: *in.RequiredContexts, Payload: in.Payload}
	if !sha.MatchString(d.SHA) {
		d.SHA = fmt.Sprintf("%040x", len(d.Ref))
	}
	if in.Task != nil {
		d.Task = *in.Task
	}
	if in.AutoMerge != nil {
		d.AutoMerge = *in.AutoMerge
	}
	if in.Environment != nil {
		d.Environment = *in.Environment
	}
	if in.Description != nil {
		d.Description = *in.Description
	}
	if in.TransientEnvironment != nil {
		d.Transient = *in.TransientEnvironment
	}
	d.Production = d.Environment == "production"
	if in.ProductionEnvironment != nil {
		d.Production = *in.ProductionEnvironment
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	d.ID = s.nextID
	s.deployments = append(s.deployments, d)
	writeJSON(w, http.StatusCreated, s.deploymentJSON(r, d))
}

// createStatus adds a status; a success status with auto_inactive (the
// default) makes the environment's earlier successful deployments inactive
// unless they are transient or production ones, as GitHub does.
//
// Operation repos/create-deployment-status.
func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	var in struct {
		State          *string `json:"state"`
		LogURL         *string `json:"log_url"`
		TargetURL      *string `json:"target_url"`
		Description    *string `json:"description"`
		Environment    *string `json:"environment"`
		EnvironmentURL *string `json:"environment_url"`
		AutoInactive   *bool   `json:"auto_inactive"`
	}
	if err := decode(r, &in); err != nil {
		writeMessage(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	if in.State == nil || !slices.Contains(states, *in.State) {
		invalid(w, "DeploymentStatus", "state", "invalid", "")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.deployments, func(d *Deployment) bool { return d.ID == id })
	if i < 0 {
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	d := s.deployments[i]
	st := &Status{State: *in.State, Environment: d.Environment}
	for _, set := range []struct {
		to   *string
		from *string
	}{{&st.LogURL, in.TargetURL}, {&st.LogURL, in.LogURL}, {&st.Description, in.Description}, {&st.Environment, in.Environment}, {&st.EnvironmentURL, in.EnvironmentURL}} {
		if set.from != nil {
			*set.to = *set.from
		}
	}
	if len([]rune(st.Description)) > maxDescription {
		invalid(w, "DeploymentStatus", "description", "custom", "description is too long (maximum is 140 characters)")
		return
	}
	s.nextID++
	st.ID = s.nextID
	s.statuses[id] = append(s.statuses[id], st)
	if st.State == "success" && (in.AutoInactive == nil || *in.AutoInactive) {
		for _, prior := range s.deployments[:i] {
			sts := s.statuses[prior.ID]
			if prior.Environment != d.Environment || prior.Transient || prior.Production || len(sts) == 0 || sts[len(sts)-1].State != "success" {
				continue
			}
			s.nextID++
			s.statuses[prior.ID] = append(sts, &Status{ID: s.nextID, State: "inactive", Environment: prior.Environment})
		}
	}
	writeJSON(w, http.StatusCreated, s.statusJSON(r, id, st))
}
