package dev.vnet.control.vxlan;

import dev.vnet.control.cli.Main;
import dev.vnet.control.lab.StateFile;
import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.testing.StdoutLines;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hosts simulated by namespaces on one underlay, 198.51.100.0/24: host {@code X} is the namespace {@code PREFIXhostX}
 * with the address 198.51.100.N (N its place in the list, from 1) on {@code PREFIXuX}, a veth whose peer sits on a
 * kernel bridge in {@code PREFIXwire}. Transmit checksum offload is off on the hosts' veths, as a real NIC's wire
 * carries complete checksums (a veth otherwise passes packets whose checksums were never computed, which the kernel's
 * VTEP tolerates and a user-space one cannot tell from corruption), and GRO is on, as a NIC's driver has it (so the
 * kernel hands a VTEP's socket coalesced datagrams, and vnet joins their segments again).
 *
 * <p>A host runs vnet as a user would start one host of several: {@code ip netns exec PREFIXhostX vnet up FILE
 * --prefix PREFIXx-}, so the namespaces that vnet makes are {@code PREFIXx-NAME}. {@link #close} stops every vnet it
 * started (SIGTERM: vnet removes what it made), deletes every namespace of the prefix and the state directories, and
 * fails if anything of the prefix is left.
 */
final class VxlanHosts implements AutoCloseable {
    private final String prefix = RootScenario.uniquePrefix();
    private final List<String> hosts;
    private final Map<String, Process> vnets = new LinkedHashMap<>();
    private final Map<String, StdoutLines> outputs = new LinkedHashMap<>();
    private final List<Path> files = new ArrayList<>();
    private int tenants;

    /** Creates the hosts (names such as "A", "B") and their underlay; on a failure, removes what it made. */
    VxlanHosts(String... names) {
        hosts = List.of(names);
        try {
            String wire = prefix + "wire";
            sh("ip", "netns", "add", wire);
            sh("ip", "-n", wire, "link", "add", "sw", "type", "bridge");
            sh("ip", "-n", wire, "link", "set", "sw", "up");
            for (String h : hosts) {
                String ns = host(h);
                String dev = underlay(h);
                String peer = prefix + "w" + h.toLowerCase();
                sh("ip", "netns", "add", ns);
                sh("ip", "link", "add", dev, "type", "veth", "peer", "name", peer);
                sh("ip", "link", "set", dev, "netns", ns);
                sh("ip", "link", "set", peer, "netns", wire);
                sh("ip", "-n", wire, "link", "set", peer, "master", "sw", "up");
                // A veth hands its peer's NAPI (GRO) only frames from a sender without TSO: off on both ends.
                Cmd.inNs(wire, 20, "ethtool", "-K", peer, "tx", "off").assertOk();
                sh("ip", "-n", ns, "addr", "add", address(h) + "/24", "dev", dev);
                sh("ip", "-n", ns, "link", "set", dev, "up");
                sh("ip", "-n", ns, "link", "set", "lo", "up");
                Cmd.inNs(ns, 20, "ethtool", "-K", dev, "tx", "off", "gro", "on").assertOk();
            }
        } catch (RuntimeException | Error e) {
            Cmd.deleteNamespaces(prefix);
            throw e;
        }
    }

    static void sh(String... args) {
        Cmd.run(20, args).assertOk();
    }

    /** The unique prefix of everything these hosts are made of. */
    String prefix() {
        return prefix;
    }

    /** Host {@code h}'s namespace. */
    String host(String h) {
        return prefix + "host" + h;
    }

    /** Host {@code h}'s underlay device (in its namespace). */
    String underlay(String h) {
        return prefix + "u" + h.toLowerCase();
    }

    /** Host {@code h}'s underlay address, 198.51.100.N. */
    String address(String h) {
        int i = hosts.indexOf(h);
        if (i < 0) {
            throw new IllegalArgumentException("no host " + h + " among " + hosts);
        }
        return "198.51.100." + (i + 1);
    }

    /** The {@code --prefix} of the vnet on host {@code h}. */
    String vnetPrefix(String h) {
        return prefix + h.toLowerCase() + "-";
    }

    /** The namespace {@code name} that the vnet on host {@code h} made. */
    String ns(String h, String name) {
        return vnetPrefix(h) + name;
    }

    /** A namespace of the test's own beside the hosts (a kernel host's tenant, say), removed with the rest. */
    String extra(String name) {
        return prefix + name;
    }

    /** Starts {@code vnet up} with {@code yaml} inside host {@code h} and waits until it says it runs. */
    void startVnet(String h, String yaml) throws Exception {
        assertFalse(vnets.containsKey(h) && vnets.get(h).isAlive(), "vnet already runs on host " + h);
        Path file = Files.createTempFile("vnet-vxlan-" + h, ".yaml");
        files.add(file);
        Files.writeString(file, yaml);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("ip", "netns", "exec", host(h), java, "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "up", file.toString(),
                "--prefix", vnetPrefix(h)).redirectErrorStream(true).start();
        StdoutLines out = new StdoutLines(p);
        vnets.put(h, p);
        outputs.put(h, out);
        assertTrue(out.awaitRunning(60), "vnet up on host " + h + " reached 'running': " + out);
    }

    /** Stops the vnet on host {@code h} as a user's Ctrl-C does, and waits until it has removed what it made. */
    void stopVnet(String h) throws Exception {
        Process p = vnets.get(h);
        p.destroy();
        boolean ended = p.waitFor(30, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        assertTrue(ended, "vnet on host " + h + " ended within 30 s of SIGTERM: " + outputs.get(h));
    }

    /** {@code vnet ARGS --prefix} of host {@code h}'s vnet, in process (the API socket is in the shared file system). */
    CliRun cli(String h, String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--prefix";
        all[args.length + 1] = vnetPrefix(h);
        return CliRun.of(all);
    }

    /**
     * Makes host {@code h} a kernel VTEP of {@code vni} towards {@code remote}: vx0 on the bridge br0, flooding by
     * {@code remote} or by a {@code bridge fdb append} entry, with or without outer UDP checksums.
     */
    void kernelVtep(String h, int vni, String remote, boolean fdbFlood, boolean udpCsum) {
        String ns = host(h);
        List<String> vx = new ArrayList<>(List.of("ip", "-n", ns, "link", "add", "vx0", "type", "vxlan",
                "id", Integer.toString(vni), "dstport", "4789", "local", address(h), "dev", underlay(h),
                udpCsum ? "udpcsum" : "noudpcsum"));
        if (!fdbFlood) {
            vx.addAll(List.of("remote", remote));
        }
        sh(vx.toArray(String[]::new));
        if (fdbFlood) {
            sh("bridge", "-n", ns, "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", remote);
        }
        sh("ip", "-n", ns, "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", ns, "link", "set", "vx0", "master", "br0", "up");
        sh("ip", "-n", ns, "link", "set", "br0", "up");
    }

    /**
     * A namespace {@code name} (with the prefix; returned) behind kernel host {@code h}'s br0 by a veth, its eth0
     * at {@code cidr} with the MTU a VXLAN segment over a 1500-byte underlay has (1450).
     */
    String kernelTenant(String h, String name, String cidr) {
        String ns = extra(name);
        tenants++;
        String outside = extra("t" + tenants + "o"); // an interface name has at most 15 characters
        String inside = extra("t" + tenants + "i");
        sh("ip", "netns", "add", ns);
        sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
        sh("ip", "link", "set", outside, "netns", host(h));
        sh("ip", "link", "set", inside, "netns", ns);
        sh("ip", "-n", host(h), "link", "set", outside, "master", "br0", "mtu", "1450", "up");
        sh("ip", "-n", ns, "link", "set", inside, "name", "eth0");
        sh("ip", "-n", ns, "link", "set", "eth0", "mtu", "1450", "up");
        sh("ip", "-n", ns, "link", "set", "lo", "up");
        sh("ip", "-n", ns, "addr", "add", cidr, "dev", "eth0");
        return ns;
    }

    /** The MAC address of {@code dev} in namespace {@code ns}. */
    static String macOf(String ns, String dev) {
        return Cmd.inNs(ns, 10, "cat", "/sys/class/net/" + dev + "/address").assertOk().out().trim();
    }

    @Override
    public void close() throws Exception {
        for (String h : vnets.keySet()) {
            Process p = vnets.get(h);
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
        Cmd.deleteNamespaces(prefix);
        for (String h : hosts) {
            ScenarioLab.deleteStateDir(StateFile.dirFor(vnetPrefix(h)));
        }
        for (Path f : files) {
            Files.deleteIfExists(f);
        }
        assertTrue(Cmd.namespaces().stream().noneMatch(n -> n.startsWith(prefix)), "namespaces left: "
                + Cmd.namespaces());
        assertTrue(Cmd.links().stream().noneMatch(l -> l.startsWith(prefix)), "links left: " + Cmd.links());
    }
}
