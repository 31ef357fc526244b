package dev.vnet.control.bench;

import dev.vnet.control.lab.Lab;
import dev.vnet.control.lab.LabException;
import dev.vnet.dataplane.loop.PollMode;
import dev.vnet.dataplane.util.JvmOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vnet bench}: the seed lab built twice, by the kernel ({@link KernelNetwork}) and by vnet
 * ({@link VnetNetwork}), and for the VXLAN case two hosts built twice ({@link KernelVxlanNetwork},
 * {@link VnetVxlanNetwork}), and the switched or NAT shape by each peer asked for ({@link Peers}: Open vSwitch, the
 * TAP floor, pasta, slirp4netns); every case run on every network that can express it, in alternation (the order reverses every run, so
 * drift on a shared machine hits all alike), then a table, JSON and a chart. The networks are removed at the end,
 * also on failure, and on Ctrl-C or SIGTERM ({@link BenchCleanup}).
 */
public final class Benchmark {
    private static final Logger log = LoggerFactory.getLogger(Benchmark.class);
    /** Flood pings per path before measuring: enough for the JIT to compile the per-frame code (about a second). */
    private static final int WARM_UP_PINGS = 10_000;
    private static final Path BRIDGE_NF = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");

    private final String prefix;
    private final int runs;
    private final int seconds;
    private final List<BenchCase> cases;
    private final boolean offloads;
    private final Lab.Options vnetOptions;
    private final Peers peers;
    private BenchCleanup cleanup; // while run() runs

    /**
     * A benchmark of {@code runs} runs of {@code seconds} per case, namespaces named {@code prefix}k-/v-, vnet's TAPs
     * with or without {@code offloads}, its event loops as {@code vnetOptions} say.
     */
    public Benchmark(String prefix, int runs, int seconds, List<String> only, boolean offloads,
                     Lab.Options vnetOptions) {
        this(prefix, runs, seconds, only, offloads, vnetOptions, List.of());
    }

    /** As above, with the peers {@code peers} names measured too ({@link Peers#choose}). */
    public Benchmark(String prefix, int runs, int seconds, List<String> only, boolean offloads,
                     Lab.Options vnetOptions, List<String> peers) {
        this.peers = Peers.choose(peers);
        this.prefix = prefix;
        this.offloads = offloads;
        this.vnetOptions = vnetOptions;
        this.runs = runs;
        this.seconds = seconds;
        List<BenchCase> chosen = BenchCase.all();
        if (!only.isEmpty()) {
            List<String> ids = chosen.stream().map(BenchCase::id).toList();
            for (String id : only) {
                if (!ids.contains(id)) {
                    throw new IllegalArgumentException("no case '" + id + "' (cases: " + String.join(", ", ids) + ")");
                }
            }
            chosen = chosen.stream().filter(c -> only.contains(c.id())).toList();
        }
        this.cases = chosen;
    }

    /** The ids of every case. */
    public static List<String> caseIds() {
        return BenchCase.all().stream().map(BenchCase::id).toList();
    }

    /** Runs it, printing progress to {@code progress} and the table to {@code out}; writes JSON and SVG to {@code dir}. */
    public void run(PrintStream out, PrintStream progress, Path dir) throws IOException, LabException {
        Files.createDirectories(dir);
        Map<String, Object> machine = machine();
        progress.println("vnet bench: " + machine.get("summary"));
        progress.println("host bridge-nf-call-iptables: " + machine.get("bridge-nf-call-iptables")
                + ("on".equals(machine.get("bridge-nf-call-iptables"))
                ? " (the kernel bridge's traffic also goes through iptables and conntrack, as on this host)" : ""));
        List<BenchResult> results = new ArrayList<>();
        cases.forEach(c -> results.add(new BenchResult(c)));
        boolean seedLab = cases.stream().anyMatch(c -> c.path() != BenchCase.Path.VXLAN);
        boolean vxlan = cases.stream().anyMatch(c -> c.path() == BenchCase.Path.VXLAN);
        boolean busy = vnetOptions.poll() == PollMode.BUSY;
        peers.skipped().forEach((p, why) -> progress.println("peer " + p + " skipped: " + why));
        List<String> peerNames = peers.run().stream()
                .filter(p -> cases.stream().anyMatch(c -> Peers.carries(p, c.path()))).toList();
        progress.println("building the networks (namespaces " + (seedLab ? prefix + "k-*, " + prefix + "v-*" : "")
                + (seedLab && vxlan ? ", " : "") + (vxlan ? prefix + "kx-*, " + prefix + "vx-*" : "")
                + peerNames.stream().map(p -> ", " + prefix + Peers.namespaceTag(p) + "*").reduce("", String::concat)
                + ") ...");
        List<String> systems = new ArrayList<>(List.of("kernel", "vnet"));
        systems.addAll(peerNames);
        Map<String, String> variants = new LinkedHashMap<>();
        // A busy-polling vnet burns a core even when idle, which would slow the kernel's turns: it then runs only
        // for its own turns, built before and removed after each. An adaptive one is idle between its turns.
        // (try-with-resources skips a null resource: a shape no chosen case needs is not built.)
        try (BenchCleanup cleanup = new BenchCleanup(progress);
             KernelNetwork kernel = seedLab ? KernelNetwork.build(prefix + "k-", cleanup) : null;
             VnetNetwork vnet = seedLab && !busy ? VnetNetwork.build(prefix + "v-", offloads, vnetOptions, cleanup)
                     : null;
             KernelVxlanNetwork kernelVxlan = vxlan ? KernelVxlanNetwork.build(prefix + "kx-", cleanup) : null;
             VnetVxlanNetwork vnetVxlan = vxlan && !busy
                     ? VnetVxlanNetwork.build(prefix + "vx-", offloads, vnetOptions, cleanup) : null;
             PeerNetworks others = PeerNetworks.build(peerNames, prefix, cleanup)) {
            this.cleanup = cleanup;
            others.networks().forEach(n -> variants.put(n.name(), n.variant()));
            List<BenchNetwork> all = new ArrayList<>(java.util.Arrays.asList(kernel, vnet, kernelVxlan, vnetVxlan));
            all.addAll(others.networks());
            for (BenchNetwork n : all) {
                if (n != null) {
                    warmUp(n);
                }
            }
            int step = 0;
            int steps = 0;
            for (BenchCase c : cases) {
                steps += runs * (int) systems.stream().filter(s -> supports(s, c, others)).count();
            }
            for (int run = 0; run < runs; run++) {
                for (BenchResult r : results) {
                    BenchCase c = r.benchCase();
                    boolean overVxlan = c.path() == BenchCase.Path.VXLAN;
                    List<String> order = new ArrayList<>(systems);
                    if (run % 2 == 1) {
                        java.util.Collections.reverse(order);
                    }
                    for (String name : order) {
                        if (!supports(name, c, others)) {
                            continue;
                        }
                        step++;
                        progress.printf("[%d/%d] run %d: %-46s %-6s ... ", step, steps, run + 1, c.title(), name);
                        progress.flush();
                        BenchNetwork net = switch (name) {
                            case "kernel" -> overVxlan ? kernelVxlan : kernel;
                            case "vnet" -> overVxlan ? vnetVxlan : vnet;
                            default -> others.get(name);
                        };
                        double v = net != null ? c.run(net, seconds) : onFreshVnet(c);
                        r.add(name, v);
                        progress.printf(java.util.Locale.ROOT, "%.2f %s%n", v, c.unit());
                    }
                }
            }
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("runs", runs);
        settings.put("seconds-per-case", seconds);
        settings.put("order", "alternating kernel, vnet, then the peers, the order reversed every run");
        settings.put("vnet-offloads", offloads);
        settings.put("vnet-poll", vnetOptions.poll().cliName());
        settings.put("vnet-loops", vnetOptions.loops());
        settings.put("peers", variants);
        settings.put("peers-skipped", peers.skipped());
        BenchReport report = new BenchReport(machine, settings, results, systems);
        out.print(report.table());
        report.writeJson(dir.resolve("results.json"));
        report.writeSvg(dir.resolve("chart.svg"));
        out.println("written: " + dir.resolve("results.json") + ", " + dir.resolve("chart.svg"));
    }

    /** True when {@code system} runs case {@code c}: the kernel and vnet run every case, a peer what it can express. */
    private static boolean supports(String system, BenchCase c, PeerNetworks peers) {
        return system.equals("kernel") || system.equals("vnet") || peers.get(system).supports(c.path());
    }

    private double onFreshVnet(BenchCase c) throws IOException, LabException {
        try (BenchNetwork vnet = c.path() == BenchCase.Path.VXLAN
                ? VnetVxlanNetwork.build(prefix + "vx-", offloads, vnetOptions, cleanup)
                : VnetNetwork.build(prefix + "v-", offloads, vnetOptions, cleanup)) {
            warmUp(vnet);
            return c.run(vnet, seconds);
        }
    }

    /**
     * Before anything is measured on a network: a short exchange to settle ARP, then a flood of pings through the
     * switched and the routed path, so vnet's per-frame code is compiled by the JIT (a few thousand frames; a handful
     * of pings leaves it interpreted, which shows in the round trips of a freshly started vnet). The same is done on
     * the kernel's network, so both are measured warm.
     */
    private static void warmUp(BenchNetwork n) throws IOException {
        for (String to : n.warmUpTargets()) {
            awaitReachable(n.red(), to);
            Proc.check(n.red(), 20, "ping", "-c", "3", "-i", "0.2", "-W", "2", to);
            Proc.check(n.red(), 60, "ping", "-q", "-f", "-c", Integer.toString(WARM_UP_PINGS), to);
        }
    }

    /**
     * Waits (at most ten pings) until {@code ns} gets an answer from {@code to}: a fresh namespace's IPv6 needs its
     * neighbours discovered first.
     */
    private static void awaitReachable(String ns, String to) throws IOException {
        for (int i = 0; i < 10; i++) {
            if (Proc.run(Proc.in(ns, "ping", "-c", "1", "-W", "1", to), 5).exit() == 0) {
                return;
            }
        }
        throw new IOException(ns + " does not reach " + to + " (10 pings unanswered)");
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        int cores = Runtime.getRuntime().availableProcessors();
        String kernel = read(Path.of("/proc/sys/kernel/osrelease"));
        String cpu = "";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("");
        } catch (IOException ignored) {
            // not Linux, or hidden: left empty
        }
        String bridgeNf = Files.exists(BRIDGE_NF) ? ("1".equals(read(BRIDGE_NF)) ? "on" : "off")
                : "off (br_netfilter not loaded)";
        m.put("cores", cores);
        m.put("cpu", cpu);
        m.put("kernel", kernel);
        m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        String gc = JvmOptions.collectors(); // the launcher's choice, or the JVM's when run otherwise
        m.put("gc", gc);
        m.put("bridge-nf-call-iptables", bridgeNf);
        m.put("summary", cores + " cores" + (cpu.isEmpty() ? "" : " (" + cpu + ")") + ", Linux " + kernel + ", Java "
                + Runtime.version().feature() + " (" + gc + ")");
        return m;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            log.debug("cannot read {}: {}", p, e.getMessage());
            return "unknown";
        }
    }
}
