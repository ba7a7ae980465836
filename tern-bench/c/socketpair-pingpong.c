/* The round-trip baseline next to vfio-user-peer-bench's `rtt`: a child echoes a 16-byte header + 4-byte
 * request as a 16 + 4-byte reply over an AF_UNIX stream socketpair, back to back for SECONDS; prints round
 * trips/s and the median and p99 latency. Build: cc -O2 -o socketpair-pingpong socketpair-pingpong.c */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static void xio(int fd, char *b, size_t n, int wr) {
    while (n) { ssize_t r = wr ? write(fd, b, n) : read(fd, b, n); if (r <= 0) exit(1); b += r; n -= (size_t)r; }
}

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 3;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) { perror("socketpair"); return 1; }
    char b[36] = {0};
    if (fork() == 0) {
        close(sv[0]);
        for (;;) { xio(sv[1], b, 36, 0); xio(sv[1], b, 20, 1); }
    }
    close(sv[1]);
    size_t cap = 1 << 22, n = 0;
    double *lat = malloc(cap * sizeof *lat), t0 = now(), end = t0 + secs;
    while (n < cap) {
        double s = now();
        if (s >= end) break;
        xio(sv[0], b, 36, 1); xio(sv[0], b, 20, 0);
        lat[n++] = now() - s;
    }
    double el = now() - t0;
    close(sv[0]); wait(0);
    qsort(lat, n, sizeof *lat, cmpd);
    printf("pingpong: %zu round trips in %.2f s = %.0f/s, median %.1f us, p99 %.1f us\n", n, el, n / el,
           lat[n / 2] * 1e6, lat[n * 99 / 100] * 1e6);
    return 0;
}
