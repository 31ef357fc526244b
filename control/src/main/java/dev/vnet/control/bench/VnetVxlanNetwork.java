package dev.vnet.control.bench;

import dev.vnet.control.cli.Main;
import dev.vnet.control.lab.Lab;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The VXLAN case built by vnet: on each of {@link TwoHosts}, a vnet of its own, started as a user starts one host of
 * several ({@code ip netns exec HOST vnet up FILE --prefix ...}, this JVM's java, class path and -X options), its
 * bridge extended over VNI 42 to the other host: red (192.168.15.1) on host A, blue (192.168.15.2) on host B, MTU
 * 1450. Closing stops both vnets with SIGTERM (each removes what it made) and then deletes whatever is left.
 */
final class VnetVxlanNetwork implements TwoHostNetwork {
    private static final long START_SECONDS = 60;
    private final TwoHosts hosts;
    private final String prefix;
    private final List<Process> vnets = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();

    private VnetVxlanNetwork(String prefix) {
        this.prefix = prefix;
        this.hosts = new TwoHosts(prefix);
    }

    /**
     * Builds it under {@code prefix}, vnet's TAPs with or without {@code offloads}, its loops as {@code options} say;
     * removed again on failure, and by {@code cleanup} on an interruption.
     */
    static VnetVxlanNetwork build(String prefix, boolean offloads, Lab.Options options, BenchCleanup cleanup)
            throws IOException {
        VnetVxlanNetwork v = new VnetVxlanNetwork(prefix);
        cleanup.onInterrupt(v::close);
        try {
            v.hosts.create();
            v.start("a", v.hosts.hostA(), TwoHosts.A, TwoHosts.B, "red", "192.168.15.1/24", offloads, options);
            v.start("b", v.hosts.hostB(), TwoHosts.B, TwoHosts.A, "blue", "192.168.15.2/24", offloads, options);
        } catch (IOException | RuntimeException e) {
            v.close();
            throw e;
        }
        return v;
    }

    private void start(String tag, String host, String local, String remote, String tenant, String address,
                       boolean offloads, Lab.Options options) throws IOException {
        Path file = Files.createTempFile("vnet-bench-vxlan", ".yaml");
        files.add(file);
        Path log = Files.createTempFile("vnet-bench-vxlan", ".log");
        files.add(log);
        Files.writeString(file, String.join("\n",
                "bridges:",
                "  - name: v-net-0",
                "    vxlan: { vni: 42, local: " + local + ", port: 4789, remotes: [" + remote + "] }",
                "namespaces:",
                "  - { name: " + tenant + ", bridge: v-net-0, address: " + address + ", mtu: 1450, offloads: "
                        + offloads + " }",
                ""));
        String vnetPrefix = prefix + tag + "-";
        hosts.adopt(vnetPrefix + tenant);
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", host,
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // The same collector and heap settings as this JVM (the launcher's), so both sides run alike.
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:") || arg.startsWith("-Xm") || arg.startsWith("-Xss")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "up", file.toString(),
                "--prefix", vnetPrefix, "--poll", options.poll().cliName(), "--loops",
                Integer.toString(options.loops())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        synchronized (this) {
            vnets.add(p);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        while (!Files.readString(log).contains("vnet: running")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("vnet on " + host + " did not start: " + Files.readString(log).trim());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while vnet on " + host + " started", e);
            }
        }
    }

    @Override
    public String name() {
        return "vnet";
    }

    @Override
    public String red() {
        return prefix + "a-red";
    }

    @Override
    public String blue() {
        return prefix + "b-blue";
    }

    /** Stops both vnets (SIGTERM, then SIGKILL after 30 s), then removes what is left; safe to call twice. */
    @Override
    public synchronized void close() {
        for (Process p : vnets) {
            p.destroy();
        }
        for (Process p : vnets) {
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        vnets.clear();
        hosts.close();
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // a temporary file: the system cleans it eventually
            }
        }
        files.clear();
    }
}
