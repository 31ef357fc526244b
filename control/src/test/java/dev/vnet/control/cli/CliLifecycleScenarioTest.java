package dev.vnet.control.cli;

import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.StdoutLines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vnet up} as users run it: a separate process in the foreground, stopped by a signal or by {@code vnet down},
 * or killed outright and cleaned up afterwards. Only the child processes this test started are signalled, by PID.
 */
class CliLifecycleScenarioTest {
    private String prefix;
    private Path stateDir;
    private Process vnet;
    private List<String> stdout = List.of();
    private CompletableFuture<String> stderr;
    private StdoutLines stdoutReader;

    @BeforeEach
    void setUp() throws Exception {
        RootScenario.require("ip", "ping");
        prefix = RootScenario.uniquePrefix();
        stateDir = Files.createTempDirectory("vnet-state");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (vnet != null && vnet.isAlive()) {
            vnet.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (prefix != null) {
            Cmd.deleteNamespaces(prefix);
        }
        if (stateDir != null) {
            try (var files = Files.list(stateDir)) { // the record, and a socket a killed vnet left
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(stateDir);
        }
    }

    private void startVnetUp(String... extra) throws Exception {
        startVnetUpWith(List.of(), extra);
    }

    private void startVnetUpWith(List<String> jvmOptions, String... extra) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Dio.netty.leakDetection.level=paranoid"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "up", "--prefix", prefix, "--state-dir", stateDir.toString()));
        cmd.addAll(List.of(extra));
        vnet = new ProcessBuilder(cmd).start();
        stderr = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(vnet.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        stdoutReader = new StdoutLines(vnet);
        stdout = stdoutReader.lines();
        boolean up = stdoutReader.awaitRunning(60);
        assertTrue(up, "vnet up reached 'running'; stdout: " + stdout + (up ? "" : " stderr: " + stderr.getNow("")));
    }

    private List<String> tapNames() {
        // "port <name> (tap <ifname>) attached" lines of the log name the TAPs the run created.
        List<String> taps = new ArrayList<>();
        Matcher m = Pattern.compile("\\(tap (\\S+)\\)").matcher(stderrSoFar());
        while (m.find()) {
            taps.add(m.group(1));
        }
        return taps;
    }

    private String stderrSoFar() {
        return stderr.getNow("");
    }

    private boolean anyNamespaceLeft() {
        return Cmd.namespaces().stream().anyMatch(n -> n.startsWith(prefix));
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalRemovesExactlyWhatWasCreated(String signal) throws Exception {
        startVnetUp();
        assertTrue(stdout.stream().anyMatch(l -> l.contains("namespace " + prefix + "red")), stdout.toString());
        Cmd.inNs(prefix + "red", 15, "ping", "-c", "2", "-W", "2", "192.168.15.2").assertOk();

        // By PID with the shell's own kill (kill(1) is procps, which a minimal Debian lacks): Process.destroy() would
        // also close our end of the child's pipes, and the child's last words ("vnet: stopped") would be lost.
        // SIGINT is what Ctrl-C sends.
        Cmd.run(10, "sh", "-c", "kill -s " + signal + " " + vnet.pid()).assertOk();
        assertTrue(vnet.waitFor(30, TimeUnit.SECONDS), "vnet stopped");
        String err = stderr.get(10, TimeUnit.SECONDS);
        stdoutReader.awaitEnd(10_000); // the last lines are read after the process ends
        List<String> taps = tapNames();
        assertEquals(3, taps.size(), "three TAPs (red, blue, the uplink to lan) were logged: " + err);
        assertTrue(stdout.contains("vnet: stopped"), stdout + "\nexit " + vnet.exitValue() + " stderr: " + err);
        assertFalse(err.contains("LEAK"), "no buffer leak reported by the child: " + err);
        assertFalse(anyNamespaceLeft(), "namespaces removed");
        for (String tap : taps) {
            assertFalse(Cmd.links().contains(tap), "TAP " + tap + " removed");
        }
        assertFalse(Files.exists(stateDir.resolve("state")), "state record removed");
    }

    /** One UDP datagram from red to blue's port {@code port}: the fault hook's trigger. */
    private Cmd.Result udpFromRedToBlue(int port) {
        return Cmd.inNs(prefix + "red", 10, "bash", "-c", "echo trigger > /dev/udp/192.168.15.2/" + port);
    }

    @Test
    void anErrorOnALoopEndsVnetNonZeroAndRemovesWhatItCreated() throws Exception {
        startVnetUpWith(List.of("-Dvnet.test.fault=error@udp:9"));
        Cmd.Result ping = Cmd.inNs(prefix + "red", 15, "ping", "-c", "1", "-W", "2", "192.168.15.2");
        assertTrue(ping.ok(), "red reaches blue before the fault (and has blue's MAC): " + ping);
        assertTrue(udpFromRedToBlue(9).ok(), "the trigger datagram was sent");
        assertTrue(vnet.waitFor(60, TimeUnit.SECONDS), "vnet exited after the Error on its loop; stderr: "
                + stderrSoFar());
        String err = stderr.get(10, TimeUnit.SECONDS);
        stdoutReader.awaitEnd(10_000);
        List<String> taps = tapNames();
        assertEquals(3, taps.size(), "three TAPs were logged: " + err);
        assertEquals(UpCommand.LOOP_FAILED_STATUS, vnet.exitValue(), "exit status after a loop failure; stderr: "
                + err);
        assertTrue(err.contains("vnet: FATAL: a dataplane event loop failed") && err.contains("InjectedError"),
                "it said so loudly, naming the Error: " + err);
        assertTrue(stdout.contains("vnet: stopped"), "and cleaned up: " + stdout);
        assertFalse(anyNamespaceLeft(), "no namespace left: " + Cmd.namespaces());
        for (String tap : taps) {
            assertFalse(Cmd.links().contains(tap), "TAP " + tap + " removed");
        }
        assertFalse(Files.exists(stateDir.resolve("state")), "state record removed");
    }

    @Test
    void anExceptionOnALoopCostsOneFrameAndVnetGoesOn() throws Exception {
        startVnetUpWith(List.of("-Dvnet.test.fault=exception@udp:9"));
        Cmd.inNs(prefix + "red", 15, "ping", "-c", "1", "-W", "2", "192.168.15.2").assertOk();
        for (int i = 0; i < 3; i++) {
            assertTrue(udpFromRedToBlue(9).ok(), "trigger datagram " + i + " was sent");
        }
        Cmd.Result ping = Cmd.inNs(prefix + "red", 15, "ping", "-c", "3", "-i", "0.2", "-W", "2", "192.168.15.2");
        assertTrue(ping.ok() && ping.out().contains("3 received"), "the loop went on forwarding: " + ping);
        assertTrue(vnet.isAlive(), "vnet still runs");
        dev.vnet.control.testing.CliRun ports = dev.vnet.control.testing.CliRun.of("ports", "--state-dir",
                stateDir.toString());
        String red = ports.out().lines().filter(l -> l.contains(prefix + "red")).findFirst().orElse("");
        assertTrue(red.contains("internal-error=3"), "each lost frame is counted on red as internal-error: "
                + ports.out() + ports.err());
        assertEquals(0, Main.run("down", "--state-dir", stateDir.toString()));
        assertTrue(vnet.waitFor(30, TimeUnit.SECONDS), "vnet stopped");
        String err = stderr.get(10, TimeUnit.SECONDS);
        assertNotEquals(UpCommand.LOOP_FAILED_STATUS, vnet.exitValue(), "no loop failure was reported: " + err);
        assertFalse(err.contains("FATAL"), err);
    }

    @Test
    void upRunsATopologyFile() throws Exception {
        Path file = stateDir.resolve("two.yaml");
        Files.writeString(file, """
                bridges:
                  - name: br0
                namespaces:
                  - name: a
                    bridge: br0
                    address: 198.51.100.1/24
                  - name: b
                    bridge: br0
                    address: 198.51.100.2/24
                """);
        startVnetUp(file.toString());
        assertTrue(Cmd.inNs(prefix + "a", 15, "ping", "-c", "2", "-W", "2", "198.51.100.2").ok(), "a reaches b");
        assertFalse(Cmd.namespaces().contains(prefix + "red"), "only what the file asks for");
        Cmd.run(10, "sh", "-c", "kill -s TERM " + vnet.pid()).assertOk();
        assertTrue(vnet.waitFor(30, TimeUnit.SECONDS));
        assertFalse(anyNamespaceLeft());
        Files.delete(file);
    }

    @Test
    void downStopsARunningVnet() throws Exception {
        startVnetUp();
        assertEquals(0, Main.run("down", "--state-dir", stateDir.toString()));
        assertTrue(vnet.waitFor(30, TimeUnit.SECONDS), "vnet stopped");
        assertFalse(anyNamespaceLeft());
        assertFalse(Files.exists(stateDir.resolve("state")));
    }

    @Test
    void afterSigkillDownRemovesWhatWasLeftAndIsIdempotent() throws Exception {
        startVnetUp();
        vnet.destroyForcibly(); // SIGKILL: no cleanup runs
        assertTrue(vnet.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Cmd.namespaces().contains(prefix + "red"), "the namespaces outlive a killed vnet");
        for (String tap : tapNames()) {
            assertFalse(Cmd.links().contains(tap), "a TAP dies with its process: " + tap);
        }
        assertEquals(0, Main.run("down", "--state-dir", stateDir.toString()));
        assertFalse(anyNamespaceLeft(), "vnet down removed the recorded namespaces");
        assertEquals(0, Main.run("down", "--state-dir", stateDir.toString()), "a second down is harmless");
    }

    @Test
    void afterSigkillANewUpCleansUpAndTheNetworkWorks() throws Exception {
        startVnetUp();
        vnet.destroyForcibly(); // SIGKILL: the namespaces and the record stay behind
        assertTrue(vnet.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Cmd.namespaces().contains(prefix + "red"));
        startVnetUp(); // the same prefix and state directory: it removes what the dead run recorded, then builds
        Cmd.Result ping = Cmd.inNs(prefix + "red", 15, "ping", "-c", "2", "-W", "2", "192.168.15.2");
        assertTrue(ping.ok(), "red reaches blue through the new vnet: " + ping);
        Cmd.Result routed = Cmd.inNs(prefix + "red", 15, "ping", "-c", "2", "-W", "2", "192.168.1.3");
        assertTrue(routed.ok(), "and lan through its router: " + routed);
        assertEquals(0, Main.run("down", "--state-dir", stateDir.toString()));
        assertTrue(vnet.waitFor(30, TimeUnit.SECONDS), "the new vnet stopped");
        assertFalse(anyNamespaceLeft());
        String log = stderr.get(10, TimeUnit.SECONDS);
        assertTrue(log.contains("ended without cleaning up; removing what it recorded"), "it said so: " + log);
    }

    @Test
    void refusesANamespaceItDidNotCreateAndCreatesNothing() throws Exception {
        Cmd.run(10, "ip", "netns", "add", prefix + "red").assertOk();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        int exit;
        try {
            System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
            exit = Main.run("up", "--prefix", prefix, "--state-dir", stateDir.toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(1, exit);
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("namespace " + prefix + "red already exists and vnet did not create it; "
                + "nothing was created"), message);
        assertTrue(Cmd.namespaces().contains(prefix + "red"), "the user's namespace is untouched");
        assertFalse(Cmd.namespaces().contains(prefix + "blue"), "nothing else was created");
        assertFalse(Files.exists(stateDir.resolve("state")));
    }
}
