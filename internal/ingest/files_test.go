package ingest

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.CSV", "a.csv", "notes.txt", "sub/c.csv", ".git/d.csv"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Files(dir, ".csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.CSV"), filepath.Join(dir, "sub/c.csv")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Files(folder) = %v, want %v", got, want)
	}
	// A file is read whatever its extension: the user named it.
	if got, err := Files(filepath.Join(dir, "notes.txt"), ".csv"); err != nil || len(got) != 1 {
		t.Fatalf("Files(file) = %v, %v", got, err)
	}
	if _, err := Files(filepath.Join(dir, "missing"), ".csv"); !os.IsNotExist(err) {
		t.Fatalf("Files(missing) error = %v, want not-exist", err)
	}
}
