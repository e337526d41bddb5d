package openapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteJSON writes the inventory as indented JSON, for tools.
func (inv *Inventory) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(inv); err != nil {
		return fmt.Errorf("openapi: writing the inventory: %w", err)
	}
	return nil
}

// WriteMarkdown writes the inventory as a Markdown document, for people:
// a summary, a table of the operations and a table of the warnings.
func (inv *Inventory) WriteMarkdown(w io.Writer) error {
	b := bufio.NewWriter(w)
	title := inv.Title
	if title == "" {
		title = "(untitled)"
	}
	fmt.Fprintf(b, "# API inventory: %s %s\n\n", mdText(title), mdText(inv.APIVersion))
	fmt.Fprintf(b, "OpenAPI %s. Operations without declared security: %s. Responses checked: %s.\n\n",
		mdText(inv.OpenAPI), inv.Undeclared, inv.Responses)

	t := inv.Totals
	b.WriteString("## Summary\n\n| | count |\n| --- | ---: |\n")
	for _, row := range []struct {
		name string
		n    int
	}{
		{"operations", t.Operations}, {"public", t.Public}, {"undeclared security", t.Undeclared},
		{"deprecated", t.Deprecated}, {"rate limited", t.RateLimited}, {"owner rules", t.OwnerRules},
		{"warnings", t.Warnings},
	} {
		fmt.Fprintf(b, "| %s | %d |\n", row.name, row.n)
	}
	for _, code := range keysInOrder(t.ByCode) {
		fmt.Fprintf(b, "| warnings: `%s` | %d |\n", code, t.ByCode[code])
	}

	b.WriteString("\n## Operations\n\n")
	if len(inv.Operations) == 0 {
		b.WriteString("The document declares no operation.\n")
	} else {
		b.WriteString("| operation | security | parameters | body | responses | rate limit | owner | deprecated | warnings |\n")
		b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | ---: |\n")
		for i := range inv.Operations {
			op := &inv.Operations[i]
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %d |\n",
				mdOperation(op), mdSecurity(op.Security), mdParams(op.Parameters), mdBody(op.Body),
				mdResponses(op.Responses), mdRateLimit(op), orDash(mdText(op.Owner)), mdDeprecated(op),
				len(op.Warnings))
		}
	}

	if t.Warnings > 0 {
		b.WriteString("\n## Warnings\n\n| operation | code | location | message |\n| --- | --- | --- | --- |\n")
		for i := range inv.Operations {
			op := &inv.Operations[i]
			for _, wn := range op.Warnings {
				fmt.Fprintf(b, "| %s | `%s` | `%s` | %s |\n", mdOperation(op), wn.Code, mdCode(wn.Location), mdText(wn.Message))
			}
		}
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("openapi: writing the inventory: %w", err)
	}
	return nil
}

func mdOperation(op *OperationReport) string {
	s := "`" + op.Method + " " + mdCode(op.Path) + "`"
	if op.ID != "" {
		s += " " + mdText(op.ID)
	}
	return s
}

func mdSecurity(s SecurityReport) string {
	switch s.Mode {
	case SecurityUndeclared:
		return "undeclared → " + s.Undeclared
	case SecurityPublic:
		if len(s.Alternatives) <= 1 {
			return "public"
		}
	}
	alts := make([]string, 0, len(s.Alternatives))
	for _, alt := range s.Alternatives {
		if len(alt) == 0 {
			alts = append(alts, "public")
			continue
		}
		uses := make([]string, 0, len(alt))
		for _, u := range alt {
			x := mdText(u.Scheme)
			if len(u.Scopes) > 0 {
				x += " (" + mdText(strings.Join(u.Scopes, ", ")) + ")"
			}
			uses = append(uses, x)
		}
		alts = append(alts, strings.Join(uses, " and "))
	}
	return strings.Join(alts, " or ")
}

func mdParams(ps []ParameterReport) string {
	if len(ps) == 0 {
		return "–"
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		x := mdText(p.Name) + " (" + p.In
		if p.Required {
			x += ", required"
		}
		if !p.HasSchema {
			x += ", no schema"
		}
		out = append(out, x+")")
	}
	return strings.Join(out, ", ")
}

func mdBody(b *BodyReport) string {
	if b == nil {
		return "–"
	}
	out := make([]string, 0, len(b.MediaTypes))
	for _, m := range b.MediaTypes {
		x := mdText(m.Type)
		if !m.Validated {
			x += " (not validated)"
		}
		out = append(out, x)
	}
	s := strings.Join(out, ", ")
	if b.Required {
		s += "; required"
	}
	return s
}

func mdResponses(rs []ResponseReport) string {
	if len(rs) == 0 {
		return "–"
	}
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		schema := len(r.MediaTypes) > 0
		for _, m := range r.MediaTypes {
			schema = schema && m.HasSchema
		}
		x := mdText(r.Status)
		if len(r.MediaTypes) > 0 && !schema {
			x += " (no schema)"
		}
		out = append(out, x)
	}
	return strings.Join(out, ", ")
}

func mdRateLimit(op *OperationReport) string {
	if op.RateLimit == "" {
		return "–"
	}
	return mdText(op.RateLimit) + " × " + strconv.Itoa(op.Cost)
}

func mdDeprecated(op *OperationReport) string {
	if !op.Deprecated {
		return "–"
	}
	d := op.Deprecation
	if d == nil {
		return "yes"
	}
	s := "since " + orDash(d.Since)
	if d.Sunset != "" {
		s += ", sunset " + d.Sunset
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// mdText makes text from the document safe in a table cell: no line
// breaks, no cell separators, no HTML or Markdown markup of its own.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '|', '\\', '`', '*', '_', '[', ']', '<', '>', '#', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode makes text safe inside a code span in a table cell.
func mdCode(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ", "`", "'", "|", "\\|").Replace(s)
	return s
}
