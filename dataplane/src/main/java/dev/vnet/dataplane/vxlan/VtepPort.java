package dev.vnet.dataplane.vxlan;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.DevicePort;
import dev.vnet.dataplane.port.UdpSocket;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.SoftwareOffload;
import dev.vnet.dataplane.wire.Vxlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A VXLAN tunnel to one remote VTEP for one VNI, as a port of the bridge the VNI extends: what the bridge sends to it
 * leaves encapsulated (RFC 7348) for that VTEP, what arrives from that VTEP with that VNI comes in through it, so the
 * bridge learns remote MACs behind it as it learns local ones behind a TAP, captures on it show inner frames, and its
 * counters are the VTEP's. The tunnels of one VNI are one split-horizon group: a frame from one VTEP is never sent to
 * another (each VTEP floods to its own list), as the kernel's vxlan device does not forward between its remotes.
 *
 * <p>The port holds, in direct memory every loop's sends read, the remote's {@code struct sockaddr_in} and the VXLAN
 * header of its VNI: a frame is sent as a two-piece {@code sendmsg} (header, frame), so encapsulation neither copies
 * the frame nor writes into it, and a flooded frame shared by several tunnels and TAPs stays as it is.
 */
public final class VtepPort extends DevicePort {
    static final int SOCKADDR_AT = 0;
    static final int HEADER_AT = UdpSocket.SOCKADDR_IN_LEN;

    private final VxlanEndpoint endpoint;
    private final int vni;
    private final int remote;
    private final int maxFrame;
    private final boolean floods;
    private final ByteBuf meta;
    private boolean closed;

    VtepPort(int id, String name, VxlanEndpoint endpoint, int vni, int remote, int maxFrame, boolean learning,
             boolean floods) {
        super(id, name, splitHorizonGroup(vni), learning);
        this.endpoint = endpoint;
        this.vni = vni;
        this.remote = remote;
        this.maxFrame = maxFrame;
        this.floods = floods;
        this.meta = Unpooled.directBuffer(HEADER_AT + Vxlan.HEADER_LEN);
        UdpSocket.writeSockaddr(meta, SOCKADDR_AT, remote, endpoint.port());
        Vxlan.write(meta, HEADER_AT, vni);
    }

    /** The tunnels of one VNI are one group; VNI 0 is a valid VNI, and group 0 means none, hence the offset. */
    private static int splitHorizonGroup(int vni) {
        return vni + 1;
    }

    /** The VNI. */
    public int vni() {
        return vni;
    }

    /** The remote VTEP's underlay address. */
    public int remote() {
        return remote;
    }

    /** True when floods on the bridge reach this VTEP (it is on the flood list). */
    public boolean floods() {
        return floods;
    }

    /** The longest inner frame that fits the underlay with the encapsulation. */
    public int maxFrame() {
        return maxFrame;
    }

    /** "vxlan 42 dst 10.10.0.2", as {@code ip -d link} and {@code bridge fdb} say it. */
    @Override
    public String device() {
        return "vxlan " + vni + " dst " + Ipv4Addr.toString(remote);
    }

    /** Native address of the remote's {@code struct sockaddr_in}, then of the VXLAN header. */
    long metaAddress() {
        return meta.memoryAddress();
    }

    /** The remote's {@code struct sockaddr_in} at {@link #SOCKADDR_AT}, the VXLAN header at {@link #HEADER_AT}. */
    ByteBuf meta() {
        return meta;
    }

    @Override
    public void enqueue(ByteBuf frame) {
        enqueue(frame, 0);
    }

    /**
     * Takes frames with offloads: a TCP super-frame leaves as one {@code UDP_SEGMENT} send of its segments
     * ({@link VxlanSender}), a partial checksum is completed here (in a copy when the frame is shared by a flood).
     */
    @Override
    public boolean acceptsOffloads() {
        return true;
    }

    @Override
    public void enqueue(ByteBuf frame, long offload) {
        if (closed) {
            counters().drop(DropReason.PORT_CLOSED);
            frame.release();
            return;
        }
        VxlanSender sender = endpoint.queue().sender();
        if (Offload.isGso(offload)) {
            sender.enqueueSuperFrame(this, frame, offload);
            return;
        }
        if (frame.readableBytes() > maxFrame) {
            counters().drop(DropReason.VXLAN_TOO_BIG);
            frame.release();
            return;
        }
        if (Offload.needsChecksum(offload)) {
            frame = completed(frame, offload);
        }
        sender.enqueue(this, frame);
    }

    /** {@code frame} with its partial checksum filled in: in place if this is its only holder, else in a copy. */
    private static ByteBuf completed(ByteBuf frame, long offload) {
        ByteBuf own = frame;
        if (frame.refCnt() > 1) {
            try {
                own = frame.alloc().directBuffer(frame.readableBytes());
                own.writeBytes(frame, frame.readerIndex(), frame.readableBytes());
            } finally {
                frame.release();
            }
        }
        SoftwareOffload.completeChecksum(own, own.readerIndex(), own.readableBytes(), offload);
        return own;
    }

    @Override
    public void flush() {
        endpoint.queue().sender().flush();
    }

    @Override
    public String describeReceived() {
        return "decapsulated: vxlan vni " + vni + " from VTEP " + Ipv4Addr.toString(remote) + ":"
                + endpoint.queue().lastSourcePort();
    }

    @Override
    public String describeSend(ByteBuf frame) {
        return "encapsulated: vxlan vni " + vni + " to VTEP " + Ipv4Addr.toString(remote) + ":" + endpoint.port()
                + " from " + Ipv4Addr.toString(endpoint.local()) + ":"
                + endpoint.sourcePort(frame, frame.readerIndex(), frame.readableBytes());
    }

    /**
     * Takes the tunnel out of its endpoint's index and releases its native memory. Called at the loops' barrier,
     * when no loop has a frame of it queued (each read batch ends with a flush).
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            endpoint.removeTunnel(this);
            meta.release();
        }
    }
}
