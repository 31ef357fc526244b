package dev.vnet.control.lab;

import dev.vnet.control.api.ControlServer;
import dev.vnet.control.capture.CaptureRecorder;
import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.topology.BridgeSpec;
import dev.vnet.dataplane.wire.Vxlan;
import dev.vnet.control.topology.CaptureSpec;
import dev.vnet.control.topology.MasqueradeSpec;
import dev.vnet.control.topology.NamespaceSpec;
import dev.vnet.control.topology.PortForwardSpec;
import dev.vnet.control.topology.RouteSpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.UplinkSpec;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.api.ForwardProtocol;
import dev.vnet.dataplane.loop.PollMode;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A running topology: the namespaces vnet created, their TAPs, and the dataplane between them.
 *
 * <p>{@link #up} checks everything it can before creating anything (topology, privileges, name clashes, an earlier
 * run still alive), then creates namespace by namespace, recording each in the {@link StateFile} as soon as it
 * exists. Any failure removes what was created so far. {@link #close} removes exactly what was created: the dataplane
 * closes the TAPs (they vanish with their descriptors), then the recorded namespaces are deleted.
 */
public final class Lab implements AutoCloseable, dev.vnet.control.api.NamespaceManager {
    private static final Logger log = LoggerFactory.getLogger(Lab.class);

    private final Topology topology;
    private dev.vnet.control.topology.PolicySpec policy;
    private final Options options;
    private final Path stateDir;
    private final IpRoute2 ip;
    private final StateFile state;
    private final Map<String, Integer> underlayMtus; // of the bridges extended over VXLAN, by name
    private final List<String> createdNamespaces = new ArrayList<>();
    private final List<NamespaceSpec> attached = new ArrayList<>();
    private final List<CaptureRecorder> recorders = new ArrayList<>();
    private String tapPrefix;
    private int tapIndex;
    private Dataplane dataplane;
    private ControlServer api;
    private boolean closed;

    private Lab(Topology topology, IpRoute2 ip, StateFile state, Path stateDir, Options options,
                Map<String, Integer> underlayMtus) {
        this.options = options;
        this.stateDir = stateDir;
        this.topology = topology;
        this.policy = topology.policy();
        this.ip = ip;
        this.state = state;
        this.underlayMtus = underlayMtus;
    }

    /** How the dataplane runs, beyond what the topology says. */
    public record Options(PollMode poll, int loops) {
        /** The defaults: one event loop per core, each sleeping in epoll when idle. */
        public static final Options DEFAULT = new Options(PollMode.SLEEP);

        /** Checks the number of loops. */
        public Options {
            if (loops < 1 || loops > dev.vnet.dataplane.loop.LoopThread.MAX_LOOPS) {
                throw new IllegalArgumentException("loops must be 1.." + dev.vnet.dataplane.loop.LoopThread.MAX_LOOPS
                        + ", not " + loops);
            }
        }

        /** Loops waiting as {@code poll} says, one event loop per core. */
        public Options(PollMode poll) {
            this(poll, Dataplane.defaultLoops());
        }
    }

    /** Brings {@code topology} up, recording what it creates under {@code stateDir}. */
    public static Lab up(Topology topology, Path stateDir, IpRoute2 ip) throws LabException {
        return up(topology, stateDir, ip, Options.DEFAULT);
    }

    /** As {@link #up(Topology, Path, IpRoute2)}, with {@code options}. */
    public static Lab up(Topology topology, Path stateDir, IpRoute2 ip, Options options) throws LabException {
        try {
            topology.validate();
        } catch (IllegalArgumentException e) {
            throw new LabException(e.getMessage(), e);
        }
        preflight();
        List<String> captureProblems = topology.captures().stream().map(CaptureRecorder::check)
                .filter(java.util.Objects::nonNull).toList();
        if (!captureProblems.isEmpty()) {
            throw new LabException(topology.name() + ": " + String.join("; ", captureProblems)
                    + "; nothing was created");
        }
        StateFile state = new StateFile(stateDir);
        removeStaleRun(state, ip);
        List<String> clashes = new ArrayList<>();
        for (String n : topology.namespaceNames()) {
            if (ip.namespaceExists(n)) {
                clashes.add(n);
            }
        }
        for (BridgeSpec b : topology.bridges()) {
            if (b.hasHostPort() && ip.interfaceExists(b.hostInterface())) {
                throw new LabException("bridge " + b.name() + ": host port " + b.hostInterface()
                        + " already exists in the root namespace; nothing was created. Pick another name.");
            }
        }
        for (UplinkSpec u : topology.uplinks()) {
            if (u.inRootNamespace() && ip.interfaceExists(u.interfaceName())) {
                throw new LabException("uplink " + u.name() + ": interface " + u.interfaceName()
                        + " already exists in the root namespace; nothing was created. Pick another interface name.");
            }
        }
        if (!clashes.isEmpty()) {
            throw new LabException("namespace " + String.join(", ", clashes) + " already exists and vnet did not create "
                    + (clashes.size() == 1 ? "it" : "them") + "; nothing was created. Remove "
                    + (clashes.size() == 1 ? "it" : "them") + " (ip netns delete NAME) or pick other names with --prefix.");
        }
        Map<String, Integer> underlayMtus = VxlanUnderlay.resolve(topology);
        Lab lab = new Lab(topology, ip, state, stateDir, options, underlayMtus);
        try {
            state.create(ProcessHandle.current().pid());
        } catch (IOException e) {
            throw new LabException("cannot write the state record " + state.path() + ": " + e.getMessage(), e);
        }
        try {
            lab.build();
        } catch (Exception e) {
            lab.close();
            throw new LabException(topology.name() + " could not be brought up: " + e.getMessage()
                    + "\nEverything vnet had created for it was removed.", e);
        }
        return lab;
    }

    private static void preflight() throws LabException {
        if (!isEffectiveRoot()) {
            throw new LabException("vnet needs root to create namespaces and TAP devices: run it with sudo");
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            throw new LabException("/dev/net/tun is missing: load the tun module (modprobe tun)");
        }
    }

    private static boolean isEffectiveRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .anyMatch(l -> l.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    /** If an earlier run left a record, either refuse (it is still running) or remove what it left. */
    private static void removeStaleRun(StateFile state, IpRoute2 ip) throws LabException {
        if (!state.exists()) {
            return;
        }
        StateFile.Record record;
        try {
            record = state.read();
        } catch (IOException | RuntimeException e) {
            throw new LabException("cannot read the state record " + state.path() + ": " + e.getMessage(), e);
        }
        if (record.ownerAlive() && record.pid() != ProcessHandle.current().pid()) {
            throw new LabException("vnet is already running (pid " + record.pid() + ", record " + state.path()
                    + "); stop it with 'vnet down' first");
        }
        log.warn("an earlier vnet (pid {}) ended without cleaning up; removing what it recorded: {}", record.pid(),
                record.namespaces().isEmpty() ? "nothing" : String.join(", ", record.namespaces()));
        List<String> failed = removeRecorded(state, record, ip);
        if (!failed.isEmpty()) {
            throw new LabException("could not remove what an earlier run left: " + String.join("; ", failed));
        }
    }

    /**
     * Deletes the namespaces a record names (newest first), a dead run's API socket, and the record; returns what
     * could not be removed.
     */
    static List<String> removeRecorded(StateFile state, StateFile.Record record, IpRoute2 ip) {
        List<String> failed = new ArrayList<>();
        List<String> namespaces = new ArrayList<>(record.namespaces());
        java.util.Collections.reverse(namespaces);
        for (String ns : namespaces) {
            if (!ip.namespaceExists(ns)) {
                continue;
            }
            try {
                ip.deleteNamespace(ns);
            } catch (IOException e) {
                failed.add(e.getMessage());
            }
        }
        if (failed.isEmpty()) {
            try {
                Files.deleteIfExists(state.dir().resolve(ControlServer.SOCKET_NAME));
                state.delete();
            } catch (IOException e) {
                failed.add("cannot delete " + state.path() + ": " + e.getMessage());
            }
        }
        return failed;
    }

    /**
     * The MTU of the router's and the host's interfaces on bridge {@code b}: the default, or on a bridge extended over
     * VXLAN the inner MTU its underlay leaves (so the router fragments or answers "fragmentation needed" for what the
     * tunnel could not carry, instead of the tunnel dropping it).
     */
    private int bridgeMtu(BridgeSpec b) {
        return b.vxlan() == null ? TapOptions.DEFAULT_MTU
                : Math.min(TapOptions.DEFAULT_MTU, Vxlan.innerMtu(underlayMtus.get(b.name())));
    }

    private void build() throws IOException {
        dataplane = Dataplane.start(dev.vnet.dataplane.util.Clock.SYSTEM,
                io.netty.buffer.PooledByteBufAllocator.DEFAULT, topology.limits(), options.poll(), options.loops());
        if (options.poll() == PollMode.BUSY) {
            log.info("busy-polling: each of the dataplane's {} event loops keeps a core busy", options.loops());
        } else if (options.poll() == PollMode.ADAPTIVE) {
            log.info("adaptive polling: an event loop with traffic keeps polling {} us after its last frame",
                    PollMode.ADAPTIVE_WINDOW_MICROS);
        }
        for (BridgeSpec b : topology.bridges()) {
            dataplane.addBridge(b.name(), b.options());
            for (Ipv4Cidr g : b.gateways()) {
                dataplane.addGateway(b.name(), g, bridgeMtu(b));
            }
            for (dev.vnet.dataplane.wire.Ipv6Cidr g : b.gateways6()) {
                dataplane.addGateway6(b.name(), g, bridgeMtu(b));
            }
            if (!b.gateways6().isEmpty() && !b.routerAdvertisements()) {
                dataplane.setRouterAdvertisements(b.name(), false);
            }
            if (!b.rdnss().isEmpty()) {
                dataplane.setDnsServers(b.name(), b.rdnss());
            }
            if (b.vxlan() != null) {
                dataplane.addVxlan(b.name(), b.vxlan().options(underlayMtus.get(b.name())));
            }
        }
        // Each TAP is born in our namespace under a unique temporary name, then moved and renamed.
        tapPrefix = "vn" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
        for (BridgeSpec b : topology.bridges()) {
            if (b.hasHostPort()) {
                // The host joins the bridge: the TAP stays here, renamed and addressed; it vanishes with vnet.
                String tap = nextTapName();
                dataplane.addTapPort("host:" + b.name(), tap, b.name(),
                        new TapOptions(bridgeMtu(b), TapOptions.DEFAULT_READ_BUDGET));
                ip.renameInterface(tap, b.hostInterface());
                ip.configureRootInterface(b.hostInterface(), b.hostAddress().toString(), bridgeMtu(b));
                for (var a : b.hostAddresses6()) {
                    ip.addRootAddress6(b.hostInterface(), a.toString());
                }
                log.info("the host joins bridge {} as {} {}", b.name(), b.hostInterface(), b.hostAddress());
            }
        }
        for (NamespaceSpec n : topology.namespaces()) {
            attachNamespace(n);
        }
        for (UplinkSpec u : topology.uplinks()) {
            String tap = nextTapName();
            if (u.inRootNamespace()) {
                // The host is the far side: the TAP stays here, renamed; it and its address vanish with vnet.
                dataplane.addUplinkPort(u.name(), tap, u.routerAddress(),
                        new TapOptions(u.mtu(), TapOptions.DEFAULT_READ_BUDGET, u.offloads()));
                ip.renameInterface(tap, u.interfaceName());
                ip.configureRootInterface(u.interfaceName(), u.hostAddress().toString(), u.mtu());
                for (var a : u.hostAddresses6()) {
                    ip.addRootAddress6(u.interfaceName(), a.toString());
                }
                addRouterAddresses6(u);
                log.info("root namespace reached through uplink {} as {} {}", u.name(), u.interfaceName(),
                        u.hostAddress());
                continue;
            }
            createNamespace(u.namespace());
            dataplane.addUplinkPort(u.name(), tap, u.routerAddress(),
                    new TapOptions(u.mtu(), TapOptions.DEFAULT_READ_BUDGET, u.offloads()));
            ip.moveInterface(tap, u.namespace(), u.interfaceName());
            ip.configureInterface(u.namespace(), u.interfaceName(), u.hostAddress().toString(), u.mtu());
            for (var a : u.hostAddresses6()) {
                ip.addAddress6(u.namespace(), u.interfaceName(), a.toString());
            }
            addRouterAddresses6(u);
            log.info("namespace {} reached through uplink {} as {} {}", u.namespace(), u.name(), u.interfaceName(),
                    u.hostAddress());
        }
        RouterSetup.apply(topology, dataplane);
        for (CaptureSpec c : topology.captures()) {
            recorders.add(CaptureRecorder.start(dataplane, c));
        }
        api = ControlServer.start(stateDir, dataplane, this);
    }

    private void addRouterAddresses6(UplinkSpec u) {
        for (var a : u.routerAddresses6()) {
            dataplane.addAddress6(u.name(), a);
        }
    }

    private String nextTapName() {
        return tapPrefix + tapIndex++;
    }

    private void attachNamespace(NamespaceSpec n) throws IOException {
        createNamespace(n.name());
        String tap = nextTapName();
        dataplane.addTapPort(n.name(), tap, n.bridge(),
                new TapOptions(n.mtu(), TapOptions.DEFAULT_READ_BUDGET, n.offloads()));
        ip.moveInterface(tap, n.name(), n.interfaceName());
        ip.configureInterface(n.name(), n.interfaceName(), n.address().toString(), n.mtu());
        for (dev.vnet.dataplane.wire.Ipv6Cidr a : n.addresses6()) {
            ip.addAddress6(n.name(), n.interfaceName(), a.toString());
        }
        if (n.defaultGateway() != 0) {
            ip.addDefaultRoute(n.name(), Ipv4Addr.toString(n.defaultGateway()));
        }
        if (n.defaultGateway6() != null) {
            ip.addDefaultRoute6(n.name(), n.defaultGateway6().toString());
        }
        attached.add(n);
        log.info("namespace {} attached to {} as {} {}", n.name(), n.bridge(), n.interfaceName(), n.address());
    }

    /**
     * Attaches a new namespace while the lab runs: checked against the running topology first (as if it had been in
     * the file), then created; a failure removes what was made for it.
     */
    @Override
    public synchronized void attach(NamespaceSpec n) throws IOException {
        if (closed) {
            throw new IllegalStateException("vnet is stopping");
        }
        List<NamespaceSpec> all = new ArrayList<>(attached);
        all.add(n);
        Topology candidate = topology.withNamespaces(all);
        List<String> problems = candidate.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        if (ip.namespaceExists(n.name())) {
            throw new IllegalStateException("namespace " + n.name() + " already exists and vnet did not create it");
        }
        try {
            attachNamespace(n);
        } catch (IOException | RuntimeException e) {
            dataplane.removePort(n.name());
            if (createdNamespaces.remove(n.name())) {
                try {
                    ip.deleteNamespace(n.name());
                    state.forgetNamespace(n.name());
                } catch (IOException cleanup) {
                    log.warn("cleanup after a failed attach: {}", cleanup.getMessage());
                }
            }
            throw e;
        }
    }

    /** Detaches namespace {@code name}: its port and TAP go, and the namespace, which vnet made. */
    @Override
    public synchronized boolean detach(String name) throws IOException {
        NamespaceSpec n = attached.stream().filter(a -> a.name().equals(name)).findFirst().orElse(null);
        if (n == null || closed) {
            return false;
        }
        dataplane.removePort(name);
        attached.remove(n);
        if (createdNamespaces.remove(name)) {
            if (ip.namespaceExists(name)) {
                ip.deleteNamespace(name);
            }
            state.forgetNamespace(name);
        }
        log.info("namespace {} detached and removed", name);
        return true;
    }

    @Override
    public synchronized List<NamespaceSpec> namespaces() {
        return List.copyOf(attached);
    }

    private void createNamespace(String name) throws IOException {
        ip.addNamespace(name);
        createdNamespaces.add(name);
        state.recordNamespace(name);
    }

    /**
     * The topology as running: as started, with the namespaces attached now and the static routes and port forwards
     * the dataplane holds now (both change at runtime through the API).
     */
    @Override
    public synchronized Map<String, Long> kernelTapDrops() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (NamespaceSpec n : attached) {
            long d = ip.txDropped(n.name(), n.interfaceName());
            if (d >= 0) {
                out.put(n.name(), d);
            }
        }
        for (UplinkSpec u : topology.uplinks()) {
            if (!u.inRootNamespace()) {
                long d = ip.txDropped(u.namespace(), u.interfaceName());
                if (d >= 0) {
                    out.put(u.name(), d);
                }
            }
        }
        return out;
    }

    @Override
    public synchronized Topology running() {
        List<RouteSpec> routes = new ArrayList<>();
        for (var r : dataplane.routes()) {
            if (r.gateway() != null) {
                routes.add(new RouteSpec(r.prefix(), r.gateway()));
            }
        }
        List<PortForwardSpec> forwards = RunningForwards.of(dataplane.portForwards(), topology.forwards());
        return topology.withNamespaces(attached).withRoutesAndForwards(routes, forwards).withPolicy(policy);
    }

    @Override
    public synchronized void setPolicy(dev.vnet.control.topology.PolicySpec newPolicy) {
        Topology next = running().withPolicy(newPolicy);
        List<String> problems = next.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        dataplane.setPolicy(PolicySetup.rules(next), PolicySetup.action(newPolicy.defaultAction()));
        policy = newPolicy;
        log.info("policy now: {} rule(s), default {}", newPolicy.rules().size(), newPolicy.defaultAction());
    }

    /** The dataplane, for reading tables and counters. */
    public Dataplane dataplane() {
        return dataplane;
    }

    /** Where the API socket is, once up. */
    public Path apiSocket() {
        return api == null ? null : api.path();
    }

    /** A summary of what is running, for the terminal. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("vnet: ").append(topology.name()).append(" is up (pid ").append(ProcessHandle.current().pid())
                .append(")\n");
        for (BridgeSpec b : topology.bridges()) {
            sb.append(String.format("  bridge %-10s fdb bound %d, MAC aging %d s%s%s%n", b.name(),
                    b.options().fdbMaxEntries(), TimeUnit.NANOSECONDS.toSeconds(b.options().agingNanos()),
                    b.gateways().isEmpty() && b.gateways6().isEmpty() ? "" : ", gateway "
                            + java.util.stream.Stream.concat(b.gateways().stream(), b.gateways6().stream())
                            .map(Object::toString).collect(java.util.stream.Collectors.joining(", ")),
                    b.hasHostPort() ? ", host " + b.hostInterface() + " " + b.hostAddress() : ""));
            if (b.vxlan() != null) {
                sb.append("    ").append(b.vxlan().describe(underlayMtus.get(b.name()))).append('\n');
            }
        }
        for (NamespaceSpec n : topology.namespaces()) {
            sb.append(String.format("  namespace %-10s %s %-18s mtu %d  on %s%s%s%n", n.name(), n.interfaceName(),
                    n.address(), n.mtu(), n.bridge(), (n.defaultGateway() == 0 ? ""
                            : ", default via " + Ipv4Addr.toString(n.defaultGateway()))
                            + (n.defaultGateway6() == null ? "" : ", default via " + n.defaultGateway6()),
                    n.addresses6().isEmpty() ? "" : ", IPv6 " + n.addresses6().stream().map(Object::toString)
                            .collect(java.util.stream.Collectors.joining(" "))));
        }
        for (UplinkSpec u : topology.uplinks()) {
            sb.append(String.format("  namespace %-10s %s %-18s mtu %d  via uplink %s (router %s)%n",
                    u.inRootNamespace() ? "(root)" : u.namespace(),
                    u.interfaceName(), u.hostAddress(), u.mtu(), u.name(), u.routerAddress()));
        }
        for (RouteSpec r : topology.routes()) {
            sb.append(String.format("  route %s via %s%n", r.destination(), r.gateway()));
        }
        for (MasqueradeSpec m : topology.masquerades()) {
            sb.append(String.format("  masquerade %s out of %s%n", m.source(), m.out()));
        }
        for (PortForwardSpec f : topology.forwards()) {
            sb.append(String.format("  forward %s %s:%s -> %s%s%n", f.protocol(), f.on(),
                    f.portLow() == f.portHigh() ? Integer.toString(f.portLow()) : f.portLow() + "-" + f.portHigh(),
                    f.to(), f.targetName() == null ? "" : " (" + f.targets().stream().map(Object::toString)
                            .collect(java.util.stream.Collectors.joining(", ")) + ")"));
        }
        return sb.toString();
    }

    /** Removes everything this lab created. Idempotent; safe from a shutdown hook. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (api != null) {
            api.close();
        }
        for (CaptureRecorder r : recorders) {
            r.close();
        }
        if (dataplane != null) {
            try {
                dataplane.close();
            } catch (RuntimeException e) {
                log.warn("stopping the dataplane: {}", e.getMessage());
            }
        }
        List<String> failed;
        try {
            failed = removeRecorded(state, new StateFile.Record(ProcessHandle.current().pid(), createdNamespaces), ip);
        } catch (RuntimeException e) {
            failed = List.of(e.getMessage());
        }
        for (String f : failed) {
            log.warn("cleanup: {}", f);
        }
        state.removeDirectoryIfPrefixOwn();
    }
}
