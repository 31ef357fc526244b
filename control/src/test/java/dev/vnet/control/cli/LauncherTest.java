package dev.vnet.control.cli;

import dev.vnet.dataplane.util.JvmOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The {@code vnet} launcher starts the JVM with the collector the benchmarks measure, unless the user chose one. */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("..", "vnet");
    private static final Path OPTIONS = Path.of("..", "scripts", "jvm-options.sh");

    /** What scripts/jvm-options.sh prints with {@code env} in its environment (and the JVM options unset). */
    private static List<String> options(Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", OPTIONS.toString());
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out.lines().toList();
    }

    @Test
    void theLauncherRunsTheJarWithTheScriptsOptions() throws Exception {
        List<String> lines = Files.readAllLines(LAUNCHER);
        assertEquals(List.of("exec java \"${jvm_options[@]}\" -jar \"$jar\" \"$@\""),
                lines.stream().filter(l -> l.startsWith("exec java ")).toList());
        assertEquals(1, lines.stream().filter(l -> l.equals("mapfile -t jvm_options < <(scripts/jvm-options.sh)"))
                .count());
    }

    @Test
    void theParallelCollectorByDefaultAndWithOtherUserOptions() throws Exception {
        assertEquals(List.of(JvmOptions.GC), options(Map.of()));
        assertEquals(List.of(JvmOptions.GC), options(Map.of("JAVA_TOOL_OPTIONS", "-Xlog:gc -XX:+UseGCOverheadLimit")));
    }

    @Test
    void aCollectorTheUserChoseIsLeftAlone() throws Exception {
        // The JVM refuses to start with two collectors selected.
        assertEquals(List.of(), options(Map.of("JAVA_TOOL_OPTIONS", "-Xmx1g -XX:+UseG1GC")));
        assertEquals(List.of(), options(Map.of("JDK_JAVA_OPTIONS", "-XX:+UseZGC")));
        assertEquals(List.of(), options(Map.of("JAVA_TOOL_OPTIONS", "-XX:+UseSerialGC")));
    }

    @Test
    void theRunningCollectorsHaveNames() {
        assertFalse(JvmOptions.collectors().isBlank(), "what vnet bench records as the machine's gc");
    }
}
