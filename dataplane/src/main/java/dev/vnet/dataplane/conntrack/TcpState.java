package dev.vnet.dataplane.conntrack;

import java.util.concurrent.TimeUnit;

/**
 * TCP connection states as netfilter's conntrack names them, with the kernel's default timeouts
 * ({@code nf_conntrack_tcp_timeout_*}). Transitions, by the flags seen in either direction ({@link #next}):
 * <pre>
 *   (new) SYN from the originator          → SYN_SENT
 *   SYN_SENT   + SYN/ACK from the replier  → SYN_RECV
 *   SYN_RECV   + ACK from the originator   → ESTABLISHED
 *   ESTABLISHED + FIN from one side        → FIN_WAIT
 *   FIN_WAIT   + ACK from the other side   → CLOSE_WAIT
 *   FIN_WAIT or CLOSE_WAIT + FIN from the other side → LAST_ACK
 *   LAST_ACK   + ACK from the first closer → TIME_WAIT
 *   any        + RST                       → CLOSE
 *   (new) without SYN: picked up mid-stream → ESTABLISHED (as the kernel's default tcp_loose)
 * </pre>
 * A simplification of the kernel's table: no window tracking, no simultaneous open.
 */
public enum TcpState {
    /** SYN seen from the originator. */
    SYN_SENT(120),
    /** SYN/ACK seen from the replier. */
    SYN_RECV(60),
    /** Three-way handshake done (or picked up mid-stream). */
    ESTABLISHED(432_000),
    /** A FIN seen from one side. */
    FIN_WAIT(120),
    /** That FIN acknowledged by the other side. */
    CLOSE_WAIT(60),
    /** A FIN seen from the other side too. */
    LAST_ACK(30),
    /** The last ACK seen. */
    TIME_WAIT(120),
    /** Reset. */
    CLOSE(10);

    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int ACK = 0x10;
    private static final TcpState[] VALUES = values();

    private final long timeoutNanos;

    TcpState(long seconds) {
        this.timeoutNanos = TimeUnit.SECONDS.toNanos(seconds);
    }

    /** The kernel's default timeout in this state. */
    public long timeoutNanos() {
        return timeoutNanos;
    }

    /** The state with this ordinal. */
    public static TcpState of(int ordinal) {
        return VALUES[ordinal];
    }

    /** The state of a connection whose first packet carries {@code flags}. */
    public static TcpState initial(int flags) {
        if ((flags & RST) != 0) {
            return CLOSE;
        }
        return (flags & (SYN | ACK)) == SYN ? SYN_SENT : ESTABLISHED;
    }

    /**
     * The state after a packet with {@code flags}.
     *
     * @param fromOriginator  true for the originator's direction
     * @param closerIsOrig    who sent the first FIN (meaningful from FIN_WAIT on)
     */
    public TcpState next(int flags, boolean fromOriginator, boolean closerIsOrig) {
        if ((flags & RST) != 0) {
            return CLOSE;
        }
        boolean fin = (flags & FIN) != 0;
        boolean ack = (flags & ACK) != 0;
        boolean syn = (flags & SYN) != 0;
        boolean fromCloser = fromOriginator == closerIsOrig;
        return switch (this) {
            case SYN_SENT -> !fromOriginator && syn && ack ? SYN_RECV : this;
            case SYN_RECV -> fromOriginator && ack && !syn ? (fin ? FIN_WAIT : ESTABLISHED) : this;
            case ESTABLISHED -> fin ? FIN_WAIT : this;
            case FIN_WAIT -> !fromCloser ? (fin ? LAST_ACK : ack ? CLOSE_WAIT : this) : this;
            case CLOSE_WAIT -> !fromCloser && fin ? LAST_ACK : this;
            case LAST_ACK -> fromCloser && ack ? TIME_WAIT : this;
            case TIME_WAIT, CLOSE -> fromOriginator && syn && !ack ? SYN_SENT : this;
        };
    }
}
