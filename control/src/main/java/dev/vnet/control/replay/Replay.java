package dev.vnet.control.replay;

import dev.vnet.control.topology.BridgeSpec;
import dev.vnet.control.topology.NamespaceSpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.UplinkSpec;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.api.PortStats;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.trace.CaptureFilter;
import dev.vnet.dataplane.trace.DecisionTrace;
import dev.vnet.dataplane.trace.FrameSummary;
import dev.vnet.dataplane.trace.PcapngWriter;
import dev.vnet.dataplane.wire.Arp;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Offline replay: a capture fed through an in-memory dataplane built from a topology, printing the decision trace of
 * every frame. Every port is an in-memory port; the topology's hosts are simulated only as far as answering ARP (see
 * {@link SimulatedHosts}). The dataplane's clock follows the capture's timestamps and NAT's choices are seeded, so a
 * replay of the same file through the same topology prints the same thing every time.
 */
public final class Replay implements AutoCloseable {
    private static final long SEED = 0x766e6574L;
    private static final long START_NANOS = 1_000_000_000L;

    private final Topology topology;
    private final Dataplane dataplane;
    private final Map<String, MemoryPort> ports = new LinkedHashMap<>();
    private final SimulatedHosts hosts;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final PortOutputs outputs;
    private volatile long now = START_NANOS;
    private DecisionTrace trace;
    private java.util.Set<String> routerPorts = java.util.Set.of();

    private Replay(Topology topology, SimulatedHosts hosts, Path outputDir) {
        this.topology = topology;
        this.hosts = hosts;
        this.outputs = new PortOutputs(outputDir);
        this.dataplane = Dataplane.startOffline(() -> now, topology.limits(), SEED);
    }

    /**
     * Builds the in-memory dataplane for {@code topology}; the hosts take the MACs {@code capture} shows them using.
     * With {@code outputDir}, what leaves each port is written there as PORT.pcap.
     */
    public static Replay of(Topology topology, Path capture, Path outputDir) throws IOException {
        Replay r = new Replay(topology, new SimulatedHosts(), outputDir);
        try {
            r.build();
            r.learnHostMacs(capture);
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    /** Notes the MAC each host sends from in the capture; frames from the router's MACs are nobody's host. */
    private void learnHostMacs(Path capture) throws IOException {
        java.util.Set<Long> routerMacs = dataplane.routerMacs();
        try (CaptureFile in = CaptureFile.open(capture)) {
            CaptureFile.Frame f;
            while ((f = in.next()) != null) {
                if (f.direction() != PcapngWriter.OUTBOUND && f.comment() == null) {
                    learn(hosts, f.data(), routerMacs);
                }
            }
        }
    }

    private static void learn(SimulatedHosts hosts, byte[] f, java.util.Set<Long> routerMacs) {
        if (f.length < Ethernet.HEADER_LEN + Arp.LENGTH) {
            return;
        }
        ByteBuf b = Unpooled.wrappedBuffer(f);
        long src = Ethernet.src(b, 0);
        if (routerMacs.contains(src)) {
            return;
        }
        int type = Ethernet.type(b, 0);
        if (type == Ethernet.TYPE_IPV4) {
            hosts.saw(b.getInt(Ethernet.HEADER_LEN + Ipv4.SRC), src);
        } else if (type == Ethernet.TYPE_ARP) {
            hosts.saw(Arp.senderIp(b, Ethernet.HEADER_LEN), Arp.senderMac(b, Ethernet.HEADER_LEN));
        }
    }

    private void build() {
        for (BridgeSpec b : topology.bridges()) {
            dataplane.addBridge(b.name(), b.options());
            for (Ipv4Cidr g : b.gateways()) {
                dataplane.addGateway(b.name(), g, TapOptions.DEFAULT_MTU);
            }
            if (b.hasHostPort()) {
                String name = "host:" + b.name();
                ports.put(name, dataplane.addMemoryPort(name, b.name()));
                hosts.add(name, b.hostAddress().address());
            }
        }
        for (NamespaceSpec n : topology.namespaces()) {
            ports.put(n.name(), dataplane.addMemoryPort(n.name(), n.bridge()));
            hosts.add(n.name(), n.address().address());
        }
        for (UplinkSpec u : topology.uplinks()) {
            ports.put(u.name(), dataplane.addUplinkMemoryPort(u.name(), u.routerAddress(), u.mtu()));
            hosts.add(u.name(), u.hostAddress().address());
        }
        dev.vnet.control.lab.RouterSetup.apply(topology, dataplane);
    }

    /** The ports a frame can enter at, in topology order. */
    public List<String> portNames() {
        return List.copyOf(ports.keySet());
    }

    /**
     * Replays {@code capture}, printing to {@code out}: each frame (where it enters, or why it is skipped), the
     * decision traces of the frames {@code filter} takes, and a summary. {@code port}, if not null, is where every
     * frame enters; otherwise each pcapng frame enters at the port it was captured on.
     */
    public Summary run(Path capture, String port, CaptureFilter filter, PrintStream out) throws IOException {
        routerPorts = dataplane.portStats().stream().filter(p -> p.device().equals("router")).map(PortStats::name)
                .collect(java.util.stream.Collectors.toSet());
        trace = dataplane.startTrace(filter, Long.MAX_VALUE);
        Summary summary = new Summary();
        try (CaptureFile in = CaptureFile.open(capture)) {
            out.println("replay of " + capture.getFileName() + " through topology " + topology.name() + " (ports: "
                    + String.join(", ", ports.keySet()) + ")");
            CaptureFile.Frame f;
            long first = -1;
            int number = 0;
            while ((f = in.next()) != null) {
                number++;
                if (first < 0) {
                    first = f.timeMicros();
                }
                long sinceStart = Math.max(0, f.timeMicros() - first);
                now = START_NANOS + sinceStart * 1000;
                dataplane.runTimers();
                service(out, f.timeMicros());
                String at = port != null ? port : f.port();
                out.printf("frame %d +%d.%06d %s%n", number, sinceStart / 1_000_000, sinceStart % 1_000_000,
                        FrameSummary.of(f.data(), f.data().length));
                String skip = skipReason(f, at);
                if (skip != null) {
                    out.println("  skipped: " + skip);
                    summary.skipped++;
                    continue;
                }
                summary.replayed++;
                ByteBuf buf = alloc.buffer(f.data().length);
                buf.writeBytes(f.data());
                dataplane.inject(at, buf);
                printTraces(out);
                service(out, f.timeMicros());
            }
        } finally {
            dataplane.stopTrace(trace);
        }
        summary.finish(dataplane.portStats());
        out.print(summary);
        outputs.close();
        return summary;
    }

    private String skipReason(CaptureFile.Frame f, String at) {
        if (f.comment() != null) {
            return "a drop record (" + f.comment() + "); replay takes frames as they came in";
        }
        if (f.direction() == PcapngWriter.OUTBOUND) {
            return "sent by vnet out of " + f.port() + " (replay makes its own)";
        }
        if (routerPorts.contains(at)) {
            return "captured inside vnet, on the router's port " + at + " (replay makes its own)";
        }
        if (!ports.containsKey(at)) {
            return "captured on " + at + ", which is not a port of this topology (use --port)";
        }
        return null;
    }

    /** Takes what the ports sent: written out, and ARP requests answered by the simulated hosts until none is left. */
    private void service(PrintStream out, long timeMicros) throws IOException {
        boolean answered = true;
        while (answered) {
            answered = false;
            for (Map.Entry<String, MemoryPort> e : ports.entrySet()) {
                for (ByteBuf sent : dataplane.drainSent(e.getKey())) {
                    try {
                        outputs.write(e.getKey(), sent, timeMicros);
                        SimulatedHosts.Host h = hosts.answering(e.getKey(), sent);
                        if (h != null) {
                            out.println("  (replay: " + e.getKey() + " answers ARP: " + Ipv4Addr.toString(h.address())
                                    + " is-at " + MacAddr.toString(h.mac())
                                    + (h.fromCapture() ? ", as in the capture" : ", a stand-in MAC") + ")");
                            dataplane.inject(e.getKey(), SimulatedHosts.reply(alloc, h, sent));
                            printTraces(out);
                            answered = true;
                        }
                    } finally {
                        sent.release();
                    }
                }
            }
        }
    }

    private void printTraces(PrintStream out) {
        String t;
        try {
            while ((t = trace.poll(0)) != null) {
                out.print(t.indent(2));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        dataplane.close();
        outputs.close();
    }

    /** What a replay did: frames replayed and skipped, what left each port, and the drops by reason. */
    public static final class Summary {
        private int replayed;
        private int skipped;
        private final Map<String, Long> sent = new LinkedHashMap<>();
        private final Map<String, Long> drops = new TreeMap<>();

        void finish(List<PortStats> stats) {
            for (PortStats s : stats) {
                if (!s.device().equals("router")) {
                    sent.put(s.name(), s.txFrames());
                }
                s.drops().forEach((reason, n) -> drops.merge(reason, n, Long::sum));
            }
        }

        /** Frames fed to the dataplane. */
        public int replayed() {
            return replayed;
        }

        /** Frames not fed (sent by vnet, drop records, unknown port). */
        public int skipped() {
            return skipped;
        }

        /** Frames dropped, by reason. */
        public Map<String, Long> drops() {
            return drops;
        }

        @Override
        public String toString() {
            List<String> s = new ArrayList<>();
            sent.forEach((p, n) -> s.add(p + " " + n));
            List<String> d = new ArrayList<>();
            drops.forEach((r, n) -> d.add(r + " " + n));
            return replayed + " frames replayed, " + skipped + " skipped\n"
                    + "sent out of each port: " + String.join(", ", s) + "\n"
                    + "dropped: " + (d.isEmpty() ? "none" : String.join(", ", d)) + "\n";
        }
    }
}
