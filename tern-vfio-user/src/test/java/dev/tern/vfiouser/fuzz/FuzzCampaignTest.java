package dev.tern.vfiouser.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The harness itself catches what it promises to: a throwable escaping a thread or logged by a guard, a slow input. */
class FuzzCampaignTest {
    @Test
    void escapedAndLoggedThrowablesAndSlowInputsAreFailures() throws Exception {
        final FuzzCampaign.Figures f = FuzzCampaign.run("self-test", 3, Duration.ofSeconds(1), i -> {
            switch ((int) i) {
                case 0 -> Thread.ofPlatform().start(() -> {
                    throw new IllegalStateException("escaped");
                }).join();
                case 1 -> System.getLogger("dev.tern.vfiouser.server.X").log(System.Logger.Level.WARNING,
                        "handling failed", new IllegalArgumentException("guarded"));
                default -> Thread.sleep(1100);
            }
            return 1;
        });
        assertThat(f.inputs()).isEqualTo(3);
        assertThat(f.failures()).hasSize(3);
        assertThat(String.join("\n", f.failures())).contains("escaped", "guarded", "deadline");
    }
}
