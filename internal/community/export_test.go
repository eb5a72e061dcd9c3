package community

// SetBulkAfter lowers the bulk-import threshold for a test and returns a
// function that restores it.
func SetBulkAfter(n int64) func() {
	old := bulkAfter
	bulkAfter = n
	return func() { bulkAfter = old }
}
