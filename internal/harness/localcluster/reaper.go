package localcluster

import (
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
)

// reaperScript kills the process groups it was told about, and removes the directory it was told about
// ("dir PATH"), once its stdin closes without a final "exit" line.
// The kernel closes that pipe however the parent ends (panic, os.Exit, SIGKILL), which is the one moment
// no code of ours can run: envtest starts etcd and kube-apiserver in their own process groups, so nothing
// else would stop them. It ignores the terminal's signals so that a Ctrl-C reaching the whole foreground
// group cannot take it down before it has done its work.
const reaperScript = `trap '' INT TERM HUP QUIT
pgids=""
dir=""
while IFS= read -r line; do
  case "$line" in
    exit) exit 0 ;;
    "dir "*) dir="${line#dir }" ;;
    *) pgids="$pgids $line" ;;
  esac
done
for p in $pgids; do kill -KILL -- "-$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
if [ -n "$dir" ]; then rm -rf -- "$dir"; fi
exit 0
`

// reaper is the parent-death guard of one Cluster.
type reaper struct {
	mu    sync.Mutex
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  bool
}

func startReaper() (*reaper, error) {
	cmd := exec.Command("/bin/sh", "-c", reaperScript)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("creating the reaper's pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the reaper (/bin/sh): %w", err)
	}
	return &reaper{cmd: cmd, stdin: stdin}, nil
}

// watch hands a process group to the reaper; pgid is also the leader's pid for the processes we start.
func (r *reaper) watch(pgid int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return fmt.Errorf("reaper already released, cannot watch process group %d", pgid)
	}
	if _, err := io.WriteString(r.stdin, strconv.Itoa(pgid)+"\n"); err != nil {
		return fmt.Errorf("telling the reaper about process group %d: %w", pgid, err)
	}
	return nil
}

// removeDir has the reaper delete dir if it has to act.
func (r *reaper) removeDir(dir string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return fmt.Errorf("reaper already released, cannot take %s", dir)
	}
	if _, err := io.WriteString(r.stdin, "dir "+dir+"\n"); err != nil {
		return fmt.Errorf("telling the reaper about %s: %w", dir, err)
	}
	return nil
}

// release ends the reaper without it killing anything: called once every watched process is known to be
// stopped, so that a recycled pid is never signalled.
func (r *reaper) release() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil
	}
	r.done = true
	_, werr := io.WriteString(r.stdin, "exit\n")
	_ = r.stdin.Close()
	if err := r.cmd.Wait(); err != nil {
		return fmt.Errorf("reaper: %w", err)
	}
	return werr
}

// pid is the reaper's own process id, for tests that check nothing is left behind.
func (r *reaper) pid() int { return r.cmd.Process.Pid }
