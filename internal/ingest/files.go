package ingest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Files lists what an import of path reads: path itself when it is a file,
// or else every file under the folder whose extension is one of exts
// (compared without case), in lexical order. Hidden folders (".git",
// ".DS_Store"-style) below the top are skipped.
func Files(path string, exts ...string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(d.Name())
		for _, e := range exts {
			if strings.EqualFold(ext, e) {
				files = append(files, p)
				break
			}
		}
		return nil
	})
	return files, err
}
