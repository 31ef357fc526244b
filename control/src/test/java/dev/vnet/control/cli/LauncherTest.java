package dev.vnet.control.cli;

import dev.vnet.dataplane.util.JvmOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The {@code vnet} launcher starts the JVM with the options the benchmarks measure with. */
class LauncherTest {
    @Test
    void theLauncherRunsTheJarWithTheBenchmarkedCollector() throws Exception {
        List<String> runs = Files.readAllLines(Path.of("..", "vnet")).stream()
                .filter(l -> l.startsWith("exec java ")).toList();
        assertEquals(List.of("exec java " + JvmOptions.GC + " -jar \"$jar\" \"$@\""), runs);
    }

    @Test
    void theRunningCollectorsHaveNames() {
        assertFalse(JvmOptions.collectors().isBlank(), "what vnet bench records as the machine's gc");
    }
}
