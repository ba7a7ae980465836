/** The {@code tern} command line (an application: it exports nothing). */
module dev.tern.cli {
    requires dev.tern.conformance;
    requires dev.tern.demo;
    requires dev.tern.device;
    requires dev.tern.json;
    requires dev.tern.migration;
    requires dev.tern.protocol;
    requires dev.tern.samples;
    requires dev.tern.sys;
    requires dev.tern.vfio;
    requires dev.tern.vfiouser;
    requires dev.tern.vmm;
    requires info.picocli;
    requires java.logging;

    opens dev.tern.cli to info.picocli;
}
