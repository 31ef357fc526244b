package dev.vnet.dataplane.wire;

/**
 * Known frames, as hex, with checksums computed by an implementation independent of vnet's (a short Python script
 * over RFC 1071's definition), so the Java code is checked against bytes it did not produce.
 * MACs: 02:00:00:00:00:01 to 02:00:00:00:00:02; addresses 192.168.15.1 to 192.168.15.2.
 */
final class WireVectors {
    /** UDP 5000 -> 8080, payload "hello", DF, id 0x1234, TTL 64. */
    static final String UDP = "0200000000020200000000010800450000211234400040118944c0a80f01c0a80f02"
            + "13881f90000de99568656c6c6f";
    /** TCP SYN 40000 -> 80, seq 1000, window 65535, DF, id 0x4321. */
    static final String TCP_SYN = "020000000002020000000001080045000028432140004006585bc0a80f01c0a80f02"
            + "9c400050000003e8000000005002ffff70160000";
    /** ICMP echo request id 0x0abc seq 1, payload "abcdefgh", id 1, no DF. */
    static final String ICMP_ECHO = "020000000002020000000001080045000024000100004001db84c0a80f01c0a80f02"
            + "08005bad0abc00016162636465666768";
    /** {@link #UDP} with its source rewritten to 192.168.1.2:61000, checksums computed from scratch. */
    static final String UDP_SNAT = "0200000000020200000000010800450000211234400040119743c0a80102c0a80f02"
            + "ee481f90000d1cd468656c6c6f";
    /** {@link #TCP_SYN} with its destination rewritten to 10.0.0.9:8080, checksums computed from scratch. */
    static final String TCP_DNAT = "0200000000020200000000010800450000284321400040061dfdc0a80f010a000009"
            + "9c401f90000003e8000000005002ffff16780000";
    /** ARP request: who has 192.168.15.2, tell 192.168.15.1 (02:00:00:00:00:01). */
    static final String ARP_REQUEST = "ffffffffffff0200000000010806"
            + "0001080006040001020000000001c0a80f01000000000000c0a80f02";
    /** The IPv4 header of RFC-style textbook fame: checksum 0xb861. */
    static final String IPV4_HEADER_B861 = "450000730000400040110000c0a80001c0a800c7";

    private WireVectors() {
    }
}
