package dev.vnet.control.cli;

import dev.vnet.control.bench.Benchmark;
import dev.vnet.control.lab.Lab;
import dev.vnet.control.lab.LabException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

/** {@code vnet bench}: vnet against the kernel bridge and netfilter, same topology, same run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure vnet against the kernel: the dual-stack lab (the seed lab with IPv6 beside IPv4) "
                + "is built twice in namespaces of its own, once with a Linux bridge, veth pairs and nft tables doing "
                + "the same MASQUERADE (of both families) and port forward (forwarding set in that namespace only; "
                + "nothing on the host changes), once by vnet. Each case runs on both, alternating, and the result is "
                + "a table of medians, spread and the vnet/kernel ratio, results.json and chart.svg. Needs root, "
                + "iperf3, ping and nft; takes about runs x 20 x (seconds + 2) s. Both networks are removed at the "
                + "end.",
            "Cases: TCP 1 and 4 streams switched, TCP through MASQUERADE, through NAT66 and through DNAT, TCP "
                + "switched between two hosts over VXLAN (each network built on two simulated hosts), 64-byte UDP "
                + "unpaced and offered 100 kpps, ping round trip at 50 and at 1000 a second (at 50 the CPUs idle "
                + "between pings, and waking them weighs most).",
            "The host's bridge-nf-call-iptables setting is reported: when on, the kernel bridge's traffic also goes "
                + "through iptables and conntrack."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--runs", paramLabel = "N", description = "Runs of every case on each network (default: ${DEFAULT-VALUE}).")
    int runs = 3;

    @Option(names = "--seconds", paramLabel = "S", description = "Seconds per run (default: ${DEFAULT-VALUE}).")
    int seconds = 10;

    @Option(names = "--quick", description = "One run of 2 s per case: a smoke test, not a measurement.")
    boolean quick;

    @Option(names = "--case", paramLabel = "ID", split = ",",
            description = "Only these cases (tcp-1-l2, tcp-4-l2, tcp-1-masq, tcp-1-dnat, tcp-1-masq6, tcp-1-vxlan, "
                    + "udp64-unpaced, udp64-100k, ping-rtt, ping-rtt-1k).")
    List<String> only = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where results.json and chart.svg go, created if missing (default: a new temporary "
                    + "directory, vnet-bench-DATE-TIME-* under java.io.tmpdir; its path is printed at the end).")
    Path out;

    @Option(names = "--no-offloads", description = "vnet's TAPs without offloads (to see what offloads bring).")
    boolean noOffloads;

    @Mixin
    PollOptions poll = new PollOptions();

    @Option(names = "--loops", paramLabel = "N",
            description = "vnet's event loops (as vnet up --loops; default one per core, ${DEFAULT-VALUE} here).")
    int loops = dev.vnet.dataplane.api.Dataplane.defaultLoops();

    @Option(names = "--peers", paramLabel = "LIST", split = ",",
            description = "Also measure these user-space dataplanes on the cases they can express (n/a on the "
                    + "others): the switches ovs (Open vSwitch's userspace datapath, tap ports, userspace TSO) and "
                    + "floor (the TAP floor: bench/tap-floor's C forwarder, compiled here) on the switched cases; the "
                    + "user-mode NAT stacks pasta and slirp4netns (one guest namespace; its connections opened anew "
                    + "from the uplink's address, its tcp/80 forwarded) on the MASQUERADE, NAT66 and DNAT ones; or "
                    + "all. Each runs in namespaces of its own, alternated with the kernel and vnet; a peer whose "
                    + "tools are missing is skipped with the reason (scripts/install-deps.sh --bench installs them).")
    List<String> peers = new ArrayList<>();

    @Option(names = "--prefix", paramLabel = "TEXT",
            description = "Start of the namespace names (default: vb and 6 random hex digits, then -k- and -v-).")
    String prefix;

    @Override
    public Integer call() {
        if (quick) {
            runs = 1;
            seconds = 2;
        }
        if (runs < 1 || seconds < 1) {
            System.err.println("vnet bench: --runs and --seconds must be at least 1");
            return 2;
        }
        Lab.Options options;
        try {
            options = poll.labOptions(loops);
        } catch (IllegalArgumentException e) {
            System.err.println("vnet bench: " + e.getMessage());
            return 2;
        }
        Benchmark bench;
        try {
            bench = new Benchmark(prefix != null ? prefix
                    : "vb" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6) + "-",
                    runs, seconds, only, !noOffloads, options, peers);
        } catch (IllegalArgumentException e) {
            System.err.println("vnet bench: " + (e.getMessage().startsWith("no peer") ? "--peers: " : "--case: ")
                    + e.getMessage());
            return 2;
        }
        for (String tool : List.of("iperf3", "ping", "nft", "ss")) {
            if (!dev.vnet.control.bench.Peers.onPath(tool)) {
                System.err.println("vnet bench: '" + tool + "' is missing (./scripts/install-deps.sh installs it)");
                return 1;
            }
        }
        Path dir;
        try {
            dir = out != null ? out : java.nio.file.Files.createTempDirectory("vnet-bench-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-");
        } catch (IOException e) {
            System.err.println("vnet bench: cannot make a directory for the results: " + e.getMessage());
            return 1;
        }
        System.setProperty("org.slf4j.simpleLogger.log.dev.vnet", "warn"); // the lab's build log is noise here
        try {
            bench.run(System.out, System.err, dir);
            return 0;
        } catch (IOException | LabException | RuntimeException e) {
            System.err.println("vnet bench: " + e.getMessage());
            return 1;
        }
    }
}
