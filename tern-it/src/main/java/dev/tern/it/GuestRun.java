package dev.tern.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one boot produced: the guest console (CR and escape sequences stripped), the lines of the guest script
 * between the markers, its exit status, QEMU's stderr and timings.
 *
 * @param console every console line, kernel messages included
 * @param exitCode the guest script's exit status, empty if the guest never reported it
 * @param qemuStderr what QEMU wrote on stderr
 * @param qemuExit QEMU's exit status, or -1 if it was killed at the deadline
 * @param timedOut true if the deadline ended the boot
 * @param toScript time from launch to the guest script's start (boot time), empty if it never started
 * @param total time from launch to QEMU's exit
 */
public record GuestRun(List<String> console, Optional<Integer> exitCode, String qemuStderr, int qemuExit,
        boolean timedOut, Optional<Duration> toScript, Duration total) {

    /** @return the guest script's lines (between the markers) */
    public List<String> output() {
        final List<String> out = new ArrayList<>();
        boolean in = false;
        for (final String l : console) {
            if (l.equals(Initramfs.BEGIN)) {
                in = true;
            } else if (l.startsWith(Initramfs.END)) {
                break;
            } else if (in) {
                out.add(l);
            }
        }
        return out;
    }

    /** @return the value of the first script line {@code key=value}, if any */
    public Optional<String> value(final String key) {
        return output().stream().filter(l -> l.startsWith(key + "=")).findFirst()
                .map(l -> l.substring(key.length() + 1));
    }

    /** @return the values of every script line {@code key=value}, in order */
    public List<String> values(final String key) {
        return output().stream().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1))
                .toList();
    }

    /** @return a summary for assertion messages: exit, timings, the console tail and QEMU's stderr */
    public String describe() {
        final List<String> tail = console.subList(Math.max(0, console.size() - 60), console.size());
        return "guest exit " + exitCode.map(String::valueOf).orElse("none") + ", qemu exit " + qemuExit
                + (timedOut ? " (killed at the deadline)" : "") + ", " + total.toMillis() + " ms\n--- console tail\n"
                + String.join("\n", tail) + "\n--- qemu stderr\n" + qemuStderr;
    }
}
