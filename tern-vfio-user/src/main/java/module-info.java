/**
 * vfio-user: the codec (every message as its own type), the server hosting SDK devices and the client driving any
 * vfio-user server as a {@code MigrationTarget}. Framing ({@code transport}) and the Tern extension's wire
 * ({@code extension}) are internal.
 */
module dev.tern.vfiouser {
    requires transitive dev.tern.device;
    requires transitive dev.tern.json;
    requires dev.tern.protocol;
    requires dev.tern.sys;

    exports dev.tern.vfiouser.client;
    exports dev.tern.vfiouser.codec;
    exports dev.tern.vfiouser.server;
}
