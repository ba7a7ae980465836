package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import dev.tern.vfiouser.testing.LibvfioUserRelay;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tern migrate} / {@code tern receive} between servers that behave as libvfio-user does (no Tern extension:
 * {@link LibvfioUserRelay}). The device state arrives; it is compared here through the Tern servers behind the
 * relays.
 */
@Timeout(60)
class LibvfioUserMigrateTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void stopCopyWithoutVerificationMigratesTheDevice() throws Exception {
        final Cli.Run migrate = migrate("--no-precopy", "--no-verify");
        assertThat(migrate.out()).contains("stop-copy 8.0 MiB");
    }

    /**
     * Issue 8's "done when": default options (pre-copy, --verify auto) against libvfio-user-like servers complete;
     * the devices are reported not verifiable rather than failing.
     */
    @Test
    void defaultOptionsMigrateAndSayWhatWasNotVerifiable() throws Exception {
        final Cli.Run migrate = migrate();
        assertThat(migrate.out()).containsPattern("src\\.sock +pci 7e27:0002 pre-copy [1-9]")
                .contains("not verifiable");
    }

    /** Migrates a mutated dma-engine between two relays and compares the states through the servers behind them. */
    private Cli.Run migrate(final String... options) throws Exception {
        try (TestServers servers = new TestServers(dir)) {
            final Path srcTern = servers.dmaEngine("src-tern.sock", 4L << 20);
            final Path dstTern = servers.dmaEngine("dst-tern.sock", 0);
            final Cli.Run migrate;
            try (LibvfioUserRelay src = LibvfioUserRelay.start(dir.resolve("src.sock"), srcTern);
                    LibvfioUserRelay dst = LibvfioUserRelay.start(dir.resolve("dst.sock"), dstTern)) {
                mutate(srcTern, dstTern);
                final Cli.Background receive = Cli.start("receive", "--listen", "127.0.0.1:0", "--socket",
                        dst.path().toString(), "--guest-memory", "4MiB");
                final int port = receive.listeningPort(WAIT);
                final List<String> args = new ArrayList<>(List.of("migrate", "--to", "127.0.0.1:" + port,
                        "--socket", src.path().toString(), "--guest-memory", "4MiB"));
                args.addAll(List.of(options));
                migrate = Cli.run(args.toArray(String[]::new));
                final Cli.Run received = receive.await(WAIT);
                assertThat(migrate.code()).as(migrate.err() + migrate.out()).isZero();
                assertThat(received.code()).as(received.err()).isZero();
                assertThat(received.out()).containsPattern("dst\\.sock +pci 7e27:0002 +RUNNING");
            }
            try (VfioUserMigrationTarget s = TestServers.open(srcTern); VfioUserMigrationTarget d =
                    TestServers.open(dstTern)) {
                assertThat(d.state()).isEqualTo(MigrationState.RUNNING);
                assertThat(s.state()).isEqualTo(MigrationState.STOP);
                assertThat(d.checksum()).isEqualTo(s.checksum());
            }
            return migrate;
        }
    }

    /**
     * Lets the source's workload mutate it (MUTATED at 0x58 > 0), then stops it (RATE at 0x48 = 0), so its state
     * differs from the fresh destination's and stays still.
     */
    private static void mutate(final Path srcTern, final Path dstTern) throws Exception {
        try (VfioUserMigrationTarget t = TestServers.open(srcTern); VfioUserMigrationTarget d =
                TestServers.open(dstTern)) {
            final long deadline = System.nanoTime() + WAIT.toNanos();
            t.client().writeRegion(7, 4, new byte[] {2, 0});                     // PCI command: memory space
            while (ByteBuffer.wrap(t.client().readRegion(0, 0x58, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong() == 0) {
                assertThat(System.nanoTime()).as("the dma-engine workload never ran").isLessThan(deadline);
                Thread.sleep(10);
            }
            t.client().writeRegion(0, 0x48, new byte[8]);
            assertThat(d.checksum()).isNotEqualTo(t.checksum());
        }
    }
}
