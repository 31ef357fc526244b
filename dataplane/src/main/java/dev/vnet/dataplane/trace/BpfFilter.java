package dev.vnet.dataplane.trace;

import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A tcpdump filter expression ({@code "tcp port 80 and host 192.168.15.2"}) compiled by libpcap through pcap4j for
 * Ethernet frames, and run by libpcap's {@code bpf_filter} on each frame a capture sees.
 */
public final class BpfFilter implements CaptureFilter {
    private final BpfProgram program;
    private final String expression;

    private BpfFilter(BpfProgram program, String expression) {
        this.program = program;
        this.expression = expression;
    }

    /**
     * Compiles {@code expression}; a blank one matches everything. The message of the exception is libpcap's, naming
     * what it could not parse.
     */
    public static CaptureFilter compile(String expression) {
        if (expression == null || expression.isBlank()) {
            return ALL;
        }
        try {
            // PCAP_NETMASK_UNKNOWN: filters that need the netmask ("ip broadcast") are refused by libpcap.
            Inet4Address unknownMask = (Inet4Address) InetAddress.getByAddress(new byte[] {-1, -1, -1, -1});
            return new BpfFilter(Pcaps.compileFilter(65_535, DataLinkType.EN10MB, expression,
                    BpfProgram.BpfCompileMode.OPTIMIZE, unknownMask), expression);
        } catch (PcapNativeException e) {
            throw new IllegalArgumentException("filter '" + expression + "': " + e.getMessage(), e);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new IllegalStateException("filters need libpcap (apt-get install libpcap0.8): " + e.getMessage(), e);
        }
    }

    @Override
    public boolean matches(byte[] frame, int length, int originalLength) {
        return program.applyFilter(frame, originalLength, length);
    }

    @Override
    public void free() {
        program.free();
    }

    @Override
    public String toString() {
        return expression;
    }
}
