package dev.tern.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The served uart under a real guest: the 8250 driver's ttyS carries text both ways through {@code tern serve
 * --console unix:PATH}, completely, in order, at line rate; loopback behaves as a 16550's.
 */
class UartConsoleTest {

    /** 100 numbered lines, 5,400 bytes: more than 4 KiB. The guest script generates the same text. */
    private static final String TX = buildTx();
    /** What the host sends back once it has the guest's text: 2,048 bytes. */
    private static final String RX = buildRx();

    private static String buildTx() {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            sb.append(String.format("line %03d: the quick brown fox jumps over the lazy dog\n", i));
        }
        return sb.toString();
    }

    private static String buildRx() {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 2048; i++) {
            sb.append(String.format("host to guest %04d\n", i));
        }
        return sb.substring(0, 2048);
    }

    @Test
    void textCrossesTheSerialLineBothWaysCompletelyAndInOrderAndLoopbackIsA16550() throws Exception {
        final GuestRoot root = Guests.root();
        try (GuestVm vm = GuestVm.create(root);
                TernServe uart = TernServe.start(vm.file("uart.sock"), "--device", "uart", "--console",
                        "unix:" + vm.file("console.sock"))) {
            final CompletableFuture<byte[]> host = CompletableFuture.supplyAsync(() -> farEnd(vm.file(
                    "console.sock")));
            vm.vfioUser(vm.file("uart.sock"));
            final GuestRun run = vm.boot(Guests.LIB + """
                    d=$(tern_dev 0x0001)
                    tty=$(tty_of $d) || { echo "no ttyS for $d"; exit 1; }
                    base=$(( $(cut -d' ' -f1 $d/resource | head -1) ))
                    stty -F $tty 115200 raw -echo -ixon || exit 1
                    i=0; while [ $i -lt 100 ]; do
                      printf 'line %03d: the quick brown fox jumps over the lazy dog\\n' $i
                      i=$((i + 1)); done > /tmp/tx
                    (timeout 120 head -c 2048 $tty > /tmp/rx) &
                    reader=$!
                    sleep 1
                    t0=$(cut -d' ' -f1 /proc/uptime)
                    cat /tmp/tx > $tty
                    t1=$(cut -d' ' -f1 /proc/uptime)
                    echo "tx_bytes=$(wc -c < /tmp/tx) tx_seconds=$(echo $t0 $t1 | awk '{print $2 - $1}')"
                    wait $reader
                    echo "rx_bytes=$(wc -c < /tmp/rx) rx_md5=$(md5sum < /tmp/rx | cut -d' ' -f1)"
                    port() { dd if=/dev/port bs=1 skip=$((base + $1)) count=1 2>/dev/null | od -An -tx1 | tr -d ' '; }
                    setport() { printf "\\\\$(printf %o $2)" | dd of=/dev/port bs=1 seek=$((base + $1)) count=1 \\
                        2>/dev/null; }
                    setport 4 0x10; echo "msr_loop=$(port 6)"
                    setport 4 0x1a; echo "msr_rts_out2=$(port 6)"
                    setport 4 0x15; echo "msr_dtr_out1=$(port 6)"
                    setport 0 0x5a; echo "loop_lsr=$(port 5) loop_rbr=$(port 0)"
                    setport 4 0x0b; echo "msr_normal=$(port 6)"
                    """, Guests.BOOT_DEADLINE);

            assertThat(run.exitCode()).as(run.describe()).contains(0);
            uart.close();
            final byte[] seen = host.get(30, TimeUnit.SECONDS);
            assertThat(new String(seen, StandardCharsets.US_ASCII)).as("host side of the uart; " + run.describe())
                    .isEqualTo(TX);
            assertThat(run.value("tx_bytes")).as(run.describe()).hasValueSatisfying(v -> assertThat(v).startsWith(
                    TX.length() + " "));
            final double txSeconds = Double.parseDouble(run.value("tx_bytes").orElseThrow().replaceAll(".*=", ""));
            System.err.printf("tern-it: guest wrote %d bytes to its ttyS in %.2f s (line rate: %.2f s)%n",
                    TX.length(), txSeconds, TX.length() / 11_520.0);
            assertThat(txSeconds).as("no closing_wait stall (30 s)").isLessThan(25);
            assertThat(run.value("rx_bytes")).as(run.describe()).contains("2048 rx_md5=" + md5(RX));
            assertThat(run.value("msr_loop")).as("MSR with MCR=0x10").contains("00");
            assertThat(run.value("msr_rts_out2")).as("RTS->CTS, OUT2->DCD").contains("90");
            assertThat(run.value("msr_dtr_out1")).as("DTR->DSR, OUT1->RI").contains("60");
            assertThat(run.value("loop_lsr")).as("loopback: THR to RBR").contains("61 loop_rbr=5a");
            assertThat(run.value("msr_normal")).as("far end: CTS, DSR, DCD").contains("b0");
            GuestAssertions.noErrors(run, uart);
        }
    }

    /** The host side: collects the guest's text and, once all of it arrived, answers with {@link #RX}. */
    private static byte[] farEnd(final Path socket) {
        final ByteArrayOutputStream seen = new ByteArrayOutputStream();
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            final ByteBuffer buf = ByteBuffer.allocate(4096);
            boolean answered = false;
            while (c.read(buf.clear()) >= 0) {
                seen.write(buf.array(), 0, buf.position());
                if (!answered && seen.size() >= TX.length()) {
                    c.write(ByteBuffer.wrap(RX.getBytes(StandardCharsets.US_ASCII)));
                    answered = true;
                }
            }
        } catch (final IOException e) {
            System.err.println("tern-it: console connection ended: " + e);
        }
        return seen.toByteArray();
    }

    private static String md5(final String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(
                StandardCharsets.US_ASCII)));
    }

    /** What the README shows: {@code tern serve --console stdio}, and typing into a shell on the guest's port. */
    @Test
    void aPersonTypesIntoAGuestShellThroughStdio() throws Exception {
        final GuestRoot root = Guests.root();
        try (GuestVm vm = GuestVm.create(root);
                TernServe uart = TernServe.start(vm.file("uart.sock"), "--device", "uart", "--console", "stdio")) {
            final CompletableFuture<Void> person = CompletableFuture.runAsync(() -> typeAtThePrompt(uart));
            vm.vfioUser(vm.file("uart.sock"));
            final GuestRun run = vm.boot(Guests.LIB + """
                    tty=$(tty_of $(tern_dev 0x0001)) || exit 1
                    setsid sh -c "exec sh -i <$tty >$tty 2>&1" &
                    i=0; while [ ! -s /tmp/done ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
                    echo "done=$(cat /tmp/done)"
                    """, Guests.BOOT_DEADLINE);
            person.get(30, TimeUnit.SECONDS);
            assertThat(run.exitCode()).as(run.describe()).contains(0);
            assertThat(run.value("done")).as(run.describe()).contains("ok");
            assertThat(uart.stdout()).as("the shell's answer on tern serve's stdout").contains("typed-42");
            GuestAssertions.noErrors(run, uart);
        }
    }

    /** Waits (at most 4 minutes) for the guest shell's prompt on stdout, then types a command line. */
    private static void typeAtThePrompt(final TernServe uart) {
        final long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        try {
            while (!uart.stdout().contains("# ") && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            uart.type("echo typed-$((6 * 7)); echo ok > /tmp/done\n");
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
