/* LD_PRELOAD shim for the proxy benchmark: wrk opens its sockets without close-on-exec, which Raypher reads as a
 * descriptor inherited across an exec (identity/holders.ts) and refuses. This adds SOCK_CLOEXEC to every socket(). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol) {
  static int (*real)(int, int, int);
  if (!real) real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
  return real(domain, type | SOCK_CLOEXEC, protocol);
}
