package dev.vnet.dataplane.vxlan;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.FrameSink;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.TcpCoalescing;
import dev.vnet.dataplane.wire.Vxlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.Arrays;

/**
 * What one read from a VTEP's socket becomes, for one event loop: every datagram checked as the kernel's vxlan_rcv
 * checks it (the header, the VNI, the sender: {@link #accepted}) and its inner frame handed to the pipeline as a
 * frame of the tunnel it came through, or dropped and counted with its reason.
 *
 * <p>A datagram that came alone is handed over in its own buffer, the reader index past the VXLAN header: the inner
 * frame is never copied. A coalesced read ({@code UDP_GRO}: up to 64 datagrams of one flow back to back) has its
 * inner frames copied out, consecutive TCP segments of one flow joined into one super-frame ({@link TcpCoalescing}),
 * so that a TAP with offloads takes the lot in one write and the namespace's stack sees one segment, as the kernel's
 * VXLAN GRO arranges; the read buffer stays the caller's.
 */
public final class Decapsulation {
    /** The most datagrams one coalesced read holds (the kernel's UDP_GRO_CNT_MAX). */
    static final int MAX_BATCH = 64;

    private final VxlanEndpoint endpoint;
    private final FrameSink sink;
    private final ByteBufAllocator alloc;
    // One coalesced read's datagrams that passed the checks: their tunnel, inner frame and TCP payload (or -1).
    private final VtepPort[] tunnels = new VtepPort[MAX_BATCH];
    private final int[] starts = new int[MAX_BATCH];
    private final int[] lengths = new int[MAX_BATCH];
    private final int[] payloads = new int[MAX_BATCH];

    /** Decapsulation for {@code endpoint}'s tunnels, frames to {@code sink}, copies from {@code alloc}. */
    public Decapsulation(VxlanEndpoint endpoint, FrameSink sink, ByteBufAllocator alloc) {
        this.endpoint = endpoint;
        this.sink = sink;
        this.alloc = alloc;
    }

    /**
     * The datagram of {@code n} bytes in {@code buf} from underlay address {@code from}: true when its inner frame
     * went to the pipeline in {@code buf} (which is then the pipeline's), false when it was dropped (the caller keeps
     * {@code buf}).
     */
    public boolean single(ByteBuf buf, int n, int from) {
        VtepPort tunnel = accepted(buf, 0, n, from);
        if (tunnel == null) {
            return false;
        }
        buf.setIndex(Vxlan.HEADER_LEN, n);
        sink.receive(tunnel, buf, 0);
        return true;
    }

    /**
     * The {@code n} bytes in {@code buf}, datagrams of {@code size} bytes back to back (the last may be shorter) from
     * {@code from}: each checked, the inner frames copied out and joined where they can be. {@code buf} stays the
     * caller's.
     */
    public void batch(ByteBuf buf, int n, int size, int from) {
        int k = 0;
        for (int at = 0; at < n; at += size) {
            int length = Math.min(size, n - at);
            VtepPort tunnel = accepted(buf, at, length, from);
            if (tunnel == null) {
                continue;
            }
            if (k == MAX_BATCH) { // more than the kernel coalesces: hand over what is collected first
                deliver(buf, k);
                k = 0;
            }
            int inner = at + Vxlan.HEADER_LEN;
            tunnels[k] = tunnel;
            starts[k] = inner;
            lengths[k] = length - Vxlan.HEADER_LEN;
            payloads[k++] = TcpCoalescing.payload(buf, inner, length - Vxlan.HEADER_LEN);
        }
        deliver(buf, k);
    }

    /**
     * The tunnel the datagram {@code buf[at, at + n)} from {@code from} came through, counted as received there; or
     * null, its drop counted with the reason the kernel's vxlan_rcv would have.
     */
    private VtepPort accepted(ByteBuf buf, int at, int n, int from) {
        if (n < Vxlan.HEADER_LEN) {
            dropped(endpoint, n, DropReason.VXLAN_TRUNCATED);
            return null;
        }
        int vni = Vxlan.vni(buf, at);
        VtepIndex index = endpoint.index();
        VtepPort tunnel = index.lookup(vni, from);
        DropReason bad = Vxlan.check(buf, at, n);
        if (tunnel == null) {
            DropReason why = bad != null ? bad : !index.knowsVni(vni) ? DropReason.VXLAN_UNKNOWN_VNI
                    : index.anySource(vni) && endpoint.ask(vni, from) ? DropReason.VXLAN_NEW_VTEP
                    : DropReason.VXLAN_UNKNOWN_VTEP;
            dropped(endpoint, n, why);
            return null;
        }
        if (bad != null) {
            dropped(tunnel, n, bad);
            return null;
        }
        tunnel.counters().rx(n - Vxlan.HEADER_LEN);
        return tunnel;
    }

    /** The {@code k} inner frames collected, runs of one TCP flow joined, each in a buffer of its own. */
    private void deliver(ByteBuf buf, int k) {
        int i = 0;
        while (i < k) {
            int j = i + 1;
            int mss = payloads[i];
            int runPayload = mss;
            if (mss > 0) {
                while (j < k && tunnels[j] == tunnels[i] && payloads[j] > 0
                        && TcpCoalescing.continues(buf, starts[i], starts[j - 1], payloads[j - 1], starts[j],
                        payloads[j], mss, runPayload)) {
                    runPayload += payloads[j++];
                }
            }
            try {
                if (j - i == 1) {
                    ByteBuf frame = alloc.directBuffer(lengths[i]);
                    frame.writeBytes(buf, starts[i], lengths[i]);
                    sink.receive(tunnels[i], frame, 0);
                } else {
                    ByteBuf frame = alloc.directBuffer(lengths[i] - mss + runPayload);
                    long offload = TcpCoalescing.build(buf, starts, payloads, i, j, frame);
                    sink.receive(tunnels[i], frame, offload);
                }
            } catch (RuntimeException e) {
                sink.failed(tunnels[i], e); // an allocation that failed: these frames are lost, and counted
            }
            i = j;
        }
        Arrays.fill(tunnels, 0, k, null);
    }

    /** Counts a datagram of {@code n} bytes that goes no further on {@code on}. */
    static void dropped(Port on, int n, DropReason why) {
        on.counters().rx(n);
        on.counters().drop(why);
    }
}
