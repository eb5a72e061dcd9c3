package gen

import (
	"archive/zip"
	"bufio"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/flate"
)

// output receives the files of an export one after another: a folder or a
// zip archive. The writer create returns is valid until the next create or
// close, so only one file is ever open.
type output interface {
	create(name string) (io.Writer, error)
	mkdir(name string) error
	close() error
}

type dirOutput struct {
	root string
	dirs map[string]bool // folders already made: a Slack export has thousands of day files
	f    *os.File
	w    *bufio.Writer
}

func newDirOutput(root string) (*dirOutput, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	return &dirOutput{root: root, dirs: map[string]bool{}}, nil
}

func (d *dirOutput) finish() error {
	if d.f == nil {
		return nil
	}
	err := d.w.Flush()
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	d.f, d.w = nil, nil
	return err
}

func (d *dirOutput) create(name string) (io.Writer, error) {
	if err := d.finish(); err != nil {
		return nil, err
	}
	p := filepath.Join(d.root, filepath.FromSlash(name))
	if dir := filepath.Dir(p); !d.dirs[dir] {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		d.dirs[dir] = true
	}
	f, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	d.f, d.w = f, bufio.NewWriterSize(f, 256<<10)
	return d.w, nil
}

func (d *dirOutput) close() error { return d.finish() }

// mkdir makes an empty folder, for a channel that has no day file.
func (d *dirOutput) mkdir(name string) error {
	return os.MkdirAll(filepath.Join(d.root, filepath.FromSlash(name)), 0o755)
}

type zipOutput struct {
	f *os.File
	b *bufio.Writer
	z *zip.Writer
}

func newZipOutput(path string) (*zipOutput, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	b := bufio.NewWriterSize(f, 256<<10)
	z := zip.NewWriter(b)
	// klauspost's flate at its fastest level keeps a 1 M message export well
	// under a minute; the output is still deterministic.
	z.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	return &zipOutput{f: f, b: b, z: z}, nil
}

func (o *zipOutput) create(name string) (io.Writer, error) {
	// A fixed modification time keeps archives byte-identical across runs.
	return o.z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: start})
}

func (o *zipOutput) mkdir(name string) error {
	_, err := o.z.CreateHeader(&zip.FileHeader{Name: name + "/", Modified: start})
	return err
}

func (o *zipOutput) close() error {
	err := o.z.Close()
	if ferr := o.b.Flush(); err == nil {
		err = ferr
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	return err
}
