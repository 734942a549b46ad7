package cluster

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfigCredentials describes what cfg, made by loader with overrides
// (nil for none), authenticates with: what credentialsOf sees, plus the
// kubeconfig context and user it comes from and where a bearer token was
// found, so that messages can point at the right file and flag.
func kubeconfigCredentials(cfg *rest.Config, loader clientcmd.ClientConfig, overrides *clientcmd.ConfigOverrides) *Credentials {
	c := credentialsOf(cfg)
	if overrides == nil {
		overrides = &clientcmd.ConfigOverrides{}
	}
	raw, err := loader.RawConfig()
	if err != nil {
		return c
	}
	user := overrides.Context.AuthInfo
	c.Context = raw.CurrentContext
	if overrides.CurrentContext != "" {
		c.Context = overrides.CurrentContext
	}
	if kctx := raw.Contexts[c.Context]; kctx != nil {
		if user == "" {
			user = kctx.AuthInfo
		}
	} else {
		c.Context = ""
	}
	ai := raw.AuthInfos[user]
	if ai != nil {
		c.kubeUser, c.kubeFile = user, ai.LocationOfOrigin
	}
	switch {
	case overrides.AuthInfo.Token != "":
		c.TokenSource = "the --token flag"
	case overrides.AuthInfo.TokenFile != "":
		c.TokenSource = fmt.Sprintf("token file %q", overrides.AuthInfo.TokenFile)
	case ai == nil:
	case ai.TokenFile != "" && cfg.BearerTokenFile == ai.TokenFile:
		c.TokenSource = fmt.Sprintf("token file %q of %s", ai.TokenFile, c.kubeUserName())
	case ai.Token != "" && cfg.BearerToken != "":
		c.TokenSource = c.kubeUserName()
	case ai.Exec != nil:
		c.Token = true
		c.TokenSource = fmt.Sprintf("the exec plugin %q of %s", ai.Exec.Command, c.kubeUserName())
	case ai.AuthProvider != nil:
		c.Token = true
		c.TokenSource = fmt.Sprintf("the auth provider %q of %s", ai.AuthProvider.Name, c.kubeUserName())
	}
	return c
}

// kubeconfigFileCredentials describes what cfg, loaded from the kubeconfig
// file path alone (a kubeconfig_file), authenticates with.
func kubeconfigFileCredentials(cfg *rest.Config, path string) *Credentials {
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, &clientcmd.ConfigOverrides{})
	return kubeconfigCredentials(cfg, loader, nil)
}

// defaultCredentials describes what cfg, loaded by defaultConfig from
// $KUBECONFIG or ~/.kube/config, or from the pod's service account when
// there is no kubeconfig, authenticates with.
func defaultCredentials(cfg *rest.Config) *Credentials {
	raw, err := clientcmd.NewDefaultClientConfigLoadingRules().Load()
	if err != nil || clientcmdapi.IsConfigEmpty(raw) {
		return credentialsOf(cfg)
	}
	return kubeconfigCredentials(cfg, clientcmd.NewDefaultClientConfig(*raw, nil), nil)
}
