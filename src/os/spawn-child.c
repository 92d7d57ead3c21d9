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

#define SIG_SETMASK 2
#define F_SETFD 2

/* dup2s: pairs (from, to), `pairs` of them; cwd: null for none. Returns the pid, or -errno. */
int lazarus_spawn(const char *path, char *const *argv, char *const *envp, const int *dup2s, int pairs, const char *cwd) {
  sigset_t all, none, old;
  struct action dfl;
  volatile int failure = 0;
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
    if (cwd != 0 && chdir(cwd) < 0) goto fail;
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
    int e = failure;
    waitpid(pid, 0, 0);
    return -e;
  }
  return pid;
}
