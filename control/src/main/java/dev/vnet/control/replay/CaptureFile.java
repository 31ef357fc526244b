package dev.vnet.control.replay;

import dev.vnet.dataplane.trace.PcapngReader;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeoutException;

/**
 * A capture file to replay, read frame by frame: pcapng (as {@code vnet trace} writes it, with port names and
 * directions) through vnet's reader, classic pcap through libpcap (pcap4j). Ethernet captures only.
 */
public abstract class CaptureFile implements AutoCloseable {
    /**
     * One frame: when, its bytes, and (pcapng only) the port it was captured on, its direction and its comment (a
     * drop record's reason), else null/0/null.
     */
    public record Frame(long timeMicros, byte[] data, String port, int direction, String comment) {
    }

    /** The next frame, or null at the end. */
    public abstract Frame next() throws IOException;

    /** True when frames say which port they were captured on (pcapng). */
    public abstract boolean namesPorts();

    @Override
    public abstract void close() throws IOException;

    /** Opens {@code path}, telling pcapng from pcap by its first four bytes. */
    public static CaptureFile open(Path path) throws IOException {
        return isPcapng(path) ? new Pcapng(path) : new Pcap(path);
    }

    /** True when {@code path} starts with pcapng's section header (its frames then name their ports). */
    public static boolean isPcapng(Path path) throws IOException {
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            if (in.readNBytes(magic, 0, 4) < 4) {
                throw new IOException(path + " is not a capture file (shorter than a header)");
            }
        }
        return magic[0] == 0x0a && magic[1] == 0x0d && magic[2] == 0x0d && magic[3] == 0x0a;
    }

    private static final class Pcapng extends CaptureFile {
        private final InputStream in;
        private final PcapngReader reader;

        Pcapng(Path path) throws IOException {
            this.in = new BufferedInputStream(Files.newInputStream(path));
            this.reader = new PcapngReader(in);
        }

        @Override
        public Frame next() throws IOException {
            PcapngReader.Record r = reader.next();
            return r == null ? null : new Frame(r.timeMicros(), r.data(), r.port(), r.direction(), r.comment());
        }

        @Override
        public boolean namesPorts() {
            return true;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static final class Pcap extends CaptureFile {
        private final Path path;
        private final PcapHandle handle;

        Pcap(Path path) throws IOException {
            this.path = path;
            try {
                handle = Pcaps.openOffline(path.toString(), PcapHandle.TimestampPrecision.MICRO);
            } catch (PcapNativeException e) {
                throw new IOException(path + " is not a pcap file libpcap can read: " + e.getMessage(), e);
            }
            if (!DataLinkType.EN10MB.equals(handle.getDlt())) {
                String dlt = handle.getDlt().toString();
                handle.close();
                throw new IOException(path + " holds " + dlt + " frames; vnet replays Ethernet (EN10MB) captures");
            }
        }

        @Override
        public Frame next() throws IOException {
            try {
                byte[] data = handle.getNextRawPacketEx();
                java.sql.Timestamp ts = handle.getTimestamp();
                long micros = ts.getTime() / 1000 * 1_000_000 + ts.getNanos() / 1000;
                return new Frame(micros, data, null, 0, null);
            } catch (EOFException e) {
                return null;
            } catch (PcapNativeException | NotOpenException | TimeoutException e) {
                throw new IOException("cannot read " + path + ": " + e.getMessage(), e);
            }
        }

        @Override
        public boolean namesPorts() {
            return false;
        }

        @Override
        public void close() {
            handle.close();
        }
    }
}
