package dev.tern.it;

import java.io.IOException;
import java.time.Duration;

/** The guest root shared by the VM tests of one JVM (prepared once), and the shell helpers guest scripts use. */
final class Guests {

    /**
     * Per boot. A TCG boot to the script takes 4-25 s on a loaded 2-core machine (test-vm.md §2) and the scripts
     * add their own work; a hung guest is killed here.
     */
    static final Duration BOOT_DEADLINE = Duration.ofMinutes(5);

    /**
     * Shell functions for guest scripts: {@code tern_dev DEVICE_ID} prints the sysfs folder of the Tern device with
     * that id; {@code tty_of DEV} the serial port the 8250 driver made of it; {@code bar_size DEV N} the size of BAR N; {@code cfg_read DEV OFF WIDTH} / {@code cfg_write DEV OFF
     * WIDTH VALUE} access config space through sysfs (little-endian, as PCI).
     */
    static final String LIB = """
            tern_dev() { for d in /sys/bus/pci/devices/*; do
                [ "$(cat $d/vendor)" = 0x7e27 ] && [ "$(cat $d/device)" = "$1" ] && echo $d && return 0; done
                return 1; }
            tty_of() { p=$(readlink -f $1); for t in /sys/class/tty/ttyS*; do
                case "$(readlink -f $t/device)" in "$p"/*) echo /dev/${t##*/}; return 0;; esac; done
                return 1; }
            bar_size() { set -- $(sed -n "$(($2 + 1))p" $1/resource); [ $(($2)) = 0 ] && echo 0 || echo $(( $2 - $1 + 1 )); }
            bar_addr() { set -- $(sed -n "$(($2 + 1))p" $1/resource); printf '0x%x\\n' $(( $1 )); }
            cfg_read() { v=0; i=$(($3 - 1)); while [ $i -ge 0 ]; do
                b=$(dd if=$1/config bs=1 skip=$(($2 + i)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
                v=$(( (v << 8) | b )); i=$((i - 1)); done; printf '0x%x\\n' $v; }
            cfg_write() { i=0; v=$(($4)); while [ $i -lt $3 ]; do
                printf "\\\\$(printf %o $(( (v >> (8 * i)) & 255 )))" | dd of=$1/config bs=1 seek=$(($2 + i)) \\
                    count=1 conv=notrunc 2>/dev/null; i=$((i + 1)); done; }
            """;

    private static GuestRoot root;

    private Guests() {
    }

    /** @return the prepared guest root (prepared on first use; fails if the Debian mirror is unreachable) */
    static synchronized GuestRoot root() throws IOException, InterruptedException {
        if (root == null) {
            root = GuestRoot.prepare();
        }
        return root;
    }
}
