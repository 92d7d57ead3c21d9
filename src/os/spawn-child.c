/*
 * lazarus's spawner (compiled at start-up by bun:ffi's cc; see spawn-vfork.ts).
 *
 * What glibc's posix_spawn does for lazarus (a new session, every signal at its
 * default disposition and none blocked, dup2s, a chdir, then execve), without the
 * stack it maps and unmaps at every call: vfork runs the child on this thread's
 * stack while this thread waits, and unmapping a stack in a process with several
 * threads costs a TLB shoot-down on every CPU they run on. Bun.spawn uses vfork too.
 *
 * The child calls only async-signal-safe functions. Every signal is blocked in this
 * thread before vfork, so no handler of lazarus's runs in the child (which shares
 * its memory); the child sets every disposition to the default (its own copy of the
 * table: vfork shares memory, not signal handlers) and unblocks everything just
 * before execve. An error in the child is its errno, written into `failure` (memory
 * shared with the parent), and the child ends with _exit(127); the parent then reaps
 * it and returns -errno, as posix_spawn returns its error.
 *
 * A server with `user` (and `limits`): between the dup2s and the chdir the child sets
 * its resource limits (setrlimit, while it may still raise a hard limit), then its
 * supplementary groups, its group and its user, in that order (after setuid it could
 * no longer change its groups). These three are system calls made through syscall(),
 * never glibc's setgroups/setgid/setuid: in a process with several threads those
 * signal every other thread to change its credentials too, and a vfork child shares
 * the parent's memory, thread list included (glibc's own posix_spawn calls the kernel
 * directly for the same reason). The calls' numbers come from the parent (they differ
 * by architecture), as do the groups: the user database is never read here. The
 * working directory is entered after, as the user (as systemd does). A failing step
 * is told with its errno: the return value is -(errno | step << 12) (for setrlimit, the
 * step holds the limit's index too: STEP_RLIMIT | index << 4).
 *
 * No headers: TinyCC needs none, and the few declarations are Linux's and glibc's.
 */
typedef int pid_t;
typedef struct { unsigned long bits[16]; } sigset_t;
/* glibc's struct sigaction on Linux: handler, mask, flags, restorer. */
struct action { void *handler; sigset_t mask; int flags; void (*restorer)(void); };

extern pid_t vfork(void);
extern int execve(const char *path, char *const argv[], char *const envp[]);
extern void _exit(int status);
extern int setsid(void);
extern int dup2(int from, int to);
extern int fcntl(int fd, int cmd, ...);
extern int chdir(const char *dir);
extern int *__errno_location(void);
extern int pthread_sigmask(int how, const sigset_t *set, sigset_t *old);
extern int sigaction(int signal, const struct action *act, struct action *old);
extern pid_t waitpid(pid_t pid, int *status, int options);
extern long syscall(long number, ...);
struct rlimit { unsigned long soft; unsigned long hard; };
extern int setrlimit(int resource, const struct rlimit *limit);

#define SIG_SETMASK 2
#define F_SETFD 2

/* The step that failed (the return value's bits 12 and up): spawnChild names them (libc.ts). */
#define STEP_OTHER 0
#define STEP_RLIMIT 1
#define STEP_SETGROUPS 2
#define STEP_SETGID 3
#define STEP_SETUID 4
#define STEP_CHDIR 5

/*
 * dup2s: pairs (from, to), `pairs` of them; cwd: null for none. ids: null to keep lazarus's
 * user, else { SYS_setgroups, SYS_setgid, SYS_setuid, uid, gid, n, group 1 … group n }.
 * limits: `nlimits` triples { resource, soft, hard }. Returns the pid, or -(errno | step << 12).
 */
int lazarus_spawn(const char *path, char *const *argv, char *const *envp, const int *dup2s, int pairs, const char *cwd,
                  const unsigned *ids, const unsigned long *limits, int nlimits) {
  sigset_t all, none, old;
  struct action dfl;
  volatile int failure = 0;
  volatile int step = STEP_OTHER;
  pid_t pid;
  int i;
  for (i = 0; i < 16; i++) { all.bits[i] = ~0UL; none.bits[i] = 0; dfl.mask.bits[i] = 0; }
  dfl.handler = 0; /* SIG_DFL */
  dfl.flags = 0;
  dfl.restorer = 0;
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid = vfork();
  if (pid == 0) {
    /* SIGKILL and SIGSTOP cannot be changed; 32 and 33 are glibc's own (it refuses them). */
    for (i = 1; i <= 64; i++)
      if (i != 9 && i != 19 && i != 32 && i != 33) sigaction(i, &dfl, 0);
    if (setsid() < 0) goto fail;
    for (i = 0; i < pairs; i++) {
      int from = dup2s[2 * i], to = dup2s[2 * i + 1];
      /* As posix_spawn does for dup2(fd, fd): keep the fd across execve. */
      if (from == to ? fcntl(to, F_SETFD, 0) < 0 : dup2(from, to) < 0) goto fail;
    }
    for (i = 0; i < nlimits; i++) {
      struct rlimit r;
      step = STEP_RLIMIT | i << 4;
      r.soft = limits[3 * i + 1];
      r.hard = limits[3 * i + 2];
      if (setrlimit((int)limits[3 * i], &r) < 0) goto fail;
    }
    if (ids != 0) {
      step = STEP_SETGROUPS;
      if (syscall(ids[0], (long)ids[5], ids + 6) < 0) goto fail;
      step = STEP_SETGID;
      if (syscall(ids[1], (long)ids[4]) < 0) goto fail;
      step = STEP_SETUID;
      if (syscall(ids[2], (long)ids[3]) < 0) goto fail;
    }
    step = STEP_CHDIR;
    if (cwd != 0 && chdir(cwd) < 0) goto fail;
    step = STEP_OTHER;
    pthread_sigmask(SIG_SETMASK, &none, 0);
    execve(path, argv, envp);
  fail:
    failure = *__errno_location();
    _exit(127);
  }
  if (pid < 0) {
    int e = *__errno_location();
    pthread_sigmask(SIG_SETMASK, &old, 0);
    return -e;
  }
  pthread_sigmask(SIG_SETMASK, &old, 0);
  if (failure != 0) {
    int e = failure | step << 12;
    waitpid(pid, 0, 0);
    return -e;
  }
  return pid;
}
