package dev.tern.guide;

import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.VfioUserServer;
import java.io.IOException;
import java.nio.file.Path;

/** The guide's device as a process of its own: {@code CrcServer SOCKET} serves it over vfio-user. */
final class CrcServer {
    private CrcServer() {
    }

    // tag::serve[]
    public static void main(final String[] args) throws IOException {
        try (VfioUserServer server = VfioUserServer.listen(Path.of(args[0]), new CrcDevice(),
                ServerConfig.defaults())) {
            server.serve();   // one client (VMM) at a time, until the process ends
        }
    }
    // end::serve[]
}
