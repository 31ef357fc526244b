package dev.vnet.control.cli;

import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@code ./vnet} runs scripts/install-deps.sh on every start: with everything installed (as after ./run-tests) it
 * must need no root and no network for a normal user, whose PATH lacks the sbin directories where ldconfig, ip and
 * nft live. It once looked for ldconfig by name there, found libpcap "missing" and ran sudo apt-get on every start.
 */
class InstallDepsAsUserTest {
    @Test
    void withEverythingInstalledANormalUserInstallsNothing() throws Exception {
        RootScenario.require("setpriv", "bash"); // root, to run the script as another user
        Path dir = Files.createTempDirectory("vnet-deps", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Path script = dir.resolve("install-deps.sh");
        try {
            Files.copy(Path.of("..", "scripts", "install-deps.sh"), script);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            Cmd.run(120, "bash", script.toString(), "--test").assertOk(); // as root: whatever is missing, installed
            Cmd.Result asUser = Cmd.run(60, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent", "bash", script.toString());
            assertEquals(0, asUser.exit(), "install-deps.sh as a normal user with everything present: " + asUser);
            assertFalse(asUser.err().contains("installing") || asUser.err().contains("apt-get"),
                    "it installed nothing and asked for no root: " + asUser);
        } finally {
            Files.deleteIfExists(script);
            Files.deleteIfExists(dir);
        }
    }
}
