package dev.vnet.dataplane.port;

import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import io.netty.buffer.ByteBuf;

import java.util.Locale;

/**
 * A test hook that wraps a port's sink: a frame to UDP port N (IPv4, untagged) is released and, in its place, an
 * exception or an {@code Error} is thrown on the loop, as a bug or an exhausted JVM would. Every other frame passes
 * through untouched. Off unless the system property {@value #PROPERTY} is set, to {@code exception@udp:N} or
 * {@code error@udp:N}; the scenario tests use it to prove vnet's failure policy on a real loop (docs/reliability.md).
 */
public final class FaultInjectingSink implements FrameSink {
    /** The system property that turns the hook on. */
    public static final String PROPERTY = "vnet.test.fault";

    private final FrameSink sink;
    private final boolean error;
    private final int udpPort;

    private FaultInjectingSink(FrameSink sink, boolean error, int udpPort) {
        this.sink = sink;
        this.error = error;
        this.udpPort = udpPort;
    }

    /** {@code sinks}, each wrapped when {@value #PROPERTY} asks for it (else the same array). */
    public static FrameSink[] wrapIfAsked(FrameSink[] sinks) {
        String spec = System.getProperty(PROPERTY);
        if (spec == null || spec.isBlank()) {
            return sinks;
        }
        String[] parts = spec.trim().toLowerCase(Locale.ROOT).split("@udp:", 2);
        if (parts.length != 2 || !(parts[0].equals("error") || parts[0].equals("exception"))) {
            throw new IllegalArgumentException(PROPERTY + " must be exception@udp:PORT or error@udp:PORT, not '"
                    + spec + "'");
        }
        int port;
        try {
            port = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + ": '" + parts[1] + "' is not a port number");
        }
        FrameSink[] out = new FrameSink[sinks.length];
        for (int i = 0; i < sinks.length; i++) {
            out[i] = new FaultInjectingSink(sinks[i], parts[0].equals("error"), port);
        }
        return out;
    }

    private boolean triggers(ByteBuf buf) {
        int at = buf.readerIndex();
        if (buf.readableBytes() < Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN + 4
                || Ethernet.type(buf, at) != Ethernet.TYPE_IPV4) {
            return false;
        }
        int ip = at + Ethernet.HEADER_LEN;
        int ihl = (buf.getByte(ip) & 0x0F) * 4;
        return buf.getUnsignedByte(ip + 9) == Ipv4.PROTO_UDP && buf.readableBytes() >= Ethernet.HEADER_LEN + ihl + 4
                && buf.getUnsignedShort(ip + ihl + 2) == udpPort;
    }

    @Override
    public void beginBatch() {
        sink.beginBatch();
    }

    @Override
    public void receive(Port in, ByteBuf frame, long offload) {
        if (triggers(frame)) {
            frame.release();
            if (error) {
                throw new InjectedError("injected by " + PROPERTY + " on a frame from port " + in.name());
            }
            throw new IllegalStateException("injected by " + PROPERTY + " on a frame from port " + in.name());
        }
        sink.receive(in, frame, offload);
    }

    @Override
    public void endBatch() {
        sink.endBatch();
    }

    @Override
    public void failed(Port in, Throwable t) {
        sink.failed(in, t);
    }

    /** The {@code Error} the hook throws: stands for an {@code OutOfMemoryError} or another fault of the JVM. */
    public static final class InjectedError extends Error {
        private static final long serialVersionUID = 1L;

        InjectedError(String message) {
            super(message);
        }
    }
}
