package dev.tern.guide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.conformance.CheckResult;
import dev.tern.conformance.ConformanceKit;
import dev.tern.conformance.Subject;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.cli.SocketSubject;
import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.VfioUserServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guide's device passes the conformance kit, in-process and behind two vfio-user servers. */
class CrcConformanceTest {
    @TempDir
    Path dir;

    @Test
    void passesTheKitInProcess() {
        // tag::conformance[]
        final List<CheckResult> results = ConformanceKit.run(
                Subject.ofEngines("crc", () -> MigrationEngine.of(new CrcDevice())));
        assertThat(results).filteredOn(r -> !r.passed()).isEmpty();   // a failure prints as `tern check` does
        // end::conformance[]
        assertThat(results).filteredOn(r -> !r.skipped()).hasSizeGreaterThan(50);
    }

    @Test
    void passesTheKitOverVfioUser() throws Exception {
        try (VfioUserServer a = VfioUserServer.listen(dir.resolve("a.sock"), new CrcDevice(), ServerConfig.defaults()
                .withFaultInjection(true)).start();
                VfioUserServer b = VfioUserServer.listen(dir.resolve("b.sock"), new CrcDevice(),
                        ServerConfig.defaults().withFaultInjection(true)).start()) {
            final List<CheckResult> results = ConformanceKit.run(new SocketSubject(List.of(a.path(), b.path()),
                    ClientOptions.defaults().withReplyTimeout(Duration.ofSeconds(20))));
            assertThat(results).filteredOn(r -> !r.passed()).isEmpty();
            assertThat(results).filteredOn(r -> !r.skipped()).hasSizeGreaterThan(50);
        }
    }
}
