package dev.vnet.control.testing;

import dev.vnet.control.lab.Lab;
import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.api.Dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A lab of a test's own: its topology under a unique namespace prefix, a state directory of its own, and on
 * {@link #close} everything it made removed (the lab closed, any namespace of the prefix deleted, the state
 * directory gone), also after a failure.
 */
public final class ScenarioLab implements AutoCloseable {
    private final String prefix;
    private final Path stateDir;
    private final Lab lab;

    private ScenarioLab(String prefix, Path stateDir, Lab lab) {
        this.prefix = prefix;
        this.stateDir = stateDir;
        this.lab = lab;
    }

    /** Brings {@code topology} up under a new unique prefix, with the default options. */
    public static ScenarioLab up(Topology topology) throws Exception {
        return up(topology, Lab.Options.DEFAULT);
    }

    /** Brings {@code topology} up under a new unique prefix with {@code options}. */
    public static ScenarioLab up(Topology topology, Lab.Options options) throws Exception {
        String prefix = RootScenario.uniquePrefix();
        Path stateDir = Files.createTempDirectory("vnet-state");
        try {
            return new ScenarioLab(prefix, stateDir, Lab.up(topology.withPrefix(prefix), stateDir, new IpRoute2(),
                    options));
        } catch (Exception e) {
            Cmd.deleteNamespaces(prefix);
            Files.deleteIfExists(stateDir);
            throw e;
        }
    }

    /** The namespace called {@code name} in the topology, as created (with the prefix). */
    public String ns(String name) {
        return prefix + name;
    }

    /**
     * Waits until the link-local address the kernel gave eth0 in each of {@code names} has passed duplicate address
     * detection (until then the kernel sends no IPv6 from it), at most 10 s.
     */
    public void awaitIpv6(String... names) throws Exception {
        for (String name : names) {
            Await.until(10_000, () -> Cmd.inNs(ns(name), 5, "ip", "-6", "addr", "show", "dev", "eth0").out(),
                    out -> out.contains("fe80::") && !out.contains("tentative"));
        }
    }

    /** The namespace prefix. */
    public String prefix() {
        return prefix;
    }

    /** The running lab. */
    public Lab lab() {
        return lab;
    }

    /** Its dataplane. */
    public Dataplane dataplane() {
        return lab.dataplane();
    }

    /** The thread ids of the dataplane's event loops, in loop order (for per-thread CPU time and allocation). */
    public long[] loopThreadIds() throws Exception {
        long[] ids = new long[dataplane().loopCount()];
        for (int i = 0; i < ids.length; i++) {
            int loop = i;
            dataplane().executeOnLoop(i, () -> ids[loop] = Thread.currentThread().getId())
                    .get(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        return ids;
    }

    /** Where the lab records its state and serves its API socket. */
    public Path stateDir() {
        return stateDir;
    }

    /** Deletes state directory {@code dir} and the files in it (a lab's record and socket), if it is there. */
    public static void deleteStateDir(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lab.close();
        } finally {
            Files.deleteIfExists(stateDir.resolve("state"));
            Files.deleteIfExists(stateDir);
            Cmd.deleteNamespaces(prefix);
        }
        assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(prefix)), "namespaces of " + prefix + " left");
    }
}
