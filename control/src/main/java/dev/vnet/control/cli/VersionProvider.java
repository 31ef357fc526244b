package dev.vnet.control.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Reports the version the build stamped into {@code dev/vnet/control/version.properties} (the project's version in
 * pom.xml), with the Java runtime it runs on.
 */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"vnet " + version(), "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name")
                + ")"};
    }

    /** The version of this build. */
    static String version() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/dev/vnet/control/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        String v = p.getProperty("version", "");
        return v.isEmpty() || v.startsWith("${") ? "unknown (built without Maven's resource filtering)" : v;
    }
}
