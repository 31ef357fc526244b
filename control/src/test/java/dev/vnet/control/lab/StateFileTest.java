package dev.vnet.control.lab;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateFileTest {
    @Test
    void recordsWhatWasCreatedAndForgetsWhatWasRemoved(@TempDir Path dir) throws Exception {
        StateFile s = new StateFile(dir.resolve("run"));
        assertFalse(s.exists());
        s.create(4242);
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> s.create(1), "one record at a time");
        s.recordNamespace("red");
        s.recordNamespace("blue");
        s.recordNamespace("green");
        s.forgetNamespace("blue");
        StateFile.Record r = s.read();
        assertEquals(4242, r.pid());
        assertEquals(List.of("red", "green"), r.namespaces());
        assertFalse(r.ownerAlive(), "pid 4242 is not this test's");
        assertTrue(new StateFile.Record(ProcessHandle.current().pid(), List.of()).ownerAlive());
        s.delete();
        assertFalse(s.exists());
    }
}
