/*
 * tap_floor: the least a user-space forwarder between two TAP devices can do, to measure what the TAP design itself
 * costs on a machine (the floor vnet's own code sits on). Attaches to two existing TAPs with the virtio-net header
 * and checksum/TSO offloads (as vnet opens its TAPs), then copies every frame read on one to the other, header and
 * all: one thread per direction, one read and one write per frame, no parsing, no tables.
 *
 *   tap_floor TAP_A TAP_B [spin|spin1|adaptive]
 *
 * With "spin" the threads poll their TAP without sleeping (non-blocking reads in a loop), as vnet --poll busy; with
 * "spin1" one thread polls both TAPs that way, burning one core, not two (as vnet --poll busy --loops 1); with
 * "adaptive" they keep polling for 50 us after the last frame, then sleep in poll(2), as vnet --poll adaptive.
 * Runs until killed; prints frames and bytes per direction on SIGTERM/SIGINT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define VNET_HDR_LEN 10 /* struct virtio_net_hdr, the TAP's default size, as vnet uses */
#define BUF_LEN (VNET_HDR_LEN + 65563)

enum mode { BLOCKING, SPIN, SPIN1, ADAPTIVE };

struct direction {
    int from;
    int to;
    enum mode mode;
    unsigned long long frames;
    unsigned long long bytes;
};

static int open_tap(const char *name, enum mode mode) {
    int fd = open("/dev/net/tun", O_RDWR | (mode != BLOCKING ? O_NONBLOCK : 0));
    if (fd < 0) {
        perror("open /dev/net/tun");
        exit(1);
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "TUNSETIFF %s: %s\n", name, strerror(errno));
        exit(1);
    }
    if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN) < 0) {
        perror("TUNSETOFFLOAD");
        exit(1);
    }
    return fd;
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Copies one frame if one is ready; returns 0 on EAGAIN/EINTR, -1 on any other error. */
static int forward_one(struct direction *d, char *buf) {
    ssize_t n = read(d->from, buf, BUF_LEN);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            return 0;
        }
        perror("read");
        return -1;
    }
    if (write(d->to, buf, (size_t) n) == n) {
        d->frames++;
        d->bytes += (unsigned long long) (n - VNET_HDR_LEN);
    }
    return 1;
}

static void *forward(void *arg) {
    struct direction *d = arg;
    char *buf = malloc(BUF_LEN);
    long long last = 0;
    for (;;) {
        int r = forward_one(d, buf);
        if (r < 0) {
            return NULL;
        }
        if (d->mode != ADAPTIVE) {
            continue;
        }
        if (r > 0) {
            last = now_ns();
        } else if (now_ns() - last > 50000) {
            struct pollfd p = {d->from, POLLIN, 0};
            poll(&p, 1, -1);
        }
    }
}

/* spin1: one thread, both directions, never sleeping. */
static void *forward_both(void *arg) {
    struct direction **both = arg;
    char *buf = malloc(BUF_LEN);
    while (forward_one(both[0], buf) >= 0 && forward_one(both[1], buf) >= 0) {
    }
    return NULL;
}

static struct direction ab, ba;

static void report(int sig) {
    (void) sig;
    fprintf(stderr, "a->b %llu frames %llu bytes; b->a %llu frames %llu bytes\n", ab.frames, ab.bytes, ba.frames,
            ba.bytes);
    _exit(0);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s TAP_A TAP_B [spin|spin1|adaptive]\n", argv[0]);
        return 2;
    }
    enum mode mode = argc < 4 ? BLOCKING : strcmp(argv[3], "spin") == 0 ? SPIN
            : strcmp(argv[3], "spin1") == 0 ? SPIN1 : strcmp(argv[3], "adaptive") == 0 ? ADAPTIVE : BLOCKING;
    int a = open_tap(argv[1], mode);
    int b = open_tap(argv[2], mode);
    ab = (struct direction) {a, b, mode, 0, 0};
    ba = (struct direction) {b, a, mode, 0, 0};
    signal(SIGTERM, report);
    signal(SIGINT, report);
    pthread_t t1, t2;
    if (mode == SPIN1) {
        struct direction *both[2] = {&ab, &ba};
        pthread_create(&t1, NULL, forward_both, both);
        pthread_join(t1, NULL);
        return 0;
    }
    pthread_create(&t1, NULL, forward, &ab);
    pthread_create(&t2, NULL, forward, &ba);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return 0;
}
