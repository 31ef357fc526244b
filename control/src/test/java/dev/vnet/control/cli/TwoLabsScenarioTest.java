package dev.vnet.control.cli;

import dev.vnet.control.lab.StateFile;
import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.testing.StdoutLines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two seed labs side by side, told apart by {@code --prefix} alone (as the README says): each gets its own state
 * directory and API socket, the show commands and {@code vnet down} pick a lab by its prefix, and stopping one leaves
 * the other running. Only the processes this test started are stopped, by PID.
 */
class TwoLabsScenarioTest {
    private final List<Process> started = new ArrayList<>();
    private final List<String> prefixes = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
        for (String prefix : prefixes) {
            Cmd.deleteNamespaces(prefix);
            ScenarioLab.deleteStateDir(StateFile.dirFor(prefix));
        }
    }

    /** Starts {@code vnet up --prefix PREFIX} as a user does (no --state-dir) and waits until it runs. */
    private Process up(String prefix) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "up", "--prefix", prefix).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        StdoutLines out = new StdoutLines(p);
        assertTrue(out.awaitRunning(60), "vnet up --prefix " + prefix + " reached 'running': " + out);
        return p;
    }

    @Test
    void twoLabsRunSideBySideAndArePickedByTheirPrefix() throws Exception {
        RootScenario.require("ip", "ping");
        String a = RootScenario.uniquePrefix();
        String b = RootScenario.uniquePrefix();
        prefixes.add(a);
        prefixes.add(b);
        Process first = up(a);
        Process second = up(b); // before this change: "vnet is already running" unless --state-dir was given
        assertTrue(Files.exists(StateFile.dirFor(a).resolve("state")), "lab " + a + " has its own record");
        assertTrue(Files.exists(StateFile.dirFor(b).resolve("state")), "lab " + b + " has its own record");

        Cmd.inNs(a + "red", 15, "ping", "-c", "1", "-W", "2", "192.168.15.2").assertOk();
        Cmd.inNs(b + "red", 15, "ping", "-c", "1", "-W", "2", "192.168.15.2").assertOk();

        CliRun portsA = CliRun.of("ports", "--prefix", a);
        assertEquals(0, portsA.exit(), portsA.err());
        assertTrue(portsA.out().contains(a + "red") && !portsA.out().contains(b + "red"),
                "vnet ports --prefix " + a + " shows that lab's ports only: " + portsA.out());
        CliRun portsB = CliRun.of("ports", "--prefix", b);
        assertTrue(portsB.out().contains(b + "red") && !portsB.out().contains(a + "red"),
                "and the other prefix the other lab's: " + portsB.out());

        CliRun down = CliRun.of("down", "--prefix", a);
        assertEquals(0, down.exit(), down.err());
        assertTrue(first.waitFor(30, TimeUnit.SECONDS), "the first lab stopped");
        assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(a)), "its namespaces are gone");
        assertFalse(Files.exists(StateFile.dirFor(a)), "and its state directory: " + StateFile.dirFor(a));
        assertTrue(second.isAlive(), "the second lab still runs");
        Cmd.inNs(b + "red", 15, "ping", "-c", "1", "-W", "2", "192.168.15.2").assertOk();

        assertEquals(0, CliRun.of("down", "--prefix", b).exit());
        assertTrue(second.waitFor(30, TimeUnit.SECONDS), "the second lab stopped");
        assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(b)), "its namespaces are gone");
        assertFalse(Files.exists(StateFile.dirFor(b)), "and its state directory");
    }
}
