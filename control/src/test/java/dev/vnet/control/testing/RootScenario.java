package dev.vnet.control.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Guards for tests that need root: they create real namespaces and TAPs. Outside CI, without root, such a test is
 * skipped with a message; under {@code CI=true} missing privilege or tools fail the test instead.
 */
public final class RootScenario {
    private RootScenario() {
    }

    /** Skips (or, in CI, fails) unless running as root with /dev/net/tun and the named tools. */
    public static void require(String... tools) {
        String why = missing(tools);
        if (why == null) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("scenario test cannot run in CI: " + why);
        }
        Assumptions.abort("scenario test skipped: " + why + " (run the tests as root, see README)");
    }

    private static String missing(String... tools) {
        try {
            boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).anyMatch(l -> l.split("\\s+")[2].equals("0"));
            if (!root) {
                return "not running as root";
            }
        } catch (java.io.IOException e) {
            return "cannot read /proc/self/status";
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return "/dev/net/tun is missing";
        }
        for (String tool : tools) {
            if (Cmd.run(10, "sh", "-c", "command -v " + tool).exit() != 0) {
                return "'" + tool + "' is not installed";
            }
        }
        return null;
    }

    /** A prefix unique to this test run, for every namespace a test creates ("vt" + 6 hex digits + "-"). */
    public static String uniquePrefix() {
        return "vt" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6) + "-";
    }
}
