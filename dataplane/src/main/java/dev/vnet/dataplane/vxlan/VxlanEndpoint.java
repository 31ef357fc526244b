package dev.vnet.dataplane.vxlan;

import dev.vnet.dataplane.loop.LoopThread;
import dev.vnet.dataplane.port.FrameSink;
import dev.vnet.dataplane.port.LoopRegistration;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.port.UdpSocket;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Udp;
import dev.vnet.dataplane.wire.Vxlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.Future;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * vnet's VTEP on one underlay address and UDP port: the sockets every VXLAN tunnel ({@link VtepPort}) of every VNI
 * sends and receives through, and the index from (VNI, sender) to tunnel.
 *
 * <p>Receiving: each event loop reads a socket of its own bound to the VTEP's address and port (SO_REUSEPORT: the
 * kernel spreads the underlay's flows over the loops) through a {@link VxlanQueue}. Sending: a small pool of sockets
 * bound to ports of the kernel's ephemeral range, shared by the loops; a hash of the inner flow picks one, so one
 * flow keeps one outer source port and different flows spread over several (RFC 7348 section 5, as the kernel's
 * {@code udp_flow_src_port} does with a port computed per packet).
 *
 * <p>The endpoint is itself a port, with counters for what no tunnel can be blamed for: datagrams too short for a
 * VXLAN header, for a VNI no bridge extends over, or from an address that is no VTEP of their VNI.
 */
public final class VxlanEndpoint extends Port {
    /** Sockets in the send pool: the number of outer source ports flows spread over. */
    public static final int SOURCE_PORTS = 8;

    private final int local;
    private final int port;
    private final int underlayMtu;
    private final UdpSocket[] senders;
    private final VxlanQueue[] queues;
    private final IoEventLoop[] queueLoops;
    private volatile VtepIndex index = VtepIndex.EMPTY;
    /** Senders a loop asked to have made VTEPs of a VNI, (VNI, address) as a long, until the tunnel is made. */
    private final java.util.Set<Long> asked = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger learnedVteps = new java.util.concurrent.atomic.AtomicInteger();
    private volatile VtepLearner learner;

    private VxlanEndpoint(int id, int local, int port, int underlayMtu, UdpSocket[] receivers, boolean gro,
                          UdpSocket[] senders, FrameSink[] sinks, ByteBufAllocator alloc) {
        super(id, "vxlan" + port);
        this.local = local;
        this.port = port;
        this.underlayMtu = underlayMtu;
        this.senders = senders;
        this.queues = new VxlanQueue[receivers.length];
        int readSize = underlayMtu - Ipv4.MIN_HEADER_LEN - Udp.HEADER_LEN;
        for (int q = 0; q < queues.length; q++) {
            queues[q] = new VxlanQueue(this, receivers[q], gro, new VxlanSender(this, senders, alloc), sinks[q], alloc,
                    readSize);
        }
        this.queueLoops = new IoEventLoop[queues.length];
    }

    /**
     * Binds the VTEP's sockets on underlay address {@code local} and UDP {@code port}, one receiving socket per entry
     * of {@code sinks} (the pipelines of the loops); nothing is left open when this throws.
     */
    public static VxlanEndpoint open(int id, int local, int port, int underlayMtu, FrameSink[] sinks,
                                     ByteBufAllocator alloc) throws IOException {
        List<UdpSocket> opened = new ArrayList<>();
        try {
            UdpSocket[] receivers = new UdpSocket[sinks.length];
            boolean gro = true;
            for (int i = 0; i < receivers.length; i++) {
                receivers[i] = UdpSocket.bind(local, port, true);
                opened.add(receivers[i]);
                gro &= receivers[i].enableGro();
            }
            UdpSocket[] senders = new UdpSocket[SOURCE_PORTS];
            for (int i = 0; i < senders.length; i++) {
                senders[i] = UdpSocket.bind(local, 0, false);
                opened.add(senders[i]);
            }
            for (UdpSocket s : opened) {
                s.setBuffers(4 << 20);
            }
            return new VxlanEndpoint(id, local, port, underlayMtu, receivers, gro, senders, sinks, alloc);
        } catch (IOException | RuntimeException e) {
            opened.forEach(UdpSocket::close);
            throw e;
        }
    }

    /** Queue {@code i} joins {@code loops[i]}'s epoll set; the future completes once every queue is reading. */
    public Future<Void> register(IoEventLoop[] loops) {
        if (loops.length == queues.length) {
            System.arraycopy(loops, 0, queueLoops, 0, loops.length);
        }
        return LoopRegistration.registerAll(loops, queues, (r, q) -> queues[q].registered(r));
    }

    /** "udp 10.10.0.1:4789": the socket the VTEP receives on. */
    @Override
    public String device() {
        return "udp " + Ipv4Addr.toString(local) + ":" + port;
    }

    /** The underlay address the VTEP sends from and receives on. */
    public int local() {
        return local;
    }

    /** The UDP port it receives on and sends to. */
    public int port() {
        return port;
    }

    /** The underlay's MTU: an encapsulated frame must fit it. */
    public int underlayMtu() {
        return underlayMtu;
    }

    /** The longest inner frame (Ethernet header included) that fits the underlay: its MTU less 36 bytes. */
    public int maxInnerFrame() {
        return Vxlan.innerMtu(underlayMtu) + Ethernet.HEADER_LEN;
    }

    /**
     * A tunnel for {@code vni} to {@code remote}, known to the receive path from now on (call at the loops' barrier).
     * The caller attaches it to the VNI's bridge.
     */
    public VtepPort addTunnel(int id, String name, int vni, int remote, boolean learning, boolean floods) {
        if (index.lookup(vni, remote) != null) {
            throw new IllegalArgumentException("VNI " + vni + " already has a tunnel to " + Ipv4Addr.toString(remote));
        }
        VtepPort t = new VtepPort(id, name, this, vni, remote, maxInnerFrame(), learning, floods);
        index = index.with(t);
        return t;
    }

    /** Who makes the tunnels of senders that VNIs taking any source hear from (see {@link #learnFrom}). */
    public interface VtepLearner {
        /** Makes a tunnel of {@code vni} to {@code remote}, at the loops' barrier, later; never blocks. */
        void learn(int vni, int remote);
    }

    /**
     * Datagrams of {@code vni} from senders that are no VTEP of it are taken from now on (the kernel's behaviour): the
     * first from a sender is dropped as {@code vxlan-new-vtep} while {@code learner} makes it a tunnel of the VNI,
     * which then carries the rest. At most {@link #MAX_LEARNED_VTEPS} are made on this endpoint. Call at the loops'
     * barrier.
     */
    public void learnFrom(int vni, VtepLearner learner) {
        this.learner = learner;
        index = index.withAnySource(vni);
    }

    /** Most tunnels an endpoint makes for senders it learned (a bound on what spoofed senders can make it hold). */
    public static final int MAX_LEARNED_VTEPS = 256;

    /**
     * A loop heard {@code remote} on {@code vni}, which takes any source: true when a tunnel for it is asked for (or
     * already is), false when the bound is reached. Allocates only for a sender not asked about before.
     */
    boolean ask(int vni, int remote) {
        long key = ((long) vni << 32) | (remote & 0xFFFF_FFFFL);
        if (asked.contains(key)) {
            return true;
        }
        if (learnedVteps.get() >= MAX_LEARNED_VTEPS || learner == null) {
            return false;
        }
        if (asked.add(key)) {
            learnedVteps.incrementAndGet();
            learner.learn(vni, remote);
        }
        return true;
    }

    /** The learner made the tunnel (or gave up): the sender may be asked about again if it is ever removed. */
    public void learned(int vni, int remote) {
        asked.remove(((long) vni << 32) | (remote & 0xFFFF_FFFFL));
    }

    /** Forgets {@code tunnel} (at the loops' barrier); the caller detaches and closes it. */
    public void removeTunnel(VtepPort tunnel) {
        index = index.without(tunnel);
    }

    /** The tunnels, in the order they were added. */
    public List<VtepPort> tunnels() {
        return index.all();
    }

    VtepIndex index() {
        return index;
    }

    /** The calling loop's queue. */
    VxlanQueue queue() {
        return queues[LoopThread.currentIndex()];
    }

    /** The pool socket the inner frame at {@code buf[at, at + length)} leaves through. */
    int senderFor(ByteBuf buf, int at, int length) {
        return Math.floorMod(FlowHash.of(buf, at, length), senders.length);
    }

    /** The outer UDP source port of the inner frame at {@code buf[at, at + length)}. */
    int sourcePort(ByteBuf buf, int at, int length) {
        return senders[senderFor(buf, at, length)].port();
    }

    /**
     * Closes every queue, each on its own loop, and then the send pool; the tunnels are closed by whoever detaches
     * them.
     */
    @Override
    public void close() {
        AtomicInteger open = new AtomicInteger(queues.length);
        Runnable closeSenders = () -> {
            if (open.decrementAndGet() == 0) {
                for (UdpSocket s : senders) {
                    s.close();
                }
            }
        };
        for (int q = 0; q < queues.length; q++) {
            VxlanQueue queue = queues[q];
            IoEventLoop loop = queueLoops[q];
            Runnable closeQueue = () -> {
                queue.close();
                closeSenders.run();
            };
            if (loop == null || loop.inEventLoop() || loop.isShuttingDown()) {
                closeQueue.run();
            } else {
                loop.execute(closeQueue);
            }
        }
    }
}
