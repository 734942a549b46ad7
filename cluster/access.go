package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// identity is who the API server says we are.
type identity struct {
	user   string
	groups []string
}

// whoami asks the API server who the client is (a SelfSubjectReview,
// allowed to every authenticated user by default). Failures leave the
// identity empty: it only makes messages better.
func whoami(ctx context.Context, cs kubernetes.Interface) identity {
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil || r == nil {
		return identity{}
	}
	return identity{user: r.Status.UserInfo.Username, groups: r.Status.UserInfo.Groups}
}

// forbidden returns the one-line reason for a refused request, such as
// `User "ci" (groups system:ci) cannot list pods in namespace "shop":
// needed by job "pods" (role endpoints)`. The user comes from the API
// server's message; the groups from one SelfSubjectReview per List.
func (l *lister) forbidden(ctx context.Context, r Request, err error) string {
	l.whoOnce.Do(func() { l.who = whoami(ctx, l.cs) })
	user, ok := userFromMessage(err)
	if !ok {
		user = l.who.user
	}
	if user == "" {
		return fmt.Sprintf("the API server refused to list %s (%s): %s", r.what(), statusMessage(err), r.neededBy())
	}
	var groups []string
	if user == l.who.user {
		groups = l.who.groups
	}
	return fmt.Sprintf("%s cannot list %s: %s", DescribeUser(user, groups), r.what(), r.neededBy())
}

// DescribeUser names an identity as RBAC messages do: `User "ci" (groups
// system:ci)`, leaving out the group every authenticated user is in.
func DescribeUser(user string, groups []string) string {
	who := fmt.Sprintf("User %q", user)
	if groups := telling(groups); len(groups) > 0 {
		who += " (groups " + strings.Join(groups, ", ") + ")"
	}
	return who
}

// telling drops the group every authenticated user is in, which says
// nothing about who the user is.
func telling(groups []string) []string {
	var out []string
	for _, g := range groups {
		if g != "system:authenticated" {
			out = append(out, g)
		}
	}
	return out
}

// userFromMessage reads the user out of a Forbidden status message, which
// the RBAC authorizer writes as
// `pods is forbidden: User "ci" cannot list resource "pods" ...`.
func userFromMessage(err error) (string, bool) {
	msg := statusMessage(err)
	i := strings.Index(msg, `User "`)
	if i < 0 {
		return "", false
	}
	quoted, qerr := strconv.QuotedPrefix(msg[i+len("User "):])
	if qerr != nil {
		return "", false
	}
	user, qerr := strconv.Unquote(quoted)
	return user, qerr == nil
}

// statusMessage returns the message of an API status error, or the
// error's own message.
func statusMessage(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Message != "" {
		return oneLine(errors.New(st.Status().Message)).Error()
	}
	return oneLine(err).Error()
}
