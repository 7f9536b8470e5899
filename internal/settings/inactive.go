package settings

// Inactive is a section of the settings document that is accepted, stored
// and shown but does nothing yet: the admin is told so wherever the section
// is shown (the settings API's answer, `ferry settings`), rather than left
// to believe it works.
type Inactive struct {
	// Section is the document's top-level key: "tasks", "cases", …
	Section string `json:"section"`
	// Message says so in words.
	Message string `json:"message"`
}

// InactiveSections lists the sections that do nothing yet, in document
// order. This is the one place that says so: when the code that implements
// a section lands, delete its line here.
func InactiveSections() []Inactive {
	return []Inactive{}
}
