/** The conformance kit: checks any {@code MigrationTarget} against the VFIO migration uAPI, through the SDK API only. */
module dev.tern.conformance {
    requires transitive dev.tern.device;
    requires dev.tern.protocol;
    requires dev.tern.sys;

    exports dev.tern.conformance;
}
