package cli

import (
	"encoding/json"
	"io"
)

// jsonLine returns an encoder that writes compact JSON, one object a line.
func jsonLine(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
