package dev.vnet.dataplane.pipeline;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.Offload;
import io.netty.buffer.ByteBuf;

/**
 * The per-frame context handed from stage to stage: the buffer, where the Ethernet frame starts, the ingress port, the
 * batch time, and the outcome. One instance per pipeline is reused for every frame, so nothing is allocated per frame.
 *
 * <p>The frame is {@code buffer[start, start + length)}, with its offload state ({@link Offload}: a partial checksum,
 * a TCP super-frame) beside it rather than in the buffer. The pipeline owns the buffer while stages run.
 */
public final class Frame {
    private ByteBuf buf;
    private int start;
    private int length;
    private long offload;
    private Port inPort;
    private Port l2InPort;
    private long now;
    private StageTrace trace; // null unless a decision trace records this frame
    private Pipeline pipeline;

    // Scratch for L3 stages (like VPP's per-buffer opaque data): meaningful only after the stage that sets them.
    private int l3Offset;
    private int inInterface = -1;
    private int outInterface = -1;
    private int nextHop;
    private long nextHopHi;
    private long nextHopLo;
    private int connection = -1;
    private boolean newFlow;
    private boolean portForwarded;
    private boolean fragmentTranslated;
    private boolean invalid;
    private int errorDetail;
    private long flowHi;
    private long flowLo;
    private long walk;
    private long origDstHi;
    private long origDstLo;

    private Verdict verdict = Verdict.PENDING;
    private Port outPort;
    private Port[] floodPorts;
    private DropReason dropReason;
    private String dropDetail;

    Frame(Pipeline pipeline) {
        this.pipeline = pipeline;
    }

    void reset(ByteBuf buf, Port inPort, long now, long offload, StageTrace trace) {
        this.buf = buf;
        this.trace = trace;
        this.start = buf.readerIndex();
        this.length = buf.readableBytes();
        this.offload = offload;
        this.inPort = inPort;
        this.l2InPort = inPort;
        this.now = now;
        this.l3Offset = 0;
        this.inInterface = -1;
        this.outInterface = -1;
        this.nextHop = 0;
        this.connection = -1;
        this.newFlow = false;
        this.portForwarded = false;
        this.fragmentTranslated = false;
        this.invalid = false;
        this.errorDetail = 0;
        this.verdict = Verdict.PENDING;
        this.outPort = null;
        this.floodPorts = null;
        this.dropReason = null;
        this.dropDetail = null;
    }

    void clear() {
        buf = null;
        trace = null;
        inPort = null;
        l2InPort = null;
        outPort = null;
        floodPorts = null;
    }

    /** True while a decision trace records this frame: stages then {@link #note} what they decide. */
    public boolean traced() {
        return trace != null;
    }

    /** The trace being recorded for this frame, or null. */
    StageTrace trace() {
        return trace;
    }

    /**
     * For a traced frame ({@link #traced}): adds what the running stage decided to its step of the trace. Stages build
     * the text only when the frame is traced, so an untraced frame allocates nothing.
     */
    public void note(String text) {
        if (trace != null) {
            trace.note(text);
        }
    }

    /** The buffer holding the frame; stages read and rewrite it with absolute indexes. */
    public ByteBuf buf() {
        return buf;
    }

    /**
     * The frame's offload state ({@link Offload}): 0 for a plain frame; otherwise its transport checksum is partial
     * and/or it is a TCP super-frame to be segmented, which stages must respect (NAT, MTU).
     */
    public long offload() {
        return offload;
    }

    /** Absolute index of the first byte of the Ethernet header. */
    public int start() {
        return start;
    }

    /** Length of the Ethernet frame in bytes. */
    public int length() {
        return length;
    }

    /**
     * Cuts the frame to {@code frameLength} bytes (bytes after the IP packet: Ethernet padding or junk, which the
     * kernel trims too before routing). Only for a frame the caller alone holds (not one being flooded).
     */
    public void trimTo(int frameLength) {
        length = frameLength;
        buf.writerIndex(start + frameLength);
    }

    /** The port the frame arrived on. */
    public Port inPort() {
        return inPort;
    }

    /**
     * The port through which the frame entered the L2 domain it is now in: the ingress port, or the router's port on
     * a bridge the router sends it into. Floods skip it and a destination learned on it is not sent back there.
     */
    public Port l2InPort() {
        return l2InPort;
    }

    /** Sets {@link #l2InPort()} (the router, before handing a frame to a bridge). */
    public void setL2InPort(Port port) {
        this.l2InPort = port;
    }

    /** Absolute index of the IPv4 or ARP header, once an L3 stage has set it. */
    public int l3Offset() {
        return l3Offset;
    }

    /** Sets {@link #l3Offset()}. */
    public void setL3Offset(int index) {
        this.l3Offset = index;
    }

    /** Index of the router interface the frame arrived on, or -1. */
    public int inInterface() {
        return inInterface;
    }

    /** Sets {@link #inInterface()}. */
    public void setInInterface(int index) {
        this.inInterface = index;
    }

    /** Index of the router interface the packet leaves by, or -1 before routing. */
    public int outInterface() {
        return outInterface;
    }

    /** The IPv4 next hop chosen by routing. */
    public int nextHop() {
        return nextHop;
    }

    /** Records the routing decision. */
    public void setRoute(int outInterface, int nextHop) {
        this.outInterface = outInterface;
        this.nextHop = nextHop;
    }

    /** Records where the IPv6 packet's extension chain led ({@code Ipv6.walk}), for the stages after the input. */
    public void setWalk(long walk) {
        this.walk = walk;
    }

    /** The IPv6 packet's walk, as its input stage recorded it. */
    public long walk() {
        return walk;
    }

    /**
     * Marks the IPv6 packet as the first of a connection not yet tracked: its low word ({@code FlowKey}, the family
     * bit set) and its destination before a port forward rewrote it (its source is still the packet's).
     */
    public void setNewFlow6(long lo, long dstHi, long dstLo, boolean forwarded) {
        this.newFlow = true;
        this.flowLo = lo;
        this.origDstHi = dstHi;
        this.origDstLo = dstLo;
        this.portForwarded = forwarded;
    }

    /** The high half of a new IPv6 connection's original destination. */
    public long origDstHi() {
        return origDstHi;
    }

    /** The low half of a new IPv6 connection's original destination. */
    public long origDstLo() {
        return origDstLo;
    }

    /** Records the routing decision for an IPv6 packet: the interface and the next hop's address. */
    public void setRoute6(int outInterface, long nextHopHi, long nextHopLo) {
        this.outInterface = outInterface;
        this.nextHopHi = nextHopHi;
        this.nextHopLo = nextHopLo;
    }

    /** The high half of the IPv6 next hop chosen by routing. */
    public long nextHopHi() {
        return nextHopHi;
    }

    /** The low half of the IPv6 next hop chosen by routing. */
    public long nextHopLo() {
        return nextHopLo;
    }

    /** Records the tracked connection the packet belongs to: its handle (connection id and direction). */
    public void setConnection(int handle) {
        this.connection = handle;
    }

    /** The handle of the packet's tracked connection, or -1 (not tracked, or the first packet of a new one). */
    public int connection() {
        return connection;
    }

    /**
     * Marks the packet as the first of a connection not yet tracked, with its original tuple (before any port
     * forward rewrote it); the NAT stage after routing records the connection.
     */
    public void setNewFlow(long hi, long lo, boolean forwarded) {
        this.newFlow = true;
        this.flowHi = hi;
        this.flowLo = lo;
        this.portForwarded = forwarded;
    }

    /** Marks a fragment without ports as translated by its datagram's connection (NAT's virtual reassembly). */
    public void setFragmentTranslated() {
        this.fragmentTranslated = true;
    }

    /**
     * Marks an untracked packet that opens no connection and belongs to none (an ICMP error about no known
     * connection, ICMP of a type that opens nothing: netfilter's INVALID), for the policy to decide.
     */
    public void setInvalid() {
        this.invalid = true;
    }

    /** True for a packet {@link #setInvalid} marked. */
    public boolean invalid() {
        return invalid;
    }

    /** True for a later fragment that got its connection's address translation. */
    public boolean fragmentTranslated() {
        return fragmentTranslated;
    }

    /**
     * Sets what a stage handing the packet to an ICMP error stage puts in the error's second header word (the next-hop
     * MTU of fragmentation needed, the pointer of parameter problem); 0 unless set.
     */
    public void setErrorDetail(int value) {
        this.errorDetail = value;
    }

    /** See {@link #setErrorDetail}. */
    public int errorDetail() {
        return errorDetail;
    }

    /** True for the first packet of a connection not yet tracked. */
    public boolean newFlow() {
        return newFlow;
    }

    /** True when a port forward rewrote this new connection's destination. */
    public boolean portForwarded() {
        return portForwarded;
    }

    /** The new connection's original tuple, high word. */
    public long flowHi() {
        return flowHi;
    }

    /** The new connection's original tuple, low word. */
    public long flowLo() {
        return flowLo;
    }

    /**
     * Hands the pipeline a new frame (an ARP reply, an ICMP error) to run from {@code stage} as if it came in on
     * {@code in}, once this frame is done. Takes ownership of {@code buf}.
     */
    public void inject(Port in, Stage stage, ByteBuf buf) {
        pipeline.inject(in, stage, buf, 0);
    }

    /** As {@link #inject(Port, Stage, ByteBuf)}, for a frame with offload state {@code offload}. */
    public void inject(Port in, Stage stage, ByteBuf buf, long offload) {
        pipeline.inject(in, stage, buf, offload);
    }

    /**
     * Hands the pipeline a frame the dataplane held (a fragment that waited for its datagram's first) to go on from
     * {@code stage} as if it came in on {@code in}, once this frame is done; see {@link Pipeline#resume}.
     */
    public void resume(Port in, Stage stage, ByteBuf buf, long offload) {
        pipeline.resume(in, stage, buf, offload);
    }

    /** Allocates a buffer for a frame a stage builds (pooled, direct, like the ones ports read into). */
    public ByteBuf allocate(int capacity) {
        return pipeline.allocate(capacity);
    }

    /** Time of the read batch this frame came in (nanoseconds, see {@link dev.vnet.dataplane.util.Clock}). */
    public long now() {
        return now;
    }

    /** The outcome so far. */
    public Verdict verdict() {
        return verdict;
    }

    /** The egress port of a {@link Verdict#FORWARD}. */
    public Port outPort() {
        return outPort;
    }

    /** The ports of a {@link Verdict#FLOOD} (the ingress port among them is skipped). */
    public Port[] floodPorts() {
        return floodPorts;
    }

    /** Why a {@link Verdict#DROP}. */
    public DropReason dropReason() {
        return dropReason;
    }

    /** What decided a {@link Verdict#DROP} beyond its reason (the rule), or null. */
    public String dropDetail() {
        return dropDetail;
    }

    /** Terminal: send out of {@code port}. Returns null so a stage can {@code return frame.forward(p)}. */
    public Stage forward(Port port) {
        verdict = Verdict.FORWARD;
        outPort = port;
        return null;
    }

    /** Terminal: send out of every port in {@code ports} except the ingress port. */
    public Stage flood(Port[] ports) {
        verdict = Verdict.FLOOD;
        floodPorts = ports;
        return null;
    }

    /** Terminal: drop, counted under {@code reason}. */
    public Stage drop(DropReason reason) {
        verdict = Verdict.DROP;
        dropReason = reason;
        return null;
    }

    /**
     * Names what decides this frame's drop, if it is dropped (a string made beforehand, such as the rule's name),
     * shown beside the reason in drop captures and traces; set before handing the frame to the stage that drops it.
     */
    public void setDropDetail(String detail) {
        dropDetail = detail;
    }

    /** Terminal: handled locally; the pipeline releases the buffer. */
    public Stage local() {
        verdict = Verdict.LOCAL;
        return null;
    }

    /** Terminal: a stage has taken the buffer over. */
    public Stage consume() {
        verdict = Verdict.CONSUMED;
        return null;
    }
}
