package dev.tern.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.samples.SampleIds;
import org.junit.jupiter.api.Test;

/** A Linux guest under QEMU enumerates Tern's served devices as PCI functions with the right identity and BARs. */
class PciEnumerationTest {

    @Test
    void guestSeesBothDevicesAndTheSerialDriverBindsTheUartAs16550A() throws Exception {
        final GuestRoot root = Guests.root();
        try (GuestVm vm = GuestVm.create(root);
                TernServe uart = TernServe.start(vm.file("uart.sock"), "--device", "uart");
                TernServe dma = TernServe.start(vm.file("dma.sock"), "--device", "dma-engine", "--memory", "1MiB")) {
            vm.vfioUser(vm.file("uart.sock")).vfioUser(vm.file("dma.sock"));
            final GuestRun run = vm.boot(Guests.LIB + """
                    for id in 0x0001 0x0002; do
                      d=$(tern_dev $id) || { echo "missing=$id"; continue; }
                      echo "dev$id=$(cat $d/class) bar0=$(bar_size $d 0) bar1=$(bar_size $d 1) \\
                    driver=$(basename "$(readlink $d/driver)")"
                    done
                    grep -o 'uart:[^ ]* port:[0-9A-F]*' /proc/tty/driver/serial | sed 's/^/serial=/'
                    d=$(tern_dev 0x0001)
                    echo "uart_port=$(printf '%08X' $(( $(cat $d/resource | head -1 | cut -d' ' -f1) )))"
                    """, Guests.BOOT_DEADLINE);

            assertThat(run.exitCode()).as(run.describe()).contains(0);
            assertThat(run.value("dev0x0001")).as(run.describe())
                    .contains("0x%06x bar0=8 bar1=0 driver=serial".formatted(SampleIds.CLASS_SERIAL_16550));
            assertThat(run.value("dev0x0002")).as(run.describe())
                    .contains("0x%06x bar0=4096 bar1=0 driver=".formatted(SampleIds.CLASS_SYSTEM_OTHER));
            final String port = run.value("uart_port").orElseThrow();
            assertThat(run.values("serial")).as(run.describe()).contains("uart:16550A port:" + port);
            GuestAssertions.noErrors(run, uart, dma);
            uart.close();
            dma.close();
            assertThat(uart.log()).as("one INFO line per session start and end").anyMatch(l -> l.contains(
                    "INFO uart: session starts")).anyMatch(l -> l.contains("INFO uart: session ends"));
        }
    }
}
