/*
 * stamp: the server of lazarus's benchmarks. It stamps CLOCK_MONOTONIC at the top of
 * main and just before it exits, so that respawn latency is measured from outside the
 * supervisor: latency = next process's start stamp - previous process's exit stamp.
 *
 *   stamp FILE TAG MODE CODE
 *
 * FILE  stamp file, appended to with O_APPEND (one write(2) per line, so lines from
 *       many processes never interleave):
 *         S TAG PID NS    at the top of main (NS: CLOCK_MONOTONIC in nanoseconds)
 *         E TAG PID NS    just before exiting
 * TAG   a word naming the server (the same across its respawns)
 * MODE  exit       exit at once
 *       life:MS    sleep MS milliseconds, then exit
 *       life:MS~J  sleep MS plus a pseudo-random 0..J-1 milliseconds (seeded by the pid),
 *                  so that servers started together drift apart
 *       wait:DIR   wait for the shared trigger in DIR, then exit. DIR/gen holds "G" or
 *                  "G L". With "G": block in open(DIR/fifo.G, O_RDONLY), which returns
 *                  in every waiting process at once when the bench opens that FIFO for
 *                  writing (a crash storm, with no polling and no CPU while waiting).
 *                  With "G L" (crash loop): exit at once.
 *       say:NxLEN,MODE first write N lines of LEN characters to stdout (output for
 *                  lazarus to show: bench/page-ab.ts), then MODE
 * CODE  exit status
 *
 * Run with fewer arguments (as runsv and s6-supervise run ./run, a symlink to this
 * binary), it reads the four arguments from ./stamp.args, one a line: no shell in between.
 *
 * Anything unexpected is reported on stderr and ends the process with status 111.
 * Build: cc -O2 -static -o stamp stamp.c (the bench does it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what, const char *arg) {
  dprintf(2, "stamp[%d]: %s %s: %s\n", (int)getpid(), what, arg, strerror(errno));
  _exit(111);
}

static void stamp(int fd, char kind, const char *tag, long long ns) {
  char line[256];
  int n = snprintf(line, sizeof line, "%c %s %d %lld\n", kind, tag, (int)getpid(), ns);
  if (n <= 0 || n >= (int)sizeof line) { errno = EINVAL; die("tag too long:", tag); }
  if (write(fd, line, (size_t)n) != n) die("write", "stamp file");
}

static void wait_trigger(const char *dir) {
  char path[4096], gen[64];
  snprintf(path, sizeof path, "%s/gen", dir);
  int g = open(path, O_RDONLY | O_CLOEXEC);
  if (g < 0) die("open", path);
  ssize_t n = read(g, gen, sizeof gen - 1);
  if (n <= 0) die("read", path);
  gen[n] = 0;
  close(g);
  char *end;
  long number = strtol(gen, &end, 10);
  if (end == gen) { errno = EINVAL; die("bad generation in", path); }
  if (strchr(end, 'L') != NULL) return; /* crash loop: exit at once */
  snprintf(path, sizeof path, "%s/fifo.%ld", dir, number);
  int f;
  do f = open(path, O_RDONLY | O_CLOEXEC); while (f < 0 && errno == EINTR);
  if (f < 0) die("open", path);
  close(f);
}

/* The four arguments from ./stamp.args (one a line), for supervisors that run ./run bare. */
static char **args_from_file(void) {
  static char buf[8192];
  static char *argv[6];
  int fd = open("stamp.args", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open", "stamp.args");
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n <= 0) die("read", "stamp.args");
  close(fd);
  buf[n] = 0;
  argv[0] = "stamp";
  int argc = 1;
  for (char *line = strtok(buf, "\n"); line != NULL && argc < 5; line = strtok(NULL, "\n")) argv[argc++] = line;
  argv[argc] = NULL;
  return argc == 5 ? argv : NULL;
}

int main(int argc, char **argv) {
  long long start = now_ns();
  if (argc < 5) { /* run bare as ./run (s6-supervise passes the service name as argv[1]) */
    argv = args_from_file();
    argc = argv == NULL ? 0 : 5;
  }
  if (argc != 5) {
    dprintf(2, "usage: stamp FILE TAG [say:NxLEN,]exit|life:MS|wait:DIR CODE\n");
    return 111;
  }
  int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) die("open", argv[1]);
  const char *tag = argv[2], *mode = argv[3];
  int code = atoi(argv[4]);
  stamp(fd, 'S', tag, start);
  if (strncmp(mode, "say:", 4) == 0) {
    char *x, *comma;
    long lines = strtol(mode + 4, &x, 10), len = *x == 'x' ? strtol(x + 1, &comma, 10) : -1;
    if (len < 0 || len > 65536 || *comma != ',') { errno = EINVAL; die("bad mode", mode); }
    static char line[65540];
    for (long i = 0; i < lines; i++) {
      int n = snprintf(line, sizeof line, "%ld ", i);
      for (long k = n; k < len; k++) line[k] = (char)('a' + (k + i) % 26);
      if (n > len) n = (int)len;
      line[len > n ? len : n] = '\n';
      size_t size = (size_t)(len > n ? len : n) + 1, off = 0;
      while (off < size) {
        ssize_t w = write(1, line + off, size - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) die("write", "stdout");
        off += (size_t)w;
      }
    }
    mode = comma + 1;
  }
  if (strncmp(mode, "life:", 5) == 0) {
    char *jitter;
    long ms = strtol(mode + 5, &jitter, 10);
    if (*jitter == '~') {
      long j = atol(jitter + 1);
      if (j > 0) ms += (long)(((unsigned long)getpid() * 2654435761UL) % (unsigned long)j);
    }
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&d, &d) != 0 && errno == EINTR) {}
  } else if (strncmp(mode, "wait:", 5) == 0) {
    wait_trigger(mode + 5);
  } else if (strcmp(mode, "exit") != 0) {
    errno = EINVAL;
    die("unknown mode", mode);
  }
  stamp(fd, 'E', tag, now_ns());
  _exit(code);
}
