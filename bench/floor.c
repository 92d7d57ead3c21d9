/*
 * floor: the fork/exec floor of respawn latency, a minimal C supervisor. It keeps
 * SLOTS children running and, each time one ends (waitpid), forks and execs its
 * replacement at once, until SPAWNS children have been started in all; then it waits
 * for the last ones and exits 0. Nothing else: no logging, no policy, no signals.
 *
 *   floor SLOTS SPAWNS PATH ARG...
 *
 * PATH is exec'd as is (no PATH search). An argument equal to "{slot}" is replaced by
 * the slot number, so that each slot's stamps carry their own tag.
 * Build: cc -O2 -static -o floor floor.c (the bench does it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char **template_argv;
static int template_argc;

static pid_t start(int slot) {
  char number[16];
  snprintf(number, sizeof number, "%d", slot);
  char **argv = calloc((size_t)template_argc + 1, sizeof *argv);
  if (argv == NULL) { perror("floor: calloc"); exit(111); }
  for (int i = 0; i < template_argc; i++)
    argv[i] = strcmp(template_argv[i], "{slot}") == 0 ? number : template_argv[i];
  pid_t pid = fork();
  if (pid < 0) { perror("floor: fork"); exit(111); }
  if (pid == 0) {
    execv(argv[0], argv);
    perror("floor: execv");
    _exit(127);
  }
  free(argv);
  return pid;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: floor SLOTS SPAWNS PATH ARG...\n");
    return 2;
  }
  int slots = atoi(argv[1]);
  long spawns = atol(argv[2]);
  if (slots < 1 || spawns < slots) { fprintf(stderr, "floor: need 1 <= SLOTS <= SPAWNS\n"); return 2; }
  template_argv = argv + 3;
  template_argc = argc - 3;
  pid_t *pids = calloc((size_t)slots, sizeof *pids);
  if (pids == NULL) { perror("floor: calloc"); return 111; }
  long started = 0;
  for (int s = 0; s < slots; s++, started++) pids[s] = start(s);
  int running = slots;
  while (running > 0) {
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      perror("floor: waitpid");
      return 111;
    }
    for (int s = 0; s < slots; s++) {
      if (pids[s] != pid) continue;
      if (started < spawns) { pids[s] = start(s); started++; }
      else { pids[s] = 0; running--; }
      break;
    }
  }
  return 0;
}
