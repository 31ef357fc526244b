package dev.vnet.dataplane.trace;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A command-line tool a test checks vnet's output with (tshark, tcpdump): required under CI=true, else skipped. */
record ExternalTool(String name) {
    static ExternalTool require(String name) throws IOException, InterruptedException {
        boolean present = new ProcessBuilder("sh", "-c", "command -v " + name).start().waitFor() == 0;
        if (!present) {
            String message = name + " is not installed (./run-tests installs it)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(message);
            }
            Assumptions.abort(message);
        }
        return new ExternalTool(name);
    }

    /** Runs the tool; its stdout lines. Fails the test on a non-zero exit. */
    List<String> run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(name));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError(name + " " + String.join(" ", args) + " failed: " + out);
        }
        return out.isEmpty() ? List.of() : out.lines().toList();
    }
}
