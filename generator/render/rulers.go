package render

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rulers"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selfcheck"
)

// Ruler output folders (spec.rulers).
const (
	LocalRulesDir = "prometheus-local/"
	ThanosDir     = "thanos/"
	MimirDir      = "mimir/"
	VMAlertDir    = "vmalert/"
)

// rulerOutputs are the rows of the scale-out ruler formats; each renders
// nothing unless spec.rulers.formats lists it.
func rulerOutputs() []Output {
	return []Output{
		{LocalRulesDir, "rule file for each cluster's Prometheus in split mode (spec.rulers.mode: split): what reads raw series and what the ruler reads at the evaluation instant; load these instead of prometheus/", renderLocal},
		{ThanosDir, "Thanos Ruler rule file (the ruler's rules; partial_response_strategy per group)", rulerFormat(profile.RulerThanos, renderThanos)},
		{MimirDir, "Mimir/Cortex rule namespace file for mimirtool or cortextool rules load", rulerFormat(profile.RulerMimir, renderMimir)},
		{VMAlertDir, "vmalert rule file (VictoriaMetrics)", rulerFormat(profile.RulerVMAlert, renderVMAlert)},
	}
}

// RulerRules returns what the scale-out rulers evaluate and, in split
// mode, what each cluster's Prometheus keeps (nil otherwise).
func RulerRules(c *config.Config, files []rules.File) (ruler, local []rules.File, err error) {
	if c.Profile.Spec.Rulers.Mode != profile.RulerModeSplit {
		return files, nil, nil
	}
	s, err := rulers.SplitFiles(files)
	if err != nil {
		return nil, nil, err
	}
	return s.Ruler, s.Local, nil
}

func rulerFormat(format string, render func(c *config.Config, ruler []rules.File) ([]File, error)) func(*Built, []string) ([]File, error) {
	return func(b *Built, _ []string) ([]File, error) {
		if !slices.Contains(b.Config.Profile.Spec.Rulers.Formats, format) {
			return nil, nil
		}
		ruler, _, err := RulerRules(b.Config, b.Rules)
		if err != nil {
			return nil, err
		}
		return render(b.Config, ruler)
	}
}

func renderLocal(b *Built, _ []string) ([]File, error) {
	if len(b.Config.Profile.Spec.Rulers.Formats) == 0 {
		return nil, nil
	}
	_, local, err := RulerRules(b.Config, b.Rules)
	if err != nil || local == nil {
		return nil, err
	}
	var out []File
	for _, f := range local {
		p := LocalRulesDir + f.Name + ".yaml"
		data, err := encode(Header(b.Config.Profile.Metadata.Name)+"\n"+f.Comment+
			"\nSplit mode: each cluster's Prometheus loads this file instead of prometheus/"+f.Name+".yaml; the ruler files hold the rest.",
			mapping("groups", groupsNode([]rules.File{f})))
		if err == nil {
			err = selfcheck.RuleFile(p, data)
		}
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %w", p, err)
		}
		out = append(out, File{p, data})
	}
	return out, nil
}

func rulerHeader(c *config.Config, use string) string {
	h := Header(c.Profile.Metadata.Name) + "\n" + use
	if c.Profile.Spec.Rulers.Mode == profile.RulerModeSplit {
		h += "\nSplit mode: only the rules that read what each cluster's Prometheus records (" + LocalRulesDir + ");" +
			"\nno rule here reads, at the evaluation instant, a series another rule here writes."
	} else {
		h += "\nEvery rule (spec.rulers.mode: all): recordings feed later rules of their group within a cycle;" +
			"\nonly for a ruler that reads its own writes back at once."
	}
	return h
}

// renderThanos writes one file per concern, each group with its
// partial_response_strategy (rulers.PartialResponse says which and why).
func renderThanos(c *config.Config, ruler []rules.File) ([]File, error) {
	var out []File
	for _, f := range ruler {
		p := ThanosDir + f.Name + ".yaml"
		plain, err := encode(Header(c.Profile.Metadata.Name), mapping("groups", groupsNode([]rules.File{f})))
		if err == nil {
			err = selfcheck.RuleFile(p, plain)
		}
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %w", p, err)
		}
		var groups []*yaml.Node
		for _, g := range f.Groups {
			n := groupNode(g)
			strategy, why := rulers.PartialResponse(g, clusterLabel(c))
			// After name and interval, before rules.
			key := scalar("partial_response_strategy")
			key.HeadComment = why
			at := len(n.Content) - 2
			n.Content = append(n.Content[:at], append([]*yaml.Node{key, scalar(strategy)}, n.Content[at:]...)...)
			groups = append(groups, n)
		}
		data, err := encode(rulerHeader(c, "Thanos Ruler: thanos rule --rule-file=thanos/*.yaml --query=<Thanos Query>")+"\n"+f.Comment,
			mapping("groups", sequence(groups...)))
		if err == nil {
			err = lenientRuleFile(p, data)
		}
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %w", p, err)
		}
		out = append(out, File{p, data})
	}
	return out, nil
}

// MimirNamespace is the Mimir/Cortex rule namespace of a profile.
func MimirNamespace(c *config.Config) string {
	if ns := c.Profile.Spec.Rulers.Namespace; ns != "" {
		return ns
	}
	return ResourceName(c)
}

// renderMimir writes every group into one namespace file: `namespace:`
// and `groups:` at the top, the format mimirtool and cortextool rules
// load read (cortex-tools pkg/rules/rwrapper: RuleNamespace).
func renderMimir(c *config.Config, ruler []rules.File) ([]File, error) {
	ns := MimirNamespace(c)
	p := MimirDir + ns + ".yaml"
	plain, err := encode(Header(c.Profile.Metadata.Name), mapping("groups", groupsNode(ruler)))
	if err == nil {
		err = selfcheck.RuleFile(p, plain)
	}
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", p, err)
	}
	data, err := encode(rulerHeader(c, "Mimir: mimirtool rules load "+p+" --address=<Mimir> --id=<tenant>"+
		"\nCortex: cortextool rules load "+p+" --address=<Cortex> --id=<tenant>"),
		mapping("namespace", ns, "groups", groupsNode(ruler)))
	if err == nil {
		err = lenientRuleFile(p, data)
	}
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", p, err)
	}
	return []File{{p, data}}, nil
}

// renderVMAlert writes plain Prometheus groups, one file per concern:
// vmalert reads the Prometheus rule format.
func renderVMAlert(c *config.Config, ruler []rules.File) ([]File, error) {
	var out []File
	for _, f := range ruler {
		p := VMAlertDir + f.Name + ".yaml"
		data, err := encode(rulerHeader(c, "vmalert: vmalert -rule=vmalert/*.yaml -datasource.url=<query URL> -remoteWrite.url=<write URL> -notifier.url=<Alertmanager>")+"\n"+f.Comment,
			mapping("groups", groupsNode([]rules.File{f})))
		if err == nil {
			err = selfcheck.RuleFile(p, data)
		}
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %w", p, err)
		}
		out = append(out, File{p, data})
	}
	return out, nil
}

func clusterLabel(c *config.Config) string {
	if m := c.Profile.Spec.Mesh; m.Cluster != "" {
		return m.ClusterLabel
	}
	return ""
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// lenientRuleFile parses a ruler's file with rulefmt allowing unknown
// fields (partial_response_strategy, namespace), after the strict check of
// its plain form.
func lenientRuleFile(name string, content []byte) error {
	_, errs := rulefmt.Parse(content, true, model.UTF8Validation, parser.NewParser(parser.Options{}), quiet)
	if len(errs) > 0 {
		return fmt.Errorf("%s: generated rules do not parse: %w", name, errors.Join(errs...))
	}
	return nil
}
