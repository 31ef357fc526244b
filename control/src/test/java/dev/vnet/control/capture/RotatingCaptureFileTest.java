package dev.vnet.control.capture;

import dev.vnet.dataplane.trace.PcapngReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

import java.io.EOFException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Size-based rotation: names, how many files are kept, the bound, and every file complete on its own. */
class RotatingCaptureFileTest {
    @TempDir
    Path dir;

    private static byte[] frame(int n, int size) {
        byte[] f = new byte[size];
        f[size - 1] = (byte) n; // the frame's number, to check order
        return f;
    }

    private static List<Integer> pcapngNumbers(Path file) throws Exception {
        List<Integer> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            PcapngReader r = new PcapngReader(in);
            PcapngReader.Record rec;
            while ((rec = r.next()) != null) {
                out.add(rec.data()[rec.data().length - 1] & 0xff);
            }
        }
        return out;
    }

    @Test
    void aFullFileMovesToDotOneAndOnlyKeepFilesStay() throws Exception {
        Path file = dir.resolve("blue.pcapng");
        try (RotatingCaptureFile f = new RotatingCaptureFile(file, 5000, 3, 65535)) {
            for (int n = 1; n <= 20; n++) {
                f.frame("blue", 1, n * 1000L, frame(n, 1000), 1000, 1000, null);
            }
            assertTrue(f.rotations() >= 4, "20 kB through 5 kB files: " + f.rotations());
        }
        Path one = dir.resolve("blue.1.pcapng");
        Path two = dir.resolve("blue.2.pcapng");
        assertFalse(Files.exists(dir.resolve("blue.3.pcapng")));
        List<Integer> all = new ArrayList<>();
        for (Path p : List.of(two, one, file)) {
            assertTrue(Files.size(p) <= 5000, p + ": " + Files.size(p));
            all.addAll(pcapngNumbers(p));
        }
        // The newest frames, oldest file first, none repeated or out of order; the last one is 20.
        assertEquals(20, all.get(all.size() - 1));
        for (int i = 1; i < all.size(); i++) {
            assertEquals(all.get(i - 1) + 1, all.get(i), all.toString());
        }
    }

    @Test
    void classicPcapRotatesTooAndEachFileIsReadByLibpcap() throws Exception {
        Path file = dir.resolve("up.pcap");
        try (RotatingCaptureFile f = new RotatingCaptureFile(file, 4096, 2, 65535)) {
            for (int n = 1; n <= 10; n++) {
                f.frame("up", 2, n * 1000L, frame(n, 1000), 1000, 1000, null);
            }
        }
        int frames = 0;
        for (Path p : List.of(dir.resolve("up.1.pcap"), file)) {
            assertTrue(Files.size(p) <= 4096, p + ": " + Files.size(p));
            try (PcapHandle h = Pcaps.openOffline(p.toString())) {
                while (true) {
                    try {
                        h.getNextRawPacketEx();
                        frames++;
                    } catch (EOFException e) {
                        break;
                    }
                }
            }
        }
        // Three 1016-byte records fit a 4096-byte file after its 24-byte header: files of 3, 3, 3 and 1 frames, of
        // which the last two are kept.
        assertEquals(4, frames);
    }

    @Test
    void aFrameBiggerThanTheBoundGetsAFileOfItsOwnAndNoRotationMeansOneFile() throws Exception {
        Path file = dir.resolve("big");
        try (RotatingCaptureFile f = new RotatingCaptureFile(file, 4096, 2, 65535)) {
            f.frame("a", 1, 1, frame(1, 9000), 9000, 9000, null);
            f.frame("a", 1, 2, frame(2, 9000), 9000, 9000, null);
            assertEquals(1, f.rotations());
        }
        assertTrue(Files.exists(dir.resolve("big.1")), "no extension: the number goes at the end");
        Path once = dir.resolve("once.pcapng");
        try (RotatingCaptureFile f = new RotatingCaptureFile(once, 0, 5, 65535)) {
            for (int n = 1; n <= 50; n++) {
                f.frame("a", 1, n, frame(n, 1000), 1000, 1000, "dropped: ttl-exceeded");
            }
            assertEquals(0, f.rotations());
        }
        assertEquals(50, pcapngNumbers(once).size());
    }
}
