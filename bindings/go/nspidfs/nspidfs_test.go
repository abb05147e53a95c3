package nspidfs_test

// The Go bindings against a real nspidfs mount and real PID namespaces, compared with what
// the kernel says in /proc. TestMain starts the daemon named by $NSPIDFS_BIN on a temporary
// mount point (root needed); without it every test is skipped, saying why. Run it in a
// private mount namespace (meson does: unshare -m) so that no mount can outlive a crash.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nspidfs/nspidfs/bindings/go/nspidfs"
)

var (
	skipReason string // why every test that needs the mount is skipped
	mountDir   string // the live mount
	privDir    string // a 0700 directory holding the mount points
	daemonBin  string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	daemonBin = os.Getenv("NSPIDFS_BIN")
	switch {
	case daemonBin == "":
		skipReason = "NSPIDFS_BIN is not set: point it at a built nspidfs (build/src/nspidfs)"
	case os.Geteuid() != 0:
		skipReason = "needs root: the tests mount FUSE and create PID namespaces"
	}
	if skipReason != "" {
		return m.Run()
	}
	var err error
	if privDir, err = os.MkdirTemp("", "nspidfs-go-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(privDir)
	if err := os.Chmod(privDir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// --snapshot-ms=0: the ns/ listings come from a new /proc pass at every read, so they
	// include the namespaces a test has just made (by default a pass serves 100 ms).
	d, err := startDaemon("mnt", "--snapshot-ms=0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer d.stop(syscall.SIGTERM)
	mountDir = d.mnt
	os.Setenv(nspidfs.RootEnv, mountDir)
	return m.Run()
}

type daemon struct {
	cmd  *exec.Cmd
	mnt  string
	log  string
	done chan error
}

// startDaemon runs "$NSPIDFS_BIN -f --ready-fd=3 ARGS MNT" and waits for READY=1 on fd 3.
func startDaemon(name string, args ...string) (*daemon, error) {
	mnt := filepath.Join(privDir, name)
	if err := os.Mkdir(mnt, 0o755); err != nil {
		return nil, err
	}
	logPath := mnt + ".log"
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd := exec.Command(daemonBin, append(append([]string{"-f", "--ready-fd=3"}, args...), mnt)...)
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = logf, logf, []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return nil, err
	}
	d := &daemon{cmd: cmd, mnt: mnt, log: logPath, done: make(chan error, 1)}
	go func() { d.done <- cmd.Wait() }()
	_ = r.SetReadDeadline(time.Now().Add(30 * time.Second))
	got, _ := io.ReadAll(r)
	if strings.TrimSpace(string(got)) != "READY=1" {
		d.stop(syscall.SIGKILL)
		out, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("nspidfs did not get ready on %s (read %q):\n%s", mnt, got, out)
	}
	return d, nil
}

// stop signals the daemon, reaps it, and detaches its mount if it is left.
func (d *daemon) stop(sig syscall.Signal) {
	_ = d.cmd.Process.Signal(sig)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
	for mounted(d.mnt) {
		if syscall.Unmount(d.mnt, syscall.MNT_DETACH) != nil {
			break
		}
	}
}

func mounted(path string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			return true
		}
	}
	return false
}

func needMount(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

// poll calls check until it reports done; it fails the test after 10 s.
func poll(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func nspidOf(t *testing.T, pid int) []int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "NSpid:") {
			var out []int
			for _, f := range strings.Fields(line)[1:] {
				n, _ := strconv.Atoi(f)
				out = append(out, n)
			}
			return out
		}
	}
	t.Fatalf("no NSpid in /proc/%d/status", pid)
	return nil
}

func pidnsInode(t *testing.T, pid string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/"+pid+"/ns/pid", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func children(pid int) []int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	var out []int
	for _, f := range strings.Fields(string(b)) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// pidnsChain makes depth nested PID namespaces with `unshare -p -f --kill-child` and
// gives the host PIDs of their inits, outermost first; the last is a sleep.
func pidnsChain(t *testing.T, depth int) []int {
	t.Helper()
	var args []string
	for i := 0; i < depth; i++ {
		args = append(args, "unshare", "-p", "-f", "--kill-child")
	}
	args = append(args, "sleep", "1000")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run unshare(1): %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var inits []int
	poll(t, "the nested PID namespaces", func() bool {
		inits = inits[:0]
		cur := cmd.Process.Pid
		for i := 0; i < depth; i++ {
			kids := children(cur)
			if len(kids) != 1 {
				return false
			}
			cur = kids[0]
			inits = append(inits, cur)
		}
		return comm(cur) == "sleep"
	})
	return inits
}

func pidMax(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func TestSelfPID(t *testing.T) {
	needMount(t)
	got, err := nspidfs.SelfPID()
	if err != nil || got != os.Getpid() {
		t.Fatalf("SelfPID() = %d, %v; want %d", got, err, os.Getpid())
	}
}

func TestHostProcess(t *testing.T) {
	needMount(t)
	me := os.Getpid()
	hostNS := pidnsInode(t, "self")
	if n, err := nspidfs.NSPID(me); err != nil || n != me {
		t.Errorf("NSPID(%d) = %d, %v", me, n, err)
	}
	if n, err := nspidfs.InitPID(me); err != nil || n != 1 {
		t.Errorf("InitPID(%d) = %d, %v; want 1", me, n, err)
	}
	want := []nspidfs.Level{{Level: 0, NS: hostNS, PID: me, Init: 1}}
	if got, err := nspidfs.Ancestors(me); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Ancestors(%d) = %+v, %v; want %+v", me, got, err, want)
	}
}

func TestNestedNamespaces(t *testing.T) {
	needMount(t)
	inits := pidnsChain(t, 2)
	hostNS := pidnsInode(t, "self")
	chainNS := []uint64{hostNS}
	for _, p := range inits {
		chainNS = append(chainNS, pidnsInode(t, strconv.Itoa(p)))
	}
	chainInit := append([]int{1}, inits...)
	for _, pid := range inits {
		kernel := nspidOf(t, pid)
		var want []nspidfs.Level
		for i, p := range kernel {
			want = append(want, nspidfs.Level{Level: i, NS: chainNS[i], PID: p, Init: chainInit[i]})
		}
		got, err := nspidfs.Ancestors(pid)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Ancestors(%d) = %+v, %v; want %+v (NSpid %v)", pid, got, err, want, kernel)
		}
		if n, err := nspidfs.NSPID(pid); err != nil || n != kernel[len(kernel)-1] {
			t.Errorf("NSPID(%d) = %d, %v; want %d", pid, n, err, kernel[len(kernel)-1])
		}
		if n, err := nspidfs.InitPID(pid); err != nil || n != pid {
			t.Errorf("InitPID(%d) = %d, %v; want %d", pid, n, err, pid)
		}
		if n, err := nspidfs.NSInode(pid); err != nil || n != pidnsInode(t, strconv.Itoa(pid)) {
			t.Errorf("NSInode(%d) = %d, %v", pid, n, err)
		}
	}
	// Reverse lookups: the leaf is PID 2 of level 1 and PID 1 of level 2.
	for _, c := range []struct {
		ns    uint64
		nspid int
		want  int
	}{{chainNS[1], 1, inits[0]}, {chainNS[1], 2, inits[1]}, {chainNS[2], 1, inits[1]}} {
		if got, err := nspidfs.HostPID(c.ns, c.nspid); err != nil || got != c.want {
			t.Errorf("HostPID(%d, %d) = %d, %v; want %d", c.ns, c.nspid, got, err, c.want)
		}
	}
	if _, err := nspidfs.HostPID(chainNS[1], 3); !errors.Is(err, nspidfs.ErrNoProcess) {
		t.Errorf("HostPID(%d, 3): %v; want ErrNoProcess", chainNS[1], err)
	}

	all, err := nspidfs.Namespaces()
	if err != nil {
		t.Fatal(err)
	}
	byNS := map[uint64]nspidfs.Namespace{}
	for i, n := range all {
		byNS[n.NS] = n
		if i > 0 && all[i-1].Level > n.Level {
			t.Errorf("Namespaces() not ordered by level: %+v before %+v", all[i-1], n)
		}
	}
	if h := byNS[hostNS]; h.Level != 0 || h.Parent != 0 || h.Init != 1 {
		t.Errorf("host namespace %+v", h)
	}
	want1 := nspidfs.Namespace{NS: chainNS[1], Level: 1, Parent: hostNS, Init: inits[0],
		Children: []uint64{chainNS[2]}}
	want2 := nspidfs.Namespace{NS: chainNS[2], Level: 2, Parent: chainNS[1], Init: inits[1],
		Children: []uint64{}}
	if !reflect.DeepEqual(byNS[chainNS[1]], want1) || !reflect.DeepEqual(byNS[chainNS[2]], want2) {
		t.Errorf("Namespaces(): %+v and %+v; want %+v and %+v", byNS[chainNS[1]],
			byNS[chainNS[2]], want1, want2)
	}
}

func TestNoSuchProcess(t *testing.T) {
	needMount(t)
	missing := pidMax(t)
	_, err := nspidfs.InitPID(missing)
	if !errors.Is(err, nspidfs.ErrNoProcess) || errors.Is(err, os.ErrNotExist) {
		t.Fatalf("InitPID(%d): %v; want ErrNoProcess, not os.ErrNotExist", missing, err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("PID %d: no such process", missing)) {
		t.Errorf("message %q names neither the PID nor the cause", err)
	}
	if _, err := nspidfs.Ancestors(missing); !errors.Is(err, nspidfs.ErrNoProcess) {
		t.Errorf("Ancestors(%d): %v", missing, err)
	}
	if _, err := nspidfs.GetNamespace(1); !errors.Is(err, nspidfs.ErrNoProcess) {
		t.Errorf("GetNamespace(1): %v", err)
	}
	if _, err := nspidfs.NSPID(0); err == nil || !errors.Is(err, syscall.EINVAL) {
		t.Errorf("NSPID(0): %v; want EINVAL", err)
	}
}

func TestZombieUntilReaped(t *testing.T) {
	needMount(t)
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Unreaped, it stays a zombie, so its PID cannot be reused meanwhile.
	poll(t, "a zombie", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		return i >= 0 && strings.HasPrefix(s[i:], ") Z")
	})
	// Answered for as /proc shows it until it is reaped.
	if got, err := nspidfs.NSPID(pid); err != nil || got != pid {
		t.Errorf("NSPID(zombie %d): %d, %v; want %d", pid, got, err, pid)
	}
	cmd.Wait()
	if _, err := nspidfs.NSPID(pid); !errors.Is(err, nspidfs.ErrNoProcess) {
		t.Errorf("NSPID(reaped %d): %v; want ErrNoProcess", pid, err)
	}
}

func TestKernelThread(t *testing.T) {
	needMount(t)
	const pfKthread = 0x00200000
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		flags, _ := strconv.ParseUint(fields[6], 10, 64)
		if flags&pfKthread == 0 {
			continue
		}
		// A member of the daemon's namespace, as /proc/2/status says (NSpid: 2).
		if got, err := nspidfs.InitPID(pid); err != nil || got != 1 {
			t.Errorf("InitPID(kernel thread %d): %d, %v; want 1", pid, got, err)
		}
		if got, err := nspidfs.NSPID(pid); err != nil || got != pid {
			t.Errorf("NSPID(kernel thread %d): %d, %v; want %d", pid, got, err, pid)
		}
		return
	}
	t.Skip("no kernel thread is visible in this PID namespace")
}

func TestNotMounted(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "absent")
	for root, why := range map[string]string{missing: "does not exist", dir: "holds no nspidfs tree"} {
		fs := nspidfs.FS{Root: root}
		_, err := fs.NSPID(1)
		if !errors.Is(err, os.ErrNotExist) || errors.Is(err, nspidfs.ErrNoProcess) {
			t.Errorf("NSPID(1) on %s: %v; want os.ErrNotExist", root, err)
		}
		if err == nil || !strings.Contains(err.Error(), "not mounted at "+root+": it "+why) {
			t.Errorf("message %q does not say the mount is absent at %s", err, root)
		}
		if _, err := fs.SelfPID(); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("SelfPID on %s: %v", root, err)
		}
		if _, err := fs.Namespaces(); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Namespaces on %s: %v", root, err)
		}
	}
	t.Setenv(nspidfs.RootEnv, missing)
	if _, err := nspidfs.HostPID(4026531836, 1); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("HostPID with %s=%s: %v", nspidfs.RootEnv, missing, err)
	}
}

// serverPidfd opens a pidfd of the keeper's child, the server.
func serverPidfd(keeper int) (int, error) {
	kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", keeper, keeper))
	if err != nil {
		return -1, err
	}
	fields := strings.Fields(string(kids))
	if len(fields) == 0 {
		return -1, fmt.Errorf("keeper %d has no server", keeper)
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil {
		return -1, err
	}
	const sysPidfdOpen = 434
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// waitReadable waits for fd (a pidfd: its process exited) at most ms milliseconds.
func waitReadable(fd, ms int) error {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	defer syscall.Close(ep)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return err
	}
	for {
		events := make([]syscall.EpollEvent, 1)
		n, err := syscall.EpollWait(ep, events, ms)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("still running after %d ms", ms)
		}
		return nil
	}
}

func TestStaleMount(t *testing.T) {
	needMount(t)
	d, err := startDaemon("stale")
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop(syscall.SIGKILL)
	fs := nspidfs.FS{Root: d.mnt}
	if got, err := fs.SelfPID(); err != nil || got != os.Getpid() {
		t.Fatalf("SelfPID() = %d, %v", got, err)
	}
	// The process started is the keeper; its server ends a moment after it (parent-death
	// signal), and only then is the mount stale: wait for the server too.
	server, err := serverPidfd(d.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(server)
	_ = d.cmd.Process.Kill()
	<-d.done
	d.done <- nil // for stop
	if err := waitReadable(server, 10000); err != nil {
		t.Fatalf("the server outlived its keeper: %v", err)
	}
	_, err = fs.NSPID(os.Getpid())
	if !errors.Is(err, os.ErrNotExist) || !errors.Is(err, syscall.ENOTCONN) ||
		!strings.Contains(err.Error(), "daemon has gone") {
		t.Errorf("NSPID on a stale mount: %v; want os.ErrNotExist and ENOTCONN", err)
	}
}

func TestPermissionDenied(t *testing.T) {
	needMount(t)
	// As nobody (effective UID only, so that root can be taken back), the mount's parent
	// directory (0700) cannot be entered.
	if err := syscall.Setresuid(-1, 65534, -1); err != nil {
		t.Skipf("cannot change the effective UID: %v", err)
	}
	_, err := nspidfs.NSPID(1)
	if err := syscall.Setresuid(-1, 0, -1); err != nil {
		fmt.Fprintln(os.Stderr, "cannot take root back:", err)
		os.Exit(2)
	}
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "PID 1: permission denied") {
		t.Errorf("NSPID(1) as nobody: %v; want os.ErrPermission", err)
	}
}
