package dev.tern.cli;

import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.codec.Capabilities;
import dev.tern.vfiouser.codec.TernExtension;
import dev.tern.vfiouser.codec.Version;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * What {@code tern info} says about a server's VERSION reply: each capability with the value in force, marked when
 * the server did not advertise it and the specification's default applies ("VFIO_USER_VERSION", table
 * "Capabilities"), so a person can tell a server's statement from an assumption.
 */
final class ServerCapabilities {

    /** One capability: its name, and its value as advertised (empty when absent). */
    private record Row(String name, Function<Capabilities, Optional<String>> advertised, String specDefault) {
    }

    private static final List<Row> ROWS = List.of(
            new Row("max_msg_fds", c -> c.maxMsgFds().stream().mapToObj(Integer::toString).findFirst(),
                    Integer.toString(Capabilities.DEFAULT_MAX_MSG_FDS)),
            new Row("max_data_xfer_size", c -> c.maxDataXferSize().stream().mapToObj(ServerCapabilities::bytes)
                    .findFirst(), bytes(Capabilities.DEFAULT_MAX_DATA_XFER_SIZE)),
            new Row("pgsizes", c -> c.pgsizes().stream().mapToObj(v -> "0x" + Long.toHexString(v)).findFirst(),
                    "0x" + Long.toHexString(Capabilities.DEFAULT_PGSIZES)),
            new Row("max_dma_maps", c -> c.maxDmaMaps().stream().mapToObj(Integer::toString).findFirst(),
                    Integer.toString(Capabilities.DEFAULT_MAX_DMA_MAPS)),
            new Row("twin_socket", c -> c.twinSocket().map(t -> t.supported() ? "yes" : "no"), "no"),
            new Row("write_multiple", c -> c.writeMultiple().map(w -> w ? "yes" : "no"), "no"));

    private ServerCapabilities() {
    }

    /**
     * @param reply the server's VERSION reply
     * @return e.g. {@code max_msg_fds 8; max_data_xfer_size 1 MiB (spec default, not advertised); …}
     */
    static String describe(final Version reply) {
        final Capabilities c = reply.capabilities().orElse(Capabilities.none());
        final List<String> parts = new ArrayList<>();
        for (final Row r : ROWS) {
            parts.add(r.name() + " " + r.advertised().apply(c).orElse(r.specDefault()
                    + " (spec default, not advertised)"));
        }
        c.migration().flatMap(m -> m.pgsize().stream().boxed().findFirst())
                .ifPresent(p -> parts.add("migration.pgsize " + p + " (libvfio-user, not in the spec)"));
        return String.join("; ", parts);
    }

    /**
     * @param client a negotiated client
     * @param plain  whether the client proposed no Tern extension
     * @return which Tern extensions the server accepted, or why none are in use
     */
    static String tern(final VfioUserClient client, final boolean plain) {
        if (plain) {
            return "not proposed (--plain-vfio-user): plain vfio-user";
        }
        if (!client.ternAccepted()) {
            return "not offered: a plain vfio-user server (no PRECOPY_INFO, MIG_DATA_SIZE, checksum or P2P)";
        }
        final TernExtension t = client.session().tern();
        final List<String> on = new ArrayList<>();
        on.add(t.p2p() ? "p2p" : "no p2p");
        on.add(t.precopyInfo() ? "precopy_info" : "no precopy_info");
        on.add("MIG_DATA_SIZE, checksum");
        return "extension accepted: " + String.join(", ", on);
    }

    private static String bytes(final long n) {
        return n >= 1 << 20 && n % (1 << 20) == 0 ? (n >> 20) + " MiB"
                : n >= 1024 && n % 1024 == 0 ? (n >> 10) + " KiB" : n + " B";
    }
}
