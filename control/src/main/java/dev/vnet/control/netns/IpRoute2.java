package dev.vnet.control.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The iproute2 driver: namespaces and links are made and configured by running {@code ip}, exactly the commands the
 * seeds type by hand, so what vnet does can be read, repeated and checked with the same tool.
 * A failing command throws with the command line and what {@code ip} printed.
 */
public class IpRoute2 {
    private static final Path NETNS_DIR = Path.of("/run/netns");
    private static final long TIMEOUT_SECONDS = 20;

    private final String ip;

    /** A driver that runs {@code ip} from the PATH. */
    public IpRoute2() {
        this("ip");
    }

    /** A driver that runs the given {@code ip} binary. */
    public IpRoute2(String ip) {
        this.ip = ip;
    }

    /** Runs {@code ip ARGS}; returns its standard output. */
    public String run(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(args.length + 1);
        cmd.add(ip);
        cmd.addAll(List.of(args));
        return runCommand(cmd);
    }

    private String runCommand(List<String> cmd) throws IOException {
        ChildProcess.Outcome o;
        try {
            o = ChildProcess.run(cmd, TIMEOUT_SECONDS);
        } catch (IOException e) {
            throw new IOException("cannot run '" + cmd.get(0) + "' (is iproute2 installed?): " + e.getMessage(), e);
        }
        if (o.timedOut()) {
            throw new IOException(o.command() + ": no answer within " + TIMEOUT_SECONDS + " s");
        }
        if (o.exit() != 0) {
            throw new IOException(o.command() + ": " + o.err().trim());
        }
        return o.out();
    }

    /** True when a named namespace {@code name} exists. */
    public boolean namespaceExists(String name) {
        return Files.exists(NETNS_DIR.resolve(name));
    }

    /** {@code ip netns add NAME}, made where every process sees it (see {@link StartingMounts}). */
    public void addNamespace(String name) throws IOException {
        runInStartingMounts("netns", "add", name);
    }

    /** {@code ip netns delete NAME}, as {@link #addNamespace} made it. */
    public void deleteNamespace(String name) throws IOException {
        runInStartingMounts("netns", "delete", name);
    }

    /**
     * Runs {@code ip ARGS} in the mount namespace vnet was started from ({@link StartingMounts}): as {@link #run} when
     * vnet runs in it, else through {@code nsenter --mount}.
     */
    protected String runInStartingMounts(String... args) throws IOException {
        Optional<String> mounts = StartingMounts.path();
        if (mounts.isEmpty()) {
            return run(args);
        }
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--mount=" + mounts.get(), "--", ip));
        cmd.addAll(List.of(args));
        return runCommand(cmd);
    }

    /** Moves interface {@code device} into namespace {@code ns} and renames it there to {@code newName}. */
    public void moveInterface(String device, String ns, String newName) throws IOException {
        run("link", "set", "dev", device, "netns", ns);
        if (!device.equals(newName)) {
            run("-n", ns, "link", "set", "dev", device, "name", newName);
        }
    }

    /** {@code ip -n NS route add default via GATEWAY}. */
    public void addDefaultRoute(String ns, String gateway) throws IOException {
        run("-n", ns, "route", "add", "default", "via", gateway);
    }

    /**
     * The kernel's queue in front of each of a TAP's queues, in frames ({@code txqueuelen}): what a namespace sends
     * waits there for vnet to read it; a frame that finds it full is dropped by the kernel (counted in the
     * namespace's TX dropped, which {@code vnet ports} shows as {@code kernel-tap-queue-full}). 1000 is the kernel's
     * default for Ethernet devices: deep enough for a burst of one read budget per loop many times over.
     */
    public static final int TAP_TX_QUEUE_LEN = 1000;

    /**
     * Adds {@code cidr} to {@code device} in {@code ns}, sets its MTU and queue length ({@link #TAP_TX_QUEUE_LEN}) and
     * brings it and the loopback up.
     */
    public void configureInterface(String ns, String device, String cidr, int mtu) throws IOException {
        run("-n", ns, "addr", "add", cidr, "dev", device);
        run("-n", ns, "link", "set", "dev", device, "mtu", Integer.toString(mtu), "txqueuelen",
                Integer.toString(TAP_TX_QUEUE_LEN), "up");
        run("-n", ns, "link", "set", "dev", "lo", "up");
    }

    /**
     * Adds IPv6 {@code cidr} to {@code device} in {@code ns} without duplicate address detection ({@code nodad}: the
     * topology already says no other interface has it, and a tentative address could not be used for a second).
     */
    public void addAddress6(String ns, String device, String cidr) throws IOException {
        run("-n", ns, "-6", "addr", "add", cidr, "dev", device, "nodad");
    }

    /** {@code ip -n NS -6 route add default via GATEWAY}. */
    public void addDefaultRoute6(String ns, String gateway) throws IOException {
        run("-n", ns, "-6", "route", "add", "default", "via", gateway);
    }

    /** As {@link #addAddress6}, for {@code device} in the root namespace (an uplink whose far side is the host). */
    public void addRootAddress6(String device, String cidr) throws IOException {
        run("-6", "addr", "add", cidr, "dev", device, "nodad");
    }

    /**
     * Frames {@code device} in {@code ns} failed to send ({@code ip -s -j link}'s TX dropped): for a TAP, what the
     * namespace sent while vnet's queue was full. -1 when it cannot be read (the namespace is gone).
     */
    public long txDropped(String ns, String device) {
        try {
            String json = run("-n", ns, "-s", "-j", "link", "show", "dev", device);
            com.fasterxml.jackson.databind.JsonNode link = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(json).path(0);
            com.fasterxml.jackson.databind.JsonNode stats = link.has("stats64") ? link.path("stats64")
                    : link.path("stats");
            return stats.path("tx").path("dropped").asLong(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    /** Renames {@code device} in this (the root) namespace. */
    public void renameInterface(String device, String newName) throws IOException {
        if (!device.equals(newName)) {
            run("link", "set", "dev", device, "name", newName);
        }
    }

    /** Adds {@code cidr} to {@code device} in this (the root) namespace and brings it up with {@code mtu}. */
    public void configureRootInterface(String device, String cidr, int mtu) throws IOException {
        run("addr", "add", cidr, "dev", device);
        run("link", "set", "dev", device, "mtu", Integer.toString(mtu), "up");
    }

    /** True when an interface of that name exists in this (the root) namespace. */
    public boolean interfaceExists(String name) {
        return Files.exists(Path.of("/sys/class/net", name));
    }
}
