package dev.vnet.dataplane.port;

/**
 * How a TAP port is opened and driven.
 *
 * @param mtu         the largest IP packet the namespace side may send; frames up to mtu + 18 (Ethernet and one VLAN
 *                    tag) are read whole, longer ones are dropped as {@code oversize}
 * @param readBudget  frames read from the device per wakeup before other ports get their turn
 * @param offloads    a virtio-net header on every frame, partial checksums and TCP super-frames of up to 64 KiB
 *                    taken from the kernel and handed back as they are (off: every frame is one MTU-sized packet with
 *                    complete checksums, at several times the system calls)
 */
public record TapOptions(int mtu, int readBudget, boolean offloads) {
    /** Default MTU, as Ethernet. */
    public static final int DEFAULT_MTU = 1500;
    /** Default frames per wakeup: enough to amortise the epoll round, small enough to keep ports fair. */
    public static final int DEFAULT_READ_BUDGET = 64;
    /** Smallest MTU an IPv4 link may have (RFC 791). */
    public static final int MIN_MTU = 68;
    /** Largest MTU: the largest IPv4 packet. */
    public static final int MAX_MTU = 65535;

    /** Options with offloads on. */
    public TapOptions(int mtu, int readBudget) {
        this(mtu, readBudget, true);
    }

    /** Checks the values; the message names the bad one. */
    public TapOptions {
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException("mtu " + mtu + " is outside " + MIN_MTU + ".." + MAX_MTU);
        }
        if (readBudget < 1) {
            throw new IllegalArgumentException("read budget must be at least 1, got " + readBudget);
        }
    }

    /** Defaults: MTU 1500, 64 frames per wakeup, offloads on. */
    public static TapOptions defaults() {
        return new TapOptions(DEFAULT_MTU, DEFAULT_READ_BUDGET);
    }

    /** Largest frame read whole: the MTU plus an Ethernet header with one VLAN tag. */
    public int maxFrame() {
        return mtu + 18;
    }

    /** The same options with offloads on or off. */
    public TapOptions withOffloads(boolean on) {
        return new TapOptions(mtu, readBudget, on);
    }
}
