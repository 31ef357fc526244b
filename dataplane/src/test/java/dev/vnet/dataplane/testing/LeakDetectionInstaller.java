package dev.vnet.dataplane.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs {@link LeakCheck}'s leak listener when the test JVM starts, before any test loads a {@code ByteBuf} class
 * (Netty creates the buffer leak detector once, when the class initialises).
 */
public final class LeakDetectionInstaller implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakCheck.install();
    }
}
