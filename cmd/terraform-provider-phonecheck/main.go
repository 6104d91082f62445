// Command terraform-provider-phonecheck is the phonecheck Terraform provider
// (registry.terraform.io/phonecheck/phonecheck).
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/phonecheck/phonecheck/cmd/terraform-provider-phonecheck/internal/provider"
)

// version is set at build time with -ldflags "-X main.version=..." (the
// release build does); else it is the module version 'go install
// ...@v1.2.3' records, else "dev".
var version = ""

func main() {
	debug := flag.Bool("debug", false, "run with support for debuggers like delve (prints TF_REATTACH_PROVIDERS)")
	flag.Parse()
	quietUnreadLogs()
	err := providerserver.Serve(context.Background(), provider.New(providerVersion()), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}

func providerVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "dev"
}

// quietUnreadLogs turns the plugin SDK's logs off when Terraform would
// discard them. The SDK logs every RPC at TRACE unless told otherwise, and
// Terraform (which shows provider logs only when TF_LOG or TF_LOG_PROVIDER
// is set) decodes each line and throws it away: with many function calls
// that is most of both processes' work. Any TF_LOG* variable keeps the SDK's
// default.
func quietUnreadLogs() {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TF_LOG") {
			return
		}
	}
	os.Setenv("TF_LOG_SDK", "off")
}
