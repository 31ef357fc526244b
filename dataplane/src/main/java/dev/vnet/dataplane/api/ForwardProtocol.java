package dev.vnet.dataplane.api;

import java.util.List;
import java.util.Locale;

/** What a port forward takes: TCP, UDP, or both (a pair of rules), as Docker's {@code -p 80:80/tcp}. */
public enum ForwardProtocol {
    /** TCP only. */
    TCP(List.of(6)),
    /** UDP only. */
    UDP(List.of(17)),
    /** TCP and UDP: one rule each. */
    BOTH(List.of(6, 17));

    private final List<Integer> numbers;

    ForwardProtocol(List<Integer> numbers) {
        this.numbers = numbers;
    }

    /** The IP protocol numbers it stands for. */
    public List<Integer> numbers() {
        return numbers;
    }

    /** Parses "tcp", "udp" or "both" (any case); the message names the bad value. */
    public static ForwardProtocol parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("protocol '" + text + "' is not tcp, udp or both");
        }
    }

    /** As written in topology files and the API: "tcp", "udp" or "both". */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
