package dev.tern.it;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks every normal run makes: QEMU printed no error and no Tern server logged an error reply or failed DMA. */
final class GuestAssertions {

    private GuestAssertions() {
    }

    static void noErrors(final GuestRun run, final TernServe... servers) {
        assertThat(run.qemuStderr().lines().filter(l -> !l.isBlank()).toList()).as("QEMU stderr").isEmpty();
        for (final TernServe s : servers) {
            assertThat(s.log()).as("tern serve log").noneMatch(l -> l.contains("error reply")
                    || l.contains("DMA failed") || l.contains("WARN") || l.contains("ERROR"));
        }
    }
}
