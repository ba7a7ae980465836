package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vmm.GuestMemory;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The end-to-end proof that verification exists for: a guest page written during pre-copy whose dirty bit is lost
 * is not resent, and no CRC on the wire can see that; the memory digests must. Over loopback TCP.
 */
class MissedDirtyPageTest {

    private static final long MIB = 1 << 20;
    private static final MigrationOptions OPTIONS = MigrationOptions.DEFAULT.withTimeout(Duration.ofSeconds(10));
    private static final long PAGE = 1234L * GuestMemory.PAGE;

    @ParameterizedTest(name = "dirty bit lost: {0}")
    @ValueSource(booleans = {true, false})
    void aPageWrittenAfterItWasSentWithoutItsDirtyBitFailsVerification(final boolean lost) throws Exception {
        try (MigrationRig rig = new MigrationRig(4 * MIB, 8 * MIB, 4 * MIB)) {
            final CompletableFuture<DestinationMigration.Result> dest = rig.receive(OPTIONS, p -> { });
            final SourceMigration m = new SourceMigration(rig.source, rig.sourceMemory, SourceMigration.Guest.NONE,
                    OPTIONS, MigrationClock.SYSTEM);
            final StringBuilder progress = new StringBuilder();
            m.onProgress(line -> progress.append(line).append('\n'));
            m.onPhase(p -> {
                if (p == Phase.P2P) {
                    // After the last pre-copy round sent the page: the guest writes it once more.
                    rig.sourceMemory.segment().set(ValueLayout.JAVA_LONG, PAGE + 64, 0xBAD_D1A7L);
                    if (!lost) {
                        rig.sourceMemory.markDirty(PAGE, GuestMemory.PAGE);
                    }
                }
            });
            final MigrationReport report = m.migrate(rig.listener.address(), Optional.empty());
            dest.get(10, TimeUnit.SECONDS);
            final long landed = rig.destMemory.segment().get(ValueLayout.JAVA_LONG, PAGE + 64);
            if (lost) {
                assertThat(landed).isNotEqualTo(0xBAD_D1A7L);
                assertThat(report.verified()).isFalse();
                assertThat(report.verification().memory().status()).isEqualTo(Verification.Status.MISMATCH);
                assertThat(progress).contains("VERIFICATION FAILED: guest memory");
                assertThat(report.toJson()).contains("\"verified\":false");
            } else {
                assertThat(landed).isEqualTo(0xBAD_D1A7L);
                assertThat(report.verified()).isTrue();
            }
        }
    }
}
