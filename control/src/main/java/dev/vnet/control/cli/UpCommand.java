package dev.vnet.control.cli;

import dev.vnet.control.lab.Lab;
import dev.vnet.control.lab.LabException;
import dev.vnet.control.lab.StateFile;
import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.topology.BuiltInLabs;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.TopologyException;
import dev.vnet.control.topology.TopologyFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code vnet up}: builds a topology and runs its dataplane in the foreground until interrupted. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {
            "Create the namespaces of a topology, attach each through a TAP device to vnet's bridge, and forward "
                + "between them in the foreground. Ctrl-C (SIGINT) or SIGTERM removes exactly what was created.",
            "Without TOPOLOGY: the seed lab, namespaces red (192.168.15.1/24) and blue (192.168.15.2/24) on "
                + "bridge v-net-0 with gateway 192.168.15.5, and namespace lan (192.168.1.3/24) behind the router's "
                + "uplink 192.168.1.2; 192.168.15.0/24 is masqueraded out of the uplink and the uplink's tcp/80 is "
                + "forwarded to 192.168.15.2:80."})
final class UpCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "TOPOLOGY",
            description = "Topology file (YAML); start from 'vnet lab --print'. Without it, the seed lab.")
    Path topologyFile;

    @Option(names = "--lab", paramLabel = "NAME",
            description = "Run a built-in lab instead of a file: seed (the default without TOPOLOGY) or dual-stack "
                    + "(IPv6 beside IPv4: fd00:15::/64 on v-net-0, fd00:1::/64 on the uplink, NAT66, tcp/80 "
                    + "forwarded to blue over both families). 'vnet lab --print NAME' shows its file.")
    String builtIn;

    @Mixin
    LabSelection selection = new LabSelection();

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Bound on tracked connections; when full, new connections are dropped and counted while "
                    + "existing ones keep working. Overrides the file's limits.connections (default: 65536).")
    Integer maxConnections;

    @Option(names = "--no-offloads",
            description = "Open every namespace's and uplink's TAP without offloads (no virtio-net header: one "
                    + "MTU-sized, fully checksummed frame per system call; slower, for comparison and debugging). "
                    + "Overrides the file's 'offloads'.")
    boolean noOffloads;

    @Mixin
    PollOptions poll = new PollOptions();

    @Option(names = "--loops", paramLabel = "N",
            description = "Event loops (threads) forwarding frames, each with its own queue of every TAP (multi-queue "
                    + "TAPs when more than one; the kernel spreads flows over them). Default: one per core "
                    + "(${DEFAULT-VALUE} here).")
    int loops = dev.vnet.dataplane.api.Dataplane.defaultLoops();

    @Option(names = "--metrics", paramLabel = "[HOST:]PORT",
            description = "Also serve Prometheus metrics over TCP at http://HOST:PORT/metrics (HOST defaults to "
                    + "127.0.0.1). Off unless given; they are always on the API socket.")
    String metrics;

    @Option(names = "--dry-run",
            description = "Print the dataplane vnet would build and the iproute2 commands it would run, in order; "
                    + "change nothing (needs no root).")
    boolean dryRun;

    @Override
    public Integer call() {
        Path dir;
        try {
            dir = selection.stateDir();
        } catch (IllegalArgumentException e) {
            System.err.println("vnet up: --prefix: " + e.getMessage());
            return 2;
        }
        Lab.Options options;
        try {
            options = poll.labOptions(loops);
        } catch (IllegalArgumentException e) {
            System.err.println("vnet up: " + e.getMessage());
            return 2;
        }
        java.net.InetSocketAddress metricsAddress = null;
        if (metrics != null) {
            try {
                metricsAddress = dev.vnet.control.api.MetricsServer.address(metrics);
            } catch (IllegalArgumentException e) {
                System.err.println("vnet up: --metrics: " + e.getMessage());
                return 2;
            }
        }
        if (builtIn != null && topologyFile != null) {
            System.err.println("vnet up: --lab runs a built-in lab; give it or a TOPOLOGY file, not both");
            return 2;
        }
        Topology topology;
        try {
            topology = (topologyFile != null ? TopologyFile.load(topologyFile)
                    : BuiltInLabs.topology(builtIn == null ? "seed" : builtIn)).withPrefix(selection.prefix);
        } catch (TopologyException e) {
            System.err.println("vnet up: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            System.err.println("vnet up: --lab: " + e.getMessage());
            return 2;
        }
        if (noOffloads) {
            topology = topology.withOffloads(false);
        }
        if (maxConnections != null) {
            try {
                topology = topology.withLimits(topology.limits().withMaxConnections(maxConnections));
            } catch (IllegalArgumentException e) {
                System.err.println("vnet up: --max-connections: " + e.getMessage());
                return 2;
            }
        }
        if (dryRun) {
            try {
                dev.vnet.control.lab.DryRun.plan(topology).forEach(System.out::println);
                return 0;
            } catch (java.io.IOException e) {
                System.err.println("vnet up: " + e.getMessage());
                return 1;
            }
        }
        Lab lab;
        try {
            lab = Lab.up(topology, dir, new IpRoute2(), options);
        } catch (LabException e) {
            System.err.println("vnet up: " + e.getMessage());
            return 1;
        }
        dev.vnet.control.api.MetricsServer metricsServer = null;
        if (metricsAddress != null) {
            try {
                metricsServer = dev.vnet.control.api.MetricsServer.start(metricsAddress, lab.dataplane());
            } catch (java.io.IOException e) {
                lab.close();
                System.err.println("vnet up: cannot serve metrics on " + metrics + ": " + e.getMessage()
                        + "; everything created was removed");
                return 1;
            }
        }
        lab.dataplane().onLoopFailure(UpCommand::loopFailed);
        dev.vnet.control.api.MetricsServer metricsToClose = metricsServer;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("vnet: stopping; removing what was created");
            if (metricsToClose != null) {
                metricsToClose.close();
            }
            lab.close();
            System.out.println("vnet: stopped");
            System.out.flush();
            stopped.countDown();
        }, "vnet-shutdown"));
        System.out.print(lab.describe());
        if (topology.namespaces().size() >= 2) {
            String first = topology.namespaces().get(0).name();
            String second = dev.vnet.dataplane.wire.Ipv4Addr.toString(topology.namespaces().get(1).address().address());
            System.out.println("Try, in another terminal: sudo ip netns exec " + first + " ping " + second);
        }
        System.out.println("vnet: running; Ctrl-C stops it and removes what was created");
        System.out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The exit status after a dataplane loop failed (sysexits' EX_SOFTWARE): not 0, not a signal's 128+N. */
    static final int LOOP_FAILED_STATUS = 70;
    private static final java.util.concurrent.atomic.AtomicBoolean FAILING =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * A dataplane loop failed (an Error such as OutOfMemoryError, or a loop thread that ended): the dataplane can no
     * longer be trusted to forward, so vnet says so, removes what it created (the shutdown hook) and exits with
     * {@link #LOOP_FAILED_STATUS}, for a supervisor to restart it. From a thread of its own: the loop that failed
     * must not wait for its own shutdown.
     */
    private static void loopFailed(Throwable t) {
        if (!FAILING.compareAndSet(false, true)) {
            return;
        }
        Thread exit = new Thread(() -> {
            System.err.println("vnet: FATAL: a dataplane event loop failed: " + t);
            System.err.println("vnet: forwarding cannot be trusted any more; removing what was created and exiting "
                    + "with status " + LOOP_FAILED_STATUS);
            System.err.flush();
            System.exit(LOOP_FAILED_STATUS);
        }, "vnet-loop-failed");
        exit.start();
    }
}
