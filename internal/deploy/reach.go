package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/ingress"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// ingressFunc returns host:port where this process reaches the ingress for
// URLs of scheme, and where that address came from.
type ingressFunc func(ctx context.Context, scheme string) (addr, from string, err error)

// reach requests rawURL until an answer below 500 comes or t.Reach passes:
// directly, and, when that fails, through the ingress address with the
// URL's host as Host header (and TLS server name). It returns which way
// answered and the status code. Redirects are not followed: any answer of
// the app counts.
func (d *Deployer) reach(ctx context.Context, t timings, rawURL string, ingress ingressFunc, l log.Logger) (route, address string, status int, err error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", "", 0, fmt.Errorf("the Service's URL %q is not a URL: %v", rawURL, err)
	}
	dial := d.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: t.Request}).DialContext
	}
	client := func(dial dialFunc) *http.Client {
		return &http.Client{
			Transport: &http.Transport{
				DialContext:           dial,
				TLSHandshakeTimeout:   t.Request,
				ResponseHeaderTimeout: t.Request,
				DisableKeepAlives:     true,
			},
			Timeout:       t.Request,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	direct := client(dial)
	var (
		via        *http.Client
		viaAddr    string
		lastDirect string
		lastVia    = "not tried"
	)

	rctx, cancel := context.WithTimeout(ctx, t.Reach)
	defer cancel()
	l.Infof("waiting up to %s for %s to answer (directly, else through the ingress with Host header %s)", t.Reach, rawURL, u.Host)
	attempt := 0
	err = kube.Retry(rctx, wait.Backoff{Duration: t.Retry}, func(rctx context.Context) (bool, error) {
		attempt++
		code, err := get(rctx, direct, rawURL)
		if err == nil && code < 500 {
			l.Infof("%s answered %d %s directly", rawURL, code, http.StatusText(code))
			route, status = "url", code
			return true, nil
		}
		lastDirect = outcome(code, err)

		if via == nil && rctx.Err() == nil {
			addr, from, err := ingress(rctx, u.Scheme)
			if err != nil {
				lastVia = "finding the ingress: " + err.Error()
			} else {
				l.Infof("the ingress is at %s (%s)", addr, from)
				viaAddr = addr
				via = client(func(ctx context.Context, network, _ string) (net.Conn, error) { return dial(ctx, network, addr) })
			}
		}
		if via != nil {
			code, err := get(rctx, via, rawURL)
			if err == nil && code < 500 {
				route = fmt.Sprintf("ingress %s with Host header %s", viaAddr, u.Host)
				l.Infof("%s answered %d %s through the %s", rawURL, code, http.StatusText(code), route)
				address, status = viaAddr, code
				return true, nil
			}
			lastVia = outcome(code, err)
		}

		if attempt == 1 || attempt%10 == 0 {
			l.Infof("%s has not answered yet (attempt %d): directly: %s; through the ingress: %s", rawURL, attempt, lastDirect, lastVia)
		}
		return false, nil
	})
	if err == nil {
		return route, address, status, nil
	}
	detail := fmt.Sprintf("directly: %s; through the ingress: %s", lastDirect, lastVia)
	if ctx.Err() != nil {
		return "", "", 0, fmt.Errorf("stopped requesting %s: %w; %s", rawURL, context.Cause(ctx), detail)
	}
	return "", "", 0, fmt.Errorf("%s did not answer within %s (%d attempts): %s; the Service is Ready, so check the ingress: its gateway pods, its Service's address, and that this machine can reach it: %w",
		rawURL, t.Reach, attempt, detail, context.DeadlineExceeded)
}

func get(ctx context.Context, c *http.Client, rawURL string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", buildinfo.UserAgent())
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// outcome is one attempt's result in a few words.
func outcome(code int, err error) string {
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err.Error()
	}
	return fmt.Sprintf("answered %d %s", code, http.StatusText(code))
}

// ingressAddress finds where this process reaches the ingress: the
// cluster target's IngressAddress, else the networking layer's gateway
// Service (its load balancer's address and port, else a node's InternalIP
// and the NodePort).
func ingressAddress(ctx context.Context, cs kubernetes.Interface, cl *cluster.Cluster, svc *servingv1.Service, scheme string) (string, string, error) {
	if cl != nil && cl.IngressAddress != "" {
		return cl.IngressAddress, "the cluster target's ingress address", nil
	}
	class := ingressClass(ctx, cs, svc)
	var ordered []ingress.Gateway
	for _, g := range ingress.All() {
		if g.Class == class {
			ordered = append(ordered, g)
		}
	}
	for _, g := range ingress.All() {
		if g.Class != class {
			ordered = append(ordered, g)
		}
	}
	var problems []string
	for _, g := range ordered {
		s, err := cs.CoreV1().Services(g.Namespace).Get(ctx, g.Service, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			if g.Class == class {
				problems = append(problems, fmt.Sprintf("Service %s/%s of ingress class %s does not exist", g.Namespace, g.Service, class))
			}
			continue
		case err != nil:
			problems = append(problems, fmt.Sprintf("reading Service %s/%s: %v", g.Namespace, g.Service, err))
			continue
		}
		addr, from, err := serviceAddress(ctx, cs, s, scheme)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		return addr, from, nil
	}
	if len(problems) == 0 {
		problems = append(problems, "none of the gateway Services of Kourier, Istio or Contour exists")
	}
	return "", "", errors.New(strings.Join(problems, "; "))
}

// ingressClass is the Service's ingress class annotation, else
// config-network's, else "".
func ingressClass(ctx context.Context, cs kubernetes.Interface, svc *servingv1.Service) string {
	for _, k := range []string{"networking.knative.dev/ingress-class", "networking.knative.dev/ingress.class"} {
		if v := svc.Annotations[k]; v != "" {
			return v
		}
	}
	cm, err := cs.CoreV1().ConfigMaps("knative-serving").Get(ctx, "config-network", metav1.GetOptions{})
	if err != nil {
		return ""
	}
	for _, k := range []string{"ingress-class", "ingress.class"} {
		if v := strings.TrimSpace(cm.Data[k]); v != "" {
			return v
		}
	}
	return ""
}

// serviceAddress is where a gateway Service is reached from outside the
// cluster for URLs of scheme.
func serviceAddress(ctx context.Context, cs kubernetes.Interface, s *corev1.Service, scheme string) (string, string, error) {
	id := s.Namespace + "/" + s.Name
	port := pickPort(s.Spec.Ports, scheme)
	if port == nil {
		return "", "", fmt.Errorf("gateway Service %s has no port for %s", id, scheme)
	}
	for _, ing := range s.Status.LoadBalancer.Ingress {
		host := ing.IP
		if host == "" {
			host = ing.Hostname
		}
		if host != "" {
			return net.JoinHostPort(host, strconv.Itoa(int(port.Port))), "load balancer of gateway Service " + id, nil
		}
	}
	if port.NodePort == 0 {
		return "", "", fmt.Errorf("gateway Service %s has no load balancer address and no NodePort (type %s)", id, s.Spec.Type)
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", "", fmt.Errorf("gateway Service %s has no load balancer address; listing nodes for its NodePort %d: %w", id, port.NodePort, err)
	}
	items := nodes.Items
	sort.SliceStable(items, func(i, j int) bool { return nodeReady(&items[i]) && !nodeReady(&items[j]) })
	for _, n := range items {
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && a.Address != "" {
				return net.JoinHostPort(a.Address, strconv.Itoa(int(port.NodePort))),
					fmt.Sprintf("node %s's InternalIP and NodePort %d of gateway Service %s", n.Name, port.NodePort, id), nil
			}
		}
	}
	return "", "", fmt.Errorf("gateway Service %s has no load balancer address, and no node has an InternalIP for its NodePort %d", id, port.NodePort)
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// pickPort chooses the gateway port for scheme: 443 or "https" for https,
// 80 or an http name for http, or the only port.
func pickPort(ports []corev1.ServicePort, scheme string) *corev1.ServicePort {
	for i, p := range ports {
		switch scheme {
		case "https":
			if p.Port == 443 || p.Name == "https" {
				return &ports[i]
			}
		default:
			if p.Port == 80 || p.Name == "http" || p.Name == "http2" || p.Name == "http1" {
				return &ports[i]
			}
		}
	}
	if len(ports) == 1 {
		return &ports[0]
	}
	return nil
}
