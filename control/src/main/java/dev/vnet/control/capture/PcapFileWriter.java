package dev.vnet.control.capture;

import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.IOException;
import java.sql.Timestamp;
import java.util.Arrays;

/**
 * Classic pcap written by libpcap's dumper (through pcap4j), so it is exactly what tcpdump writes. It has no room for
 * ports, directions or comments: those are dropped.
 */
public final class PcapFileWriter implements FrameFileWriter {
    private static final int FILE_HEADER = 24;
    private static final int RECORD_HEADER = 16;

    private final String path;
    private final PcapHandle dead;
    private final PcapDumper dumper;
    private final int snapLength;
    private long bytes = FILE_HEADER;

    /** Creates (or truncates) {@code path}; "-" is standard output, as for libpcap. */
    public PcapFileWriter(String path, int snapLength) throws IOException {
        this.path = path;
        this.snapLength = snapLength;
        try {
            dead = Pcaps.openDead(DataLinkType.EN10MB, snapLength);
        } catch (PcapNativeException e) {
            throw new IOException("libpcap: " + e.getMessage(), e);
        }
        try {
            dumper = dead.dumpOpen(path);
        } catch (PcapNativeException | NotOpenException e) {
            dead.close();
            throw new IOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void frame(String port, int direction, long timeMicros, byte[] data, int length, int wire, String comment)
            throws IOException {
        Timestamp ts = new Timestamp(Math.floorDiv(timeMicros, 1000));
        ts.setNanos((int) Math.floorMod(timeMicros, 1_000_000) * 1000);
        int kept = Math.min(length, snapLength);
        try {
            dumper.dumpRaw(kept == data.length ? data : Arrays.copyOf(data, kept), ts);
        } catch (NotOpenException e) {
            throw new IOException("cannot write " + path + ": " + e.getMessage(), e);
        }
        bytes += RECORD_HEADER + kept;
    }

    @Override
    public void flush() throws IOException {
        try {
            dumper.flush();
        } catch (PcapNativeException | NotOpenException e) {
            throw new IOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        dumper.close();
        dead.close();
    }
}
