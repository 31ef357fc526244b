package dev.vnet.control.bench;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A network built by a peer ({@link Peers}), a program that is not vnet: the namespaces it made, the processes it
 * started and a working directory of its own, all removed by {@link #close} (the processes stopped by the PIDs this
 * benchmark started). Nothing is created in the root namespace. Subclasses give the shape: switched
 * ({@link TapSwitchNetwork}) or behind a user-mode NAT ({@link UserNatNetwork}).
 */
abstract class PeerNetwork implements BenchNetwork {
    private static final Logger log = LoggerFactory.getLogger(PeerNetwork.class);
    static final long TIMEOUT = 20;

    private final BenchNamespaces namespaces = new BenchNamespaces();
    private final List<Process> processes = new ArrayList<>();
    private Path dir;

    /**
     * Builds {@code n}; on failure removes what it made, and so does {@code cleanup} if the benchmark is interrupted
     * while it is built or used.
     */
    static <T extends PeerNetwork> T build(T n, BenchCleanup cleanup) throws IOException {
        cleanup.onInterrupt(n::close);
        try {
            PeerNetwork p = n; // its own fields, through the subclass's type
            p.dir = Files.createTempDirectory("vnet-bench-" + n.name() + "-");
            n.create(p.dir);
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    /** What {@link Peers#carries} says of this peer. */
    @Override
    public final boolean supports(BenchCase.Path path) {
        return Peers.carries(name(), path);
    }

    /** Makes the namespaces ({@link #addNamespace}) and starts the peer, with working directory {@code dir}. */
    abstract void create(Path dir) throws IOException;

    /** How the peer is set up, for the report (its port type, offloads, mode). */
    abstract String variant();

    /** Creates namespace {@code ns} (loopback up), deleted when the network closes. */
    final void addNamespace(String ns) throws IOException {
        namespaces.add(ns);
    }

    /** Runs {@code ip ARGS}. */
    final void ip(String... args) throws IOException {
        namespaces.ip(args);
    }

    /** Starts {@code args} in namespace {@code ns}, with {@code env}; stopped by PID when the network closes. */
    final Process startProcess(String ns, Map<String, String> env, String... args) throws IOException {
        Process p = Proc.start(ns, env, args);
        synchronized (this) {
            processes.add(p);
        }
        return p;
    }

    /** A condition a peer's set-up waits for; it may run a command, or fail at once (a process that died). */
    interface Condition {
        boolean holds() throws IOException;
    }

    /** Checks {@code condition} every 50 ms for 10 s; fails with "{@code failure} within 10 s" if it never holds. */
    static void await(Condition condition, String failure) throws IOException {
        for (int i = 0; i < 200; i++) {
            if (condition.holds()) {
                return;
            }
            sleep(50);
        }
        throw new IOException(failure + " within 10 s");
    }

    /** Waits until namespace {@code ns} has interface {@code name}; fails naming {@code what} otherwise. */
    static void awaitLink(String ns, String name, String what) throws IOException {
        await(() -> Proc.run(Proc.in(ns, "ip", "link", "show", name), TIMEOUT).exit() == 0,
                what + " did not make " + name + " in " + ns);
    }

    /** Waits until {@code file} exists; fails naming {@code what} otherwise. */
    static void awaitFile(Path file, String what) throws IOException {
        await(() -> Files.exists(file), what + " did not make " + file);
    }

    static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Stops the peer's processes, deletes the namespaces and the working directory; safe to call twice. */
    @Override
    public synchronized void close() {
        for (Process p : processes) {
            Proc.stop(p);
        }
        processes.clear();
        namespaces.close();
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                log.warn("cleanup: {}", e.getMessage());
            }
            dir = null;
        }
    }
}
