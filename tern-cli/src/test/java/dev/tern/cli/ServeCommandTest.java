package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tern serve} in a child JVM, as a script runs it: it serves until its standard input ends. (In-process it
 * would read the test JVM's stdin, which belongs to the test runner.)
 */
@Timeout(60)
class ServeCommandTest {

    @TempDir
    Path dir;

    /** @return {@code tern ARGS} in a child JVM on this test's class path (the test resources' catalogue too) */
    static ProcessBuilder child(final String... args) {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Main.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    @Test
    void servesUntilStdinEndsThenRemovesTheSocket() throws Exception {
        final Path socket = dir.resolve("uart.sock");
        final Process p = child("serve", "--device", "uart", "--socket", socket.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8));
            final String first = out.readLine();
            assertThat(first).startsWith("tern: serving uart on " + socket + " (vfio-user 0.").contains("pid "
                    + p.pid());
            final Cli.Run info = Cli.run("info", "--socket", socket.toString());
            assertThat(info.code()).as(info.err()).isZero();
            assertThat(info.out()).contains("PCI 7e27:0001");
            p.getOutputStream().close();
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(Files.exists(socket)).isFalse();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void badArgumentsAreOneLineAndExitTwo() {
        final String socket = dir.resolve("x.sock").toString();
        for (final String[] args : List.of(new String[] {"serve", "--device", "toaster", "--socket", socket},
                new String[] {"serve", "--device", "dma-engine", "--memory", "1000", "--socket", socket},
                new String[] {"serve", "--device", "uart"},
                new String[] {"serve", "--device", "uart", "--socket", socket, "--handshake-timeout", "0"},
                new String[] {"serve", "--device", "uart", "--socket", socket, "--message-timeout", "99999"},
                new String[] {"serve", "--device", "uart", "--socket", dir.resolve("no/such/dir.sock").toString()},
                new String[] {"serve", "--device", "uart", "--socket", socket, "--log-level", "loud"},
                new String[] {"serve", "--device", "uart", "--socket", socket, "--console", "tty:/dev/ttyS0"},
                new String[] {"serve", "--device", "dma-engine", "--socket", socket, "--console", "stdio"})) {
            MigrateCommandTest.assertOneLineError(Cli.run(args), 2, "");
        }
    }

    @Test
    void uartOutputReachesTheUnixConsoleAndTheJsonLogHasOneObjectPerSessionEvent() throws Exception {
        final Path socket = dir.resolve("uart.sock");
        final Path console = dir.resolve("console.sock");
        final Path log = dir.resolve("serve.log");
        final Process p = child("serve", "--device", "uart", "--socket", socket.toString(), "--console",
                "unix:" + console, "--json-log").redirectError(log.toFile()).start();
        try (java.nio.channels.SocketChannel far = java.nio.channels.SocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            assertThat(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
                    .readLine()).startsWith("tern: serving uart");
            far.connect(java.net.UnixDomainSocketAddress.of(console));
            try (dev.tern.vfiouser.client.VfioUserClient c = dev.tern.vfiouser.client.VfioUserClient.connect(socket,
                    dev.tern.vfiouser.client.ClientOptions.defaults())) {
                c.writeRegion(7, 4, new byte[] {1, 0});                             // PCI command: I/O space
                for (final byte b : "hi\n".getBytes(StandardCharsets.US_ASCII)) {
                    c.writeRegion(0, 0, new byte[] {b});                         // THR, as the guest writes it
                }
            }
            final java.nio.ByteBuffer got = java.nio.ByteBuffer.allocate(3);
            while (got.hasRemaining() && far.read(got) >= 0) {
                // the line drains the FIFO within a few character times
            }
            assertThat(new String(got.array(), StandardCharsets.US_ASCII)).isEqualTo("hi\n");
            p.getOutputStream().close();
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            final List<String> lines = Files.readAllLines(log);
            assertThat(lines).isNotEmpty().allMatch(l -> l.startsWith("{\"time\":\"") && l.endsWith("\"}"));
            assertThat(lines).anyMatch(l -> l.contains("\"level\":\"INFO\"") && l.contains("uart: session starts"));
            assertThat(lines).anyMatch(l -> l.contains("uart: session ends"));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aPtyConsoleCarriesTheLineBothWays() throws Exception {
        final Path socket = dir.resolve("uart.sock");
        final Process p = child("serve", "--device", "uart", "--socket", socket.toString(), "--console", "pty")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(out.readLine()).startsWith("tern: serving uart");
            final String pty = out.readLine();
            assertThat(pty).startsWith("tern: uart console on pty:/dev/pts/");
            final Path slave = Path.of(pty.substring(pty.indexOf("pty:") + 4));
            try (java.io.FileInputStream in = new java.io.FileInputStream(slave.toFile());
                    java.io.FileOutputStream typed = new java.io.FileOutputStream(slave.toFile());
                    dev.tern.vfiouser.client.VfioUserClient c = dev.tern.vfiouser.client.VfioUserClient.connect(
                            socket, dev.tern.vfiouser.client.ClientOptions.defaults())) {
                c.writeRegion(7, 4, new byte[] {1, 0});                                 // PCI command: I/O space
                for (final byte b : "ok\n".getBytes(StandardCharsets.US_ASCII)) {
                    c.writeRegion(0, 0, new byte[] {b});                                 // THR
                }
                assertThat(in.readNBytes(3)).isEqualTo("ok\n".getBytes(StandardCharsets.US_ASCII));
                typed.write('x');
                typed.flush();
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while ((c.readRegion(0, 5, 1)[0] & 1) == 0) {                              // LSR.DR
                    assertThat(System.nanoTime()).as("typed byte reached RBR").isLessThan(deadline);
                    Thread.sleep(5);
                }
                assertThat(c.readRegion(0, 0, 1)).containsExactly('x');
            }
            p.getOutputStream().close();
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
    }
}
