package dev.vnet.control.bench;

import dev.vnet.control.netns.IpRoute2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The namespaces one of the benchmark's networks made (or adopted from a vnet it started), removed together by
 * {@link #close}, newest first: what a network deletes at the end, on failure while it is built, and when the
 * benchmark is interrupted (so every method may run from the interruption hook too).
 */
final class BenchNamespaces implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BenchNamespaces.class);

    private final IpRoute2 iproute2 = new IpRoute2();
    private final List<String> created = new ArrayList<>();

    /** Runs {@code ip ARGS}. */
    void ip(String... args) throws IOException {
        iproute2.run(args);
    }

    /** Creates namespace {@code ns} with its loopback up, and records it. */
    void add(String ns) throws IOException {
        ip("netns", "add", ns);
        adopt(ns);
        ip("-n", ns, "link", "set", "lo", "up");
    }

    /** Records {@code ns}, made by someone else (a vnet on a host), to remove it if it is still there. */
    synchronized void adopt(String ns) {
        created.add(ns);
    }

    /** Deletes the namespaces recorded, newest first, those already gone skipped; safe to call twice. */
    @Override
    public synchronized void close() {
        for (int i = created.size() - 1; i >= 0; i--) {
            String ns = created.get(i);
            if (!iproute2.namespaceExists(ns)) {
                continue;
            }
            try {
                ip("netns", "delete", ns);
            } catch (IOException e) {
                log.warn("cleanup: {}", e.getMessage());
            }
        }
        created.clear();
    }
}
