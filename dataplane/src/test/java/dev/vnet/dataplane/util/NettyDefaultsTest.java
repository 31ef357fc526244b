package dev.vnet.dataplane.util;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Netty settings vnet runs with, and the user's own settings winning over them. */
class NettyDefaultsTest {
    @Test
    void unsetPropertiesGetVnetsSettings() {
        Properties p = new Properties();
        NettyDefaults.apply(p);
        assertEquals("disabled", p.getProperty(NettyDefaults.LEAK_DETECTION));
        assertEquals("false", p.getProperty(NettyDefaults.CHECK_ACCESSIBLE));
        assertEquals("-D" + NettyDefaults.LEAK_DETECTION + "=disabled", NettyDefaults.LEAK_DETECTION_ARG,
                "the benchmarks' JVM argument says the same");
        assertEquals("-D" + NettyDefaults.CHECK_ACCESSIBLE + "=false", NettyDefaults.CHECK_ACCESSIBLE_ARG);
    }

    @Test
    void whatTheUserSetIsKept() {
        Properties p = new Properties();
        p.setProperty(NettyDefaults.LEAK_DETECTION, "paranoid");
        p.setProperty(NettyDefaults.CHECK_ACCESSIBLE, "true");
        NettyDefaults.apply(p);
        assertEquals("paranoid", p.getProperty(NettyDefaults.LEAK_DETECTION));
        assertEquals("true", p.getProperty(NettyDefaults.CHECK_ACCESSIBLE));
    }
}
