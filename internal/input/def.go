package input

// Def describes one input of the action, which is also a CLI flag of the
// same name. Each component exports the Defs of the inputs it reads.
type Def struct {
	Name        string
	Description string
	// Default is the value used when the input is empty. action.yml
	// declares the same default; it names the component's own constant.
	Default string
	// Required inputs must be non-empty; GitHub does not enforce
	// `required: true`, so the Reader does.
	Required bool
	// Bool inputs take true or false and can be given as a bare CLI flag.
	Bool bool
	// ActionDefault, when set, is action.yml's default instead of Default:
	// an expression GitHub evaluates, such as ${{ github.token }}.
	ActionDefault string
	// Secret inputs are masked in the log: the configuration's Secrets
	// returns their values. A problem with one never shows its value.
	Secret bool
	// Credential inputs are not secret but may carry one by mistake after
	// a separator (a registry user name with its password pasted after a
	// ':'): a problem quotes the value only up to its first ':' or '@'.
	Credential bool
	// Multiline inputs take several lines (KEY=VALUE lists, YAML, file
	// content); every other input is one line, and a control character in
	// it (a new line that would start a workflow command in the log) is a
	// problem.
	Multiline bool
	// Internal inputs are filled in by action.yml's default for the
	// action itself: they are no CLI flag and not in the reference.
	Internal bool
}

// ActionYAMLDefault is the default action.yml declares: ActionDefault when
// set, else Default.
func (d Def) ActionYAMLDefault() string {
	if d.ActionDefault != "" {
		return d.ActionDefault
	}
	return d.Default
}

// Values holds raw, unvalidated input values by name; a missing or empty
// value means "use the default".
type Values map[string]string

// Style says how problems name an input: as an action input or as a flag.
type Style int

const (
	// ActionStyle names inputs as in action.yml: input "timeout".
	ActionStyle Style = iota
	// FlagStyle names inputs as flags: --timeout.
	FlagStyle
)
