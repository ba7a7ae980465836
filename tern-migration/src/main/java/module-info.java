/**
 * Live migration of devices and guest memory over TCP: the orchestrator ({@code SourceMigration},
 * {@code DestinationMigration}), the record format ({@code wire}) and the channel over it (TLS, session secret),
 * snapshots and reports.
 */
module dev.tern.migration {
    requires transitive dev.tern.device;
    requires transitive dev.tern.vmm;
    requires dev.tern.json;
    requires dev.tern.protocol;
    requires dev.tern.sys;

    exports dev.tern.migration;
    exports dev.tern.migration.channel;
    exports dev.tern.migration.report;
    exports dev.tern.migration.snapshot;
    exports dev.tern.migration.wire;
}
