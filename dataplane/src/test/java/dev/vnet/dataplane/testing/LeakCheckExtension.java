package dev.vnet.dataplane.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails every test class after which a buffer leak has been reported, whether or not the class checks for leaks
 * itself: registered for all tests through JUnit's extension autodetection (the services file in the test
 * resources, switched on in the surefire configuration), so no leak anywhere in a run goes unseen. The leaks are
 * pinned on the class that was running when the collector found them.
 */
public final class LeakCheckExtension implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        LeakCheck.assertNoLeaks();
    }
}
