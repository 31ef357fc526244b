package dev.vnet.control.replay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.Map;

/** What left each port during a replay, as one classic pcap file per port (PORT.pcap, ':' made '_'), or nothing. */
final class PortOutputs implements AutoCloseable {
    private static final int SNAP_LENGTH = 65535;

    private final Path dir;
    private final Map<String, PcapDumper> dumpers = new LinkedHashMap<>();
    private PcapHandle dead;

    /** Writes under {@code dir}, or nowhere when it is null. */
    PortOutputs(Path dir) {
        this.dir = dir;
    }

    /** Appends {@code frame}, stamped {@code timeMicros}, to {@code port}'s file. */
    void write(String port, ByteBuf frame, long timeMicros) throws IOException {
        if (dir == null) {
            return;
        }
        try {
            PcapDumper d = dumpers.get(port);
            if (d == null) {
                Files.createDirectories(dir);
                if (dead == null) {
                    dead = Pcaps.openDead(DataLinkType.EN10MB, SNAP_LENGTH);
                }
                d = dead.dumpOpen(dir.resolve(fileName(port)).toString());
                dumpers.put(port, d);
            }
            Timestamp ts = new Timestamp(timeMicros / 1000);
            ts.setNanos((int) (timeMicros % 1_000_000) * 1000);
            d.dumpRaw(ByteBufUtil.getBytes(frame), ts);
        } catch (PcapNativeException | NotOpenException e) {
            throw new IOException("cannot write " + dir.resolve(fileName(port)) + ": " + e.getMessage(), e);
        }
    }

    /** The file a port's frames go to. */
    static String fileName(String port) {
        return port.replace(':', '_').replace('/', '_') + ".pcap";
    }

    @Override
    public void close() throws IOException {
        for (PcapDumper d : dumpers.values()) {
            d.close();
        }
        dumpers.clear();
        if (dead != null) {
            dead.close();
            dead = null;
        }
    }
}
