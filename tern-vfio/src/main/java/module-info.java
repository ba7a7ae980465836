/**
 * The Linux kernel VFIO backend: containers, groups and devices over {@code /dev/vfio}, and a kernel device as a
 * {@code MigrationTarget}. The uAPI structs ({@code uapi}) are internal.
 */
module dev.tern.vfio {
    requires transitive dev.tern.device;
    requires dev.tern.protocol;
    requires dev.tern.sys;

    exports dev.tern.vfio;
}
