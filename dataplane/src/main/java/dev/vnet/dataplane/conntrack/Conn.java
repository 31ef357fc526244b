package dev.vnet.dataplane.conntrack;

/**
 * A tracked connection's flag bits ({@link ConnTable#flags}) and the handle that names one direction of it
 * ({@link ConnTable#lookup}): both in one place, for every stage that reads or sets them.
 *
 * <p>A handle is {@code id << 1 | direction}: the connection's slot in the table and whether the packet travels as
 * the originator sent it ({@link #ORIGINAL}) or as a reply ({@link #REPLY}); negative values are the table's
 * {@code NONE} and {@code CLASH}. Decoding is a shift and a mask, inlined wherever it is used.
 */
public final class Conn {
    /** Flag: its tuples differ, so NAT rewrites its packets (set when the connection is made). */
    public static final int TRANSLATED = 0x01;
    /** Flag: a reply was seen. */
    public static final int REPLIED = 0x02;
    /** Flag: the first FIN came from the originator (TCP; which side closes first decides the states after). */
    public static final int ORIG_CLOSED_FIRST = 0x04;
    /**
     * Flag: the connection is assured, as netfilter says: TCP once its handshake completed, UDP and ICMP once
     * answered. One without it is the first to go when the table is full (early drop).
     */
    public static final int ASSURED = 0x08;

    /** Direction in a handle: the packet travels as the connection's originator sent it. */
    public static final int ORIGINAL = 0;
    /** Direction in a handle: the packet is a reply. */
    public static final int REPLY = 1;

    private Conn() {
    }

    /** The handle of connection {@code id} in {@code direction} ({@link #ORIGINAL} or {@link #REPLY}). */
    public static int handle(int id, int direction) {
        return id << 1 | direction;
    }

    /** The connection a (non-negative) handle names. */
    public static int id(int handle) {
        return handle >>> 1;
    }

    /** True when the handle's packet travels as the originator sent it. */
    public static boolean isOriginal(int handle) {
        return (handle & 1) == ORIGINAL;
    }
}
