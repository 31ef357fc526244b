package dev.vnet.control.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The switched shape built by Open vSwitch's userspace datapath ({@code datapath_type=netdev}), the peer a user would
 * pick instead of vnet: an OVS bridge in the switch's namespace with tap ports ({@code type=tap}, OVS opens the TAPs
 * and reads them itself) and userspace TSO on, its flows OVS's default (the NORMAL action: MAC learning). Of the
 * variants measured (docs/benchmarks.md), tap ports with TSO were the fastest that work: veth ports with OVS's
 * defaults pass ping but drop every TCP and UDP packet at the receiver (partial checksums left unfinished), and
 * AF_XDP ports carry no super-frames. Its daemons (ovsdb-server, ovs-vswitchd) run with a database, sockets and logs
 * in this network's own directory (OVS_RUNDIR, OVS_DBDIR, OVS_LOGDIR), never touching an OVS the machine runs, and
 * are stopped by PID.
 */
final class OvsNetwork extends TapSwitchNetwork {
    /** The commands it needs, and where Debian's openvswitch-switch puts its schema. */
    static final List<String> TOOLS = List.of("ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl");
    static final Path SCHEMA = Path.of("/usr/share/openvswitch/vswitch.ovsschema");
    private static final long TIMEOUT = 30;
    private static final String BRIDGE = "vbench";

    private Path dir;

    private OvsNetwork(String prefix) {
        super(prefix);
    }

    /** Builds it with namespaces {@code prefix}sw, -red and -blue. */
    static OvsNetwork build(String prefix, BenchCleanup cleanup) throws IOException {
        return PeerNetwork.build(new OvsNetwork(prefix), cleanup);
    }

    @Override
    public String name() {
        return "ovs";
    }

    @Override
    String variant() {
        return "Open vSwitch userspace datapath (netdev), tap ports, userspace TSO on, NORMAL flow";
    }

    @Override
    void startSwitch(String sw, Path dir) throws IOException {
        this.dir = dir;
        Map<String, String> env = Map.of("OVS_RUNDIR", dir.toString(), "OVS_DBDIR", dir.toString(), "OVS_LOGDIR",
                dir.toString());
        Path db = dir.resolve("conf.db");
        Proc.run(List.of("ovsdb-tool", "create", db.toString(), SCHEMA.toString()), TIMEOUT).orThrow(
                List.of("ovsdb-tool", "create"));
        startProcess(sw, env, "ovsdb-server", db.toString(), "--remote=punix:" + dir.resolve("db.sock"),
                "--unixctl=" + dir.resolve("ovsdb-server.ctl"), "--log-file=" + dir.resolve("ovsdb-server.log"));
        awaitFile(dir.resolve("db.sock"), "ovsdb-server");
        vsctl("--no-wait", "init");
        // Read once, at start: set before ovs-vswitchd starts.
        vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:userspace-tso-enable=true");
        startProcess(sw, env, "ovs-vswitchd", "unix:" + dir.resolve("db.sock"),
                "--unixctl=" + dir.resolve("ovs-vswitchd.ctl"), "--log-file=" + dir.resolve("ovs-vswitchd.log"));
        vsctl("add-br", BRIDGE, "--", "set", "bridge", BRIDGE, "datapath_type=netdev");
        for (String tap : List.of(TAP_RED, TAP_BLUE)) {
            vsctl("add-port", BRIDGE, tap, "--", "set", "interface", tap, "type=tap");
            awaitLink(sw, tap, "ovs-vswitchd");
        }
    }

    /** Runs ovs-vsctl on this network's database (waiting for ovs-vswitchd to apply the change, unless told). */
    private void vsctl(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ovs-vsctl", "--db=unix:" + dir.resolve("db.sock"),
                "--timeout=" + TIMEOUT));
        cmd.addAll(List.of(args));
        Proc.run(cmd, TIMEOUT + 5).orThrow(cmd);
    }
}
