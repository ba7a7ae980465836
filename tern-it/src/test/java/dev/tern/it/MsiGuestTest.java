package dev.tern.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * MSI through the capability list: the guest programs the dma-engine's MSI capability (no Linux driver binds this
 * device, so the script plays the driver: address 0xFEE00000 = CPU 0's local APIC, data = vector 0x66, enable), QEMU
 * enables the MSI IRQ index on Tern and each completion interrupt arrives at the guest's CPU as vector 0x66, which
 * Linux 6.12 reports as "No irq handler for 0.102" (nothing claimed it). Masked (per-vector mask bit) it is held back;
 * unmasked, the pending one is delivered.
 */
class MsiGuestTest {

    private static final String SCRIPT = Guests.LIB + Guests.DMA_LIB + """
            count() { dmesg | grep -c 'No irq handler for 0.102' ; }
            upto() { i=0; while [ $(count) -lt $1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; count; }
            cfg_write $d 4 2 0x0406
            cfg_write $d 0x4c 4 0xfee00000; cfg_write $d 0x50 4 0; cfg_write $d 0x54 2 0x0066
            cfg_write $d 0x4a 2 0x0001
            echo "msi_control=$(cfg_read $d 0x4a 2)"
            echo "before=$(count)"
            setreg 0x10 $S; setreg 0x18 16; setreg 0x08 3
            desc 0 0x1000 0x2000; setreg 0x28 1; await 0x30 1
            echo "delivered=$(upto 1)"
            cfg_write $d 0x58 4 1
            desc 1 0x1000 0x2000; setreg 0x28 2; await 0x30 2; sleep 1
            echo "masked=$(count)"
            cfg_write $d 0x58 4 0
            echo "unmasked=$(upto 2)"
            dmesg | grep 'No irq handler' | head -1 | sed 's/^.*] /line=/'
            """;

    @Test
    void completionInterruptsArriveAsMsiAndTheMaskBitHoldsThemBack() throws Exception {
        final GuestRoot root = Guests.root();
        try (GuestVm vm = GuestVm.create(root);
                TernServe dma = TernServe.start(vm.file("dma.sock"), "--device", "dma-engine", "--memory", "1MiB")) {
            vm.vfioUser(vm.file("dma.sock")).kernelArgs(Guests.DMA_MEMMAP);
            final GuestRun run = vm.boot(SCRIPT, Guests.BOOT_DEADLINE);

            assertThat(run.exitCode()).as(run.describe()).contains(0);
            assertThat(run.value("msi_control")).as("MSI enable read back").contains("0x181");
            assertThat(run.value("before")).as(run.describe()).contains("0");
            assertThat(run.value("delivered")).as("one completion, one MSI; " + run.describe()).contains("1");
            assertThat(run.value("masked")).as("masked: held back; " + run.describe()).contains("1");
            assertThat(run.value("unmasked")).as("unmasked: the pending MSI; " + run.describe()).contains("2");
            GuestAssertions.noErrors(run, dma);
        }
    }
}
