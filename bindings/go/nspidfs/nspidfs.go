// Package nspidfs reads an nspidfs mount: PID-namespace facts about the processes of a
// host, served as files by the nspidfs FUSE daemon (usually at /var/lib/nspidfs).
//
// For every process (named by its host PID, its PID in the daemon's PID namespace) it
// gives the host PID of its namespace's init, its PID inside that namespace and the chain
// of namespaces above it; for every PID namespace (named by its inode number) its init,
// parent and children, and the reverse lookup from a PID inside it to the host PID.
//
// The package-level functions read the mount named by $NSPIDFS_ROOT, else
// /var/lib/nspidfs; an FS reads another. It uses the standard library only (no cgo).
//
// Errors are *Error values that errors.Is classifies:
//
//   - ErrNoProcess: no such process (it has exited and been reaped, or its PID was
//     reused), no such namespace, or no process with that PID in the namespace.
//   - os.ErrPermission: access denied (EACCES).
//   - os.ErrNotExist: nothing is mounted at the root: it does not exist, holds no nspidfs
//     tree, or is a mount whose daemon has gone (ENOTCONN).
//
// The errno the filesystem returned matches too, e.g. errors.Is(err, syscall.ETIMEDOUT) for
// a creds helper that timed out.
package nspidfs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// DefaultRoot is the mount point read when $NSPIDFS_ROOT is unset or empty.
const DefaultRoot = "/var/lib/nspidfs"

// RootEnv is the environment variable naming the mount point.
const RootEnv = "NSPIDFS_ROOT"

// ErrNoProcess is matched (errors.Is) by errors for a process or namespace that does not
// exist. It is not os.ErrNotExist, which means the mount itself is absent.
var ErrNoProcess = errors.New("no such process")

// Level is one line of PID/ancestors: the process seen from one PID namespace.
type Level struct {
	Level int    // depth of this namespace below the daemon's (0 is the daemon's own)
	NS    uint64 // inode number of the namespace
	PID   int    // the process's PID in this namespace
	Init  int    // host PID of PID 1 of this namespace
}

// Namespace is one PID namespace, as ns/INODE/json describes it.
type Namespace struct {
	NS       uint64   // inode number of the namespace
	Level    int      // depth below the daemon's namespace
	Parent   uint64   // inode number of the parent namespace; 0 at level 0
	Init     int      // host PID of PID 1 of the namespace
	Children []uint64 // inode numbers of the namespaces directly below, ascending
}

// Error is the error of every function of this package.
type Error struct {
	Op   string // the function, such as "InitPID"
	Path string // the file that was read
	Msg  string // what went wrong, naming the PID or the mount
	Kind error  // ErrNoProcess, os.ErrPermission, os.ErrNotExist, or nil
	Err  error  // the error the filesystem returned (a syscall.Errno when it is one)
}

func (e *Error) Error() string {
	return fmt.Sprintf("nspidfs: %s: %s (%s: %v)", e.Op, e.Msg, e.Path, e.Err)
}

// Unwrap gives the classification (Kind) when there is one, else the underlying error.
func (e *Error) Unwrap() error {
	if e.Kind != nil {
		return e.Kind
	}
	return e.Err
}

// Is matches the errno the filesystem returned, so that errors.Is(err, syscall.ETIMEDOUT)
// works alongside the classification.
func (e *Error) Is(target error) bool {
	var errno syscall.Errno
	return errors.As(e.Err, &errno) && target == errno
}

// FS reads the nspidfs tree mounted at Root.
type FS struct {
	Root string
}

// Default is the FS of $NSPIDFS_ROOT, or of DefaultRoot when that is unset or empty.
func Default() FS {
	if r := os.Getenv(RootEnv); r != "" {
		return FS{Root: r}
	}
	return FS{Root: DefaultRoot}
}

// InitPID is Default().InitPID(pid).
func InitPID(pid int) (int, error) { return Default().InitPID(pid) }

// NSPID is Default().NSPID(pid).
func NSPID(pid int) (int, error) { return Default().NSPID(pid) }

// NSInode is Default().NSInode(pid).
func NSInode(pid int) (uint64, error) { return Default().NSInode(pid) }

// Ancestors is Default().Ancestors(pid).
func Ancestors(pid int) ([]Level, error) { return Default().Ancestors(pid) }

// HostPID is Default().HostPID(ns, nspid).
func HostPID(ns uint64, nspid int) (int, error) { return Default().HostPID(ns, nspid) }

// GetNamespace is Default().Namespace(ns).
func GetNamespace(ns uint64) (Namespace, error) { return Default().Namespace(ns) }

// Namespaces is Default().Namespaces().
func Namespaces() ([]Namespace, error) { return Default().Namespaces() }

// SelfPID is Default().SelfPID().
func SelfPID() (int, error) { return Default().SelfPID() }

const (
	noProcess   = "no such process"
	noNamespace = "no such PID namespace (its init has exited?)"
)

// InitPID gives the host PID of PID 1 of the PID namespace of host PID pid (PID/init).
func (f FS) InitPID(pid int) (int, error) {
	return f.pidFile("InitPID", pid, "init")
}

// NSPID gives the PID of host PID pid inside its own PID namespace (PID/nspid).
func (f FS) NSPID(pid int) (int, error) {
	return f.pidFile("NSPID", pid, "nspid")
}

// NSInode gives the inode number of the PID namespace of host PID pid (PID/ns).
func (f FS) NSInode(pid int) (uint64, error) {
	if err := checkPositive("NSInode", "pid", uint64(pid), pid <= 0); err != nil {
		return 0, err
	}
	rel := fmt.Sprintf("%d/ns", pid)
	text, err := f.read("NSInode", rel, fmt.Sprintf("PID %d", pid), noProcess)
	if err != nil {
		return 0, err
	}
	return f.parseUint("NSInode", rel, text)
}

func (f FS) pidFile(op string, pid int, name string) (int, error) {
	if err := checkPositive(op, "pid", uint64(pid), pid <= 0); err != nil {
		return 0, err
	}
	rel := fmt.Sprintf("%d/%s", pid, name)
	text, err := f.read(op, rel, fmt.Sprintf("PID %d", pid), noProcess)
	if err != nil {
		return 0, err
	}
	return f.parseInt(op, rel, text)
}

// Ancestors gives the chain of PID namespaces of host PID pid, the daemon's (level 0)
// first (PID/ancestors).
func (f FS) Ancestors(pid int) ([]Level, error) {
	const op = "Ancestors"
	if err := checkPositive(op, "pid", uint64(pid), pid <= 0); err != nil {
		return nil, err
	}
	rel := fmt.Sprintf("%d/ancestors", pid)
	text, err := f.read(op, rel, fmt.Sprintf("PID %d", pid), noProcess)
	if err != nil {
		return nil, err
	}
	var levels []Level
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 4 {
			return nil, f.badContent(op, rel, line)
		}
		var v [4]uint64
		for i, s := range fields {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, f.badContent(op, rel, line)
			}
			v[i] = n
		}
		levels = append(levels, Level{Level: int(v[0]), NS: v[1], PID: int(v[2]), Init: int(v[3])})
	}
	return levels, nil
}

// HostPID gives the host PID of the process whose PID in the namespace with inode number
// ns is nspid: the reverse lookup ns/NS/pid/NSPID.
func (f FS) HostPID(ns uint64, nspid int) (int, error) {
	const op = "HostPID"
	if err := checkPositive(op, "ns", ns, ns == 0); err != nil {
		return 0, err
	}
	if err := checkPositive(op, "nspid", uint64(nspid), nspid <= 0); err != nil {
		return 0, err
	}
	rel := fmt.Sprintf("ns/%d/pid/%d", ns, nspid)
	what := fmt.Sprintf("PID %d in PID namespace %d", nspid, ns)
	target, err := f.readlink(op, rel, what, "no such process in that namespace, or no such namespace")
	if err != nil {
		return 0, err
	}
	return f.parseInt(op, rel, filepath.Base(target))
}

type nsJSON struct {
	NS       *uint64  `json:"ns"`
	Level    *int     `json:"level"`
	Parent   *uint64  `json:"parent"`
	Init     *int     `json:"init"`
	Children []uint64 `json:"children"`
}

// Namespace gives the PID namespace with inode number ns (ns/NS/json).
func (f FS) Namespace(ns uint64) (Namespace, error) {
	const op = "Namespace"
	if err := checkPositive(op, "ns", ns, ns == 0); err != nil {
		return Namespace{}, err
	}
	rel := fmt.Sprintf("ns/%d/json", ns)
	text, err := f.read(op, rel, fmt.Sprintf("PID namespace %d", ns), noNamespace)
	if err != nil {
		return Namespace{}, err
	}
	var j nsJSON
	if err := json.Unmarshal([]byte(text), &j); err != nil || j.NS == nil || j.Level == nil ||
		j.Init == nil || j.Children == nil {
		return Namespace{}, f.badContent(op, rel, text)
	}
	n := Namespace{NS: *j.NS, Level: *j.Level, Init: *j.Init, Children: j.Children}
	if j.Parent != nil {
		n.Parent = *j.Parent
	}
	return n, nil
}

// Namespaces gives every live PID namespace, ordered by level, then inode number. A
// namespace whose init exits between the listing and the read is left out.
func (f FS) Namespaces() ([]Namespace, error) {
	const op = "Namespaces"
	path := filepath.Join(f.Root, "ns")
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, f.classify(op, path, "the namespace list", "not found", err)
	}
	out := []Namespace{}
	for _, e := range entries {
		ns, err := strconv.ParseUint(e.Name(), 10, 64)
		if err != nil {
			continue
		}
		n, err := f.Namespace(ns)
		if errors.Is(err, ErrNoProcess) {
			continue // gone since the listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Level != out[j].Level {
			return out[i].Level < out[j].Level
		}
		return out[i].NS < out[j].NS
	})
	return out, nil
}

// SelfPID gives the caller's host PID, as the daemon sees it (the target of self). Inside a
// container it is the host PID, unlike os.Getpid().
func (f FS) SelfPID() (int, error) {
	const op = "SelfPID"
	target, err := f.readlink(op, "self", "self", "the reading process has no directory")
	if err != nil {
		return 0, err
	}
	return f.parseInt(op, "self", filepath.Base(target))
}

func checkPositive(op, name string, v uint64, bad bool) error {
	if bad {
		return &Error{Op: op, Path: "", Msg: fmt.Sprintf("%s must be positive, got %d", name, int64(v)),
			Err: syscall.EINVAL}
	}
	return nil
}

func (f FS) read(op, rel, what, gone string) (string, error) {
	path := filepath.Join(f.Root, rel)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", f.classify(op, path, what, gone, err)
	}
	return string(b), nil
}

func (f FS) readlink(op, rel, what, gone string) (string, error) {
	path := filepath.Join(f.Root, rel)
	t, err := os.Readlink(path)
	if err != nil {
		return "", f.classify(op, path, what, gone, err)
	}
	return t, nil
}

// classify turns an error reading path (about what) into an *Error of the right Kind.
func (f FS) classify(op, path, what, gone string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return &Error{Op: op, Path: path, Msg: what, Err: err}
	}
	switch errno {
	case syscall.ENOENT, syscall.ENOTCONN, syscall.ENOTDIR:
		if why, ok := f.notMounted(errno); ok {
			return &Error{Op: op, Path: path, Kind: os.ErrNotExist, Err: errno,
				Msg: fmt.Sprintf("nspidfs is not mounted at %s: %s; set %s to its mount point",
					f.Root, why, RootEnv)}
		}
		return &Error{Op: op, Path: path, Kind: ErrNoProcess, Err: errno, Msg: what + ": " + gone}
	case syscall.EACCES, syscall.EPERM:
		return &Error{Op: op, Path: path, Kind: os.ErrPermission, Err: errno,
			Msg: what + ": permission denied"}
	}
	return &Error{Op: op, Path: path, Err: errno, Msg: what}
}

// notMounted says why the root holds no live nspidfs tree, if it does not.
func (f FS) notMounted(errno syscall.Errno) (string, bool) {
	const stale = "it is a mount whose daemon has gone (transport endpoint is not connected)"
	if errno == syscall.ENOTCONN {
		return stale, true
	}
	_, err := os.Lstat(filepath.Join(f.Root, "self"))
	if err == nil {
		return "", false
	}
	if errors.Is(err, syscall.ENOTCONN) {
		return stale, true
	}
	st, err := os.Stat(f.Root)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist):
		return "it does not exist", true
	case err == nil && !st.IsDir():
		return "it is not a directory", true
	}
	return "it holds no nspidfs tree (is the daemon running and mounted there?)", true
}

func (f FS) parseInt(op, rel, text string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil {
		return 0, f.badContent(op, rel, text)
	}
	return n, nil
}

func (f FS) parseUint(op, rel, text string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(text), 10, 64)
	if err != nil {
		return 0, f.badContent(op, rel, text)
	}
	return n, nil
}

func (f FS) badContent(op, rel, text string) error {
	return &Error{Op: op, Path: filepath.Join(f.Root, rel), Err: syscall.EBADMSG,
		Msg: fmt.Sprintf("unexpected content %q", text)}
}
